//! The plan's types: the validated spec of one target, as recipes and lowering read it.

use std::collections::BTreeMap;

use crate::diag::SourceFile;
use crate::ir::{FileCopy, Mount, Network, NewUser, Span};
use crate::lang::Settings;

/// The validated spec, for one target.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The spec file (source maps point into it).
    pub file: SourceFile,
    /// All stages, in the order written.
    pub stages: Vec<StagePlan>,
    /// Index of the target stage.
    pub target: usize,
    /// Stages the target needs, dependencies first, the target last.
    pub order: Vec<usize>,
    /// Build args with their effective values.
    pub args: Vec<ArgPlan>,
    /// What env expansion may still add to the spec's values when lowering.
    pub budget: crate::limits::Budget,
    /// Findings of validation that do not stop the build.
    pub warnings: Vec<crate::diag::Diagnostic>,
}

/// An interpreter a copy brings from another stage (`interpreter = true`).
#[derive(Debug, Clone)]
pub struct Carry {
    /// The stage it comes from.
    pub from: usize,
    /// Where it was asked for.
    pub span: Span,
}

/// A build argument.
#[derive(Debug, Clone)]
pub struct ArgPlan {
    /// Name.
    pub name: String,
    /// Default from the spec.
    pub default: String,
    /// Value after `--build-arg`.
    pub value: String,
    /// Where it is declared.
    pub span: Span,
}

/// One stage, validated.
#[derive(Debug, Clone)]
pub struct StagePlan {
    /// Stage name.
    pub name: String,
    /// Span of the stage's table header key.
    pub span: Span,
    /// Description for `--call=targets`.
    pub description: Option<String>,
    /// Whether the spec marks it as the default target.
    pub is_default: bool,
    /// What the stage starts from.
    pub base: Base,
    /// Language toolchain, for language stages.
    pub language: Option<LanguagePlan>,
    /// Project directory in the context (`""` for the root).
    pub root: String,
    /// Debian packages.
    pub apt: Vec<String>,
    /// Span of the `apt` key's value.
    pub apt_span: Span,
    /// Debian packages only the build needs: when there are any, the stage builds in a builder
    /// and its image starts again from the base with the results.
    pub build_apt: Vec<String>,
    /// Span of the `build_apt` key's value.
    pub build_apt_span: Span,
    /// Interpreters the stage's copies bring from other stages.
    pub carried: Vec<Carry>,
    /// `runtime = "minimal"`: the image is assembled from the builder on an empty filesystem.
    pub minimal: Option<Span>,
    /// Paths the image's user may write, with where they were asked for: absolute, or relative
    /// to the directory the stage works in (see [`under`]).
    pub writable: Vec<(String, Span)>,
    /// Working directory, when the stage sets one (language stages default to `/app`).
    pub workdir: Option<String>,
    /// Context files copied after the dependencies, for language stages.
    pub source: Option<FileCopy>,
    /// Copies, in order; a relative `dest` is relative to the directory the stage works in
    /// (see [`under`]), `""` for that directory itself.
    pub copies: Vec<FileCopy>,
    /// Commands, in order, after the copies.
    pub runs: Vec<RunPlan>,
    /// Paths other stages copy by default: absolute, or relative to the stage's working
    /// directory in its image (a workspace member's directory for a member).
    pub outputs: Vec<String>,
    /// Env entries as written (values may refer to earlier env with `$NAME`).
    pub env: Vec<(String, String, Span)>,
    /// Image settings.
    pub image: ImageSettings,
    /// Who the image runs as.
    pub user: UserSetting,
    /// Replaced by a named build context (`--build-context NAME=...`).
    pub replaced: bool,
    /// Excluded from the cache (`--no-cache`).
    pub no_cache: bool,
}

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// An image (normalized reference) and where it was named.
    Image {
        /// Normalized reference.
        reference: String,
        /// The reference as written (named contexts match it).
        written: String,
        /// Span of the `from` value or language key.
        span: Span,
    },
    /// Another stage.
    Stage {
        /// Index of that stage.
        index: usize,
        /// Span of the `from` value.
        span: Span,
    },
    /// An empty filesystem.
    Scratch {
        /// Span of the `from` value.
        span: Span,
    },
}

/// A language stage's toolchain and dependencies.
#[derive(Debug, Clone)]
pub struct LanguagePlan {
    /// The language and the keys only it accepts.
    pub settings: Settings,
    /// Version, e.g. `3.11`.
    pub version: String,
    /// Span of the language key's value.
    pub span: Span,
    /// Manager named in the spec (detected from lockfiles when `None`).
    pub manager: Option<&'static str>,
    /// Whether dependencies are installed.
    pub install: bool,
    /// Secrets the dependency install gets.
    pub install_secrets: Vec<Mount>,
}

/// A command, validated.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Arguments (`/bin/sh -c ...` for shell form).
    pub args: Vec<String>,
    /// How the command reads in progress output.
    pub display: String,
    /// Extra mounts.
    pub mounts: Vec<Mount>,
    /// Extra env for this command.
    pub env: Vec<(String, String)>,
    /// Network mode.
    pub network: Network,
    /// Working directory override.
    pub workdir: Option<String>,
    /// User override.
    pub user: Option<String>,
    /// Runs before the source copy (after the stage's copies).
    pub before_source: bool,
    /// Where it was written.
    pub span: Span,
}

/// Image config settings of a stage.
#[derive(Debug, Clone, Default)]
pub struct ImageSettings {
    /// Ports such as `8000/tcp`.
    pub expose: Vec<String>,
    /// Entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Command.
    pub cmd: Option<Vec<String>>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Health check: command, interval, timeout, start period (ns), retries.
    pub healthcheck: Option<crate::image::HealthConfig>,
    /// Stop signal.
    pub stop_signal: Option<String>,
}

/// Who the image runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSetting {
    /// Not said: final images get the created `app` user; other stages keep the base's.
    Default,
    /// Said in the spec: a user the base image has.
    Explicit(String),
    /// A user and group the stage creates and runs as.
    Create(NewUser),
}

/// `path` as an absolute path: as written when absolute, else under `dir`, the directory the
/// stage works in (its workdir, or `/` without one; a workspace member's directory there for a
/// member, which only recipes know). `""` is `dir` itself.
pub fn under(dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else if path.is_empty() {
        dir.to_owned()
    } else {
        format!(
            "{}/{}",
            dir.trim_end_matches('/'),
            path.trim_start_matches("./")
        )
    }
}

impl Plan {
    /// The target stage.
    pub fn target_stage(&self) -> &StagePlan {
        &self.stages[self.target]
    }

    /// Stage index by name.
    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }
}
