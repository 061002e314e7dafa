//! The procedure: find the examples, and for each run build every side through all scenarios.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::answer::Probe;
use crate::config::{Config, EditSpec, default_source_change};
use crate::{
    BuildSample, EXTERNAL_FRONTEND, ExampleResult, Scenario, Variant, docker, dockerfile,
    external_dockerfile, progress,
};

/// An example directory with what the harness needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Directory name.
    pub name: String,
    /// Its path.
    pub dir: PathBuf,
}

/// The examples found, in name order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Discovered {
    /// To measure.
    pub examples: Vec<Example>,
    /// Not measured: (name, why).
    pub skipped: Vec<(String, String)>,
}

/// The examples to measure and the ones to skip (with why). An example is a directory of
/// `examples_dir` with a `Stagefile.toml`; it is measured when it also has a `Dockerfile`.
/// `only`, when not empty, restricts to those names.
pub fn discover(examples_dir: &Path, only: &[String]) -> anyhow::Result<Discovered> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(examples_dir)
        .with_context(|| format!("cannot list {}", examples_dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        if !dir.join("Stagefile.toml").is_file() {
            continue;
        }
        if !dir.join("Dockerfile").is_file() {
            skipped.push((
                name,
                "no hand-written `Dockerfile` beside its `Stagefile.toml`".to_owned(),
            ));
            continue;
        }
        found.push(Example { name, dir });
    }
    for name in only {
        if !found.iter().any(|e| &e.name == name) && !skipped.iter().any(|(n, _)| n == name) {
            bail!(
                "no example `{name}` with a Stagefile.toml in {}",
                examples_dir.display()
            );
        }
    }
    Ok(Discovered {
        examples: found,
        skipped,
    })
}

/// What every example's runs share.
pub struct Runner {
    /// `bench/`, where prepared edit files live.
    pub bench_dir: PathBuf,
    /// Scratch space for the example copies.
    pub work_dir: PathBuf,
    /// Where progress logs go.
    pub logs_dir: PathBuf,
    /// Runs per figure.
    pub runs: usize,
    /// Rounds of fully cached rebuilds after the runs, every side in each round (see
    /// [`Runner::interleaved_cached`]); 0 keeps the one cached build of each run.
    pub cached_rounds: usize,
    /// The edits.
    pub config: Config,
    /// When the whole run started (for the progress lines).
    pub started: Instant,
    /// The Stagefile frontend image to put on each copy's `# syntax=` line, if not the one the
    /// example names.
    pub frontend: Option<String>,
    /// File lists of base images, by image id.
    base_files: HashMap<String, BTreeMap<String, u64>>,
}

impl Runner {
    /// A runner; `started` is when the whole run started (for the progress lines).
    pub fn new(
        started: Instant,
        bench_dir: PathBuf,
        work_dir: PathBuf,
        logs_dir: PathBuf,
        runs: usize,
        config: Config,
    ) -> Self {
        Self {
            bench_dir,
            work_dir,
            logs_dir,
            runs,
            config,
            started,
            frontend: None,
            cached_rounds: 0,
            base_files: HashMap::new(),
        }
    }

    fn say(&self, what: &str) {
        eprintln!(
            "[bench {:>5.0}s] {what}",
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Measures one example; a failed build stops that example (the result says why).
    pub fn measure(&mut self, example: &Example) -> ExampleResult {
        let configured = self
            .config
            .examples
            .get(&example.name)
            .cloned()
            .unwrap_or_default();
        let probe = configured.first_answer.clone();
        let mut result = ExampleResult {
            name: example.name.clone(),
            targets: configured.targets,
            answer_probe: probe.as_ref().map(|p| format!(":{}{}", p.port, p.path)),
            ..ExampleResult::default()
        };
        let source = configured
            .source_change
            .or_else(|| default_source_change(&example.dir));
        let dependency = configured.dependency_change;
        let mut edits: BTreeMap<Scenario, EditSpec> = BTreeMap::new();
        for (scenario, edit, missing) in [
            (
                Scenario::SourceChange,
                source,
                "no source file found and no `source_change` in bench/examples.toml",
            ),
            (
                Scenario::DependencyChange,
                dependency,
                "no `dependency_change` in bench/examples.toml",
            ),
        ] {
            match edit {
                Some(edit) => {
                    result.edits.insert(scenario, edit.describe());
                    edits.insert(scenario, edit);
                }
                None => {
                    self.say(&format!(
                        "{}: {} skipped: {missing}",
                        example.name,
                        scenario.label()
                    ));
                    result.skipped.insert(scenario, missing.to_owned());
                }
            }
        }
        let mut built_ids = BTreeSet::new();
        let bases = dockerfile::base_images(
            &std::fs::read_to_string(example.dir.join("Dockerfile")).unwrap_or_default(),
        );
        'runs: for run in 0..self.runs {
            for variant in Variant::order(run) {
                let mut attempt = 0;
                loop {
                    let before = base_ids(&bases);
                    let side = self.one_side(
                        example,
                        variant,
                        run,
                        &edits,
                        probe.as_ref(),
                        &mut built_ids,
                    );
                    let changed = base_ids(&bases) != before;
                    let retry = attempt < MAX_RETRIES;
                    let again = |side: &Side| changed || (retry && side.disturbed());
                    match side {
                        Ok(side) if !again(&side) => {
                            side.commit(variant, &mut result);
                            break;
                        }
                        Err(e) if !changed => {
                            self.say(&format!("{}: {variant:?} failed: {e:#}", example.name));
                            result.failure = Some(format!("{variant:?}, run {}: {e:#}", run + 1));
                            break 'runs;
                        }
                        _ if retry => {
                            attempt += 1;
                            self.say(&format!(
                                "{}: {}: again",
                                example.name,
                                if changed {
                                    format!(
                                        "a base image ({}) was replaced during the builds",
                                        bases.join(", ")
                                    )
                                } else {
                                    "another build on the engine got in the way (cache pruned, \
                                     or steps shared)"
                                        .to_owned()
                                }
                            ));
                        }
                        _ => {
                            result.failure = Some(format!(
                                "{variant:?}, run {}: the base images kept changing during the builds",
                                run + 1
                            ));
                            break 'runs;
                        }
                    }
                }
            }
        }
        if result.failure.is_none()
            && self.cached_rounds > 0
            && let Err(e) = self.interleaved_cached(example, &mut result)
        {
            self.say(&format!("{}: cached rounds failed: {e:#}", example.name));
            result.failure = Some(format!("cached rounds: {e:#}"));
        }
        if configured.minimal {
            result.minimal = Some(self.minimal_runtime(example, probe.as_ref()));
        }
        for variant in Variant::ALL {
            docker::remove_image(&tag(&example.name, variant));
        }
        for id in built_ids {
            docker::remove_image(&id);
        }
        let _ = std::fs::remove_dir_all(self.work_dir.join(&example.name));
        result
    }

    /// The floor of what a frontend costs: an empty build (`FROM scratch`), fully cached, every
    /// side, `runs` × `cached_rounds` times each (after one build each to fill the cache), the
    /// sides in rotation. The
    /// Stagefile names `frontend` on its `# syntax=` line.
    pub fn floor(&self, frontend: &str) -> anyhow::Result<BTreeMap<Variant, Vec<BuildSample>>> {
        let example = Example {
            name: "empty".to_owned(),
            dir: self.work_dir.join("empty"),
        };
        std::fs::create_dir_all(&example.dir)?;
        std::fs::write(
            example.dir.join("Stagefile.toml"),
            format!("# syntax={frontend}\n[stage.empty]\nfrom = \"scratch\"\n"),
        )?;
        std::fs::write(example.dir.join("Dockerfile"), "FROM scratch\n")?;
        std::fs::write(
            example.dir.join(Variant::External.file_name()),
            external_dockerfile("FROM scratch\n"),
        )?;
        let mut samples: BTreeMap<Variant, Vec<BuildSample>> = BTreeMap::new();
        for variant in Variant::ALL {
            self.build(
                &example,
                &example.dir,
                variant,
                Scenario::Cold,
                "1",
                &tag("empty", variant),
            )?;
        }
        let rounds = self.runs * self.cached_rounds.max(1);
        for run in 0..rounds {
            for variant in Variant::order(run) {
                let sample = self.build(
                    &example,
                    &example.dir,
                    variant,
                    Scenario::Cached,
                    &(run + 1).to_string(),
                    &tag("empty", variant),
                )?;
                self.say(&format!(
                    "empty build, {}/{rounds}: {:<10} {:>7.2} s",
                    run + 1,
                    variant.slug(),
                    sample.seconds
                ));
                samples.entry(variant).or_default().push(sample);
            }
        }
        for variant in Variant::ALL {
            docker::remove_image(&tag("empty", variant));
        }
        let _ = std::fs::remove_dir_all(&example.dir);
        Ok(samples)
    }

    /// One side, one run: cold, image facts and first answers, cached, source change,
    /// dependency change.
    fn one_side(
        &mut self,
        example: &Example,
        variant: Variant,
        run: usize,
        edits: &BTreeMap<Scenario, EditSpec>,
        probe: Option<&Probe>,
        built_ids: &mut BTreeSet<String>,
    ) -> anyhow::Result<Side> {
        let mut side = Side::default();
        let copy = self.work_dir.join(&example.name).join(variant.slug());
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&example.dir, &copy)?;
        if let (Variant::Stagefile, Some(frontend)) = (variant, &self.frontend) {
            let spec = copy.join(variant.file_name());
            let text = std::fs::read_to_string(&spec)?;
            std::fs::write(&spec, with_syntax(&text, frontend))?;
        }
        if variant == Variant::External {
            let dockerfile = std::fs::read_to_string(copy.join("Dockerfile"))?;
            std::fs::write(
                copy.join(variant.file_name()),
                external_dockerfile(&dockerfile),
            )
            .with_context(|| format!("writing the {EXTERNAL_FRONTEND} copy of the Dockerfile"))?;
        }
        let tag = tag(&example.name, variant);
        docker::remove_image(&tag);
        docker::prune_build_cache()?;
        let probe = probe.filter(|_| variant.answers_measured());
        for scenario in Scenario::ALL {
            if scenario == Scenario::SourceChange || scenario == Scenario::DependencyChange {
                let Some(edit) = edits.get(&scenario) else {
                    continue;
                };
                edit.apply(&copy, &self.bench_dir)
                    .with_context(|| format!("applying the {}", scenario.label()))?;
            }
            let added = scenario == Scenario::DependencyChange;
            let before = added.then(|| docker::layers(&tag)).transpose()?;
            let mut sample = self.build(
                example,
                &copy,
                variant,
                scenario,
                &(run + 1).to_string(),
                &tag,
            )?;
            if let Some(before) = before {
                sample.new_layer_bytes = Some(docker::new_layer_bytes(&tag, &before)?);
            }
            self.say(&format!(
                "{} run {}/{}: {:<10} {:<22} {:>7.2} s, {} steps run",
                example.name,
                run + 1,
                self.runs,
                variant.slug(),
                scenario.label(),
                sample.seconds,
                sample.steps_run
            ));
            if let Some(id) = docker::image_id(&tag) {
                built_ids.insert(id);
            }
            side.builds.push((scenario, sample));
            if scenario == Scenario::Cold {
                side.image = Some(self.image_facts(&tag, &example.dir.join("Dockerfile"))?);
                if let Some(probe) = probe {
                    side.answers = self.first_answers(example, variant, run, &tag, probe)?;
                }
            }
        }
        Ok(side)
    }

    fn build(
        &self,
        example: &Example,
        copy: &Path,
        variant: Variant,
        scenario: Scenario,
        run: &str,
        tag: &str,
    ) -> anyhow::Result<BuildSample> {
        let dir = self.logs_dir.join(&example.name);
        std::fs::create_dir_all(&dir)?;
        let log = dir.join(format!(
            "{}-{}-{run}.jsonl",
            variant.slug(),
            scenario.slug(),
        ));
        let timed = docker::build(&copy.join(variant.file_name()), copy, tag, &log)?;
        let text = std::fs::read_to_string(&log)?;
        let (vertices, steps_shared) =
            progress::split_at(progress::parse(&text).unwrap_or_default(), timed.launched);
        std::fs::write(
            log.with_extension("txt"),
            progress::timeline(&vertices, timed.launched),
        )?;
        if !timed.ok {
            let why = progress::first_error(&vertices)
                .unwrap_or_else(|| text.lines().rev().take(5).collect::<Vec<_>>().join(" / "));
            bail!("{} failed ({}): {why}", scenario.label(), log.display());
        }
        Ok(BuildSample {
            seconds: timed.seconds,
            steps_run: vertices.iter().filter(|v| v.ran()).count(),
            steps_cached: vertices.iter().filter(|v| v.reused()).count(),
            steps_shared,
            frontend: progress::frontend_times(&vertices),
            phases: progress::phases(&vertices, timed.launched, timed.seconds),
            slowest: progress::slowest(&vertices, 5),
            new_layer_bytes: None,
            log,
        })
    }
}

/// How often one side's run is done again when a base image is replaced while it builds (on a
/// shared machine, the set-up script re-makes base images) or another build gets in its way.
const MAX_RETRIES: usize = 2;

/// The current ids of images (`None` for a missing one).
fn base_ids(images: &[String]) -> Vec<Option<String>> {
    images.iter().map(|i| docker::image_id(i)).collect()
}

/// The tag a side's image gets.
pub fn tag(example: &str, variant: Variant) -> String {
    format!("stagefile-bench-{example}:{}", variant.slug())
}

mod answers;
mod cached;
mod files;
mod image;
mod minimal;
mod side;
#[cfg(test)]
mod tests;

pub use files::{copy_dir, with_syntax};
use side::Side;
