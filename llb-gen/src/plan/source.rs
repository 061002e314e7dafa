//! The default source copy of a language stage: the project, after its dependencies.

use serde_spanned::Spanned;

use super::{ImageSettings, LanguagePlan, RunPlan};
use crate::check::Checker;
use crate::ir::{CopyFrom, FileCopy, Span};
use crate::lang;
use crate::spec::{self, SourceSetting};

pub(super) fn source_plan(
    checker: &mut Checker,
    stage: &spec::Stage,
    language: Option<&LanguagePlan>,
    root: &str,
    runs: &[RunPlan],
    image: &ImageSettings,
    workdir: Option<&str>,
) -> Option<FileCopy> {
    let language = language?;
    let dest = workdir.unwrap_or("/app").to_owned();
    let mut defaults = lang::source_excludes();
    if language.install {
        // What the install reads through a mount (vendored gems) stays out of the layers.
        defaults.extend(language.settings.mounted());
    }
    let with_defaults = |src: String, include: Vec<String>, extra: Vec<String>, span: Span| {
        let mut exclude: Vec<String> = defaults.iter().map(|s| (*s).to_owned()).collect();
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
                || language.settings.needs_source();
            let span = language.span.clone();
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
