//! The vocabulary shared by the phases: spans, copies, mounts, users and the build steps that
//! recipes produce and lowering turns into LLB. Plain data; no phase logic lives here.

use std::ops::Range;

/// Byte range in the spec file.
pub type Span = Range<usize>;

/// Uid and gid of the user created for final images.
pub const APP_UID: u32 = 10001;
/// Name of the user created for final images.
pub const APP_USER: &str = "app";

/// Where a copy reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyFrom {
    /// The build context.
    Context,
    /// Another stage.
    Stage(usize),
    /// An image (normalized reference).
    Image(String),
    /// This stage's builder (the steps before [`Step::Runtime`]).
    Builder,
    /// This stage as the steps between [`Step::Branch`] and [`Step::Rejoin`] left it.
    Branch,
}

/// A copy, validated.
#[derive(Debug, Clone)]
pub struct FileCopy {
    /// Source of the files.
    pub from: CopyFrom,
    /// Paths in the source; empty for "the stage's outputs".
    pub src: Vec<String>,
    /// Destination: absolute in steps; in a stage's plan, a relative one is placed by recipes
    /// under the directory the stage works in ([`crate::plan::under`]).
    pub dest: String,
    /// Only these patterns.
    pub include: Vec<String>,
    /// Leave out these patterns.
    pub exclude: Vec<String>,
    /// Owner of the copied files.
    pub owner: Option<Owner>,
    /// File mode.
    pub mode: Option<u32>,
    /// Where it was written.
    pub span: Span,
}

/// Who owns copied files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Numeric ids.
    Ids(u32, u32),
    /// Names looked up in the stage's `/etc/passwd` and `/etc/group`.
    Names(String, Option<String>),
}

/// Network modes for commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// The sandbox's own network (default).
    #[default]
    Sandbox,
    /// No network.
    None,
    /// The host's network (needs an entitlement).
    Host,
}

/// A mount for a command.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mount {
    /// A persistent cache directory.
    Cache {
        /// Mount point.
        target: String,
        /// Cache id.
        id: String,
        /// Sharing mode.
        sharing: Sharing,
    },
    /// A secret file and/or env var.
    Secret {
        /// Secret id.
        id: String,
        /// File path, if mounted as a file.
        target: Option<String>,
        /// Env var name, if exposed as env.
        env: Option<String>,
        /// Whether a missing secret fails the build.
        required: bool,
    },
    /// SSH agent socket.
    Ssh {
        /// SSH id (`default` for the default agent).
        id: String,
    },
    /// A tmpfs.
    Tmpfs {
        /// Mount point.
        target: String,
    },
    /// A read-only bind of a build-context path: files a step reads (e.g. vendored packages)
    /// without copying them into a layer.
    Context {
        /// Mount point.
        target: String,
        /// Path in the build context, relative to its root.
        path: String,
    },
    /// What a scan of `roots` in a stage (or this stage's builder) found their ELF files need
    /// (`recipes/needs.sh`): its `stagefile/needs/` directory, read-only. Only that directory
    /// is mounted, so a change that needs nothing new leaves the step cached.
    Scanned {
        /// Mount point.
        target: String,
        /// Whose filesystem.
        of: StageFs,
        /// The paths scanned there.
        roots: Vec<String>,
    },
    /// Debian's package lists for the stage's base, fetched by a step of their own that needs
    /// nothing else (so it runs while other stages build), mounted writable with changes
    /// dropped: a step that installs from them can still refresh them.
    PackageLists {
        /// Mount point.
        target: String,
    },
    /// A directory of another stage (or of this stage's builder), read-only.
    Stage {
        /// Mount point.
        target: String,
        /// Whose filesystem.
        of: StageFs,
        /// The directory there (absolute).
        path: String,
    },
    /// A file BuildKit downloads (checked against its digest), mounted read-only: a tool that
    /// is never part of a layer.
    Download {
        /// Mount point: a directory holding the file.
        target: String,
        /// HTTPS URL.
        url: String,
        /// `sha256:<hex>` of the file.
        checksum: String,
        /// The file's name in the directory.
        filename: String,
    },
    /// A file Stagefile itself provides (code a step's tools load), read-only in a directory
    /// of its own.
    File {
        /// Mount point: the directory holding the file.
        target: String,
        /// The file's name in the directory.
        name: String,
        /// Its contents.
        contents: &'static str,
    },
}

/// Whose filesystem a [`Mount::Scanned`] or [`Mount::Stage`] shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StageFs {
    /// This stage's builder.
    Builder,
    /// This stage's builder after its first step, the install of its Debian packages: what
    /// steps of its image that need only those wait for, while the rest of the build runs.
    BuilderPackages,
    /// Another stage.
    Stage(usize),
    /// Another stage's base, before its steps (its `FROM` image).
    Base(usize),
}

impl Mount {
    /// Where it is mounted, if it is mounted at a path (an SSH socket and an env-only secret
    /// are not).
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::Cache { target, .. }
            | Self::Tmpfs { target }
            | Self::Context { target, .. }
            | Self::Scanned { target, .. }
            | Self::Stage { target, .. }
            | Self::PackageLists { target }
            | Self::Download { target, .. }
            | Self::File { target, .. } => Some(target),
            Self::Secret { target, .. } => target.as_deref(),
            Self::Ssh { .. } => None,
        }
    }
}

/// Cache mount sharing modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sharing {
    /// Concurrent writers share it.
    Shared,
    /// Each writer gets its own copy when busy.
    Private,
    /// Writers wait for each other.
    Locked,
}

/// A user (and its group) created by a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// User name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Group name.
    pub group: String,
    /// Group id.
    pub gid: u32,
    /// Home directory, owned by the user.
    pub home: String,
}

impl NewUser {
    /// The `app` user final images get unless they say otherwise.
    pub fn app() -> Self {
        Self {
            name: APP_USER.into(),
            uid: APP_UID,
            group: APP_USER.into(),
            gid: APP_UID,
            home: format!("/home/{APP_USER}"),
        }
    }

    /// `uid:gid`, as the image config's `User`.
    pub fn ids(&self) -> String {
        format!("{}:{}", self.uid, self.gid)
    }
}

/// A step of a stage, in build order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Sets (and creates) the working directory.
    Workdir {
        /// Absolute path.
        path: String,
        /// Where it comes from.
        span: Span,
    },
    /// Sets env entries for later steps and the image (values may refer to earlier env).
    Env {
        /// `(name, value)` pairs.
        vars: Vec<(String, String)>,
        /// Where they come from.
        span: Span,
    },
    /// Runs a command.
    Run(RunStep),
    /// Copies files into the stage.
    Copy(FileCopy),
    /// Makes the image run as this user (created here or in the stage it is built from).
    RunAs(NewUser),
    /// Ends the stage's builder: the next steps start again from the stage's base (keeping the
    /// image config so far), and reach the builder's files through [`CopyFrom::Builder`] and
    /// [`StageFs::Builder`].
    Runtime {
        /// Where the split comes from.
        span: Span,
    },
    /// Marks the stage's filesystem before its dependency install, for [`Step::Rejoin`].
    Branch {
        /// Where the install comes from.
        span: Span,
    },
    /// Takes the stage's filesystem back to the one at [`Step::Branch`] (keeping the image
    /// config so far); the copies after it bring what the steps between wrote, through
    /// [`CopyFrom::Branch`], in layers of their own.
    Rejoin {
        /// Where the install comes from.
        span: Span,
    },
    /// Replaces the stage's filesystem with the one the command, run on it, writes to
    /// [`MINIMAL_OUT`] (empty at first): a minimal runtime assembled from the builder.
    Minimal(RunStep),
}

/// The scan behind [`Mount::Scanned`] (`recipes/needs.sh`, without its comments): finds the
/// shared libraries the ELF files under its arguments need, and writes the lists and copies
/// to `/stagefile/needs/`.
pub fn scan_script() -> String {
    without_comments(include_str!("recipes/needs.sh"))
}

/// A shell script's lines without its comment lines (they would be in every op's bytes).
pub fn without_comments(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect();
    lines.join("\n")
}

/// Where a [`Step::Minimal`] command writes the new filesystem.
pub const MINIMAL_OUT: &str = "/stagefile/out";

/// A command with its mounts.
#[derive(Debug, Clone)]
pub struct RunStep {
    /// Text shown in progress output.
    pub display: String,
    /// Program and arguments.
    pub args: Vec<String>,
    /// Extra env for this command only.
    pub env: Vec<(String, String)>,
    /// Directories put in front of `PATH` for this command only (tools in cache mounts).
    pub path: Vec<String>,
    /// Working directory override.
    pub cwd: Option<String>,
    /// User override; recipe steps run as root.
    pub user: Option<String>,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// Network mode.
    pub network: Network,
    /// Where it comes from.
    pub span: Span,
}

impl RunStep {
    /// A recipe's shell command, run as root with the given cache mounts.
    pub fn recipe(
        display: impl Into<String>,
        script: impl Into<String>,
        mounts: Vec<Mount>,
        span: Span,
    ) -> Self {
        Self {
            display: display.into(),
            args: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: Vec::new(),
            path: Vec::new(),
            cwd: None,
            user: Some("0:0".into()),
            mounts,
            network: Network::Sandbox,
            span,
        }
    }

    /// A recipe's shell script kept in a file of its own: its comment lines are left out of
    /// the build definition (they would be in every op's bytes).
    pub fn script_file(
        display: impl Into<String>,
        text: &str,
        mounts: Vec<Mount>,
        span: Span,
    ) -> Self {
        Self::recipe(display, without_comments(text), mounts, span)
    }

    /// Passes arguments to the recipe's script (`$1`...): data the shell never parses.
    pub fn with_args(mut self, args: impl IntoIterator<Item = String>) -> Self {
        if self.args.len() == 3 {
            self.args.push("stagefile".into());
        }
        self.args.extend(args);
        self
    }

    /// Adds env for this command.
    pub fn with_env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }
}

/// The steps of one stage.
#[derive(Debug, Clone)]
pub struct StageSteps {
    /// Index of the stage in the plan.
    pub stage: usize,
    /// Steps, in order.
    pub steps: Vec<Step>,
    /// What the recipes decided and why (the package manager chosen, from which file), for
    /// `llb-gen --format steps`.
    pub notes: Vec<String>,
}

/// Mounts and env a language adds to the stage's own `run` steps (its tools).
#[derive(Debug, Clone, Default)]
pub struct RunTools {
    /// Mounts, before the step's own.
    pub mounts: Vec<Mount>,
    /// Env, before the step's own (which wins).
    pub env: Vec<(String, String)>,
    /// Directories put in front of `PATH` (where the tools' commands are).
    pub path: Vec<String>,
}

/// Whether `a` and `b` (absolute paths) are the same, or one holds the other.
pub fn overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
    let holds = |outer: &str, inner: &str| {
        outer.is_empty() || inner == outer || inner.starts_with(&format!("{outer}/"))
    };
    holds(a, b) || holds(b, a)
}
