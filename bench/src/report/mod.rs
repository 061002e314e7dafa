//! `docs/benchmarks.md`, rendered from the measurements. Everything in it is generated except
//! the explanations section, which people write and the harness carries over from the previous
//! file. The tables are in [`tables`], the time to first answer in [`answers`], the spec
//! lengths in [`spec`] and the minimal runtime images in [`minimal`].

mod answers;
mod layers;
mod minimal;
mod packaging;
mod spec;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::llbgen::CompileFigures;
use crate::machine::Machine;
use crate::stats::{self, Verdict};
use crate::{
    BuildSample, EXTERNAL_FRONTEND, ExampleResult, IMAGE_TARGET, SOURCE_CHANGE_TARGET, Scenario,
    Variant, leaks,
};

/// Start of the hand-written section.
pub const EXPLANATIONS_BEGIN: &str = "<!-- explanations:begin (written by hand; the harness keeps this section when it rewrites the file) -->";
/// End of the hand-written section.
pub const EXPLANATIONS_END: &str = "<!-- explanations:end -->";

/// The frontend image the Stagefiles name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrontendImage {
    /// As named on the `# syntax=` line.
    pub reference: String,
    /// Its image id.
    pub id: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// The command that produced it.
    pub command: String,
    /// Where it ran.
    pub machine: Machine,
    /// Runs per figure.
    pub runs: usize,
    /// Rounds of fully cached rebuilds after the runs, sides interleaved (0: one per run).
    pub cached_rounds: usize,
    /// Noise allowance on the "no slower" targets.
    pub margin: f64,
    /// How long the run took, in seconds.
    pub elapsed: f64,
    /// The frontend image.
    pub frontend_image: Option<FrontendImage>,
    /// The external Dockerfile frontend image (`docker/dockerfile:1`).
    pub external_image: Option<FrontendImage>,
    /// Measured examples.
    pub examples: Vec<ExampleResult>,
    /// Examples not measured, with why.
    pub skipped: Vec<(String, String)>,
    /// The base images the Dockerfiles name, when the run started: (reference, image id, size).
    pub bases: Vec<(String, String, u64)>,
    /// Base images that were replaced while the run went on (a side's run is done again when
    /// that happens during it, but the two sides may have used different images).
    pub bases_replaced: Vec<String>,
    /// `llb-gen` figures.
    pub compile: Vec<CompileFigures>,
    /// An empty build (`FROM scratch`), fully cached, per side: the floor of a frontend's
    /// cost.
    pub floor: BTreeMap<Variant, Vec<BuildSample>>,
    /// Lines of each example's `Stagefile.toml` and `Dockerfile`.
    pub spec_lines: Vec<crate::spec_lines::SpecLines>,
}

/// One figure that missed its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    /// Example name.
    pub example: String,
    /// What missed, e.g. `fully cached rebuild`.
    pub what: String,
    /// The figure and the target, in words.
    pub detail: String,
}

/// The hand-written explanations of an existing report, if it has the section.
pub fn explanations(existing: &str) -> Option<String> {
    let start = existing.find(EXPLANATIONS_BEGIN)? + EXPLANATIONS_BEGIN.len();
    let end = existing[start..].find(EXPLANATIONS_END)? + start;
    Some(existing[start..end].trim_matches('\n').to_owned())
}

/// Seconds as `0.63 s` or `12.4 s`.
pub fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Milliseconds as `123 ms` (or `1.23 ms` under 10 ms).
pub fn millis(s: f64) -> String {
    let ms = s * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Bytes in SI units: `214.2 MB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

/// A median with the range when there are several values: `12.4 s (11.9–13.0)`.
fn figure(values: &[f64], unit: fn(f64) -> String) -> String {
    match (stats::median(values), stats::range(values)) {
        (Some(m), Some((lo, hi))) if values.len() > 1 => {
            format!(
                "{} ({}–{})",
                unit(m),
                unit(lo).trim_end_matches(" s"),
                unit(hi)
            )
        }
        (Some(m), _) => unit(m),
        _ => "–".to_owned(),
    }
}

/// The medians of a scenario for Stagefile and the side `against`, and their ratio.
fn compare(
    example: &ExampleResult,
    scenario: Scenario,
    against: Variant,
) -> Option<(f64, f64, f64)> {
    let ours = stats::median(&example.seconds(Variant::Stagefile, scenario))?;
    let theirs = stats::median(&example.seconds(against, scenario))?;
    Some((ours, theirs, stats::ratio(ours, theirs)?))
}

/// Median size of one side's image.
fn size(example: &ExampleResult, variant: Variant) -> Option<u64> {
    let sizes: Vec<f64> = example
        .images
        .get(&variant)?
        .iter()
        .map(|i| i.size as f64)
        .collect();
    stats::median(&sizes).map(|s| s.round() as u64)
}

/// Every figure that misses its target (targets compare with the external frontend's side).
pub fn misses(report: &Report) -> Vec<Miss> {
    let mut found = Vec::new();
    for example in &report.examples {
        for scenario in Scenario::ALL {
            let (Some(target), Some((_, _, ratio))) = (
                example.target(scenario, report.margin),
                compare(example, scenario, Variant::External),
            ) else {
                continue;
            };
            if target.verdict(ratio) == Verdict::Miss {
                found.push(Miss {
                    example: example.name.clone(),
                    what: scenario.label().to_owned(),
                    detail: format!(
                        "{ratio:.2}x the Dockerfile through {EXTERNAL_FRONTEND} (target {})",
                        target.describe()
                    ),
                });
            }
        }
        if let (Some(ours), Some(theirs)) = (
            size(example, Variant::Stagefile),
            size(example, Variant::External),
        ) && ours as f64 > IMAGE_TARGET * theirs as f64
        {
            found.push(Miss {
                example: example.name.clone(),
                what: "image size".to_owned(),
                detail: format!(
                    "{:.3}x the Dockerfile's ({} against {}; target ≤ {IMAGE_TARGET:.2})",
                    ours as f64 / theirs as f64,
                    bytes(ours),
                    bytes(theirs)
                ),
            });
        }
        if let Some(ratio) = answers::ratio(example)
            && answers::target(report.margin).verdict(ratio) == Verdict::Miss
        {
            found.push(Miss {
                example: example.name.clone(),
                what: "time to first answer".to_owned(),
                detail: format!(
                    "{ratio:.2}x the Dockerfile through {EXTERNAL_FRONTEND} (target {})",
                    answers::target(report.margin).describe()
                ),
            });
        }
        if let Some(facts) = example
            .images
            .get(&Variant::Stagefile)
            .and_then(|all| all.last())
            && !facts.leaks.is_empty()
        {
            found.push(Miss {
                example: example.name.clone(),
                what: "leaks".to_owned(),
                detail: format!(
                    "the Stagefile image holds {}",
                    leaks::describe(&facts.leaks)
                ),
            });
        }
        found.extend(minimal::misses(example));
        if let Some(why) = &example.failure {
            found.push(Miss {
                example: example.name.clone(),
                what: "measurement".to_owned(),
                detail: format!("not measured completely: {why}"),
            });
        }
    }
    found.extend(spec::miss(report));
    found
}

/// The whole Markdown file; `explanations` is the hand-written section to keep.
pub fn render(report: &Report, explanations: Option<&str>) -> String {
    let mut out = String::new();
    header(&mut out, report);
    tables::build_times(&mut out, report);
    tables::images(&mut out, report);
    packaging::packaging_tools(&mut out, report);
    layers::new_layers(&mut out, report);
    minimal::minimal_runtime(&mut out, report);
    spec::spec_length(&mut out, report);
    answers::first_answers(&mut out, report);
    tables::frontend(&mut out, report);
    tables::compiler(&mut out, report);
    tables::edits(&mut out, report);
    tables::missed(&mut out, report);
    out.push_str("\n## Why figures miss\n\n");
    out.push_str(
        "Written by hand after reading the build logs (`target/bench/logs/`); the harness \
         keeps this section as it is when it rewrites the file. Check it against the list \
         above after every run.\n\n",
    );
    out.push_str(EXPLANATIONS_BEGIN);
    out.push_str("\n\n");
    match explanations.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => out.push_str(text),
        None => out.push_str("_Nothing written yet._"),
    }
    out.push_str("\n\n");
    out.push_str(EXPLANATIONS_END);
    out.push('\n');
    out
}

fn header(out: &mut String, report: &Report) {
    let m = &report.machine;
    out.push_str("# Benchmarks: Stagefile against the hand-written Dockerfile\n\n");
    out.push_str(
        "<!-- Generated by bench/ (`bash bench/run.sh`). Do not edit by hand, except the \
         section between the explanations markers at the end. -->\n\n",
    );
    let _ = writeln!(
        out,
        "Written by `{}` on {}; the run took {:.0} min. Three sides are built on the same \
         engine: each example's `Stagefile.toml` (through the Stagefile frontend image), its \
         hand-written `Dockerfile` with `# syntax={EXTERNAL_FRONTEND}` put first (through that \
         external Dockerfile frontend image, which most users' Dockerfiles name and which, like \
         ours, BuildKit starts as a container for every build), and the same `Dockerfile` \
         through the engine's built-in Dockerfile frontend. In each of the {} run(s) one side \
         does all its scenarios, then the next, and the order rotates every run. {} Figures are \
         medians over the samples, with the range in brackets when there are several; ratios \
         are Stagefile / the other side of the medians.\n",
        report.command,
        m.date,
        report.elapsed / 60.0,
        report.runs,
        if report.cached_rounds > 0 {
            format!(
                "The fully cached rebuild's figures come from {} rounds after the runs, each side \
                 once a round in rotation (every side's copy warmed first): it takes well under \
                 a second, and built by one side after another it measured the machine's load \
                 at those moments more than the frontends.",
                report.cached_rounds
            )
        } else {
            "The fully cached rebuild is the one built in each run.".to_owned()
        }
    );
    out.push_str("| Machine | |\n|---|---|\n");
    let rows = [
        ("Commit", m.commit.clone()),
        ("Engine", format!("Docker {} ({})", m.engine, m.storage)),
        (
            "BuildKit",
            format!("{} (as the builder reports it)", m.buildkit),
        ),
        ("buildx", m.buildx.clone()),
        ("CPU", format!("{}, {} logical CPUs", m.cpu, m.cores)),
        ("Memory", bytes(m.memory)),
        ("Kernel", m.kernel.clone()),
        (
            "Load average (1 min)",
            format!(
                "{} at the start, {} at the end (other work on the machine adds noise)",
                m.load.0, m.load.1
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    for (reference, id, size) in &report.bases {
        let id = id.trim_start_matches("sha256:");
        let _ = writeln!(
            out,
            "| Base image | `{reference}` ({}), {} |",
            id.get(..12).unwrap_or(id),
            bytes(*size)
        );
    }
    if !report.bases_replaced.is_empty() {
        let _ = writeln!(
            out,
            "| Base images replaced during the run | {} (sides may have used different images) |",
            report.bases_replaced.join(", ")
        );
    }
    for (what, image) in [
        ("Frontend image", &report.frontend_image),
        ("Dockerfile frontend image", &report.external_image),
    ] {
        if let Some(f) = image {
            let id = f.id.trim_start_matches("sha256:");
            let _ = writeln!(
                out,
                "| {what} | `{}` ({}), **{}** |",
                f.reference,
                id.get(..12).unwrap_or(id),
                bytes(f.size)
            );
        }
    }
    out.push_str(
        "\nScenarios, per side: **cold build**: `docker buildx prune --all --force` (layers and \
         cache mounts) and the image removed, base images present; **fully cached rebuild**: \
         the same build again; **one-line source change**: a line appended to a source file; \
         **one package added**: one dependency added (with its lockfile when there is one), \
         cache mounts warm. Builds run on a fresh copy of the example in a temporary directory, \
         with `--progress=rawjson`; times are the wall time of `docker buildx build --load`. \
         \"Steps run\" counts the build steps BuildKit executed rather than took from the \
         cache.\n",
    );
    let _ = writeln!(
        out,
        "\nTargets, against the Dockerfile through `{EXTERNAL_FRONTEND}`: a fully cached \
         rebuild no slower (ratio ≤ 1.00, no allowance); a cold build no slower (ratio ≤ 1.00, \
         plus a noise margin of {margin:.2}) unless `bench/examples.toml` sets the example's \
         own (≤ 0.80 for the pip-based examples, whose installs uv does); a source-change \
         rebuild ≤ {SOURCE_CHANGE_TARGET:.2}; one package added only where the example sets a \
         target (≤ 0.50 for the pip-based examples); a final image ≤ {IMAGE_TARGET:.2}x; time \
         to first answer no later (ratio ≤ 1.00, plus {margin:.2}); no build tools or caches in \
         the Stagefile image. The ratio to the built-in frontend (which starts no container) is \
         shown for information.",
        margin = report.margin
    );
    if !report.skipped.is_empty() {
        out.push_str("\nNot measured:\n\n");
        for (name, why) in &report.skipped {
            let _ = writeln!(out, "- `{name}`: {why}");
        }
    }
}
