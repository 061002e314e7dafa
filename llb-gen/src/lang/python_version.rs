//! Whether the Python a stage runs agrees with the one its project asks for: `Pipfile`'s
//! `[requires] python_version` (or `python_full_version`) and `requires-python` of
//! `pyproject.toml`'s `[project]` table. A lock made for another minor version can hold wheels
//! or markers that do not fit, and Pipenv's own `--deploy` refuses the mismatch, so the build
//! warns (it may still work: it is not an error). Part of the Python language (`python.rs`).

use super::row::{Input, in_root};
use crate::diag::{Diagnostic, PYTHON_VERSION_MISMATCH};

/// A `major.minor` version.
type MajorMinor = (u32, u32);

/// The first `major.minor` of `text` (`3.11`, `3.11.4`, `3.11-rc`), if it starts with one.
fn major_minor(text: &str) -> Option<MajorMinor> {
    let mut parts = text.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

/// The `major.minor.patch` of a specifier's version (`*` and a missing patch count as 0), and
/// whether it ends in `.*`.
fn release(text: &str) -> Option<(MajorMinor, u32, bool)> {
    let text = text.trim();
    let (text, wildcard) = match text.strip_suffix(".*") {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let version = major_minor(text)?;
    let patch = text.split('.').nth(2).map_or(Some(0), |p| p.parse().ok())?;
    Some((version, patch, wildcard))
}

/// Whether some `major.minor.z` release satisfies one PEP 440 clause (`>=3.10`, `<4.0`,
/// `~=3.11`, `==3.11.*`); a clause it cannot read counts as satisfied.
fn clause_allows(version: MajorMinor, clause: &str) -> bool {
    let clause = clause.trim();
    let ops = ["~=", "===", "==", "!=", "<=", ">=", "<", ">"];
    let Some(op) = ops.iter().find(|op| clause.starts_with(**op)) else {
        return true;
    };
    let Some((wanted, patch, wildcard)) = release(&clause[op.len()..]) else {
        return true;
    };
    match *op {
        ">=" | ">" => version >= wanted,
        "<=" => version <= wanted,
        "<" => version < wanted || (version == wanted && patch > 0),
        "==" | "===" => version == wanted,
        "!=" => !wildcard || version != wanted,
        // `~=3.11` is `>=3.11, ==3.*`; `~=3.11.2` is `>=3.11.2, ==3.11.*`.
        _ if clause.matches('.').count() >= 2 => version == wanted,
        _ => version.0 == wanted.0 && version >= wanted,
    }
}

/// The file and the requirement of the project that `python` (the stage's version, as
/// written) does not satisfy, if one is found.
pub fn mismatch(
    python: &str,
    pipfile: Option<&str>,
    pyproject: Option<&str>,
) -> Option<(&'static str, String)> {
    let version = major_minor(python)?;
    let pipfile: Option<toml::Table> = pipfile.and_then(|text| text.parse().ok());
    let requires = pipfile.as_ref().and_then(|t| t.get("requires"));
    for key in ["python_full_version", "python_version"] {
        let wanted = requires.and_then(|r| r.get(key)).and_then(|v| v.as_str());
        if let Some(wanted) = wanted {
            if major_minor(wanted).is_some_and(|w| w != version) {
                return Some(("Pipfile", format!("{key} = \"{wanted}\"")));
            }
            return None;
        }
    }
    let pyproject: Option<toml::Table> = pyproject.and_then(|text| text.parse().ok());
    let spec = pyproject
        .as_ref()
        .and_then(|t| t.get("project"))
        .and_then(|p| p.get("requires-python"))
        .and_then(|v| v.as_str())?;
    let allowed = spec.split(',').all(|clause| clause_allows(version, clause));
    (!allowed).then(|| ("pyproject.toml", format!("requires-python = \"{spec}\"")))
}

/// The warning when the stage's Python is not the one the project (its `Pipfile` or
/// `pyproject.toml`, under the stage's root) asks for.
pub fn warning(input: &Input) -> Option<Diagnostic> {
    let read = |file: &str| input.probe.read(&in_root(input.root, file));
    let (pipfile, pyproject) = (read("Pipfile"), read("pyproject.toml"));
    let (file, wanted) = mismatch(input.version, pipfile.as_deref(), pyproject.as_deref())?;
    let file = in_root(input.root, file);
    let diagnostic = Diagnostic::warning(
        &PYTHON_VERSION_MISMATCH,
        format!(
            "the stage runs Python {}, but `{file}` asks for {wanted}",
            input.version
        ),
        Some(input.span.clone()),
    )
    .with_help(format!(
        "set the stage's `python` to a version `{file}` allows, or change `{file}` (and re-lock) for Python {}",
        input.version
    ));
    Some(diagnostic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pyproject(spec: &str) -> String {
        format!("[project]\nname = \"x\"\nrequires-python = \"{spec}\"\n")
    }

    #[test]
    fn requires_python_is_read_as_pep_440_for_any_patch_release() {
        for (spec, ok) in [
            (">=3.10", true),
            (">=3.10,<4.0", true),
            (">=3.11.4", true),
            (">=3.12", false),
            ("<3.11", false),
            ("<3.11.2", true),
            ("<=3.10", false),
            ("~=3.11", true),
            ("~=3.12", false),
            ("~=3.11.2", true),
            ("~=3.10.2", false),
            ("==3.11.*", true),
            ("==3.10.*", false),
            ("!=3.11.*", false),
            ("!=3.11.1", true),
            (">=3.8, !=3.9.*", true),
            ("weird", true),
        ] {
            let found = mismatch("3.11", None, Some(&pyproject(spec)));
            assert_eq!(found.is_none(), ok, "{spec}: {found:?}");
        }
    }

    #[test]
    fn the_pipfile_version_wins_and_must_be_the_same_minor() {
        let pipfile = "[requires]\npython_version = \"3.10\"\n";
        assert_eq!(
            mismatch("3.11", Some(pipfile), Some(&pyproject(">=3.8"))),
            Some(("Pipfile", "python_version = \"3.10\"".into()))
        );
        assert_eq!(mismatch("3.10", Some(pipfile), None), None);
        let full = "[requires]\npython_full_version = \"3.11.4\"\n";
        assert_eq!(mismatch("3.11", Some(full), None), None);
        // No requirement, or a stage version that is not a number: nothing to say.
        assert_eq!(mismatch("3.11", Some("[packages]\n"), None), None);
        assert_eq!(mismatch("latest", Some(pipfile), None), None);
    }
}
