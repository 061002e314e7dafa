//! The benchmark harness: each example's `Stagefile.toml` against its hand-written `Dockerfile`
//! (through the external `docker/dockerfile:1` frontend image and through the engine's built-in
//! Dockerfile frontend), built side by side on one engine, written up in `docs/benchmarks.md`.
//!
//! `bash bench/run.sh` (or `cargo run --release -p stagefile-bench`) runs it; see
//! [`runner`] for the procedure and [`report`] for what is written. The pure parts (statistics,
//! progress parsing, leak detection, edits, rendering) are unit-tested; the timings themselves
//! are never asserted anywhere.

pub mod config;
pub mod docker;
pub mod dockerfile;
pub mod leaks;
pub mod llbgen;
pub mod machine;
pub mod progress;
pub mod report;
pub mod runner;
pub mod stats;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::leaks::Leak;
use crate::progress::{FrontendTimes, Phases};
use crate::stats::Target;

/// The Dockerfile frontend image the third side names on its `# syntax=` line: the external
/// frontend most users' Dockerfiles run (`tests/e2e/setup.sh` builds it from the vendored
/// BuildKit source and tags it so).
pub const EXTERNAL_FRONTEND: &str = "docker/dockerfile:1";

/// Which side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// `Stagefile.toml`, through the frontend image.
    Stagefile,
    /// The hand-written `Dockerfile` with `# syntax=docker/dockerfile:1` put first: through the
    /// external Dockerfile frontend image, a container like ours. The targets compare with it.
    External,
    /// The hand-written `Dockerfile`, through the engine's built-in Dockerfile frontend.
    Dockerfile,
}

impl Variant {
    /// Every side, Stagefile first.
    pub const ALL: [Variant; 3] = [Variant::Stagefile, Variant::External, Variant::Dockerfile];

    /// The build file in the example copy (the external side's is written there from the
    /// `Dockerfile`, see [`external_dockerfile`]).
    pub fn file_name(self) -> &'static str {
        match self {
            Variant::Stagefile => "Stagefile.toml",
            Variant::External => "Dockerfile.external",
            Variant::Dockerfile => "Dockerfile",
        }
    }

    /// Lower-case name, for tags and log files.
    pub fn slug(self) -> &'static str {
        match self {
            Variant::Stagefile => "stagefile",
            Variant::External => "dockerfile-external",
            Variant::Dockerfile => "dockerfile",
        }
    }

    /// As the report names the side.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Stagefile => "Stagefile",
            Variant::External => "Dockerfile (docker/dockerfile:1)",
            Variant::Dockerfile => "Dockerfile (built-in)",
        }
    }

    /// The order of the sides in run `run` (0-based): it rotates every run, so that no side
    /// always goes first or always follows the same one.
    pub fn order(run: usize) -> [Variant; 3] {
        let mut order = Self::ALL;
        order.rotate_left(run % 3);
        order
    }
}

/// The external side's build file: the hand-written `Dockerfile` with the `# syntax=` line of
/// the external frontend first (any `# syntax=` line it had is replaced).
pub fn external_dockerfile(dockerfile: &str) -> String {
    runner::with_syntax(dockerfile, EXTERNAL_FRONTEND)
}

/// What a build starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// Empty build cache (and no cache mounts), base images present.
    Cold,
    /// Right after a build, nothing changed.
    Cached,
    /// After a one-line source change.
    SourceChange,
    /// After one package is added, with the cache mounts warm.
    DependencyChange,
}

impl Scenario {
    /// In the order they run.
    pub const ALL: [Scenario; 4] = [
        Scenario::Cold,
        Scenario::Cached,
        Scenario::SourceChange,
        Scenario::DependencyChange,
    ];

    /// As the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Cold => "cold build",
            Scenario::Cached => "fully cached rebuild",
            Scenario::SourceChange => "one-line source change",
            Scenario::DependencyChange => "one package added",
        }
    }

    /// Lower-case name, for log files.
    pub fn slug(self) -> &'static str {
        match self {
            Scenario::Cold => "cold",
            Scenario::Cached => "cached",
            Scenario::SourceChange => "source-change",
            Scenario::DependencyChange => "dependency-change",
        }
    }

    /// The product's target for the ratio Stagefile / Dockerfile through the external
    /// frontend (both are frontend images BuildKit starts as containers), if there is one: a
    /// fully cached rebuild no slower (1.0x, no allowance), a cold build and a source-change
    /// rebuild no slower with `noise` of allowance.
    pub fn target(self, noise: f64) -> Option<Target> {
        match self {
            Scenario::Cached => Some(Target {
                at_most: 1.0,
                noise: 0.0,
            }),
            Scenario::Cold | Scenario::SourceChange => Some(Target {
                at_most: 1.0,
                noise,
            }),
            Scenario::DependencyChange => None,
        }
    }
}

/// One timed build.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuildSample {
    /// Wall-clock seconds of `docker buildx build`.
    pub seconds: f64,
    /// Build steps BuildKit executed (not from the cache).
    pub steps_run: usize,
    /// Build steps BuildKit took from the cache.
    pub steps_cached: usize,
    /// Build steps another build on the engine had started before this one (BuildKit shares
    /// identical steps between builds running at the same time).
    pub steps_shared: usize,
    /// Time before the first build step, and the gateway frontend's phases.
    pub frontend: FrontendTimes,
    /// Where the wall time went.
    pub phases: Option<Phases>,
    /// The slowest vertices: (name, seconds, cached).
    pub slowest: Vec<(String, f64, bool)>,
    /// Its progress log (rawjson), and a `.txt` timeline beside it.
    pub log: PathBuf,
}

/// Facts about a final image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageFacts {
    /// Size in bytes (`docker image inspect`).
    pub size: u64,
    /// Number of layers.
    pub layers: usize,
    /// Build tools and caches among the files the build added, per kind.
    pub leaks: BTreeMap<Leak, usize>,
    /// The base image whose files were not counted, if one was found.
    pub base: Option<String>,
}

/// Everything measured for one example.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExampleResult {
    /// The directory name under `examples/`.
    pub name: String,
    /// What the source and dependency changes are.
    pub edits: BTreeMap<Scenario, String>,
    /// Scenarios not measured, with why.
    pub skipped: BTreeMap<Scenario, String>,
    /// Timed builds per side and scenario, one per run.
    pub builds: BTreeMap<(Variant, Scenario), Vec<BuildSample>>,
    /// Final image facts per side, one per run.
    pub images: BTreeMap<Variant, Vec<ImageFacts>>,
    /// Why the example could not be measured completely.
    pub failure: Option<String>,
}

impl ExampleResult {
    /// The samples' wall times of one side and scenario.
    pub fn seconds(&self, variant: Variant, scenario: Scenario) -> Vec<f64> {
        self.builds
            .get(&(variant, scenario))
            .map(|samples| samples.iter().map(|s| s.seconds).collect())
            .unwrap_or_default()
    }

    /// The sample closest to the median of one side and scenario.
    pub fn median_sample(&self, variant: Variant, scenario: Scenario) -> Option<&BuildSample> {
        let samples = self.builds.get(&(variant, scenario))?;
        let index = stats::median_index(&self.seconds(variant, scenario))?;
        samples.get(index)
    }
}
