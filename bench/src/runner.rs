//! The procedure: find the examples, and for each run build both sides through all scenarios.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::answer::{self, Probe};
use crate::config::{Config, EditSpec, default_source_change};
use crate::{
    BuildSample, ExampleResult, ImageFacts, Scenario, Variant, docker, dockerfile, leaks, progress,
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
    /// The edits.
    pub config: Config,
    /// When the whole run started (for the progress lines).
    pub started: Instant,
    /// The frontend image the Stagefiles are built with, when not the one their `# syntax=`
    /// line names (written over that line in the copies).
    pub frontend: Option<String>,
    /// File lists of base images, by image id.
    base_files: HashMap<String, BTreeSet<String>>,
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
        for variant in Variant::BOTH {
            docker::remove_image(&tag(&example.name, variant));
        }
        for id in built_ids {
            docker::remove_image(&id);
        }
        let _ = std::fs::remove_dir_all(self.work_dir.join(&example.name));
        result
    }

    /// The floor of what a frontend costs: an empty build (`FROM scratch`), fully cached, both
    /// ways, `runs` times each (after one build each to fill the cache), alternating. The
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
        let mut samples: BTreeMap<Variant, Vec<BuildSample>> = BTreeMap::new();
        for variant in Variant::BOTH {
            self.build(
                &example,
                &example.dir,
                variant,
                Scenario::Cold,
                0,
                &tag("empty", variant),
            )?;
        }
        for run in 0..self.runs {
            for variant in Variant::order(run) {
                let sample = self.build(
                    &example,
                    &example.dir,
                    variant,
                    Scenario::Cached,
                    run,
                    &tag("empty", variant),
                )?;
                self.say(&format!(
                    "empty build, run {}/{}: {:<10} {:>7.2} s",
                    run + 1,
                    self.runs,
                    variant.slug(),
                    sample.seconds
                ));
                samples.entry(variant).or_default().push(sample);
            }
        }
        for variant in Variant::BOTH {
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
            set_syntax(&copy.join(variant.file_name()), frontend)?;
        }
        let tag = tag(&example.name, variant);
        docker::remove_image(&tag);
        docker::prune_build_cache()?;
        for scenario in Scenario::ALL {
            if scenario == Scenario::SourceChange || scenario == Scenario::DependencyChange {
                let Some(edit) = edits.get(&scenario) else {
                    continue;
                };
                edit.apply(&copy, &self.bench_dir)
                    .with_context(|| format!("applying the {}", scenario.label()))?;
            }
            let sample = self.build(example, &copy, variant, scenario, run, &tag)?;
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
                    side.answers = answer::measure(&tag, probe, answer::STARTS)
                        .context("time to first answer")?;
                    self.say(&format!(
                        "{} run {}/{}: {:<10} first answer in {}",
                        example.name,
                        run + 1,
                        self.runs,
                        variant.slug(),
                        side.answers
                            .iter()
                            .map(|s| format!("{:.0} ms", s * 1000.0))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
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
        run: usize,
        tag: &str,
    ) -> anyhow::Result<BuildSample> {
        let dir = self.logs_dir.join(&example.name);
        std::fs::create_dir_all(&dir)?;
        let log = dir.join(format!(
            "{}-{}-{}.jsonl",
            variant.slug(),
            scenario.slug(),
            run + 1
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
            log,
        })
    }

    /// Size, layers and leaks of the image `tag`; the base is the Dockerfile's `FROM` image
    /// the image is built on.
    fn image_facts(&mut self, tag: &str, dockerfile_path: &Path) -> anyhow::Result<ImageFacts> {
        let layers = docker::layers(tag)?;
        let text = std::fs::read_to_string(dockerfile_path).unwrap_or_default();
        let candidates: Vec<(String, Vec<String>)> = dockerfile::base_images(&text)
            .into_iter()
            .filter_map(|image| {
                let layers = docker::layers(&image).ok()?;
                Some((image, layers))
            })
            .collect();
        let base = dockerfile::base_of(&layers, &candidates).map(str::to_owned);
        let files = docker::file_list(tag)?;
        let base_files = match &base {
            Some(image) => {
                let id = docker::image_id(image).unwrap_or_else(|| image.clone());
                if !self.base_files.contains_key(&id) {
                    let listed = docker::file_list(image)?;
                    self.base_files.insert(id.clone(), listed);
                }
                self.base_files.get(&id).cloned().unwrap_or_default()
            }
            None => BTreeSet::new(),
        };
        let workdir = docker::workdir(tag)?;
        let added = files
            .iter()
            .filter(|f| !base_files.contains(*f))
            .map(String::as_str);
        Ok(ImageFacts {
            size: docker::image_size(tag)?,
            layers: layers.len(),
            leaks: leaks::find(added, &workdir),
            base,
        })
    }
}

/// How often one side's run is done again when a base image is replaced while it builds (on a
/// shared machine, the set-up script re-makes base images) or another build gets in its way.
const MAX_RETRIES: usize = 2;

/// One side's measurements of one run, kept only if its base images did not change meanwhile.
#[derive(Debug, Default)]
struct Side {
    builds: Vec<(Scenario, BuildSample)>,
    image: Option<ImageFacts>,
    answers: Vec<f64>,
}

impl Side {
    /// Whether another build on the engine got in the way: a cold build found steps in the
    /// cache, a fully cached one ran steps, or a build shared steps another build had started.
    fn disturbed(&self) -> bool {
        self.builds.iter().any(|(scenario, sample)| {
            sample.steps_shared > 0
                || (*scenario == Scenario::Cold && sample.steps_cached > 0)
                || (*scenario == Scenario::Cached && sample.steps_run > 0)
        })
    }

    fn commit(self, variant: Variant, result: &mut ExampleResult) {
        for (scenario, sample) in self.builds {
            result
                .builds
                .entry((variant, scenario))
                .or_default()
                .push(sample);
        }
        if let Some(image) = self.image {
            result.images.entry(variant).or_default().push(image);
        }
        result
            .first_answers
            .entry(variant)
            .or_default()
            .extend(self.answers);
    }
}

/// The current ids of images (`None` for a missing one).
fn base_ids(images: &[String]) -> Vec<Option<String>> {
    images.iter().map(|i| docker::image_id(i)).collect()
}

/// Writes `# syntax=<frontend>` over the first line of a Stagefile (or before it, when it has
/// no `# syntax=` line).
pub fn set_syntax(spec: &Path, frontend: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(spec)?;
    let rest = match text.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with("# syntax=") => rest,
        _ => text.as_str(),
    };
    std::fs::write(spec, format!("# syntax={frontend}\n{rest}"))?;
    Ok(())
}

/// The tag a side's image gets.
pub fn tag(example: &str, variant: Variant) -> String {
    format!("stagefile-bench-{example}:{}", variant.slug())
}

/// Copies a directory tree (files, directories and symlinks), skipping `.git`.
pub fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let (src, dest) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&src, &dest)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dest)?;
        } else {
            std::fs::copy(&src, &dest).with_context(|| format!("cannot copy {}", src.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_examples_and_skips_those_without_a_dockerfile() {
        let root =
            std::env::temp_dir().join(format!("stagefile-bench-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (dir, files) in [
            ("b-both", &["Stagefile.toml", "Dockerfile"][..]),
            ("a-only-stagefile", &["Stagefile.toml"][..]),
            ("c-neither", &["README.md"][..]),
        ] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
            for f in files {
                std::fs::write(root.join(dir).join(f), "").expect("write");
            }
        }
        let all = discover(&root, &[]).expect("lists");
        assert_eq!(
            all.examples
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>(),
            ["b-both"]
        );
        assert_eq!(all.skipped.len(), 1);
        assert_eq!(all.skipped[0].0, "a-only-stagefile");
        let one = discover(&root, &["b-both".into()]).expect("lists");
        assert_eq!(one.examples.len(), 1);
        assert!(discover(&root, &["nope".into()]).is_err());

        let copy = root.join("copy");
        copy_dir(&root.join("b-both"), &copy).expect("copies");
        assert!(copy.join("Dockerfile").is_file());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_side_is_disturbed_by_cache_hits_when_cold_and_work_when_cached() {
        let sample = |run: usize, cached: usize, shared: usize| BuildSample {
            steps_run: run,
            steps_cached: cached,
            steps_shared: shared,
            ..BuildSample::default()
        };
        let side = |builds: Vec<(Scenario, BuildSample)>| Side {
            builds,
            image: None,
            answers: Vec::new(),
        };
        let clean = vec![
            (Scenario::Cold, sample(12, 0, 0)),
            (Scenario::Cached, sample(0, 12, 0)),
            (Scenario::SourceChange, sample(1, 11, 0)),
        ];
        assert!(!side(clean.clone()).disturbed());
        let mut warm_cold = clean.clone();
        warm_cold[0].1.steps_cached = 3;
        assert!(side(warm_cold).disturbed());
        let mut busy_cached = clean.clone();
        busy_cached[1].1.steps_run = 2;
        assert!(side(busy_cached).disturbed());
        let mut shared = clean;
        shared[2].1.steps_shared = 1;
        assert!(side(shared).disturbed());
    }

    #[test]
    fn the_frontend_image_is_written_over_the_syntax_line() {
        let dir =
            std::env::temp_dir().join(format!("stagefile-bench-syntax-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let spec = dir.join("Stagefile.toml");
        std::fs::write(
            &spec,
            "# syntax=stagefile:dev\n[stage.a]\nfrom = \"scratch\"\n",
        )
        .expect("write");
        set_syntax(&spec, "stagefile:fast").expect("rewrites");
        assert_eq!(
            std::fs::read_to_string(&spec).expect("read"),
            "# syntax=stagefile:fast\n[stage.a]\nfrom = \"scratch\"\n"
        );
        std::fs::write(&spec, "[stage.a]\nfrom = \"scratch\"\n").expect("write");
        set_syntax(&spec, "stagefile:fast").expect("adds");
        assert!(
            std::fs::read_to_string(&spec)
                .expect("read")
                .starts_with("# syntax=stagefile:fast\n[stage.a]")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sides_alternate_and_tags_are_per_side() {
        assert_eq!(Variant::order(0), [Variant::Stagefile, Variant::Dockerfile]);
        assert_eq!(Variant::order(1), [Variant::Dockerfile, Variant::Stagefile]);
        assert_eq!(
            tag("python-node", Variant::Stagefile),
            "stagefile-bench-python-node:stagefile"
        );
    }
}
