//! What an invocation may change besides the spec: target, build args, platform, context,
//! named contexts, cache and engine capabilities, and the base images the caller resolved.
//! Every phase below the orchestrator reads these; none of them defines them.

use std::collections::{BTreeMap, BTreeSet};

use crate::image::ImageConfig;
use crate::platform::Platform;

/// Everything that can change the LLB besides the spec itself.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Stage to build; the spec's default target when `None`.
    pub target: Option<String>,
    /// `--build-arg` values; they override `[args]` defaults.
    pub build_args: BTreeMap<String, String>,
    /// Platform the build runs for.
    pub platform: Platform,
    /// Where the build context comes from.
    pub context: ContextSource,
    /// `--build-context NAME=...`: replaces a stage or an image of that name.
    pub named_contexts: BTreeMap<String, NamedContext>,
    /// `--no-cache`: `Some(empty)` for every stage, or the stage names to rebuild.
    pub no_cache: Option<BTreeSet<String>>,
    /// `--label` values, added to the image's labels.
    pub labels: BTreeMap<String, String>,
    /// `SOURCE_DATE_EPOCH`: set as the image creation time and passed to build steps.
    pub source_date_epoch: Option<i64>,
    /// `--pull`: image sources check the registry for a newer image even when one is local.
    pub pull: bool,
    /// LLB caps the engine supports (from Ping); `None` assumes a current engine. Without
    /// `mergeop` (Docker's classic image store), copies are chained instead of linked.
    pub llb_caps: Option<BTreeSet<String>>,
}

impl CompileOptions {
    /// Whether the engine supports an LLB cap.
    pub fn supports(&self, cap: &str) -> bool {
        self.llb_caps.as_ref().is_none_or(|caps| caps.contains(cap))
    }
}

/// How the main build context is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextSource {
    /// A local directory sent by the client (`local://NAME`).
    Local {
        /// Name of the local, `context` for buildx.
        name: String,
        /// Session that serves it; the frontend's own session when `None`.
        session_id: Option<String>,
        /// Files never sent (the context's `.dockerignore`, see [`crate::ignore`]).
        exclude_patterns: Vec<String>,
        /// The caller read the context as the build sees it and found no ELF file (see
        /// [`crate::elf`]): a library scan need not read what copies from it wrote. Changes
        /// the scans, never the context's source op.
        without_elf: bool,
    },
}

impl Default for ContextSource {
    fn default() -> Self {
        ContextSource::Local {
            name: "context".into(),
            session_id: None,
            exclude_patterns: Vec::new(),
            without_elf: false,
        }
    }
}

/// A named build context given with `--build-context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedContext {
    /// Another image (`docker-image://REF`), already pinned by the caller if it wants to.
    Image {
        /// Normalized reference.
        reference: String,
        /// Its config, when resolved; used as the stage's image config.
        config: Option<Box<ImageConfig>>,
    },
    /// A local directory served by the client session under this local name.
    Local {
        /// Name of the local (e.g. `frontend-build`).
        name: String,
        /// Session that serves it, when not the frontend's own.
        session_id: Option<String>,
    },
    /// A git repository URL.
    Git(String),
    /// An HTTP(S) URL of a file or tarball.
    Http(String),
}

/// A base image after the frontend resolved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The reference to use in LLB, pinned by digest (`docker.io/library/python:3.11-slim@sha256:…`).
    pub pinned: String,
    /// Its image config.
    pub config: ImageConfig,
}
