//! Questions about the build context that detection needs (does `poetry.lock` exist?).
//!
//! The compiler asks through [`ContextProbe`]: the CLI answers from a local directory, the
//! gateway frontend from the files BuildKit sent it.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Answers whether a context-relative path exists.
pub trait ContextProbe {
    /// True when `path` (relative to the context root, `/`-separated) exists.
    fn exists(&self, path: &str) -> bool;
}

/// A probe over a directory on this machine.
#[derive(Debug, Clone)]
pub struct LocalDirProbe {
    root: PathBuf,
}

impl LocalDirProbe {
    /// A probe rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl ContextProbe for LocalDirProbe {
    fn exists(&self, path: &str) -> bool {
        self.root.join(path.trim_start_matches('/')).exists()
    }
}

/// A probe over a known set of existing paths (what the frontend learned from BuildKit).
#[derive(Debug, Clone, Default)]
pub struct KnownPaths {
    paths: BTreeSet<String>,
}

impl KnownPaths {
    /// A probe that says yes to exactly these paths.
    pub fn new(paths: impl IntoIterator<Item = String>) -> Self {
        Self {
            paths: paths
                .into_iter()
                .map(|p| p.trim_start_matches("./").trim_matches('/').to_owned())
                .collect(),
        }
    }
}

impl ContextProbe for KnownPaths {
    fn exists(&self, path: &str) -> bool {
        self.paths
            .contains(path.trim_start_matches("./").trim_matches('/'))
    }
}

/// The answers for a declared set of paths (what [`crate::Prepared::probe_paths`] lists),
/// taken from another probe once. Recipes are asked through it, so the CLI, which could read
/// any path from disk, sees exactly what the frontend sees, which learns only the declared
/// paths from BuildKit. Asking about an undeclared path is a bug: tests (debug builds) panic.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    declared: BTreeSet<String>,
    present: BTreeSet<String>,
}

impl Declared {
    /// The declared paths, with which of them `probe` says exist.
    pub fn answer(declared: Vec<String>, probe: &dyn ContextProbe) -> Self {
        let present = declared
            .iter()
            .filter(|p| probe.exists(p))
            .cloned()
            .collect();
        Self {
            declared: declared.into_iter().collect(),
            present,
        }
    }
}

impl ContextProbe for Declared {
    fn exists(&self, path: &str) -> bool {
        debug_assert!(
            self.declared.contains(path),
            "a recipe asked about `{path}`, which the probe paths do not list"
        );
        self.present.contains(path)
    }
}
