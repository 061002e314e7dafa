//! Image settings of a stage: ports, entrypoint and command, labels, health check, stop signal.

use serde_spanned::Spanned;

use super::ImageSettings;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::image::HealthConfig;
use crate::interp;
use crate::shell;
use crate::spec;

pub(super) fn image_settings(checker: &mut Checker, stage: &spec::Stage) -> ImageSettings {
    let expose = stage
        .expose
        .iter()
        .filter_map(|port| {
            let text = port.get_ref().0.clone();
            let (number, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
            match (number.parse::<u16>(), proto) {
                (Ok(n), "tcp" | "udp" | "sctp") if n > 0 => Some(format!("{n}/{proto}")),
                _ => {
                    checker.error(
                        Diagnostic::error(
                            Code::InvalidPort,
                            format!("`{text}` is not a port"),
                            Some(port.span()),
                        )
                        .with_help(
                            "write a number from 1 to 65535, optionally with /tcp, /udp or /sctp",
                        ),
                    );
                    None
                }
            }
        })
        .collect();
    let exec_form = |checker: &mut Checker, value: &Option<Spanned<Vec<String>>>, key: &str| {
        value.as_ref().map(|v| {
            if v.get_ref().is_empty() {
                checker.error(
                    Diagnostic::error(
                        Code::EmptyCommand,
                        format!("`{key}` is empty"),
                        Some(v.span()),
                    )
                    .with_help(format!(
                        "give the program and its arguments, e.g. {key} = [\"python\", \"app.py\"]"
                    )),
                );
            }
            let script = shell::script_index(v.get_ref());
            let span = v.span();
            let args: Vec<String> = v
                .get_ref()
                .iter()
                .map(|a| checker.command(a, &span))
                .collect();
            // The script runs when the container starts, where no build arg is set: a value
            // written into it would be code. The image's env can carry it instead.
            let is_arg = |name: &str| checker.args.contains_key(name);
            let named = script
                .and_then(|i| v.get_ref().get(i))
                .map(|s| interp::shell_script(s, &is_arg).1);
            if let Some(name) = named.as_deref().and_then(<[_]>::first) {
                checker.error(
                    Diagnostic::error(
                        Code::ArgInScript,
                        format!("build arg `{name}` is written into the shell script of `{key}`"),
                        Some(v.span()),
                    )
                    .with_help(format!(
                        "its value would run as shell code when the container starts; pass it through the image's env instead: env = {{ {name} = \"${{{name}}}\" }}, and write `${name}` in the script"
                    )),
                );
            }
            args
        })
    };
    let entrypoint = exec_form(checker, &stage.entrypoint, "entrypoint");
    let cmd = exec_form(checker, &stage.cmd, "cmd");
    let healthcheck = stage.healthcheck.as_ref().map(|h| {
        let h = h.get_ref();
        let mut duration = |value: &Option<Spanned<String>>| {
            value
                .as_ref()
                .map_or(0, |v| match parse_duration(v.get_ref()) {
                    Some(ns) => ns,
                    None => {
                        checker.error(
                            Diagnostic::error(
                                Code::InvalidDuration,
                                format!("`{}` is not a duration", v.get_ref()),
                                Some(v.span()),
                            )
                            .with_help("write e.g. \"30s\", \"1m30s\" or \"500ms\""),
                        );
                        0
                    }
                })
        };
        let interval = duration(&h.interval);
        let timeout = duration(&h.timeout);
        let start_period = duration(&h.start_period);
        let mut test = vec!["CMD".to_owned()];
        test.extend(h.cmd.get_ref().iter().cloned());
        HealthConfig {
            test,
            interval,
            timeout,
            start_period,
            retries: h.retries.as_ref().map_or(0, |r| {
                let retries = *r.get_ref();
                if !(0..=i64::from(i32::MAX)).contains(&retries) {
                    checker.error(
                        Diagnostic::error(
                            Code::OutOfRange,
                            format!("`retries = {retries}` is out of range"),
                            Some(r.span()),
                        )
                        .with_help("give the number of failed checks before the container is unhealthy, e.g. retries = 3"),
                    );
                }
                retries
            }),
        }
    });
    ImageSettings {
        expose,
        entrypoint,
        cmd,
        labels: stage
            .labels
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), checker.value(v)))
            .collect(),
        healthcheck,
        stop_signal: stage.stop_signal.as_ref().map(|s| checker.value(s)),
    }
}

/// Parses Go-style durations such as `30s`, `1m30s`, `500ms` into nanoseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(scale)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(30_000_000_000));
        assert_eq!(parse_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("x"), None);
    }
}
