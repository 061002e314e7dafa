//! The benchmark harness: each example's `Stagefile.toml` against its hand-written `Dockerfile`
//! (through the external `docker/dockerfile:1` frontend image and through the engine's built-in
//! Dockerfile frontend), built side by side on one engine, written up in `docs/benchmarks.md`.
//!
//! `bash bench/run.sh` (or `cargo run --release -p stagefile-bench`) runs it; see
//! [`runner`] for the procedure and [`report`] for what is written. The pure parts (statistics,
//! progress parsing, leak detection, edits, rendering) are unit-tested; the timings themselves
//! are never asserted anywhere.

pub mod answer;
pub mod config;
pub mod docker;
pub mod dockerfile;
pub mod leaks;
pub mod llbgen;
pub mod machine;
pub mod minimal;
pub mod packaging;
pub mod progress;
pub mod report;
pub mod runner;
pub mod spec_lines;
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

    /// Whether the time to first answer is measured on this side: on the Stagefile's and the
    /// external frontend's, not on the built-in frontend's (the same Dockerfile, the same
    /// image).
    pub fn answers_measured(self) -> bool {
        self != Variant::Dockerfile
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
}

/// An example's own targets, from `bench/examples.toml` (the defaults otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// The cold build's ratio at most (default: no slower, with the noise margin).
    pub cold: Option<f64>,
    /// The one-package rebuild's ratio at most (default: none).
    pub dependency_change: Option<f64>,
}

/// The final image's size, at most this ratio of the Dockerfile's (through the external
/// frontend).
pub const IMAGE_TARGET: f64 = 0.95;

/// The source-change rebuild's ratio at most.
pub const SOURCE_CHANGE_TARGET: f64 = 0.8;

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
    /// For one package added: bytes of the layers the image has that it had not before.
    pub new_layer_bytes: Option<u64>,
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
    /// Bytes of pip, setuptools and wheel among the files the build added.
    pub packaging_tools: u64,
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
    /// Seconds from a container's start to its first answer, per side where it is measured
    /// (see [`Variant::answers_measured`]; every start of every run).
    pub first_answers: BTreeMap<Variant, Vec<f64>>,
    /// What the first answer was asked for (`:8000/`), when the example has a server.
    pub answer_probe: Option<String>,
    /// The example's own targets.
    pub targets: Targets,
    /// Why the example could not be measured completely.
    pub failure: Option<String>,
    /// The image with `runtime = "minimal"`, when `bench/examples.toml` asks for it.
    pub minimal: Option<minimal::MinimalRuntime>,
}

impl ExampleResult {
    /// The target for the ratio Stagefile / Dockerfile through the external frontend (both
    /// are frontend images BuildKit starts as containers) of a scenario, if there is one: a
    /// fully cached rebuild no slower (1.0x, no allowance); a cold build no slower (with
    /// `noise` of allowance) unless the example sets its own; a source-change rebuild at most
    /// [`SOURCE_CHANGE_TARGET`]; the one-package rebuild only when the example sets one.
    pub fn target(&self, scenario: Scenario, noise: f64) -> Option<Target> {
        let strict = |at_most: f64| Target {
            at_most,
            noise: 0.0,
        };
        match scenario {
            Scenario::Cached => Some(strict(1.0)),
            Scenario::Cold => Some(self.targets.cold.map_or(
                Target {
                    at_most: 1.0,
                    noise,
                },
                strict,
            )),
            Scenario::SourceChange => Some(strict(SOURCE_CHANGE_TARGET)),
            Scenario::DependencyChange => self.targets.dependency_change.map(strict),
        }
    }

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
