//! `run` entries: the command, its mounts (cache, secret, ssh, tmpfs), env and network.

use serde_spanned::Spanned;

use super::RunPlan;
use crate::check::Checker;
use crate::diag::{ARG_IN_SINGLE_QUOTES, Code, Diagnostic};
use crate::interp::is_identifier;
use crate::ir::{Mount, Network, Sharing, Span};
use crate::shell;
use crate::spec::{self, MountList, OneOrMany, SshSetting};

pub(super) fn run_plan(checker: &mut Checker, run: &Spanned<spec::RunEntry>) -> RunPlan {
    let table = &run.get_ref().0;
    let span = run.span();
    // Build args reach a shell as its environment, never as script text (what a Dockerfile's
    // RUN does); an exec-form command without a shell gets them substituted.
    let mut arg_env = Vec::new();
    let (args, display) = match &table.cmd {
        OneOrMany::One(shell) => {
            warn_single_quoted(checker, shell, &span);
            let (script, env) = checker.shell(shell, &span);
            arg_env = env;
            (
                vec!["/bin/sh".to_owned(), "-c".to_owned(), script.clone()],
                script,
            )
        }
        OneOrMany::Many(args) => {
            let script = shell::script_index(args);
            let args: Vec<String> = args
                .iter()
                .enumerate()
                .map(|(index, arg)| {
                    if Some(index) == script {
                        warn_single_quoted(checker, arg, &span);
                        let (script, env) = checker.shell(arg, &span);
                        arg_env = env;
                        script
                    } else {
                        checker.command(arg, &span)
                    }
                })
                .collect();
            let display = args.join(" ");
            (args, display)
        }
    };
    if args.is_empty() || display.trim().is_empty() {
        checker.error(
            Diagnostic::error(Code::EmptyCommand, "empty command", Some(span.clone()))
                .with_help("write the command to run, e.g. \"npm run build\""),
        );
    }
    let mut mounts = Vec::new();
    for MountList(cache) in &table.cache {
        let sharing = match cache.sharing.as_deref() {
            None | Some("shared") => Sharing::Shared,
            Some("private") => Sharing::Private,
            Some("locked") => Sharing::Locked,
            Some(other) => {
                checker.error(
                    Diagnostic::error(
                        Code::UnknownValue,
                        format!("unknown cache sharing `{other}`"),
                        Some(span.clone()),
                    )
                    .with_suggestion(other, ["shared", "private", "locked"]),
                );
                Sharing::Shared
            }
        };
        let target = checker.command(&cache.target, &span);
        if !target.starts_with('/') {
            checker.error(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!("cache target `{target}` must be an absolute path"),
                    Some(span.clone()),
                )
                .with_help("e.g. cache = [\"/root/.cache/pip\"]"),
            );
        }
        let id = checker.command(cache.id.as_ref().unwrap_or(&cache.target), &span);
        if id.is_empty() {
            checker.error(
                Diagnostic::error(Code::InvalidName, "a cache id is empty", Some(span.clone()))
                    .with_help("remove `id` to use the target path as the id"),
            );
        }
        mounts.push(Mount::Cache {
            id,
            target,
            sharing,
        });
    }
    for MountList(secret) in &table.secret {
        mounts.push(secret_mount(checker, secret, &span));
    }
    match &table.ssh {
        Some(SshSetting::Default(true)) => mounts.push(Mount::Ssh {
            id: "default".into(),
        }),
        Some(SshSetting::Ids(ids)) => {
            for id in ids {
                check_id(checker, "ssh", id, &span);
                mounts.push(Mount::Ssh { id: id.clone() });
            }
        }
        _ => {}
    }
    for target in &table.tmpfs {
        let target = checker.command(target, &span);
        if !target.starts_with('/') {
            checker.error(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!("tmpfs target `{target}` must be an absolute path"),
                    Some(span.clone()),
                )
                .with_help("e.g. tmpfs = [\"/tmp\"]"),
            );
        }
        mounts.push(Mount::Tmpfs { target });
    }
    let network = match table.network.as_deref() {
        None | Some("default") | Some("sandbox") => Network::Sandbox,
        Some("none") => Network::None,
        Some("host") => Network::Host,
        Some(other) => {
            checker.error(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("unknown network `{other}`"),
                    Some(span.clone()),
                )
                .with_suggestion(other, ["default", "none", "host"]),
            );
            Network::Sandbox
        }
    };
    RunPlan {
        args,
        display,
        mounts,
        // The args the script names come last: `${NAME}` means the build arg.
        env: table
            .env
            .iter()
            .map(|(k, v)| (k.clone(), checker.command(v, &span)))
            .chain(arg_env)
            .collect(),
        network,
        workdir: table.workdir.as_deref().map(|w| {
            let workdir = checker.command(w, &span);
            if !workdir.starts_with('/') {
                checker.error(
                    Diagnostic::error(
                        Code::InvalidPath,
                        format!("the run step's workdir `{workdir}` must be an absolute path"),
                        Some(span.clone()),
                    )
                    .with_help(format!(
                        "e.g. workdir = \"/{}\"",
                        workdir.trim_start_matches("./")
                    )),
                );
            }
            workdir
        }),
        user: table.user.as_deref().map(|u| {
            let user = checker.command(u, &span);
            if user.trim().is_empty() {
                checker.error(
                    Diagnostic::error(
                        Code::InvalidUser,
                        "the run step's `user` is empty",
                        Some(span.clone()),
                    )
                    .with_help(
                        "remove it to run as the stage's user, or name one, e.g. user = \"root\"",
                    ),
                );
            }
            user
        }),
        before_source: table.before_source,
        span,
    }
}

/// A secret mount (`secret` of a run step, `install_secrets` of a stage): a file at `target`
/// (default `/run/secrets/<id>`) and/or an env var of the command.
pub(super) fn secret_mount(
    checker: &mut Checker,
    secret: &spec::SecretMount,
    span: &Span,
) -> Mount {
    check_id(checker, "secret", &secret.id, span);
    if let Some(target) = secret.target.as_ref().filter(|t| !t.starts_with('/')) {
        checker.error(
            Diagnostic::error(
                Code::InvalidPath,
                format!("secret target `{target}` must be an absolute path"),
                Some(span.clone()),
            )
            .with_help("e.g. { id = \"npmrc\", target = \"/root/.npmrc\" }"),
        );
    }
    let target = match (&secret.target, &secret.env) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(_)) => None,
        (None, None) => Some(format!("/run/secrets/{}", secret.id)),
    };
    if let Some(env) = &secret.env
        && !is_identifier(env)
    {
        checker.error(
            Diagnostic::error(
                Code::InvalidName,
                format!("`{env}` is not a valid env var name"),
                Some(span.clone()),
            )
            .with_help("use letters, digits and `_`"),
        );
    }
    Mount::Secret {
        id: secret.id.clone(),
        target,
        env: secret.env.clone(),
        required: secret.required.unwrap_or(true),
    }
}

/// A secret or ssh id: what `--secret id=...` / `--ssh id=...` name, and (for secrets) the
/// file under `/run/secrets/` by default, so letters, digits, `.`, `_` and `-`, not `.`/`..`.
fn check_id(checker: &mut Checker, what: &str, id: &str, span: &Span) {
    let valid = !id.is_empty()
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        let message = if id.is_empty() {
            format!("an id of `{what}` is empty")
        } else {
            format!("`{id}` is not a valid {what} id")
        };
        let example = if what == "ssh" {
            "ssh = [\"default\"]"
        } else {
            "secret = [\"npmrc\"]"
        };
        checker.error(
            Diagnostic::error(Code::InvalidName, message, Some(span.clone())).with_help(format!(
                "use letters, digits, `.`, `_` and `-`, e.g. {example}"
            )),
        );
    }
}

/// Warns about `'${ARG}'`: the shell leaves it as written (it was the value before build args
/// became the step's environment).
fn warn_single_quoted(checker: &mut Checker, script: &str, span: &Span) {
    let is_arg = |name: &str| checker.args.contains_key(name);
    for name in shell::single_quoted_names(script, &is_arg) {
        checker.warnings.push(
            Diagnostic::warning(
                &ARG_IN_SINGLE_QUOTES,
                format!("`${{{name}}}` is inside single quotes: the shell leaves it as written"),
                Some(span.clone()),
            )
            .with_help(format!(
                "write \"${{{name}}}\" for the build arg's value, or `$${{{name}}}` for the text itself"
            )),
        );
    }
}
