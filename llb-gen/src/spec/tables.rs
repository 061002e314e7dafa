//! The tables of a `Stagefile.toml` as written: serde types with spans, no logic.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_spanned::Spanned;

use super::values::{MountList, OneOrMany, Port, RunEntry, SecretMount, SourceSetting, UserValue};

/// The whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Build arguments and their defaults, overridable with `--build-arg NAME=VALUE`. Use them in
    /// values as `${NAME}`. Never put secrets here: values end up in the build definition.
    #[serde(default)]
    pub args: IndexMap<Spanned<String>, Spanned<toml::Value>>,
    /// The stages, in the order written. `[stage.NAME]`: lower-case letters, digits, `-`, `_`, `.`.
    /// The default target is the stage with `default = true`, else the last one.
    #[serde(default)]
    pub stage: IndexMap<Spanned<String>, Spanned<Stage>>,
}

/// One `[stage.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// One-line description, shown by `docker buildx build --call targets`.
    pub description: Option<Spanned<String>>,
    /// Makes this stage the default target (otherwise the last stage is). At most one stage may set
    /// it.
    pub default: Option<Spanned<bool>>,
    /// Base: another stage's name, an image reference (`python:3.11-slim`,
    /// `ghcr.io/org/img@sha256:...`) or `scratch`. Overrides the language's default base image.
    pub from: Option<Spanned<String>>,
    /// Python version: makes this a Python stage based on `python:<version>-slim`, with
    /// dependencies installed into a virtualenv (uv.lock > poetry.lock > pdm.lock > Pipfile.lock >
    /// requirements.txt).
    pub python: Option<Spanned<String>>,
    /// Node.js version: makes this a Node stage based on `node:<version>-slim`, with a frozen
    /// install (pnpm-lock.yaml > yarn.lock > bun.lock or bun.lockb > package-lock.json).
    pub node: Option<Spanned<String>>,
    /// Ruby version: makes this a Ruby stage based on `ruby:<version>-slim`, with `bundle install`
    /// from Gemfile.lock (`--local` when vendor/cache exists).
    pub ruby: Option<Spanned<String>>,
    /// Language stages: the project's directory in the build context (where the manifests,
    /// lockfiles and sources are). Default: the context root.
    pub root: Option<Spanned<String>>,
    /// Debian packages installed with apt-get (no recommends, apt caches in cache mounts), first
    /// step after the base.
    #[serde(default)]
    pub apt: Vec<Spanned<String>>,
    /// Language stages: Debian packages needed only to build (compilers, `-dev` headers). The
    /// stage then builds in a builder with them, and the image starts again from the base
    /// with the results (dependencies, workdir, copies) and the shared libraries they need,
    /// found by scanning them: no compiler, no headers.
    #[serde(default)]
    pub build_apt: Vec<Spanned<String>>,
    /// Python and Node stages: `"minimal"` makes the image from an empty filesystem with only
    /// the interpreter, its standard library, the dependencies, the app, the shared libraries
    /// they need, CA certificates, time zone data and the user: no shell, no package manager.
    /// Default `"base"`: the stage's base image.
    pub runtime: Option<Spanned<String>>,
    /// Working directory (absolute). Default `/app` for language stages; plain stages keep the base
    /// image's.
    pub workdir: Option<Spanned<String>>,
    /// Language stages: the dependency tool, when detection from lockfiles is not wanted. Its files
    /// must exist.
    pub package_manager: Option<Spanned<String>>,
    /// Python stages: pip requirement files, relative to the build context (implies package_manager
    /// = "pip").
    pub requirements: Option<Spanned<OneOrMany<String>>>,
    /// Language stages: whether to install the dependencies.
    pub install: Option<Spanned<bool>>,
    /// Language stages: secrets the dependency install gets, as a run step's `secret` does: an
    /// id (a file at `/run/secrets/<id>`) or `{ id, target, env, required }`. For a private
    /// registry: a token `.npmrc` reads (`env = "NPM_TOKEN"`), an index URL with credentials
    /// (`env = "UV_INDEX_URL"`), Bundler's `BUNDLE_<HOST>`. Never in a layer or the image.
    #[serde(default)]
    pub install_secrets: Vec<Spanned<MountList<SecretMount>>>,
    /// Python stages: where the virtualenv is created (absolute).
    pub venv: Option<Spanned<String>>,
    /// Python stages: the virtualenv reaches the image in layers by its packages' first letters
    /// (five ranges and the rest), so adding a package re-ships a range, not every package.
    /// Costs the build copies of the virtualenv. Default false: one layer.
    pub package_layers: Option<Spanned<bool>>,
    /// Python stages: who installs the dependencies. "uv" (default): uv, into a virtualenv without
    /// pip, setuptools or wheel; pip is kept, with a warning, when a requirement file uses an option
    /// only pip reads or a run step calls pip. "pip": the package manager's own install (pip,
    /// `poetry install`, `pdm install`, `pipenv install --deploy`) into a virtualenv made by
    /// `python3 -m venv`, which has pip.
    pub installer: Option<Spanned<String>>,
    /// Python only: pack the app and its dependencies into one executable file, built after the
    /// stage's run steps.
    pub package: Option<Spanned<Package>>,
    /// Language stages: the context files copied after the dependency install (default excludes
    /// always apply). Default: the project (`root`) when the stage has `run`, `cmd` or
    /// `entrypoint`, nothing otherwise. `false`: nothing. A string: that context directory. A
    /// table: `src`, `include`, `exclude`.
    pub source: Option<Spanned<SourceSetting>>,
    /// Copies from the build context, other stages or images, applied after the source. Consecutive
    /// copies are independent layers merged together (like COPY --link).
    #[serde(default)]
    pub copy: Vec<Spanned<CopyTable>>,
    /// Commands run after the copies, in order: a string (run with /bin/sh -c) or a table with
    /// `cmd` and mounts.
    #[serde(default)]
    pub run: Vec<Spanned<RunEntry>>,
    /// Paths the image's user may write (created and owned by it; relative ones are under
    /// `workdir`), while the code stays root's: an instance folder, uploads, SQLite files. Rails
    /// projects get `tmp`, `log` and `storage` without asking.
    #[serde(default)]
    pub writable: Vec<Spanned<String>>,
    /// Paths (relative to this stage's workdir, or absolute) that `copy = [{ from = "<this stage>"
    /// }]` takes when it gives no `src`.
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
    /// Environment of the image and of later steps (run steps, later stages `from` this one).
    /// Values may use `$NAME`/`${NAME}` of earlier env and `${ARG}` of build args.
    #[serde(default)]
    pub env: IndexMap<Spanned<String>, Spanned<String>>,
    /// User the image runs as: an existing user (`name`, `uid` or `uid:gid`), or a table that
    /// creates a user and group. Default: the final stage gets a created non-root user `app`
    /// (10001:10001); other stages keep the base's.
    pub user: Option<Spanned<UserValue>>,
    /// Ports the app listens on.
    #[serde(default)]
    pub expose: Vec<Spanned<Port>>,
    /// Entrypoint, in exec form. Setting it without `cmd` clears the inherited command.
    pub entrypoint: Option<Spanned<Vec<String>>>,
    /// Default command, in exec form (a list).
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
    /// Where from: a stage name, or an image reference with a tag, digest or registry
    /// (`nginx:1.27`). Default: the build context.
    pub from: Option<Spanned<String>>,
    /// Source path(s): relative to the context root, or absolute in a stage or image. A directory's
    /// contents are copied. Omit it with `from = "<stage>"` to copy that stage's `outputs`.
    /// Wildcards allowed.
    pub src: Option<Spanned<OneOrMany<String>>>,
    /// Destination; relative paths are under the stage's workdir. Default (copying outputs): the
    /// workdir.
    pub dest: Option<Spanned<String>>,
    /// Shorthand for `src = dest = path` (absolute), e.g. a virtualenv.
    pub path: Option<Spanned<String>>,
    /// Only copy files matching these patterns.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Skip files matching these patterns.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Owner of the copied files: `user`, `user:group` or `uid:gid` (`app` is 10001:10001).
    /// Default: root.
    pub owner: Option<Spanned<String>>,
    /// File mode as octal text.
    pub mode: Option<Spanned<String>>,
    /// With `from` naming a Python or Node stage: also bring that stage's interpreter (from
    /// `/usr/local`) and install the shared libraries it and the copied files need, found by
    /// scanning them there, so they run in an image of another family.
    pub interpreter: Option<Spanned<bool>>,
}

/// Packing a Python app and its dependencies into one executable file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// pex (locked dependencies as wheels; C extensions work) or zipapp (standard library;
    /// pure-Python dependencies only).
    pub tool: Spanned<String>,
    /// Entry point: module:function, or a module to run as a script.
    pub entry: Spanned<String>,
    /// Absolute path of the file (default `<workdir>/<stage>.pex` or `.pyz`).
    pub output: Option<Spanned<String>>,
}

/// A Docker health check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// Command in exec form.
    pub cmd: Spanned<Vec<String>>,
    /// Time between checks. A duration such as "30s", "1m30s" or "500ms" (units ms, s, m, h).
    pub interval: Option<Spanned<String>>,
    /// Time one check may take. A duration such as "30s", "1m30s" or "500ms" (units ms, s, m, h).
    pub timeout: Option<Spanned<String>>,
    /// Grace period after start. A duration such as "30s", "1m30s" or "500ms" (units ms, s, m, h).
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
            "package_layers" => self.package_layers.as_ref().map(Spanned::span),
            "installer" => self.installer.as_ref().map(Spanned::span),
            "package" => self.package.as_ref().map(Spanned::span),
            "package_manager" => self.package_manager.as_ref().map(Spanned::span),
            "install" => self.install.as_ref().map(Spanned::span),
            "source" => self.source.as_ref().map(Spanned::span),
            "root" => self.root.as_ref().map(Spanned::span),
            "build_apt" => self.build_apt.first().map(Spanned::span),
            "install_secrets" => self.install_secrets.first().map(Spanned::span),
            "runtime" => self.runtime.as_ref().map(Spanned::span),
            _ => None,
        }
    }
}
