//! Who installs a Python stage's dependencies: uv, unless the spec sets `installer = "pip"`,
//! or a requirement file uses an option only pip understands, or one of the stage's own `run`
//! steps calls pip (which needs pip in the virtualenv). A kept pip is said in a warning, which
//! the build output shows. Part of the Python language (`python.rs`).

use serde_spanned::Spanned;

use super::row::{Input, in_root};
use crate::check::Checker;
use crate::diag::{Code, Diagnostic, PIP_KEPT};
use crate::ir::Span;

/// The tool that installs the dependencies into the virtualenv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installer {
    /// uv: a virtualenv without pip, setuptools or wheel, filled from uv's cache.
    Uv,
    /// The package manager's own way: pip for requirement files, `poetry install`, `pdm
    /// install`, `pipenv install --deploy`, into a virtualenv made by `python3 -m venv`.
    Pip,
}

/// `installer`: "uv" or "pip".
pub(super) fn installer_setting(
    checker: &mut Checker,
    value: &Spanned<String>,
) -> Option<Installer> {
    match checker.value(value).as_str() {
        "uv" => Some(Installer::Uv),
        "pip" => Some(Installer::Pip),
        other => {
            let diagnostic = Diagnostic::error(
                Code::UnknownValue,
                format!("unknown installer `{other}`"),
                Some(value.span()),
            )
            .with_suggestion(other, ["uv", "pip"]);
            let diagnostic = match diagnostic.help {
                Some(_) => diagnostic,
                None => diagnostic.with_help(
                    "use \"uv\" (the default) or \"pip\" (the package manager's own install, with pip in the virtualenv)",
                ),
            };
            checker.error(diagnostic);
            None
        }
    }
}

/// The installer chosen for a stage, what the requirement files need of it, and the warning
/// that says why pip was kept.
#[derive(Debug)]
pub struct Choice {
    /// Who installs.
    pub installer: Installer,
    /// Whether a requirement file pins hashes (pip then requires a hash for every package).
    pub hashes: bool,
    /// Why pip was kept, when the spec did not ask for it.
    pub warning: Option<Diagnostic>,
}

/// What a requirement file asks of its installer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// The first option uv does not read as pip does.
    pub pip_only: Option<String>,
    /// Whether it has `--hash` or `--require-hashes`.
    pub hashes: bool,
}

/// Options uv reads in requirement files as pip does. Anything else is left to pip: uv ignores
/// `--pre`, `--prefer-binary`, `--trusted-host` and `--use-feature`, and merges
/// `--extra-index-url` and `--find-links` candidates differently.
const UV_OPTIONS: [&str; 13] = [
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--no-index",
    "--hash",
    "--require-hashes",
    "--only-binary",
    "--no-binary",
];

/// Reads a requirement file's options: comments and continuation lines as pip reads them.
pub fn scan(text: &str) -> Scan {
    let mut found = Scan::default();
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for line in joined.lines() {
        let line = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(at) => &line[..at],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        for word in line.split_whitespace().filter(|w| w.starts_with('-')) {
            let option = word.split('=').next().unwrap_or(word);
            // `-rfile.txt`: a short option glued to its value.
            let short = option.get(..2).filter(|s| !s.starts_with("--"));
            let name = short.unwrap_or(option);
            if name == "--hash" || name == "--require-hashes" {
                found.hashes = true;
            }
            if !UV_OPTIONS.contains(&name) && found.pip_only.is_none() {
                found.pip_only = Some(option.to_owned());
            }
        }
    }
    found
}

/// Whether a shell command runs pip (`pip`, `pip3`, `pip3.11`, a path to one, or `python -m
/// pip`), as opposed to `uv pip`.
pub fn calls_pip(command: &str) -> bool {
    let words: Vec<&str> = command
        .split(|c: char| c.is_whitespace() || ";&|()`'\"".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, word)| {
        let name = word.rsplit('/').next().unwrap_or(word);
        let pip = name == "pip"
            || name
                .strip_prefix("pip3")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
        pip && i.checked_sub(1).map(|p| words[p]) != Some("uv")
    })
}

/// Chooses the installer of a stage whose manager is `manager` (with whether only uv installs
/// it), with `files` its requirement files (relative to the project's root) when it is pip.
pub fn choose(
    explicit: Option<(Installer, Span)>,
    (manager, only_uv): (&str, bool),
    files: &[String],
    input: &Input,
    deps_span: &Span,
) -> Result<Choice, Diagnostic> {
    let scans: Vec<(String, Scan)> = if manager == "pip" {
        files
            .iter()
            .map(|file| {
                let text = input.probe.read(&in_root(input.root, file));
                (file.clone(), scan(&text.unwrap_or_default()))
            })
            .collect()
    } else {
        Vec::new()
    };
    let hashes = scans.iter().any(|(_, scan)| scan.hashes);
    if let Some((installer, span)) = explicit {
        if installer == Installer::Pip && only_uv {
            let (what, why) = match files.first() {
                Some(file) if manager != "uv" => (
                    file.as_str(),
                    "Stagefile installs an unlocked project with uv",
                ),
                _ => ("uv.lock", "only uv reads it"),
            };
            return Err(Diagnostic::error(
                Code::InstallerMismatch,
                format!("`installer = \"pip\"` cannot install {what}: {why}"),
                Some(span),
            )
            .with_help(format!(
                "remove `installer` (uv installs {what}), or lock with another tool"
            )));
        }
        return Ok(Choice {
            installer,
            hashes,
            warning: None,
        });
    }
    let kept = |why: String, span: &Span| Choice {
        installer: Installer::Pip,
        hashes,
        warning: Some(Diagnostic::warning(
            &PIP_KEPT,
            format!("pip installs the dependencies instead of uv: {why}"),
            Some(span.clone()),
        )),
    };
    if only_uv {
        return Ok(Choice {
            installer: Installer::Uv,
            hashes,
            warning: None,
        });
    }
    if let Some((file, option)) = scans
        .iter()
        .find_map(|(file, scan)| Some((file, scan.pip_only.as_ref()?)))
    {
        let why = format!(
            "{} uses `{option}`, which uv does not read as pip does (set installer = \"pip\" to say so)",
            in_root(input.root, file)
        );
        return Ok(kept(why, deps_span));
    }
    if let Some((_, span)) = input.runs.iter().find(|(command, _)| calls_pip(command)) {
        let why = "a run step calls pip, which a virtualenv made by uv does not have (set installer = \"pip\" to say so)".to_owned();
        return Ok(kept(why, span));
    }
    Ok(Choice {
        installer: Installer::Uv,
        hashes,
        warning: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_pins_and_uv_options_stay_with_uv() {
        let text = "# pinned\nflask==3.0.3  # web\n-r base.txt\n--index-url https://x/simple\n\
                    psycopg2==2.9.10 \\\n    --hash=sha256:abc\n-e ./lib\n";
        assert_eq!(
            scan(text),
            Scan {
                pip_only: None,
                hashes: true
            }
        );
        assert_eq!(scan("-rbase.txt\nsix\n"), Scan::default());
    }

    #[test]
    fn options_only_pip_understands_are_found() {
        for (text, option) in [
            ("--find-links ./wheels\nsix\n", "--find-links"),
            ("-f https://x/\n", "-f"),
            ("--trusted-host=example.org\n", "--trusted-host"),
            ("six\n--extra-index-url https://x/\n", "--extra-index-url"),
            ("--pre\n", "--pre"),
        ] {
            assert_eq!(scan(text).pip_only.as_deref(), Some(option), "{text}");
        }
        assert_eq!(scan("# --pre is off\nsix # --pre\n").pip_only, None);
    }

    #[test]
    fn pip_in_commands_is_found_but_not_uv_pip() {
        for command in [
            "/bin/sh -c pip install --no-deps .",
            "/bin/sh -c cd x && pip3 install .",
            "/venv/bin/pip install .",
            "python -m pip install .",
            "pip3.11 wheel .",
        ] {
            assert!(calls_pip(command), "{command}");
        }
        for command in [
            "/bin/sh -c uv pip install .",
            "python manage.py collectstatic",
            "pipx run x",
            "echo pipeline",
        ] {
            assert!(!calls_pip(command), "{command}");
        }
    }
}
