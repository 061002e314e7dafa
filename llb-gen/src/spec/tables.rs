//! The tables of a `Stagefile.toml` as written: serde types with spans, no logic.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_spanned::Spanned;

use super::values::{OneOrMany, Port, RunEntry, SourceSetting, UserValue};

/// The whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Build arguments and their defaults, overridable with `--build-arg`.
    #[serde(default)]
    pub args: IndexMap<Spanned<String>, Spanned<toml::Value>>,
    /// Stages in the order written.
    #[serde(default)]
    pub stage: IndexMap<Spanned<String>, Spanned<Stage>>,
}

/// One `[stage.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// One-line description, shown by `--call=targets`.
    pub description: Option<Spanned<String>>,
    /// Marks the default target (otherwise the last stage).
    pub default: Option<Spanned<bool>>,
    /// Base: an image reference or another stage's name.
    pub from: Option<Spanned<String>>,
    /// Python version: makes this a Python stage (base `python:<version>-slim`).
    pub python: Option<Spanned<String>>,
    /// Node.js version: makes this a Node stage (base `node:<version>-slim`).
    pub node: Option<Spanned<String>>,
    /// Ruby version: makes this a Ruby stage (base `ruby:<version>-slim`).
    pub ruby: Option<Spanned<String>>,
    /// Directory of the project inside the build context (manifests, lockfiles, sources).
    pub root: Option<Spanned<String>>,
    /// Debian packages to install with apt.
    #[serde(default)]
    pub apt: Vec<Spanned<String>>,
    /// Working directory inside the image.
    pub workdir: Option<Spanned<String>>,
    /// Dependency tool: pip, poetry, uv, npm, yarn, pnpm or bundler (detected when absent).
    pub package_manager: Option<Spanned<String>>,
    /// pip requirement files (relative to `root`).
    pub requirements: Option<Spanned<OneOrMany<String>>>,
    /// Whether to install dependencies (default true for language stages).
    pub install: Option<Spanned<bool>>,
    /// Python: where the virtualenv lives (default `/venv`).
    pub venv: Option<Spanned<String>>,
    /// Python: pack the app and its dependencies into one executable file.
    pub package: Option<Spanned<Package>>,
    /// Which context files to bring in after dependencies (default: the project, when needed).
    pub source: Option<Spanned<SourceSetting>>,
    /// Copies from the context, other stages or images.
    #[serde(default)]
    pub copy: Vec<Spanned<CopyTable>>,
    /// Commands run after the copies.
    #[serde(default)]
    pub run: Vec<Spanned<RunEntry>>,
    /// Paths (relative to `workdir`) that other stages copy by default.
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
    /// Environment of the image and of later steps.
    #[serde(default)]
    pub env: IndexMap<Spanned<String>, Spanned<String>>,
    /// User the image runs as: an existing user, or a table creating one (default: a
    /// non-root user created for final images).
    pub user: Option<Spanned<UserValue>>,
    /// Ports the app listens on: `8000` or `"53/udp"`.
    #[serde(default)]
    pub expose: Vec<Spanned<Port>>,
    /// Entrypoint, in exec form.
    pub entrypoint: Option<Spanned<Vec<String>>>,
    /// Default command, in exec form.
    pub cmd: Option<Spanned<Vec<String>>>,
    /// Image labels.
    #[serde(default)]
    pub labels: IndexMap<Spanned<String>, Spanned<String>>,
    /// Docker health check.
    pub healthcheck: Option<Spanned<Healthcheck>>,
    /// Signal that stops the container.
    pub stop_signal: Option<Spanned<String>>,
}

/// A copy into the stage.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyTable {
    /// Where from: a stage name or an image; the build context when absent.
    pub from: Option<Spanned<String>>,
    /// Source path or paths (relative to the context, or absolute in a stage).
    pub src: Option<Spanned<OneOrMany<String>>>,
    /// Destination (relative paths are under `workdir`).
    pub dest: Option<Spanned<String>>,
    /// Shorthand for `src = dest = path` (e.g. a virtualenv).
    pub path: Option<Spanned<String>>,
    /// Only copy files matching these patterns.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Skip files matching these patterns.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Owner of the copied files (`user[:group]`); root when absent.
    pub owner: Option<Spanned<String>>,
    /// File mode, as octal text (e.g. `"0755"`).
    pub mode: Option<Spanned<String>>,
}

/// Packing a Python app and its dependencies into one executable file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// `pex` (dependencies resolved as wheels, C extensions work) or `zipapp` (standard
    /// library; pure-Python dependencies only).
    pub tool: Spanned<String>,
    /// Entry point, `module:function` (or `module` to run it as a script).
    pub entry: Spanned<String>,
    /// Where the file is written (default `<workdir>/<stage>.pex` or `.pyz`).
    pub output: Option<Spanned<String>>,
}

/// A Docker health check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// Command in exec form.
    pub cmd: Spanned<Vec<String>>,
    /// Time between checks, e.g. `"30s"`.
    pub interval: Option<Spanned<String>>,
    /// Time one check may take.
    pub timeout: Option<Spanned<String>>,
    /// Grace period after start.
    pub start_period: Option<Spanned<String>>,
    /// Failures before the container is unhealthy.
    pub retries: Option<Spanned<i64>>,
}

impl Stage {
    /// The span of a key that language validation refers to by name, when the stage sets it;
    /// `None` for keys it does not set (and for names that are not such keys).
    pub fn key_span(&self, key: &str) -> Option<std::ops::Range<usize>> {
        match key {
            "requirements" => self.requirements.as_ref().map(Spanned::span),
            "venv" => self.venv.as_ref().map(Spanned::span),
            "package" => self.package.as_ref().map(Spanned::span),
            "package_manager" => self.package_manager.as_ref().map(Spanned::span),
            "install" => self.install.as_ref().map(Spanned::span),
            "source" => self.source.as_ref().map(Spanned::span),
            "root" => self.root.as_ref().map(Spanned::span),
            _ => None,
        }
    }
}
