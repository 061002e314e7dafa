//! `stagefile-bench`: builds every example's Stagefile and hand-written Dockerfile (through the
//! external `docker/dockerfile:1` frontend and the built-in one) side by side and writes
//! docs/benchmarks.md. Usually run as `bash bench/run.sh [options]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use stagefile_bench::config::Config;
use stagefile_bench::llbgen::{self, CompileFigures};
use stagefile_bench::machine::{self, Machine};
use stagefile_bench::report::{self, FrontendImage, Report};
use stagefile_bench::runner::{self, Runner};
use stagefile_bench::{docker, dockerfile, spec_lines, stats};

/// Benchmark each example's Stagefile against its hand-written Dockerfile (through the external
/// and the built-in Dockerfile frontend) on this engine.
#[derive(Debug, Parser)]
#[command(name = "stagefile-bench", about)]
struct Cli {
    /// Runs per figure (each figure is the median).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
    /// Rounds of fully cached rebuilds after the runs, the sides interleaved, each a sample of
    /// the figure (and runs x rounds empty builds a side); 0: the one cached build of each run.
    #[arg(long, default_value_t = 5)]
    cached_rounds: u16,
    /// Only this example (repeatable); default: every example with a Dockerfile.
    #[arg(long = "example", value_name = "NAME")]
    examples: Vec<String>,
    /// Allowance for noise on the "no slower" targets, as a ratio.
    #[arg(long, default_value_t = 0.05)]
    margin: f64,
    /// Where the report goes (relative to the repository).
    #[arg(long, default_value = "docs/benchmarks.md")]
    output: PathBuf,
    /// Do not run the criterion bench; use its last results in target/criterion.
    #[arg(long)]
    skip_criterion: bool,
    /// The Stagefile frontend image to build with, put on the `# syntax=` line of each copy
    /// (default: the image the examples name).
    #[arg(long, value_name = "IMAGE")]
    frontend: Option<String>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("stagefile-bench: error: {e:#}");
        std::process::exit(1);
    }
}

fn repo_root() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .context("repository root")
}

fn target_dir(repo: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from)
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let started = Instant::now();
    let repo = repo_root()?;
    let target = target_dir(&repo);
    let bench_dir = repo.join("bench");
    preflight()?;

    let runner::Discovered { examples, skipped } =
        runner::discover(&repo.join("examples"), &cli.examples)?;
    for (name, why) in &skipped {
        eprintln!("[bench] skipping example {name}: {why}");
    }
    if examples.is_empty() {
        bail!("no example has both a Stagefile.toml and a Dockerfile");
    }
    let config = Config::load(&bench_dir.join("examples.toml"))?;
    let named: Vec<(String, &Path)> = examples
        .iter()
        .map(|e| (e.name.clone(), e.dir.as_path()))
        .collect();
    let spec_lines = spec_lines::measure(&named)?;
    let mut machine = Machine::collect(&repo);
    let frontend_image = match &cli.frontend {
        Some(image) => image_facts(image)?,
        None => frontend_image(&examples[0].dir.join("Stagefile.toml"))?,
    };
    let external_image = image_facts(stagefile_bench::EXTERNAL_FRONTEND)?;
    let bases = base_images(&examples);

    // The compiler first: one release build of llb-gen, the criterion bench, then the binary
    // under /usr/bin/time.
    cargo(&repo, &["build", "--release", "--locked", "-p", "llb-gen"])?;
    if !cli.skip_criterion {
        eprintln!("[bench] cargo bench -p llb-gen --bench compile");
        llbgen::run_criterion(&repo)?;
    }
    let scratch = std::env::temp_dir().join(format!("stagefile-bench-{}", std::process::id()));
    let compile = compile_figures(&target, &scratch, &examples, cli.runs.into())?;

    let mut runner = Runner::new(
        started,
        bench_dir,
        scratch.join("work"),
        target.join("bench/logs"),
        cli.runs.into(),
        config,
    );
    runner.frontend = cli.frontend.clone();
    runner.cached_rounds = cli.cached_rounds.into();
    let _ = std::fs::remove_dir_all(&runner.logs_dir);
    let mut results = Vec::new();
    for example in &examples {
        results.push(runner.measure(example));
    }
    let floor = runner.floor(&frontend_image.reference).unwrap_or_else(|e| {
        eprintln!("[bench] the empty build failed: {e:#}");
        BTreeMap::new()
    });
    let _ = std::fs::remove_dir_all(&scratch);
    machine.load.1 = machine::load_average();
    let replaced: Vec<String> = base_images(&examples)
        .into_iter()
        .filter(|(name, id, _)| !bases.iter().any(|(n, i, _)| n == name && i == id))
        .map(|(name, _, _)| name)
        .collect();

    let mut command = format!("bash bench/run.sh --runs {}", cli.runs);
    for name in &cli.examples {
        command.push_str(&format!(" --example {name}"));
    }
    if cli.cached_rounds != 5 {
        command.push_str(&format!(" --cached-rounds {}", cli.cached_rounds));
    }
    if let Some(image) = &cli.frontend {
        command.push_str(&format!(" --frontend {image}"));
    }
    if (cli.margin - 0.05).abs() > f64::EPSILON {
        command.push_str(&format!(" --margin {}", cli.margin));
    }
    let report = Report {
        command,
        machine,
        runs: cli.runs.into(),
        cached_rounds: cli.cached_rounds.into(),
        margin: cli.margin,
        elapsed: started.elapsed().as_secs_f64(),
        frontend_image: Some(frontend_image),
        external_image: Some(external_image),
        examples: results,
        skipped,
        bases,
        bases_replaced: replaced,
        compile,
        floor,
        spec_lines,
    };
    let output = repo.join(&cli.output);
    let previous = std::fs::read_to_string(&output).unwrap_or_default();
    let text = report::render(&report, report::explanations(&previous).as_deref());
    std::fs::write(&output, text).with_context(|| format!("cannot write {}", output.display()))?;
    let misses = report::misses(&report);
    eprintln!(
        "[bench] wrote {} in {:.0} min: {} miss(es)",
        output.display(),
        report.elapsed / 60.0,
        misses.len()
    );
    for miss in misses {
        eprintln!("  - {}, {}: {}", miss.example, miss.what, miss.detail);
    }
    Ok(())
}

/// Fails early, with the fix, when the engine, buildx or /usr/bin/time is missing.
fn preflight() -> anyhow::Result<()> {
    docker::output(&["info", "--format", "{{.ServerVersion}}"])
        .context("no Docker engine answers; set one up with `bash tests/e2e/setup.sh`")?;
    docker::output(&["buildx", "version"]).context("`docker buildx` is missing")?;
    if !Path::new("/usr/bin/time").exists() {
        bail!("/usr/bin/time is missing: `apt-get install -y time` (bench/run.sh does it)");
    }
    Ok(())
}

/// The frontend image named by the `# syntax=` line of `spec`.
fn frontend_image(spec: &Path) -> anyhow::Result<FrontendImage> {
    let text = std::fs::read_to_string(spec)?;
    let reference = text
        .lines()
        .next()
        .and_then(|l| l.trim().strip_prefix("#"))
        .and_then(|l| l.trim().strip_prefix("syntax="))
        .map(|r| r.trim().to_owned())
        .unwrap_or_else(|| "stagefile:dev".to_owned());
    image_facts(&reference)
}

/// A frontend image's id and size; fails with the set-up command when it does not exist.
fn image_facts(reference: &str) -> anyhow::Result<FrontendImage> {
    let id = docker::image_id(reference).with_context(|| {
        format!(
            "the frontend image {reference} does not exist: build it with `bash tests/e2e/setup.sh`"
        )
    })?;
    Ok(FrontendImage {
        size: docker::image_size(reference)?,
        reference: reference.to_owned(),
        id,
    })
}

/// The base images the examples' Dockerfiles name, with their ids and sizes (they are part of
/// what was measured: a replaced base changes every figure).
fn base_images(examples: &[runner::Example]) -> Vec<(String, String, u64)> {
    let mut names: Vec<String> = Vec::new();
    for example in examples {
        let text = std::fs::read_to_string(example.dir.join("Dockerfile")).unwrap_or_default();
        for image in dockerfile::base_images(&text) {
            if !names.contains(&image) {
                names.push(image);
            }
        }
    }
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let id = docker::image_id(&name)?;
            let size = docker::image_size(&name).ok()?;
            Some((name, id, size))
        })
        .collect()
}

fn cargo(repo: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("cargo")
        .args(args)
        .current_dir(repo)
        .stdin(Stdio::null())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// Criterion medians and the binary's wall time and peak memory, per example and for the
/// generated spec.
fn compile_figures(
    target: &Path,
    scratch: &Path,
    examples: &[runner::Example],
    runs: usize,
) -> anyhow::Result<Vec<CompileFigures>> {
    let llb_gen = target.join("release/llb-gen");
    let mut specs: Vec<(String, PathBuf)> = examples
        .iter()
        .map(|e| (e.name.clone(), e.dir.join("Stagefile.toml")))
        .collect();
    specs.push((
        llbgen::synthetic_name(),
        llbgen::write_synthetic(&scratch.join("synthetic"))?,
    ));
    let mut figures = Vec::new();
    for (name, spec) in specs {
        let text = std::fs::read_to_string(&spec)?;
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..runs.max(3) {
            let (wall, rss) = llbgen::measure_cli(&llb_gen, &spec)?;
            walls.push(wall);
            peaks.push(rss as f64);
        }
        figures.push(CompileFigures {
            median: llbgen::criterion_median(target, &name),
            stages: llbgen::count_stages(&text),
            cli_seconds: stats::median(&walls),
            peak_rss: stats::median(&peaks).map(|p| p.round() as u64),
            name,
        });
    }
    Ok(figures)
}
