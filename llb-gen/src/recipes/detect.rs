//! Lockfile detection: which dependency manager a language stage uses.

use super::in_root;
use crate::diag::Diagnostic;
use crate::plan::{Language, LanguagePlan, Manager, Plan, StagePlan};
use crate::probe::ContextProbe;

/// Files that reveal each manager, in order of preference, and the files it needs.
const SIGNS: [(Manager, &str, &[&str]); 7] = [
    (Manager::Uv, "uv.lock", &["pyproject.toml", "uv.lock"]),
    (
        Manager::Poetry,
        "poetry.lock",
        &["pyproject.toml", "poetry.lock"],
    ),
    (Manager::Pip, "requirements.txt", &[]),
    (
        Manager::Pnpm,
        "pnpm-lock.yaml",
        &["package.json", "pnpm-lock.yaml"],
    ),
    (Manager::Yarn, "yarn.lock", &["package.json", "yarn.lock"]),
    (
        Manager::Npm,
        "package-lock.json",
        &["package.json", "package-lock.json"],
    ),
    (
        Manager::Bundler,
        "Gemfile.lock",
        &["Gemfile", "Gemfile.lock"],
    ),
];

/// Optional files copied along with the manifests when they exist.
pub const OPTIONAL_FILES: [(Language, &str); 5] = [
    (Language::Node, ".npmrc"),
    (Language::Node, ".yarnrc.yml"),
    (Language::Node, ".yarnrc"),
    (Language::Node, "pnpm-workspace.yaml"),
    (Language::Ruby, "vendor/cache"),
];

fn language_of(manager: Manager) -> Language {
    Manager::ALL
        .iter()
        .find(|(m, _, _)| *m == manager)
        .map_or(Language::Python, |(_, _, l)| *l)
}

/// Context paths whose existence the recipes ask about, for the target's stages.
pub fn probe_paths(plan: &Plan) -> Vec<String> {
    let mut paths = std::collections::BTreeSet::new();
    for &index in &plan.order {
        let stage = &plan.stages[index];
        let Some(language) = &stage.language else {
            continue;
        };
        if stage.replaced || !language.install {
            continue;
        }
        for (manager, sign, needs) in SIGNS {
            if language_of(manager) == language.kind {
                paths.insert(in_root(stage, sign));
                for need in needs {
                    paths.insert(in_root(stage, need));
                }
            }
        }
        for file in &language.requirements {
            paths.insert(file.clone());
        }
        for (lang, file) in OPTIONAL_FILES {
            if lang == language.kind {
                paths.insert(in_root(stage, file));
            }
        }
    }
    paths.into_iter().collect()
}

/// The manager of a language stage: the one the spec names (its files must exist), else the
/// first whose lockfile is present, else none (nothing to install).
pub fn manager(
    stage: &StagePlan,
    language: &LanguagePlan,
    probe: &dyn ContextProbe,
) -> Result<Option<Manager>, Diagnostic> {
    if !language.install {
        return Ok(None);
    }
    let missing = |files: Vec<String>| files.into_iter().find(|f| !probe.exists(f));
    if let Some(manager) = language.manager {
        let needed: Vec<String> = match manager {
            Manager::Pip if !language.requirements.is_empty() => language.requirements.clone(),
            _ => SIGNS
                .iter()
                .find(|(m, _, _)| *m == manager)
                .map(|(_, sign, needs)| {
                    if needs.is_empty() {
                        vec![in_root(stage, sign)]
                    } else {
                        needs.iter().map(|n| in_root(stage, n)).collect()
                    }
                })
                .unwrap_or_default(),
        };
        if let Some(file) = missing(needed) {
            return Err(Diagnostic::error(
                format!(
                    "`{file}` is not in the build context, but {} needs it",
                    manager.name()
                ),
                Some(language.deps_span.clone()),
            )
            .with_help(format!(
                "add `{file}` to the context (check .dockerignore), or change the package manager"
            )));
        }
        return Ok(Some(manager));
    }
    for (manager, sign, needs) in SIGNS {
        if language_of(manager) != language.kind || !probe.exists(&in_root(stage, sign)) {
            continue;
        }
        if let Some(file) = missing(needs.iter().map(|n| in_root(stage, n)).collect()) {
            return Err(Diagnostic::error(
                format!("found `{}` but not `{file}`", in_root(stage, sign)),
                Some(language.span.clone()),
            )
            .with_help(format!(
                "add `{file}` to the build context so {} can install the dependencies",
                manager.name()
            )));
        }
        return Ok(Some(manager));
    }
    let unlocked = match language.kind {
        Language::Node => Some((
            "package.json",
            "run `npm install` to create package-lock.json and add it",
        )),
        Language::Ruby => Some((
            "Gemfile",
            "run `bundle lock` to create Gemfile.lock and add it",
        )),
        Language::Python => Some((
            "pyproject.toml",
            "add requirements.txt, or lock with `uv lock` or `poetry lock`",
        )),
    };
    if let Some((manifest, help)) = unlocked
        && probe.exists(&in_root(stage, manifest))
    {
        return Err(Diagnostic::error(
            format!(
                "`{}` has no lockfile: installs must be frozen to be reproducible",
                in_root(stage, manifest)
            ),
            Some(language.span.clone()),
        )
        .with_help(help.to_owned()));
    }
    Ok(None)
}
