//! Validating one `[stage.NAME]` table into a [`StagePlan`]: the stage's name and base, its
//! `apt`, `env` and `outputs`; each other table is validated by its own module.

use serde_spanned::Spanned;

use super::{Base, Carry, RunPlan, StagePlan, apt, copy, image, language, run, source, user};
use crate::check::Checker;
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::interp::is_identifier;
use crate::ir::{CopyFrom, FileCopy, Span};
use crate::options::CompileOptions;
use crate::reference;
use crate::spec;

pub(super) fn build(
    checker: &mut Checker,
    index: usize,
    name: &Spanned<String>,
    table: &Spanned<spec::Stage>,
    options: &CompileOptions,
) -> StagePlan {
    let stage = table.get_ref();
    check_stage_name(checker, name);
    let declared = language::declared(checker, stage);
    let base = base(checker, index, name, stage, declared.as_ref());
    let root = match &stage.root {
        Some(root) => checker.context_path(root, "root"),
        None => String::new(),
    };
    let workdir = match &stage.workdir {
        Some(dir) => Some(checker.absolute(dir, "workdir")),
        None => declared.as_ref().map(|_| "/app".to_owned()),
    };
    let language = declared.map(|declared| {
        let workdir = workdir.as_deref().unwrap_or("/app");
        language::language_plan(checker, stage, declared, name.get_ref(), workdir)
    });
    let user = user::user_setting(checker, stage.user.as_ref());
    let copies: Vec<FileCopy> = stage
        .copy
        .iter()
        .map(|copy| copy::copy_plan(checker, copy, &user))
        .collect();
    let runs: Vec<RunPlan> = stage
        .run
        .iter()
        .map(|run| run::run_plan(checker, run))
        .collect();
    let image = image::image_settings(checker, stage);
    let source = source::source_plan(
        checker,
        stage,
        language.as_ref(),
        &root,
        &runs,
        &image,
        workdir.as_deref(),
    );
    let apt = apt::apt_packages(checker, &stage.apt);
    let build_apt = apt::apt_packages(checker, &stage.build_apt);
    let carried = carried(checker, stage, &copies);
    let minimal = runtime(checker, stage);
    let writable = stage
        .writable
        .iter()
        .map(|path| (writable_path(checker, path), path.span()))
        .collect();
    let outputs = stage
        .outputs
        .iter()
        .map(|output| checker.output_path(output))
        .collect();
    let env = stage
        .env
        .iter()
        .map(|(key, value)| {
            if !is_identifier(key.get_ref()) {
                checker.error(
                    Diagnostic::error(
                        Code::InvalidName,
                        format!("`{}` is not a valid env var name", key.get_ref()),
                        Some(key.span()),
                    )
                    .with_help("use letters, digits and `_`, starting with a letter or `_`"),
                );
            }
            // Kept as written: lowering expands `$NAME` once, against the env so far and the args.
            let text = value.get_ref().clone();
            (
                key.get_ref().clone(),
                text,
                key.span().start..value.span().end,
            )
        })
        .collect();
    StagePlan {
        name: name.get_ref().clone(),
        span: name.span(),
        description: stage.description.as_ref().map(|d| d.get_ref().clone()),
        is_default: stage.default.as_ref().is_some_and(|d| *d.get_ref()),
        base,
        language,
        root,
        apt,
        apt_span: list_span(&stage.apt).unwrap_or_else(|| name.span()),
        build_apt,
        build_apt_span: list_span(&stage.build_apt).unwrap_or_else(|| name.span()),
        carried,
        minimal,
        writable,
        workdir,
        source,
        copies,
        runs,
        outputs,
        env,
        image,
        user,
        replaced: options.named_contexts.contains_key(name.get_ref()),
        no_cache: options
            .no_cache
            .as_ref()
            .is_some_and(|stages| stages.is_empty() || stages.contains(name.get_ref())),
    }
}

/// From the first item of a list to its last.
fn list_span(items: &[Spanned<String>]) -> Option<Span> {
    let first = items.first()?.span();
    let last = items.last()?.span();
    Some(first.start..last.end)
}

/// A path the app may write, normalized: absolute, or relative to the directory the stage works
/// in (recipes place it there, [`super::under`]).
fn writable_path(checker: &mut Checker, value: &Spanned<String>) -> String {
    let text = checker.value(value);
    let trimmed = text.trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "/" || trimmed.split('/').any(|part| part == "..") {
        checker.error(
            Diagnostic::error(
                Code::InvalidPath,
                format!("`{text}` is not a directory the app can be given"),
                Some(value.span()),
            )
            .with_help(
                "name a directory under the workdir (\"instance\") or an absolute one (\"/data\")",
            ),
        );
    }
    trimmed.to_owned()
}

/// `runtime`: the span of `"minimal"`, or `None` for the base image.
fn runtime(checker: &mut Checker, stage: &spec::Stage) -> Option<Span> {
    let value = stage.runtime.as_ref()?;
    match value.get_ref().as_str() {
        "base" => None,
        "minimal" => Some(value.span()),
        other => {
            checker.error(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("unknown runtime `{other}`"),
                    Some(value.span()),
                )
                .with_suggestion(other, ["base", "minimal"])
                .with_help_if_none("use \"base\" (the stage's base image) or \"minimal\""),
            );
            None
        }
    }
}

/// The interpreters the stage's copies bring (`interpreter = true`), from the stages named.
fn carried(checker: &mut Checker, stage: &spec::Stage, copies: &[FileCopy]) -> Vec<Carry> {
    let mut carried = Vec::new();
    for (written, copy) in stage.copy.iter().zip(copies) {
        let Some(flag) = &written.get_ref().interpreter else {
            continue;
        };
        match (copy.from.clone(), *flag.get_ref()) {
            (_, false) => {}
            (CopyFrom::Stage(from), true) => carried.push(Carry {
                from,
                span: flag.span(),
            }),
            (_, true) => checker.error(
                Diagnostic::error(
                    Code::InvalidCopy,
                    "`interpreter = true` needs `from` naming a Python or Node stage",
                    Some(flag.span()),
                )
                .with_help("e.g. { from = \"tool\", path = \"/venv\", interpreter = true }"),
            ),
        }
    }
    carried
}

fn check_stage_name(checker: &mut Checker, name: &Spanned<String>) {
    let text = name.get_ref();
    let valid = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !valid {
        checker.error(
            Diagnostic::error(
                Code::InvalidName,
                format!("`{text}` is not a valid stage name"),
                Some(name.span()),
            )
            .with_help("use lower-case letters, digits, `-`, `_` and `.`, e.g. [stage.app]"),
        );
    }
}

fn base(
    checker: &mut Checker,
    index: usize,
    name: &Spanned<String>,
    stage: &spec::Stage,
    language: Option<&language::Declared>,
) -> Base {
    if let Some(from) = &stage.from {
        return match checker.expanded(from) {
            Some(text) => resolve_from(checker, index, &text, from.span()),
            None => Base::Scratch { span: 0..0 },
        };
    }
    match language {
        Some(lang) => {
            let written = lang.lang.image(&lang.version);
            let reference = reference::normalize(&written).unwrap_or_else(|_| written.clone());
            Base::Image {
                reference,
                written,
                span: lang.span.clone(),
            }
        }
        None => {
            let message = format!("stage `{}` has no base", name.get_ref());
            checker.error(
                Diagnostic::error(Code::NoBase, message, Some(name.span())).with_help(
                    "add `from = \"<image or stage>\"`, or a language such as `python = \"3.11\"`",
                ),
            );
            Base::Scratch { span: 0..0 }
        }
    }
}

fn resolve_from(checker: &mut Checker, index: usize, text: &str, span: Span) -> Base {
    if text == "scratch" {
        return Base::Scratch { span };
    }
    if let Some(found) = checker.stage_names.iter().position(|n| n == text) {
        if found == index {
            checker.error(
                Diagnostic::error(
                    Code::DependencyCycle,
                    "a stage cannot start from itself",
                    Some(span.clone()),
                )
                .with_help("name another stage or an image in `from`"),
            );
        }
        return Base::Stage { index: found, span };
    }
    // A bare name is an image on Docker Hub, but one a letter away from a stage is a typo
    // that would silently build from whatever image has that name.
    let bare = !text.contains(['/', ':', '@']);
    if bare && !checker.is_full() {
        let names = checker.stage_names.iter().map(String::as_str);
        if let Some(stage) = did_you_mean(text, names) {
            let help = format!(
                "did you mean the stage `{stage}`? For an image named `{text}`, write its tag: `{text}:latest`"
            );
            checker.error(
                Diagnostic::error(
                    Code::UnknownStage,
                    format!(
                        "`{text}` is no stage but close to one; as an image it would be `{}`",
                        reference::normalize(text).unwrap_or_else(|_| text.to_owned())
                    ),
                    Some(span),
                )
                .with_help(help),
            );
            return Base::Scratch { span: 0..0 };
        }
    }
    match reference::normalize(text) {
        Ok(reference) => Base::Image {
            reference,
            written: text.to_owned(),
            span,
        },
        Err(_) if checker.is_full() => {
            checker.left_out += 1;
            Base::Scratch { span: 0..0 }
        }
        Err(error) => {
            let names: Vec<&str> = checker.stage_names.iter().map(String::as_str).collect();
            let diagnostic = Diagnostic::error(
                Code::InvalidImage,
                format!(
                    "`{text}` is neither a stage nor a valid image: {}",
                    error.reason
                ),
                Some(span),
            );
            checker.error(diagnostic.with_suggestion(text, names.iter().copied()));
            Base::Scratch { span: 0..0 }
        }
    }
}
