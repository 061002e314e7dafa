//! A stage's language, its package manager and the language-only keys.

use serde_spanned::Spanned;

use super::{Language, LanguagePlan, Manager, PackagePlan, PackageTool};
use crate::check::{Checker, spanned_list};
use crate::diag::Diagnostic;
use crate::ir::Span;
use crate::spec;

pub(super) fn language(checker: &mut Checker, stage: &spec::Stage) -> Option<LanguagePlan> {
    let declared: Vec<(Language, &Spanned<String>)> = [
        (Language::Python, &stage.python),
        (Language::Node, &stage.node),
        (Language::Ruby, &stage.ruby),
    ]
    .into_iter()
    .filter_map(|(lang, value)| value.as_ref().map(|v| (lang, v)))
    .collect();
    if let [_, (second, value), ..] = declared.as_slice() {
        checker.error(
            Diagnostic::error(
                format!(
                    "a stage has one language; `{}` is a second one",
                    second.name()
                ),
                Some(value.span()),
            )
            .with_help(
                "split the work into one stage per language and copy between them with `from`",
            ),
        );
    }
    let manager = stage.package_manager.as_ref().and_then(|m| {
        let found = Manager::ALL
            .iter()
            .find(|(_, name, _)| *name == m.get_ref().as_str());
        if found.is_none() {
            let names = Manager::ALL.iter().map(|(_, name, _)| *name);
            checker.error(
                Diagnostic::error(
                    format!("unknown package manager `{}`", m.get_ref()),
                    Some(m.span()),
                )
                .with_suggestion(m.get_ref(), names),
            );
        }
        found.map(|(manager, _, lang)| (*manager, *lang, m.span()))
    });
    let Some((kind, version)) = declared.first().copied() else {
        for (key, span) in python_only_keys(stage)
            .into_iter()
            .chain(language_only_keys(stage))
        {
            checker.error(
                Diagnostic::error(format!("`{key}` needs a language stage"), Some(span)).with_help(
                    "add `python = \"3.11\"`, `node = \"20\"` or `ruby = \"3.1\"` to this stage",
                ),
            );
        }
        return None;
    };
    if kind != Language::Python {
        for (key, span) in python_only_keys(stage) {
            checker.error(
                Diagnostic::error(
                    format!(
                        "`{key}` is for Python stages; this is a {} stage",
                        kind.name()
                    ),
                    Some(span),
                )
                .with_help(format!("remove `{key}`, or move it to a Python stage")),
            );
        }
    }
    let manager = match manager {
        Some((manager, lang, span)) if lang != kind => {
            checker.error(
                Diagnostic::error(
                    format!(
                        "`{}` is not a {} package manager",
                        manager.name(),
                        kind.name()
                    ),
                    Some(span),
                )
                .with_help(format!(
                    "use one of: {}",
                    Manager::ALL
                        .iter()
                        .filter(|(_, _, l)| *l == kind)
                        .map(|(_, n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            None
        }
        Some((manager, _, _)) => Some(manager),
        None => None,
    };
    let requirements: Vec<String> = spanned_list(&stage.requirements)
        .iter()
        .map(|path| checker.context_path(path, "requirements"))
        .collect();
    let manager = match manager {
        None if !requirements.is_empty() => Some(Manager::Pip),
        Some(m) if m != Manager::Pip && !requirements.is_empty() => {
            let span = stage.requirements.as_ref().map(|r| r.span());
            checker.error(
                Diagnostic::error(format!("`requirements` is for pip, but the package manager is `{}`", m.name()), span)
                    .with_help("remove `requirements` (the lockfile lists the dependencies) or set package_manager = \"pip\""),
            );
            Some(m)
        }
        other => other,
    };
    let version_text = checker.value(version);
    if version_text.trim().is_empty() || version_text.contains(char::is_whitespace) {
        checker.error(
            Diagnostic::error(
                format!("`{}` needs a version such as \"3.11\"", kind.name()),
                Some(version.span()),
            )
            .with_help(
                "the version picks the base image, e.g. python = \"3.11\" means python:3.11-slim",
            ),
        );
    }
    Some(LanguagePlan {
        kind,
        version: version_text,
        span: version.span(),
        manager,
        deps_span: stage
            .requirements
            .as_ref()
            .map_or(version.span(), |r| r.span()),
        requirements,
        install: stage.install.as_ref().is_none_or(|i| *i.get_ref()),
        package: None,
        venv: match &stage.venv {
            Some(venv) => checker.absolute(venv, "venv"),
            None => "/venv".to_owned(),
        },
    })
}

fn python_only_keys(stage: &spec::Stage) -> Vec<(&'static str, Span)> {
    let mut keys = Vec::new();
    if let Some(r) = &stage.requirements {
        keys.push(("requirements", r.span()));
    }
    if let Some(v) = &stage.venv {
        keys.push(("venv", v.span()));
    }
    if let Some(p) = &stage.package {
        keys.push(("package", p.span()));
    }
    keys
}

/// The executable file a Python stage packs, with its default output under the workdir.
pub(super) fn package_plan(
    checker: &mut Checker,
    package: &Spanned<spec::Package>,
    stage: &str,
    workdir: &str,
) -> Option<PackagePlan> {
    let p = package.get_ref();
    let tool = match p.tool.get_ref().as_str() {
        "pex" => PackageTool::Pex,
        "zipapp" => PackageTool::Zipapp,
        other => {
            let diagnostic = Diagnostic::error(
                format!("unknown packaging tool `{other}`"),
                Some(p.tool.span()),
            )
            .with_suggestion(other, ["pex", "zipapp"]);
            let diagnostic = match diagnostic.help {
                Some(_) => diagnostic,
                None => diagnostic.with_help(
                    "use \"pex\" (C extensions work) or \"zipapp\" (pure-Python dependencies only)",
                ),
            };
            checker.error(diagnostic);
            return None;
        }
    };
    let entry = checker.value(&p.entry);
    let valid_entry = !entry.is_empty()
        && entry.split(':').count() <= 2
        && entry.split([':', '.']).all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid_entry {
        checker.error(
            Diagnostic::error(
                format!("`{entry}` is not an entry point"),
                Some(p.entry.span()),
            )
            .with_help("write `module:function` (e.g. \"app.main:run\") or a module name"),
        );
    }
    let extension = if tool == PackageTool::Pex {
        "pex"
    } else {
        "pyz"
    };
    let output = match &p.output {
        Some(output) => checker.absolute(output, "output"),
        None => format!("{}/{stage}.{extension}", workdir.trim_end_matches('/')),
    };
    Some(PackagePlan {
        tool,
        entry,
        output,
        span: package.span(),
    })
}

fn language_only_keys(stage: &spec::Stage) -> Vec<(&'static str, Span)> {
    let mut keys = Vec::new();
    if let Some(m) = &stage.package_manager {
        keys.push(("package_manager", m.span()));
    }
    if let Some(i) = &stage.install {
        keys.push(("install", i.span()));
    }
    if let Some(s) = &stage.source {
        keys.push(("source", s.span()));
    }
    if let Some(r) = &stage.root {
        keys.push(("root", r.span()));
    }
    keys
}
