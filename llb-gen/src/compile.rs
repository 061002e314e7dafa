//! The compiler's front door: options in, a [`pb::Definition`] and an image config out.
//!
//! Compilation has two halves so that callers can answer questions about the outside world in
//! between, synchronously (the CLI) or over gRPC (the gateway frontend):
//!
//! 1. [`Prepared::new`] parses and validates the spec for the chosen target. It then tells which
//!    base images need resolving ([`Prepared::images_to_resolve`]) and which context paths decide
//!    lockfile detection ([`Prepared::probe_paths`]).
//! 2. [`Prepared::compile`] takes those answers, expands recipes and lowers to LLB.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::image::ImageConfig;
use crate::pb;
use crate::plan::{self, Plan};
use crate::platform::Platform;
use crate::probe::ContextProbe;
use crate::{lower, recipes, spec};

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
    },
}

impl Default for ContextSource {
    fn default() -> Self {
        ContextSource::Local {
            name: "context".into(),
            session_id: None,
            exclude_patterns: Vec::new(),
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

/// The result of a compilation.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The LLB, ready to marshal or to solve.
    pub definition: pb::Definition,
    /// The image config of the target stage (OCI config JSON with Docker's extensions).
    pub image_config: ImageConfig,
    /// Findings that do not stop the build.
    pub warnings: Vec<Diagnostic>,
}

/// A stage that can be built with `--target`, for `--call=targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// Stage name.
    pub name: String,
    /// `description` from the spec, if any.
    pub description: Option<String>,
    /// Whether it is the default target.
    pub default: bool,
    /// 1-based line of the stage's header.
    pub line: usize,
}

/// A build argument, for `--call=outline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgInfo {
    /// Argument name.
    pub name: String,
    /// Default from `[args]`.
    pub default: String,
    /// Value in effect after `--build-arg`.
    pub value: String,
    /// 1-based line where it is declared.
    pub line: usize,
}

/// What the target needs, for `--call=outline`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outline {
    /// Target stage name.
    pub target: String,
    /// Build arguments.
    pub args: Vec<ArgInfo>,
    /// Secret ids used by the target's stages, with whether each is required.
    pub secrets: Vec<(String, bool)>,
    /// SSH ids used by the target's stages.
    pub ssh: Vec<String>,
}

/// A validated spec for one target, waiting for image and context answers.
#[derive(Debug, Clone)]
pub struct Prepared {
    plan: Plan,
    options: CompileOptions,
}

impl Prepared {
    /// Parses and validates `file` for the options' target.
    pub fn new(file: SourceFile, options: CompileOptions) -> Result<Self, Diagnostics> {
        let spec = spec::parse(&file)?;
        let plan = plan::build(&file, &spec, &options)?;
        Ok(Self { plan, options })
    }

    /// The validated plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Normalized references of the base images the target needs, in a stable order.
    pub fn images_to_resolve(&self) -> Vec<String> {
        self.plan.images_to_resolve(&self.options.named_contexts)
    }

    /// Context-relative paths whose existence drives detection (lockfiles, `vendor/cache`).
    pub fn probe_paths(&self) -> Vec<String> {
        recipes::probe_paths(&self.plan)
    }

    /// Stages that can be targets, in spec order.
    pub fn targets(&self) -> Vec<TargetInfo> {
        self.plan.targets()
    }

    /// Args, secrets and ssh ids of the target.
    pub fn outline(&self) -> Outline {
        self.plan.outline(&self.options.build_args)
    }

    /// Expands recipes and lowers the target to LLB.
    ///
    /// `images` maps each reference from [`Self::images_to_resolve`] to its resolution; a
    /// missing entry is used unpinned with an empty config (what the offline CLI does).
    pub fn compile(
        &self,
        probe: &dyn ContextProbe,
        images: &BTreeMap<String, ResolvedImage>,
    ) -> Result<Compiled, Diagnostics> {
        let steps = recipes::expand(&self.plan, probe)?;
        lower::lower(&self.plan, &steps, images, &self.options)
    }
}
