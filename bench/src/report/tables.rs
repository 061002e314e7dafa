//! The tables of `docs/benchmarks.md`: build times, final images, frontend overhead, the
//! compiler, the edits, and the misses with where their time went.

use std::fmt::Write as _;

use super::{Report, bytes, compare, figure, millis, misses, secs, size};
use crate::stats::{self, Target, Verdict};
use crate::{BuildSample, EXTERNAL_FRONTEND, IMAGE_TARGET, Scenario, Variant, leaks};

pub(super) fn build_times(out: &mut String, report: &Report) {
    let disturbed = disturbed(report);
    out.push_str("\n## Build times\n\n");
    out.push_str(
        "| Example | Scenario | Stagefile | Dockerfile (docker/dockerfile:1) | Dockerfile (built-in) | Ratio | Ratio to built-in | Steps run (S / E / B) | Target | Result |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    for example in &report.examples {
        for scenario in Scenario::ALL {
            if let Some(why) = example.skipped.get(&scenario) {
                let _ = writeln!(
                    out,
                    "| {} | {} | – | – | – | – | – | – | | skipped: {why} |",
                    example.name,
                    scenario.label()
                );
                continue;
            }
            let times = Variant::ALL.map(|v| example.seconds(v, scenario));
            if times.iter().all(Vec::is_empty) {
                continue;
            }
            let steps = |v: Variant| {
                example
                    .median_sample(v, scenario)
                    .map_or("–".to_owned(), |s| s.steps_run.to_string())
            };
            let target = example.target(scenario, report.margin);
            let (ratio, result) = match compare(example, scenario, Variant::External) {
                Some((_, _, r)) => (
                    format!("{r:.2}"),
                    target.map_or("–", |t: Target| t.verdict(r).markdown()),
                ),
                None => ("–".to_owned(), "–"),
            };
            let built_in = compare(example, scenario, Variant::Dockerfile)
                .map_or("–".to_owned(), |(_, _, r)| format!("{r:.2}"));
            let [ours, external, dockerfile] = &times;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} / {} / {} | {} | {} |",
                example.name,
                scenario.label(),
                figure(ours, secs),
                figure(external, secs),
                figure(dockerfile, secs),
                ratio,
                built_in,
                steps(Variant::Stagefile),
                steps(Variant::External),
                steps(Variant::Dockerfile),
                target.map_or("–".to_owned(), |t| t.describe()),
                result
            );
        }
    }
    if !disturbed.is_empty() {
        let _ = writeln!(
            out,
            "\n**Disturbed by other work on the engine**: {}. A cold build should take nothing \
             from the cache, a fully cached one should run nothing, and no build should ride on \
             another's steps; these figures are not what they claim to be.",
            disturbed.join("; ")
        );
    }
}

/// Builds another build on the engine got in the way of: cold builds that found steps in the
/// cache (made between the prune and the build), fully cached rebuilds that ran steps (the
/// cache was pruned, or a base image replaced, in between), and builds that shared steps with
/// a build that was running them already.
fn disturbed(report: &Report) -> Vec<String> {
    let mut found = Vec::new();
    for example in &report.examples {
        for variant in Variant::ALL {
            for scenario in Scenario::ALL {
                let Some(samples) = example.builds.get(&(variant, scenario)) else {
                    continue;
                };
                for (run, sample) in samples.iter().enumerate() {
                    let mut what = Vec::new();
                    if scenario == Scenario::Cold && sample.steps_cached > 0 {
                        what.push(format!("{} steps from the cache", sample.steps_cached));
                    }
                    if scenario == Scenario::Cached && sample.steps_run > 0 {
                        what.push(format!("{} steps run", sample.steps_run));
                    }
                    if sample.steps_shared > 0 {
                        what.push(format!(
                            "{} steps shared with another build",
                            sample.steps_shared
                        ));
                    }
                    if !what.is_empty() {
                        found.push(format!(
                            "{} {} {} run {} ({})",
                            example.name,
                            variant.label(),
                            scenario.label(),
                            run + 1,
                            what.join(", ")
                        ));
                    }
                }
            }
        }
    }
    found
}

pub(super) fn images(out: &mut String, report: &Report) {
    out.push_str("\n## Final images\n\n");
    out.push_str(
        "Size as `docker image inspect` reports it; leaks are build tools (compilers, `make`, C \
         headers) and caches (pip, npm, Yarn/pnpm, gems, `~/.cache`, apt lists and archives, \
         `node_modules` outside the working directory) among the files the build added to its \
         base image (the base's own files are not counted).\n\n",
    );
    out.push_str(
        "| Example | Stagefile | Dockerfile (docker/dockerfile:1) | Dockerfile (built-in) | Ratio | Layers (S / E / B) | Leaks: Stagefile | Leaks: Dockerfile | Result |\n\
         |---|---:|---:|---:|---:|---:|---|---|---|\n",
    );
    for example in &report.examples {
        let (Some(ours), Some(theirs)) = (
            size(example, Variant::Stagefile),
            size(example, Variant::External),
        ) else {
            continue;
        };
        let last = |v: Variant| example.images.get(&v).and_then(|all| all.last());
        let layers = |v: Variant| last(v).map_or("–".to_owned(), |f| f.layers.to_string());
        let leaked = |v: Variant| {
            last(v).map_or("–".to_owned(), |f| {
                let base = f
                    .base
                    .as_deref()
                    .map_or(" (no base found: whole image)".to_owned(), |_| {
                        String::new()
                    });
                format!("{}{base}", leaks::describe(&f.leaks))
            })
        };
        let clean = last(Variant::Stagefile).is_some_and(|f| f.leaks.is_empty());
        let result = if ours as f64 <= IMAGE_TARGET * theirs as f64 && clean {
            Verdict::Pass
        } else {
            Verdict::Miss
        };
        let ratio = stats::ratio(ours as f64, theirs as f64)
            .map_or("–".to_owned(), |r| format!("{r:.3}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} / {} / {} | {} | {} | {} |",
            example.name,
            bytes(ours),
            bytes(theirs),
            size(example, Variant::Dockerfile).map_or("–".to_owned(), bytes),
            ratio,
            layers(Variant::Stagefile),
            layers(Variant::External),
            layers(Variant::Dockerfile),
            leaked(Variant::Stagefile),
            leaked(Variant::External),
            result.markdown()
        );
    }
}

pub(super) fn frontend(out: &mut String, report: &Report) {
    out.push_str("\n## Frontend overhead\n\n");
    let _ = writeln!(
        out,
        "From the progress timestamps of every build (all scenarios, medians), for the two \
         frontend images BuildKit starts as a container for each build: Stagefile's (S) and \
         `{EXTERNAL_FRONTEND}` (E); the built-in Dockerfile frontend (B) runs inside the \
         engine. *Start*: from BuildKit having the frontend image (its `resolve image config` \
         and `docker-image://` vertices complete) to the frontend's first request (container \
         and process start, capability ping). *Requests*: its requests, from the first to the \
         end of the last (reading the build file and `.dockerignore`, resolving base image \
         metadata, and for Stagefile probing the context for lockfiles). *After*: from the end \
         of its last request to the first build vertex: compiling (Stagefile's criterion median \
         is below), the Solve and Return calls, the process exit and the container's removal, \
         and BuildKit starting the build (Solve results are lazy: steps run after the frontend \
         returns). *Before the first step*: from the first vertex of the build (BuildKit reading \
         the build file) to the first build vertex.\n"
    );
    out.push_str(
        "| Example | Start (S / E) | Requests (S / E) | After (S / E) | Before the first step: S | E | B | S − E |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for example in &report.examples {
        let median =
            |variant: Variant, pick: fn(&crate::progress::FrontendTimes) -> Option<f64>| {
                let values: Vec<f64> = Scenario::ALL
                    .iter()
                    .filter_map(|s| example.builds.get(&(variant, *s)))
                    .flatten()
                    .filter_map(|b| pick(&b.frontend))
                    .collect();
                stats::median(&values)
            };
        let show = |v: Option<f64>| v.map_or("–".to_owned(), millis);
        let pair = |pick: fn(&crate::progress::FrontendTimes) -> Option<f64>| {
            format!(
                "{} / {}",
                show(median(Variant::Stagefile, pick)),
                show(median(Variant::External, pick))
            )
        };
        let ours = median(Variant::Stagefile, |t| t.to_first_step);
        let external = median(Variant::External, |t| t.to_first_step);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            example.name,
            pair(|t| t.startup),
            pair(|t| t.requests),
            pair(|t| t.after_requests),
            show(ours),
            show(external),
            show(median(Variant::Dockerfile, |t| t.to_first_step)),
            show(ours.zip(external).map(|(a, b)| a - b)),
        );
    }
    floor(out, report);
}

/// The empty build: what any build through each frontend costs at least.
fn floor(out: &mut String, report: &Report) {
    let [Some(ours), Some(external), Some(builtin)] =
        Variant::ALL.map(|v| report.floor.get(&v).filter(|s| !s.is_empty()))
    else {
        return;
    };
    let wall = |samples: &[BuildSample]| samples.iter().map(|s| s.seconds).collect::<Vec<f64>>();
    let pick = |samples: &[BuildSample], f: fn(&crate::progress::FrontendTimes) -> Option<f64>| {
        let values: Vec<f64> = samples.iter().filter_map(|s| f(&s.frontend)).collect();
        stats::median(&values).map_or("–".to_owned(), millis)
    };
    let phase = |samples: &[BuildSample], f: fn(&crate::progress::Phases) -> f64| {
        let values: Vec<f64> = samples
            .iter()
            .filter_map(|s| s.phases.map(|p| f(&p)))
            .collect();
        stats::median(&values).map_or("–".to_owned(), millis)
    };
    let ratio = |theirs: &[BuildSample]| {
        stats::median(&wall(ours))
            .zip(stats::median(&wall(theirs)))
            .and_then(|(a, b)| stats::ratio(a, b))
            .map_or("–".to_owned(), |r| format!("{r:.2}"))
    };
    let _ = writeln!(
        out,
        "\nThe floor: an empty build (`from = \"scratch\"` / `FROM scratch`), fully cached, \
         {} runs a side: Stagefile {}, Dockerfile through `{EXTERNAL_FRONTEND}` {} (ratio {}), \
         built-in {} (ratio {}). Start {} against {}, requests {} against {} (the build file \
         and `.dockerignore` only), after them {} against {}; before the first step {}, {} and \
         {}; the client, until the first vertex {}, {} and {}, after the last {}, {} and {}. \
         Whatever a spec holds, a build through a frontend image pays at least this.",
        ours.len(),
        figure(&wall(ours), secs),
        figure(&wall(external), secs),
        ratio(external),
        figure(&wall(builtin), secs),
        ratio(builtin),
        pick(ours, |t| t.startup),
        pick(external, |t| t.startup),
        pick(ours, |t| t.requests),
        pick(external, |t| t.requests),
        pick(ours, |t| t.after_requests),
        pick(external, |t| t.after_requests),
        pick(ours, |t| t.to_first_step),
        pick(external, |t| t.to_first_step),
        pick(builtin, |t| t.to_first_step),
        phase(ours, |p| p.client_start),
        phase(external, |p| p.client_start),
        phase(builtin, |p| p.client_start),
        phase(ours, |p| p.client_end),
        phase(external, |p| p.client_end),
        phase(builtin, |p| p.client_end),
    );
}

pub(super) fn compiler(out: &mut String, report: &Report) {
    out.push_str("\n## llb-gen\n\n");
    out.push_str(
        "Compile time of one spec (parse, validate, recipes, lowering, marshalling; no image \
         resolution) from the criterion bench `cargo bench -p llb-gen --bench compile` (median \
         and 95% confidence interval), and the release binary `llb-gen SPEC --format pb` under \
         `/usr/bin/time -v`: wall time and peak resident memory, medians of the runs. The \
         generated spec has Python, Node, Ruby and Debian stages in turn, each with outputs, and \
         a target that copies them all.\n\n",
    );
    out.push_str(
        "| Spec | Stages | Compile (criterion) | llb-gen binary, wall | Peak memory (max RSS) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for c in &report.compile {
        let criterion = c.median.map_or("–".to_owned(), |(m, lo, hi)| {
            format!(
                "{} ({}–{})",
                millis(m),
                millis(lo).trim_end_matches(" ms"),
                millis(hi)
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            c.name,
            c.stages,
            criterion,
            c.cli_seconds.map_or("–".to_owned(), millis),
            c.peak_rss.map_or("–".to_owned(), bytes)
        );
    }
}

pub(super) fn edits(out: &mut String, report: &Report) {
    out.push_str("\n## Changes per example\n\n");
    out.push_str(
        "From `bench/examples.toml` (or the default source change: a comment line appended to \
         the first source file).\n\n| Example | One-line source change | One package added |\n|---|---|---|\n",
    );
    for example in &report.examples {
        let describe = |s: Scenario| {
            example
                .edits
                .get(&s)
                .or_else(|| example.skipped.get(&s))
                .cloned()
                .unwrap_or_else(|| "–".to_owned())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            example.name,
            describe(Scenario::SourceChange),
            describe(Scenario::DependencyChange)
        );
    }
}

pub(super) fn missed(out: &mut String, report: &Report) {
    out.push_str("\n## Misses in this run\n\n");
    let all = misses(report);
    if all.is_empty() {
        out.push_str("Every figure meets its target.\n");
        return;
    }
    out.push_str(
        "Generated: each miss, and for the run closest to the median on both sides, where its \
         wall time went (client start: buildx until BuildKit's first vertex; frontend: until the \
         first build step; steps and export; client end: after the last vertex) and its slowest \
         vertices (`ran` = executed, `cached` = from the cache). Full timelines are beside the \
         logs in `target/bench/logs/`.\n",
    );
    for miss in &all {
        let _ = writeln!(
            out,
            "\n- **{}, {}**: {}.",
            miss.example, miss.what, miss.detail
        );
        let Some(example) = report.examples.iter().find(|e| e.name == miss.example) else {
            continue;
        };
        let Some(scenario) = Scenario::ALL.into_iter().find(|s| s.label() == miss.what) else {
            continue;
        };
        for variant in Variant::ALL {
            let Some(sample) = example.median_sample(variant, scenario) else {
                continue;
            };
            let phases = sample.phases.map_or(String::new(), |p| {
                format!(
                    "client start {}, frontend {}, steps and export {}, client end {}; ",
                    millis(p.client_start),
                    millis(p.before_steps),
                    millis(p.steps_and_export),
                    millis(p.client_end)
                )
            });
            let steps: Vec<String> = sample
                .slowest
                .iter()
                .map(|(name, took, cached)| {
                    let state = if *cached { "cached" } else { "ran" };
                    format!("`{}` {} {state}", name.replace('`', "'"), secs(*took))
                })
                .collect();
            let _ = writeln!(
                out,
                "  - {} {} ({} steps run): {phases}slowest: {}",
                variant.label(),
                secs(sample.seconds),
                sample.steps_run,
                steps.join("; ")
            );
        }
    }
}
