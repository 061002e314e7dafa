//! Questions about the build context that detection needs (does `poetry.lock` exist? which
//! options does `requirements.txt` use?).
//!
//! The compiler asks through [`ContextProbe`]: the CLI answers from a local directory, the
//! gateway frontend from the files BuildKit sent it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

/// How much of a file the compiler reads: requirement files are far smaller; a larger one is
/// read up to here.
pub const READ_LIMIT: usize = 1 << 20;

/// Answers whether a context-relative path exists, and what a small text file holds.
pub trait ContextProbe {
    /// True when `path` (relative to the context root, `/`-separated) exists.
    fn exists(&self, path: &str) -> bool;

    /// The text of the file at `path` (its first [`READ_LIMIT`] bytes), if it exists and was
    /// read.
    fn read(&self, path: &str) -> Option<String>;
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

    fn read(&self, path: &str) -> Option<String> {
        let file = std::fs::File::open(self.root.join(path.trim_start_matches('/'))).ok()?;
        let mut bytes = Vec::new();
        file.take(READ_LIMIT as u64).read_to_end(&mut bytes).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A probe over a known set of existing paths and the files read (what the frontend learned
/// from BuildKit).
#[derive(Debug, Clone, Default)]
pub struct KnownPaths {
    paths: BTreeSet<String>,
    texts: BTreeMap<String, String>,
}

/// A context path as probes key it: without a leading `./` and surrounding slashes.
pub fn normalized(path: &str) -> &str {
    path.trim_start_matches("./").trim_matches('/')
}

impl KnownPaths {
    /// A probe that says yes to exactly these paths.
    pub fn new(paths: impl IntoIterator<Item = String>) -> Self {
        Self {
            paths: paths
                .into_iter()
                .map(|p| normalized(&p).to_owned())
                .collect(),
            texts: BTreeMap::new(),
        }
    }

    /// The same, with the texts of the files that were read (path, text).
    pub fn with_texts(mut self, texts: impl IntoIterator<Item = (String, String)>) -> Self {
        self.texts = texts
            .into_iter()
            .map(|(path, text)| (normalized(&path).to_owned(), text))
            .collect();
        self
    }
}

impl ContextProbe for KnownPaths {
    fn exists(&self, path: &str) -> bool {
        self.paths.contains(normalized(path))
    }

    fn read(&self, path: &str) -> Option<String> {
        self.texts.get(normalized(path)).cloned()
    }
}

/// The answers for a declared set of paths and files to read (what
/// [`crate::Prepared::probe_paths`] and [`crate::Prepared::read_paths`] list), taken from
/// another probe once. Recipes are asked through it, so the CLI, which could read any path from
/// disk, sees exactly what the frontend sees, which learns only the declared paths from
/// BuildKit. Asking about an undeclared path is a bug: tests (debug builds) panic.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// The declared paths, sorted, once each (as the plan lists them).
    declared: Vec<String>,
    /// Whether each declared path exists.
    present: Vec<bool>,
    /// The declared files to read, sorted.
    readable: Vec<String>,
    texts: BTreeMap<String, String>,
}

impl Declared {
    /// The declared paths, with which of them `probe` says exist, and the texts of the
    /// declared files to read.
    pub fn answer(declared: Vec<String>, reads: Vec<String>, probe: &dyn ContextProbe) -> Self {
        let mut declared = declared;
        let mut readable = reads;
        // Already so when they come from the plan: then these cost one pass each.
        for paths in [&mut declared, &mut readable] {
            paths.sort_unstable();
            paths.dedup();
        }
        let present = declared.iter().map(|p| probe.exists(p)).collect();
        let texts = readable
            .iter()
            .filter_map(|p| Some((p.clone(), probe.read(p)?)))
            .collect();
        Self {
            declared,
            present,
            readable,
            texts,
        }
    }
}

impl ContextProbe for Declared {
    fn exists(&self, path: &str) -> bool {
        let found = self.declared.binary_search_by(|p| p.as_str().cmp(path));
        debug_assert!(
            found.is_ok(),
            "a recipe asked about `{path}`, which the probe paths do not list"
        );
        found.is_ok_and(|i| self.present[i])
    }

    fn read(&self, path: &str) -> Option<String> {
        debug_assert!(
            self.readable
                .binary_search_by(|p| p.as_str().cmp(path))
                .is_ok(),
            "a recipe read `{path}`, which the read paths do not list"
        );
        self.texts.get(path).cloned()
    }
}
