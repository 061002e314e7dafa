//! A Python project without a lockfile (the `pyproject` manager): what its manifests say about
//! where its dependencies can be read. A static PEP 621 `[project]` table lists them, so they
//! are installed from `pyproject.toml` alone, before the source; `setup.py`, `setup.cfg` or a
//! dynamic `dependencies` need the build backend to run on the source, so they are installed
//! with the project after the source copy. Part of the Python language (`python.rs`).

use super::row::{Input, in_root};
use crate::diag::{Diagnostic, UNLOCKED_DEPENDENCIES};

/// Where an unlocked project's dependencies come from, and the note `--format steps` shows.
#[derive(Debug, PartialEq, Eq)]
pub struct DependencySource {
    /// Only the source can tell them: they are installed with the project.
    pub from_source: bool,
    /// Why, for the manager's note.
    pub why: String,
}

/// Reads `pyproject.toml` (`text`, when `files` has it) for a static `[project]` table whose
/// `dependencies` are not `dynamic`.
pub fn declared(files: &[String], text: Option<&str>) -> DependencySource {
    let source = |why: &str| DependencySource {
        from_source: true,
        why: format!("{why}: dependencies installed with the project, after the source copy"),
    };
    if !files.iter().any(|f| f == "pyproject.toml") {
        return source("only setup.py or setup.cfg, which compute them from the source");
    }
    let Some(table) = text.and_then(|t| t.parse::<toml::Table>().ok()) else {
        return source("pyproject.toml could not be read as TOML");
    };
    let Some(project) = table.get("project").and_then(|p| p.as_table()) else {
        return source("pyproject.toml has no [project] table");
    };
    let dynamic = project
        .get("dynamic")
        .and_then(|d| d.as_array())
        .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("dependencies")));
    if dynamic {
        return source("pyproject.toml's dependencies are dynamic");
    }
    DependencySource {
        from_source: false,
        why: "dependencies from pyproject.toml's [project] table, then the project after the source copy".to_owned(),
    }
}

/// The project's dependencies are resolved anew by every build that misses the cache.
pub fn unlocked_warning(files: &[String], input: &Input) -> Diagnostic {
    let manifest = in_root(input.root, files.first().map_or("pyproject.toml", |f| f));
    Diagnostic::warning(
        &UNLOCKED_DEPENDENCIES,
        format!("`{manifest}` has no lockfile: its dependencies are not pinned, so a rebuild may install other versions"),
        Some(input.span.clone()),
    )
    .with_help("lock them (`uv lock`, `pdm lock`, `poetry lock`, or a pinned requirements.txt), or set package_manager = \"pyproject\" to keep them unpinned without this warning")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_static_project_table_is_read_before_the_source() {
        let text = "[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"six\"]\n";
        let found = declared(&files(&["pyproject.toml"]), Some(text));
        assert!(!found.from_source, "{found:?}");
        let no_deps = "[project]\nname = \"a\"\nversion = \"1\"\n";
        assert!(!declared(&files(&["pyproject.toml", "setup.py"]), Some(no_deps)).from_source);
    }

    #[test]
    fn setup_py_dynamic_or_no_project_table_needs_the_source() {
        let dynamic = "[project]\nname = \"a\"\ndynamic = [\"version\", \"dependencies\"]\n";
        for (names, text) in [
            (&["setup.py"][..], None),
            (&["setup.cfg"][..], None),
            (&["pyproject.toml", "setup.py"][..], Some(dynamic)),
            (
                &["pyproject.toml", "setup.cfg"][..],
                Some("[build-system]\n"),
            ),
            (&["pyproject.toml"][..], Some("[project\n")),
        ] {
            assert!(
                declared(&files(names), text).from_source,
                "{names:?} {text:?}"
            );
        }
    }

    #[test]
    fn a_deeply_nested_pyproject_is_refused_not_a_stack_overflow() {
        let text = format!("[project]\nx = {}", "[".repeat(200_000));
        assert!(declared(&files(&["pyproject.toml"]), Some(&text)).from_source);
    }
}
