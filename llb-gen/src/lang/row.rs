//! The shapes every language file fills in: a language as data ([`LanguageDef`]), a package
//! manager as one row ([`Manager`]), what a stage gives its language ([`Input`]) and what the
//! language gives back ([`Expansion`]), and the copies of manifests an install is keyed on.

use crate::diag::Diagnostic;
use crate::ir::{CopyFrom, FileCopy, Mount, RunTools, Sharing, Span, Step};
use crate::platform::Platform;
use crate::probe::ContextProbe;

/// What a language is, as data.
#[derive(Debug)]
pub struct LanguageDef {
    /// Its name in messages (`Python`).
    pub title: &'static str,
    /// The stage key that makes a stage of this language and gives its version (`python`).
    pub key: &'static str,
    /// A version for examples and help texts (`3.11`).
    pub example_version: &'static str,
    /// The image repository of the language's official images (`python`).
    pub image_repository: &'static str,
    /// What the project's tools make that a source copy leaves out (`**/__pycache__`).
    pub excludes: &'static [&'static str],
    /// Keys of `[stage.NAME]` that only this language accepts.
    pub keys: &'static [&'static str],
    /// Manifests that mean "a project with dependencies", with how to lock them: one without
    /// any manager's lockfile is an error, not an install of nothing.
    pub unlocked: &'static [(&'static str, &'static str)],
    /// How its interpreter is carried into an image of another family, where it can be.
    pub interpreter: Option<Interpreter>,
    /// Keys of the languages whose interpreters its dependency install may run (node-gyp runs
    /// Python): one carried from such a stage comes before the install, others after it.
    pub install_runs: &'static [&'static str],
    /// Frameworks' writable directories: when the project has the marker file, the image's
    /// user owns these directories (relative to the workdir).
    pub writable: &'static [(&'static str, &'static [&'static str])],
}

/// A language's interpreter as files of its official image, to carry into another image.
#[derive(Debug)]
pub struct Interpreter {
    /// What to scan for the shared libraries it needs (its executables and libraries).
    pub scan: &'static [&'static str],
    /// Shell commands copying it from the filesystem at `$FROM` (empty for `/`) into the one at
    /// `$TO`.
    pub copy: &'static str,
}

/// A package manager: one row of its language's table.
#[derive(Debug)]
pub struct Manager<H: 'static> {
    /// Name in the spec (`package_manager = "pdm"`).
    pub name: &'static str,
    /// Files whose presence selects it, any one of them (the first is named in errors).
    pub lockfiles: &'static [&'static str],
    /// Files it needs besides the lockfile, copied before the install.
    pub manifests: &'static [&'static str],
    /// Files copied with the manifests when they exist (tool configuration).
    pub optional: &'static [&'static str],
    /// Directories the install reads through a read-only mount when they exist (vendored
    /// packages), left out of the source copy.
    pub mounted: &'static [&'static str],
    /// The manifests of a workspace's members, as patterns (`**/package.json`): a project
    /// whose lockfile is in a directory above it is a member of that workspace, installed with
    /// the workspace's lockfile. Empty for managers without workspaces.
    pub members: &'static [&'static str],
    /// Its download caches, mounted for the install.
    pub caches: &'static [Cache],
    /// The language's own hooks: the install command and what else the language asks of it.
    pub hooks: H,
}

/// A cache mount of a package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cache {
    /// Where it is mounted.
    pub target: &'static str,
    /// Cache id, shared by every build that uses the tool.
    pub id: &'static str,
}

impl Cache {
    /// A cache shared by concurrent builds.
    pub const fn shared(target: &'static str, id: &'static str) -> Self {
        Self { target, id }
    }

    /// The cache as a shared mount.
    pub fn mount(self) -> Mount {
        Mount::Cache {
            target: self.target.into(),
            id: self.id.into(),
            sharing: Sharing::Shared,
        }
    }
}

/// What a language's keys are validated against.
pub struct StageContext<'a> {
    /// The stage's name.
    pub name: &'a str,
    /// The stage's working directory.
    pub workdir: &'a str,
    /// The package manager the spec names (one of this language's).
    pub named: Option<&'a str>,
}

/// What a stage tells its language when asked for steps.
pub struct Input<'a> {
    /// Language version (`3.11`).
    pub version: &'a str,
    /// The project's directory in the context (`""` for its root).
    pub root: &'a str,
    /// The stage's working directory.
    pub workdir: &'a str,
    /// The language key's span.
    pub span: Span,
    /// The manager the spec names, if any (validated against the language's rows).
    pub named: Option<&'a str>,
    /// Whether the stage installs its dependencies.
    pub install: bool,
    /// Whether the stage's dependencies reach an image: it is the target, or its `outputs`
    /// hold what the install made (`node_modules`), so development-only ones go after the build.
    pub ships_dependencies: bool,
    /// The stage's paths that reach an image (`/`: all of it): see `recipes::paths`.
    pub reaching_images: &'a [String],
    /// The stage's own `run` commands (arguments joined by spaces) and where they are written.
    pub runs: Vec<(String, Span)>,
    /// The platform the steps run on (tools are fetched for it).
    pub platform: &'a Platform,
    /// Answers whether context files exist, and reads the ones the language declared.
    pub probe: &'a dyn ContextProbe,
    /// The stage's `env` as written (a language may give its install the tool's settings).
    pub env: &'a [(String, String, Span)],
}

/// A language's steps for one stage, placed by `recipes` around the stage's own.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Dependency install: after the workdir, before the stage's env and source.
    pub install: Vec<Step>,
    /// The project's own install, which reads its source: right after the source copy, before
    /// the stage's `run` steps that follow it (left out when the stage copies no source).
    pub after_source: Vec<Step>,
    /// What the stage's own `run` steps need to use the manager.
    pub run_tools: RunTools,
    /// Build steps after the stage's own `run` steps (packing an executable).
    pub finish: Vec<Step>,
    /// Absolute paths outside the workdir that the install fills (a virtualenv, a gem
    /// directory): what an image built from the stage's builder must get.
    pub installed: Vec<String>,
    /// Directories in [`Self::installed`] (absolute, `*` allowed) whose entries are the
    /// installed packages: an image gets their entries in a few layers by name, so a
    /// dependency change re-ships the layers of the names it touched only.
    pub package_dirs: Vec<String>,
    /// The manager chosen and why (`pip: found requirements.txt`), for `--format steps`.
    pub detected: Option<String>,
    /// When the project is a member of a workspace above it: that workspace.
    pub workspace: Option<Workspace>,
    /// Findings about the choices made (a tool kept, and why).
    pub warnings: Vec<Diagnostic>,
}

/// A workspace a project is a member of: the dependencies are installed for the workspace's
/// lockfile, the source is the workspace's, and the member's directory is the working one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The workspace's directory in the context (`""` for its root).
    pub root: String,
    /// The member's directory, relative to the workspace's.
    pub member: String,
}

/// A package manager's row without its language's hooks: what docs, schema and checks read.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// Name in the spec.
    pub name: &'static str,
    /// Files whose presence selects it.
    pub lockfiles: &'static [&'static str],
    /// Its download caches.
    pub caches: &'static [Cache],
}

/// The rows of a language's managers without their hooks.
pub fn rows<H>(managers: &[Manager<H>]) -> Vec<Row> {
    let row = |m: &Manager<H>| Row {
        name: m.name,
        lockfiles: m.lockfiles,
        caches: m.caches,
    };
    managers.iter().map(row).collect()
}

/// `path` with `.` and `..` resolved lexically (empty parts dropped), or `None` when it climbs
/// above its start: where a relative path a project names (a path gem, a local package) lands.
pub fn lexical(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Context path of a file in the project's directory.
pub fn in_root(root: &str, file: &str) -> String {
    if root.is_empty() {
        file.to_owned()
    } else {
        // One allocation of the right size (`format!` grows its string from nothing here); the
        // plan's probe paths make thousands.
        [root, file].join("/")
    }
}

/// Copies of project files (relative to its root) to the same relative paths under the working
/// directory: the only inputs of a dependency install, so its layer is keyed on them.
pub fn manifest_copies(input: &Input, files: &[String], span: &Span) -> Vec<Step> {
    let workdir = input.workdir.trim_end_matches('/');
    files
        .iter()
        .map(|file| {
            context_copy(
                &in_root(input.root, file),
                [workdir, file].join("/"),
                Vec::new(),
                Vec::new(),
                span,
            )
        })
        .collect()
}

/// A copy of `src` from the build context (`""`: the context's root) to `dest` in the stage,
/// with the copy's include and exclude patterns: what a language copies before its install.
pub fn context_copy(
    src: &str,
    dest: String,
    include: Vec<String>,
    exclude: Vec<String>,
    span: &Span,
) -> Step {
    Step::Copy(FileCopy {
        from: CopyFrom::Context,
        src: vec![if src.is_empty() { "." } else { src }.to_owned()],
        dest,
        include,
        exclude,
        owner: None,
        mode: None,
        span: span.clone(),
    })
}
