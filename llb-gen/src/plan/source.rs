//! The default source copy of a language stage: the project, after its dependencies.

use serde_spanned::Spanned;

use super::{ImageSettings, Language, LanguagePlan, RunPlan};
use crate::check::Checker;
use crate::ir::{CopyFrom, FileCopy, Span};
use crate::spec::{self, SourceSetting};

/// Files a language stage's default source copy leaves out.
pub const DEFAULT_EXCLUDES: [&str; 9] = [
    ".git",
    "**/node_modules",
    "**/__pycache__",
    "**/*.pyc",
    ".venv",
    ".bundle",
    "vendor/bundle",
    "Stagefile.toml",
    ".dockerignore",
];

pub(super) fn source_plan(
    checker: &mut Checker,
    stage: &spec::Stage,
    language: Option<&LanguagePlan>,
    root: &str,
    runs: &[RunPlan],
    image: &ImageSettings,
    workdir: Option<&str>,
) -> Option<FileCopy> {
    language?;
    let dest = workdir.unwrap_or("/app").to_owned();
    // Bundler installs from `vendor/cache` through a mount; the `.gem` files stay out.
    let vendored_gems = language.is_some_and(|l| l.kind == Language::Ruby && l.install);
    let with_defaults = |src: String, include: Vec<String>, extra: Vec<String>, span: Span| {
        let mut exclude: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| (*s).to_owned()).collect();
        if vendored_gems {
            exclude.push("vendor/cache".to_owned());
        }
        exclude.extend(extra);
        FileCopy {
            from: CopyFrom::Context,
            src: vec![src],
            dest: dest.clone(),
            include,
            exclude,
            owner: None,
            mode: None,
            span,
        }
    };
    let root_or_dot = if root.is_empty() {
        ".".to_owned()
    } else {
        root.to_owned()
    };
    match &stage.source {
        Some(setting) => match setting.get_ref() {
            SourceSetting::Off => None,
            SourceSetting::Path(path) => {
                let path =
                    checker.context_path(&Spanned::new(setting.span(), path.clone()), "source");
                Some(with_defaults(
                    in_project(root, &path),
                    Vec::new(),
                    Vec::new(),
                    setting.span(),
                ))
            }
            SourceSetting::Table(table) => {
                let src = match &table.src {
                    Some(src) => {
                        let path = checker
                            .context_path(&Spanned::new(setting.span(), src.clone()), "source");
                        in_project(root, &path)
                    }
                    None => root_or_dot.clone(),
                };
                Some(with_defaults(
                    src,
                    table.include.clone(),
                    table.exclude.clone(),
                    setting.span(),
                ))
            }
        },
        None => {
            let needs_source = !runs.is_empty()
                || image.cmd.is_some()
                || image.entrypoint.is_some()
                || stage.package.is_some();
            let span = language.map_or(0..0, |l| l.span.clone());
            needs_source.then(|| with_defaults(root_or_dot, Vec::new(), Vec::new(), span))
        }
    }
}

/// A path relative to the project's root as a context path (`.` for the context root).
fn in_project(root: &str, path: &str) -> String {
    match (root.is_empty(), path.is_empty()) {
        (true, true) => ".".to_owned(),
        (true, false) => path.to_owned(),
        (false, true) => root.to_owned(),
        (false, false) => format!("{root}/{path}"),
    }
}
