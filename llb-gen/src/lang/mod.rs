//! What Stagefile knows about each language, one file per language: its stage key and base
//! image, the keys only it accepts, what its source copy leaves out, its package managers (one
//! [`Manager`] row each: lockfiles, manifests, optional files, caches, install) and its
//! install and build steps.
//!
//! The rest of the compiler is language-agnostic: `plan` asks a [`Lang`] to validate its keys
//! into [`Settings`], `recipes` asks the settings to [`expand`] into steps. Adding a language is
//! a file here, a [`Lang`] variant (the compiler then points at each `match` below) and its key
//! in `spec::Stage`. Adding a package manager is a row in its language's file.

mod detect;
mod node;
mod python;
mod python_pack;
mod ruby;

use crate::check::Checker;
use crate::diag::Diagnostic;
use crate::ir::{CopyFrom, FileCopy, Mount, RunTools, Sharing, Span, Step};
use crate::probe::ContextProbe;
use crate::spec;

/// Languages with recipes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lang {
    /// CPython.
    Python,
    /// Node.js.
    Node,
    /// Ruby.
    Ruby,
}

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

/// A language's validated keys, as stored in the plan.
#[derive(Debug, Clone)]
pub enum Settings {
    /// A Python stage.
    Python(python::Settings),
    /// A Node stage.
    Node(node::Settings),
    /// A Ruby stage.
    Ruby(ruby::Settings),
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
    /// Whether the stage has `run` steps of its own.
    pub has_runs: bool,
    /// Answers whether context files exist.
    pub probe: &'a dyn ContextProbe,
}

/// A language's steps for one stage, placed by `recipes` around the stage's own.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Dependency install: after the workdir, before the stage's env and source.
    pub install: Vec<Step>,
    /// What the stage's own `run` steps need to use the manager.
    pub run_tools: RunTools,
    /// Build steps after the stage's own `run` steps (packing an executable).
    pub finish: Vec<Step>,
}

impl Lang {
    /// Every language, in the order help texts list them.
    pub const ALL: [Lang; 3] = [Lang::Python, Lang::Node, Lang::Ruby];

    /// The language as data.
    pub fn def(self) -> &'static LanguageDef {
        match self {
            Lang::Python => &python::LANGUAGE,
            Lang::Node => &node::LANGUAGE,
            Lang::Ruby => &ruby::LANGUAGE,
        }
    }

    /// Its package managers' rows without their hooks, in detection preference.
    pub fn managers(self) -> Vec<Row> {
        match self {
            Lang::Python => rows(&python::MANAGERS),
            Lang::Node => rows(&node::MANAGERS),
            Lang::Ruby => rows(&ruby::MANAGERS),
        }
    }

    /// Its package managers' names, in detection preference.
    pub fn manager_names(self) -> Vec<&'static str> {
        self.managers().iter().map(|row| row.name).collect()
    }

    /// Validates the keys of a stage of this language.
    pub fn settings(
        self,
        checker: &mut Checker,
        stage: &spec::Stage,
        context: &StageContext,
    ) -> Settings {
        match self {
            Lang::Python => Settings::Python(python::settings(checker, stage, context)),
            Lang::Node => Settings::Node(node::Settings),
            Lang::Ruby => Settings::Ruby(ruby::Settings),
        }
    }

    /// The value of this language's key in a stage, if set.
    pub fn value(self, stage: &spec::Stage) -> Option<&serde_spanned::Spanned<String>> {
        match self {
            Lang::Python => stage.python.as_ref(),
            Lang::Node => stage.node.as_ref(),
            Lang::Ruby => stage.ruby.as_ref(),
        }
    }

    /// The official slim image of a version (`python:3.11-slim`).
    pub fn image(self, version: &str) -> String {
        format!("{}:{version}-slim", self.def().image_repository)
    }
}

impl Settings {
    /// The language.
    pub fn lang(&self) -> Lang {
        match self {
            Settings::Python(_) => Lang::Python,
            Settings::Node(_) => Lang::Node,
            Settings::Ruby(_) => Lang::Ruby,
        }
    }

    /// Settings that make the stage need its source even without `run`, `cmd` or
    /// `entrypoint` (a Python app packed into one file).
    pub fn needs_source(&self) -> bool {
        match self {
            Settings::Python(settings) => settings.package.is_some(),
            Settings::Node(_) | Settings::Ruby(_) => false,
        }
    }

    /// Where the dependencies are declared, for errors about them.
    pub fn deps_span(&self, language_span: &Span) -> Span {
        match self {
            Settings::Python(settings) => settings.deps_span(language_span),
            Settings::Node(_) | Settings::Ruby(_) => language_span.clone(),
        }
    }

    /// Context paths whose existence decides this stage's steps.
    pub fn probe_paths(&self, root: &str) -> Vec<String> {
        match self {
            Settings::Python(settings) => settings.probe_paths(root),
            Settings::Node(_) => detect::probe_paths(&node::MANAGERS, Lang::Node, root),
            Settings::Ruby(_) => detect::probe_paths(&ruby::MANAGERS, Lang::Ruby, root),
        }
    }

    /// Context paths the install reads through a mount: left out of the source copy.
    pub fn mounted(&self) -> Vec<&'static str> {
        match self {
            Settings::Python(_) => mounted(&python::MANAGERS),
            Settings::Node(_) => mounted(&node::MANAGERS),
            Settings::Ruby(_) => mounted(&ruby::MANAGERS),
        }
    }
}

/// The steps a language adds to a stage: detection, the install, the tools for `run` steps
/// and the build steps after them.
pub fn expand(settings: &Settings, input: &Input) -> Result<Expansion, Diagnostic> {
    match settings {
        Settings::Python(settings) => python::expand(settings, input),
        Settings::Node(_) => node::expand(input),
        Settings::Ruby(_) => ruby::expand(input),
    }
}

/// What every language stage's source copy leaves out: every language's tool output (a
/// Python project's `node_modules` is no more source than a Node project's), version control
/// and the build's own files.
pub fn source_excludes() -> Vec<&'static str> {
    let mut excludes = vec![".git"];
    for lang in Lang::ALL {
        excludes.extend(lang.def().excludes);
    }
    excludes.extend(["Stagefile.toml", ".dockerignore"]);
    excludes
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

fn rows<H>(managers: &[Manager<H>]) -> Vec<Row> {
    let row = |m: &Manager<H>| Row {
        name: m.name,
        lockfiles: m.lockfiles,
        caches: m.caches,
    };
    managers.iter().map(row).collect()
}

fn mounted<H>(managers: &[Manager<H>]) -> Vec<&'static str> {
    managers
        .iter()
        .flat_map(|m| m.mounted.iter().copied())
        .collect()
}

/// Context path of a file in the project's directory.
pub fn in_root(root: &str, file: &str) -> String {
    if root.is_empty() {
        file.to_owned()
    } else {
        format!("{root}/{file}")
    }
}

/// Copies of project files (relative to its root) to the same relative paths under the working
/// directory: the only inputs of a dependency install, so its layer is keyed on them.
pub fn manifest_copies(input: &Input, files: &[String], span: &Span) -> Vec<Step> {
    let workdir = input.workdir.trim_end_matches('/');
    files
        .iter()
        .map(|file| {
            Step::Copy(FileCopy {
                from: CopyFrom::Context,
                src: vec![in_root(input.root, file)],
                dest: format!("{workdir}/{file}"),
                include: Vec::new(),
                exclude: Vec::new(),
                owner: None,
                mode: None,
                span: span.clone(),
            })
        })
        .collect()
}
