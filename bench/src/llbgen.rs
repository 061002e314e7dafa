//! `llb-gen` figures: compile time from the criterion bench (`llb-gen/benches/compile.rs`), and
//! the binary's wall time and peak memory from `/usr/bin/time -v`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Deserialize;

#[path = "../../llb-gen/benches/synthetic.rs"]
mod synthetic;

/// Stages of the generated spec (the criterion bench uses the same number).
pub const SYNTHETIC_STAGES: usize = 200;

/// The criterion benchmark id of the generated spec.
pub fn synthetic_name() -> String {
    format!("synthetic-{SYNTHETIC_STAGES}")
}

/// One spec's compile figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompileFigures {
    /// An example name, or `synthetic-200`.
    pub name: String,
    /// Stages in the spec.
    pub stages: usize,
    /// Criterion's median of one compilation, in seconds, with its 95% confidence interval.
    pub median: Option<(f64, f64, f64)>,
    /// Median wall time of the `llb-gen` binary on the spec, in seconds.
    pub cli_seconds: Option<f64>,
    /// Median peak resident memory of the binary, in bytes.
    pub peak_rss: Option<u64>,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

/// Criterion's `estimates.json`: the median and its interval, converted from ns to seconds.
pub fn parse_estimates(json: &str) -> anyhow::Result<(f64, f64, f64)> {
    let e: Estimates = serde_json::from_str(json).context("criterion estimates.json")?;
    let s = |ns: f64| ns / 1e9;
    Ok((
        s(e.median.point_estimate),
        s(e.median.confidence_interval.lower_bound),
        s(e.median.confidence_interval.upper_bound),
    ))
}

/// The latest criterion result of `compile/<name>` under `target_dir`, if any.
pub fn criterion_median(target_dir: &Path, name: &str) -> Option<(f64, f64, f64)> {
    let path = target_dir
        .join("criterion/compile")
        .join(name)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    parse_estimates(&text).ok()
}

/// Runs the criterion bench (`cargo bench -p llb-gen --bench compile`).
pub fn run_criterion(repo: &Path) -> anyhow::Result<()> {
    let status = Command::new("cargo")
        .args(["bench", "--locked", "-p", "llb-gen", "--bench", "compile"])
        .current_dir(repo)
        .stdin(Stdio::null())
        .status()
        .context("cannot run cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p llb-gen --bench compile failed");
    }
    Ok(())
}

/// From `/usr/bin/time -v` output: (wall seconds, max RSS in bytes).
pub fn parse_time_v(text: &str) -> anyhow::Result<(f64, u64)> {
    let mut wall = None;
    let mut rss = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Maximum resident set size (kbytes):") {
            rss = v.trim().parse::<u64>().ok().map(|kb| kb * 1024);
        } else if let Some(v) = line.strip_prefix("Elapsed (wall clock) time (h:mm:ss or m:ss):") {
            wall = Some(clock_seconds(v.trim())?);
        }
    }
    match (wall, rss) {
        (Some(wall), Some(rss)) => Ok((wall, rss)),
        _ => bail!("no wall time or maximum resident set size in /usr/bin/time -v output"),
    }
}

/// `h:mm:ss` or `m:ss(.ss)` as seconds.
fn clock_seconds(text: &str) -> anyhow::Result<f64> {
    text.split(':').try_fold(0.0, |acc, part| {
        let v: f64 = part
            .parse()
            .with_context(|| format!("bad clock time `{text}`"))?;
        Ok(acc * 60.0 + v)
    })
}

/// Runs the `llb-gen` binary on `spec` under `/usr/bin/time -v`: (wall seconds, max RSS). The
/// wall time is measured here (`time` rounds to 10 ms), so it includes starting `time` itself,
/// well under a millisecond.
pub fn measure_cli(llb_gen: &Path, spec: &Path) -> anyhow::Result<(f64, u64)> {
    let start = std::time::Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(llb_gen)
        .arg(spec)
        .args(["--format", "pb"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .context("cannot run /usr/bin/time (apt-get install time)")?;
    let wall = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("llb-gen {} failed:\n{text}", spec.display());
    }
    let (_, rss) = parse_time_v(&text)?;
    Ok((wall, rss))
}

/// Writes the generated spec and its context files under `dir`; returns the spec's path.
pub fn write_synthetic(dir: &Path) -> anyhow::Result<PathBuf> {
    let generated = synthetic::synthetic(SYNTHETIC_STAGES);
    std::fs::create_dir_all(dir)?;
    for (path, contents) in &generated.files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, contents)?;
    }
    let spec = dir.join("Stagefile.toml");
    std::fs::write(&spec, &generated.spec)?;
    Ok(spec)
}

/// Stages of a spec: its `[stage.NAME]` headers.
pub fn count_stages(spec: &str) -> usize {
    spec.lines()
        .filter(|l| l.trim_start().starts_with("[stage."))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_v_output() {
        let text = "\tCommand being timed: \"llb-gen x\"\n\
                    \tElapsed (wall clock) time (h:mm:ss or m:ss): 0:01.25\n\
                    \tMaximum resident set size (kbytes): 11084\n";
        let (wall, rss) = parse_time_v(text).expect("parses");
        assert!((wall - 1.25).abs() < 1e-9);
        assert_eq!(rss, 11_084 * 1024);
        assert!((clock_seconds("1:02:03").expect("clock") - 3723.0).abs() < 1e-9);
        assert!(parse_time_v("nothing").is_err());
    }

    #[test]
    fn criterion_estimates() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},
            "median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":268010.0,"upper_bound":274710.0},"point_estimate":271290.0,"standard_error":100.0}}"#;
        let (m, lo, hi) = parse_estimates(json).expect("parses");
        assert!((m - 271.29e-6).abs() < 1e-12);
        assert!(lo < m && m < hi);
    }

    #[test]
    fn synthetic_spec_has_the_stages_and_its_files() {
        let dir =
            std::env::temp_dir().join(format!("stagefile-bench-synth-{}", std::process::id()));
        let spec = write_synthetic(&dir).expect("written");
        let text = std::fs::read_to_string(&spec).expect("read");
        assert_eq!(count_stages(&text), SYNTHETIC_STAGES);
        assert!(dir.join("py000/requirements.txt").is_file());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
