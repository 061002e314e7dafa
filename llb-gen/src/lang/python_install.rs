//! What a Python install command is built from: the stage's validated keys, the hooks a
//! manager's row adds, and the uv of the build platform. Shared by the two ways of installing
//! (`python_uv.rs`, `python_pip.rs`) and the language (`python.rs`).

use super::python_choice::Installer;
use super::python_pack::{Export, Package};
use super::row::Manager;
use super::tools::Uv;
use crate::diag::{Diagnostic, PACKAGE_LAYERS_UNUSED};
use crate::ir::{Mount, RunStep, Span};
use crate::shell::quote;

/// What a Python manager adds to its row.
#[derive(Debug)]
pub struct Hooks {
    /// The install by uv.
    pub with_uv: fn(&Install) -> RunStep,
    /// The manager's own way, when pip is kept; `None` when only uv installs it (then
    /// `installer = "pip"` is an error and a run step calling pip does not keep pip).
    pub with_pip: Option<PipWay>,
    /// The project itself, installed by uv after the source copy; `None`: only its
    /// dependencies are installed.
    pub after_source: Option<fn(&Install) -> RunStep>,
}

/// A manager's own install, into a virtualenv `python3 -m venv` made before it (with pip).
#[derive(Debug)]
pub struct PipWay {
    /// The install command.
    pub install: fn(&Install) -> RunStep,
    /// How pex gets the locked dependencies as requirement files.
    pub export: fn(&Install) -> Export,
}

/// What an install or export command is built from.
pub struct Install<'a> {
    /// The stage's settings.
    pub settings: &'a Settings,
    /// The language version (tool caches are per version).
    pub version: &'a str,
    /// The project files copied for the install (relative to the workdir).
    pub files: &'a [String],
    /// The manager's row.
    pub manager: &'static Manager<Hooks>,
    /// uv for the build platform.
    pub uv: Uv,
    /// Whether a requirement file pins hashes.
    pub hashes: bool,
    /// Whether the dependencies can only be known from the source (`setup.py`, dynamic
    /// `dependencies`): then they are installed with the project, after the source copy.
    pub deps_from_source: bool,
    /// The uv workspace member installed (`--package`), when the project is one.
    pub package: Option<&'a str>,
    /// Whether the install compiles the virtualenv's bytecode: when the virtualenv reaches an
    /// image, whose starts then read it (a zipapp packs it too; a pex packs sources only).
    pub bytecode: bool,
    /// Where the dependencies are declared.
    pub span: Span,
}

/// A Python stage's validated keys.
#[derive(Debug, Clone)]
pub struct Settings {
    /// pip requirement files, relative to the context root.
    pub requirements: Vec<String>,
    /// Span of the `requirements` value.
    pub requirements_span: Option<Span>,
    /// The virtualenv's location.
    pub venv: String,
    /// The one-file executable to build.
    pub package: Option<Package>,
    /// The installer the spec names, and where.
    pub installer: Option<(Installer, Span)>,
    /// Where `package_layers = true` is written: an image gets the virtualenv in layers by
    /// package.
    pub package_layers: Option<Span>,
}

/// The manager's caches and `extra`, for an install step.
pub fn mounts(install: &Install, extra: impl IntoIterator<Item = Mount>) -> Vec<Mount> {
    let caches = install.manager.caches.iter().map(|c| c.mount());
    caches.chain(extra).collect()
}

/// `script`, then the removal of the lock file uv leaves in the virtualenv it installs into:
/// uv makes `<venv>/.lock` writable by every user (mode 0666, so any user can lock), and an
/// image has no use for it.
pub fn removing_uv_lock(venv: &str, script: &str) -> String {
    format!("{script} && rm -f {}", quote(&format!("{venv}/.lock")))
}

/// `-r FILE` for each requirement file, quoted for the shell.
pub fn requirement_args(files: &[String]) -> String {
    let args: Vec<String> = files.iter().map(|f| format!("-r {}", quote(f))).collect();
    args.join(" ")
}

/// The directories of the virtualenv an image gets in layers by package: its `site-packages`
/// when the stage sets `package_layers` and an image holds the virtualenv (`held`; elsewhere
/// they would only be copies more). With the key set where none does, a warning at it.
pub fn package_dirs(settings: &Settings, held: bool) -> (Vec<String>, Option<Diagnostic>) {
    match (&settings.package_layers, held) {
        (Some(_), true) => (
            vec![format!("{}/lib/python*/site-packages", settings.venv)],
            None,
        ),
        (Some(span), false) => (
            Vec::new(),
            Some(
                Diagnostic::warning(
                    &PACKAGE_LAYERS_UNUSED,
                    "no image holds this stage's virtualenv, so `package_layers` changes nothing",
                    Some(span.clone()),
                )
                .with_help(
                    "remove `package_layers`, or set it on the stage whose image holds the virtualenv",
                ),
            ),
        ),
        (None, _) => (Vec::new(), None),
    }
}
