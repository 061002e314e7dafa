//! The image config of a stage: the base's config with the spec's settings applied.

use std::collections::BTreeMap;

use crate::compile::CompileOptions;
use crate::diag::Diagnostic;
use crate::image::ImageConfig;
use crate::plan::{StagePlan, UserSetting};

/// Applies the stage's image settings (after its steps set env, workdir and user).
pub(super) fn apply_stage(
    config: &mut ImageConfig,
    stage: &StagePlan,
    warnings: &mut Vec<Diagnostic>,
    is_target: bool,
) {
    let image = &stage.image;
    let runtime = &mut config.config;
    if !image.expose.is_empty() {
        let ports = runtime.exposed_ports.get_or_insert_with(BTreeMap::new);
        for port in &image.expose {
            ports.insert(port.clone(), serde_json::json!({}));
        }
    }
    if let Some(entrypoint) = &image.entrypoint {
        runtime.entrypoint = Some(entrypoint.clone());
        if image.cmd.is_none() {
            // An inherited command was written for the old entrypoint.
            runtime.cmd = None;
        }
    }
    if let Some(cmd) = &image.cmd {
        runtime.cmd = Some(cmd.clone());
    }
    if !image.labels.is_empty() {
        runtime
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(image.labels.clone());
    }
    if let Some(health) = &image.healthcheck {
        runtime.healthcheck = Some(health.clone());
    }
    if let Some(signal) = &image.stop_signal {
        runtime.stop_signal = Some(signal.clone());
    }
    if let UserSetting::Explicit(user) = &stage.user {
        runtime.user = Some(user.clone());
        if is_target && matches!(user.as_str(), "root" | "0" | "0:0") {
            warnings.push(
                Diagnostic::warning(
                    format!("stage `{}` runs as root", stage.name),
                    Some(stage.span.clone()),
                )
                .with_help("remove `user` to run as the non-root `app` user Stagefile creates"),
            );
        }
    }
}

/// Final touches on the target's config: `--label`s and the creation time.
pub(super) fn finish(config: &mut ImageConfig, options: &CompileOptions) {
    if !options.labels.is_empty() {
        config
            .config
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(options.labels.clone());
    }
    config.created = options.source_date_epoch.map(rfc3339);
}

/// Seconds since the Unix epoch as an RFC 3339 UTC time.
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let seconds = epoch.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_epochs() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
