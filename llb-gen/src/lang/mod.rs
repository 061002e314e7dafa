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
mod node_yarn;
mod python;
mod python_choice;
mod python_install;
mod python_pack;
mod python_paths;
mod python_pip;
mod python_project;
mod python_uv;
mod python_version;
mod python_workspace;
mod row;
mod ruby;
mod ruby_lock;
mod tools;

pub use row::{
    Cache, Expansion, Input, Interpreter, LanguageDef, Manager, Row, StageContext, Workspace,
    in_root, manifest_copies,
};

use crate::check::Checker;
use crate::diag::Diagnostic;
use crate::ir::Span;
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
            Lang::Python => row::rows(&python::MANAGERS),
            Lang::Node => row::rows(&node::MANAGERS),
            Lang::Ruby => row::rows(&ruby::MANAGERS),
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

    /// Context paths whose existence decides this stage's steps, in no particular order and
    /// possibly repeated (the plan's list, [`crate::recipes::probe_paths`], is sorted).
    pub fn probe_paths(&self, root: &str) -> Vec<String> {
        match self {
            Settings::Python(settings) => settings.probe_paths(root),
            Settings::Node(_) => node::probe_paths(root),
            Settings::Ruby(_) => detect::probe_paths(&ruby::MANAGERS, &ruby::LANGUAGE, root),
        }
    }

    /// Context files whose text decides this stage's steps (requirement files' options), in no
    /// particular order and possibly repeated.
    pub fn read_paths(&self, root: &str) -> Vec<String> {
        match self {
            Settings::Python(settings) => settings.read_paths(root),
            Settings::Node(_) => node::read_paths(root),
            Settings::Ruby(_) => ruby::read_paths(root),
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

fn mounted<H>(managers: &[Manager<H>]) -> Vec<&'static str> {
    managers
        .iter()
        .flat_map(|m| m.mounted.iter().copied())
        .collect()
}
