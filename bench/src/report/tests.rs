//! The report's rendering and misses, on made-up measurements.

use std::collections::BTreeMap;

use super::*;
use crate::progress::FrontendTimes;
use crate::{BuildSample, ImageFacts};

fn sample(seconds: f64) -> BuildSample {
    BuildSample {
        seconds,
        steps_run: 2,
        steps_cached: 0,
        steps_shared: 0,
        frontend: FrontendTimes {
            to_first_step: Some(0.3),
            frontend: Some(0.2),
            startup: Some(0.1),
            requests: Some(0.05),
            after_requests: Some(0.05),
        },
        phases: Some(crate::progress::Phases {
            client_start: 0.3,
            before_steps: 0.3,
            steps_and_export: seconds - 0.8,
            client_end: 0.2,
        }),
        slowest: vec![(
            "[deps 4/4] pip install -r requirements.txt".into(),
            seconds / 2.0,
            false,
        )],
        new_layer_bytes: None,
        log: "x.jsonl".into(),
    }
}

fn example() -> ExampleResult {
    let mut builds = BTreeMap::new();
    // The built-in frontend's figures are the external one's, 0.1 s faster.
    let times = |s: Scenario, ours: [f64; 3], theirs: [f64; 3]| {
        [
            ((Variant::Stagefile, s), ours.map(sample).to_vec()),
            ((Variant::External, s), theirs.map(sample).to_vec()),
            (
                (Variant::Dockerfile, s),
                theirs.map(|t| sample(t - 0.1)).to_vec(),
            ),
        ]
    };
    builds.extend(times(
        Scenario::Cold,
        [10.0, 12.0, 11.0],
        [11.0, 11.0, 11.0],
    ));
    builds.extend(times(Scenario::Cached, [0.9, 0.8, 0.7], [0.5, 0.6, 0.5]));
    for variant in Variant::ALL {
        for s in builds
            .get_mut(&(variant, Scenario::Cached))
            .into_iter()
            .flatten()
        {
            s.steps_run = 0;
        }
    }
    builds.extend(times(
        Scenario::SourceChange,
        [2.0, 2.0, 2.0],
        [2.0, 2.0, 1.95],
    ));
    let facts = |size: u64, leaks: BTreeMap<leaks::Leak, usize>| ImageFacts {
        size,
        layers: 6,
        packaging_tools: if leaks.is_empty() { 0 } else { 14_500_000 },
        leaks,
        base: Some("python:3.11-slim".into()),
    };
    ExampleResult {
        name: "python-node".into(),
        edits: BTreeMap::from([(
            Scenario::SourceChange,
            "appends `# x` to `app/server.py`".into(),
        )]),
        skipped: BTreeMap::from([(Scenario::DependencyChange, "no dependency_change".into())]),
        builds,
        images: BTreeMap::from([
            (Variant::Stagefile, vec![facts(1_000, BTreeMap::new())]),
            (
                Variant::External,
                vec![facts(900, BTreeMap::from([(leaks::Leak::PipCache, 3)]))],
            ),
            (Variant::Dockerfile, vec![facts(900, BTreeMap::new())]),
        ]),
        first_answers: BTreeMap::from([
            (Variant::Stagefile, vec![0.50, 0.52, 0.48]),
            (Variant::External, vec![0.40, 0.41, 0.39]),
        ]),
        answer_probe: Some(":8000/".into()),
        targets: crate::Targets {
            cold: Some(0.8),
            dependency_change: None,
        },
        failure: None,
        minimal: None,
    }
}

fn report() -> Report {
    Report {
        command: "bash bench/run.sh --runs 3".into(),
        machine: Machine {
            date: "2026-11-22T17:00:00Z".into(),
            cores: 2,
            ..Machine::default()
        },
        runs: 3,
        cached_rounds: 0,
        margin: 0.05,
        elapsed: 600.0,
        frontend_image: Some(FrontendImage {
            reference: "stagefile:dev".into(),
            id: "sha256:0123456789abcdef".into(),
            size: 9_800_000,
        }),
        external_image: Some(FrontendImage {
            reference: "docker/dockerfile:1".into(),
            id: "sha256:fedcba9876543210".into(),
            size: 29_000_000,
        }),
        examples: vec![example()],
        skipped: vec![("lonely".into(), "no Dockerfile".into())],
        bases_replaced: Vec::new(),
        floor: BTreeMap::from([
            (
                Variant::Stagefile,
                vec![sample(0.45), sample(0.4), sample(0.5)],
            ),
            (
                Variant::External,
                vec![sample(0.35), sample(0.3), sample(0.3)],
            ),
            (
                Variant::Dockerfile,
                vec![sample(0.25), sample(0.2), sample(0.2)],
            ),
        ]),
        bases: vec![(
            "python:3.11-slim".into(),
            "sha256:abcdefabcdef0123".into(),
            681_722_632,
        )],
        compile: vec![
            CompileFigures {
                name: "python-node".into(),
                stages: 3,
                median: Some((0.001, 0.0009, 0.0011)),
                cli_seconds: Some(0.004),
                peak_rss: Some(3_600_000),
            },
            CompileFigures {
                name: "synthetic-200".into(),
                stages: 200,
                median: Some((0.17, 0.16, 0.18)),
                cli_seconds: Some(0.11),
                peak_rss: Some(11_084 * 1024),
            },
        ],
        spec_lines: vec![crate::spec_lines::SpecLines {
            name: "python-node".into(),
            stagefile: 10,
            dockerfile: 25,
        }],
    }
}

#[test]
fn misses_are_the_figures_over_target() {
    let found = misses(&report());
    let whats: Vec<&str> = found.iter().map(|m| m.what.as_str()).collect();
    // Against the external frontend: cold 11.0/11.0 misses the example's 0.80; cached
    // 0.8/0.5 = 1.6 misses 1.00; source change 2.0/2.0 misses 0.80; the image is 1.111x (over
    // 0.95); the first answer 0.50/0.40 = 1.25 misses 1.00 plus noise.
    assert_eq!(
        whats,
        [
            "cold build",
            "fully cached rebuild",
            "one-line source change",
            "image size",
            "time to first answer"
        ]
    );
    assert!(found[1].detail.starts_with("1.60x"), "{}", found[1].detail);
    assert!(found[3].detail.starts_with("1.111x"), "{}", found[3].detail);
    assert!(found[4].detail.starts_with("1.25x"), "{}", found[4].detail);
    // Without the example's own cold target, 1.00 is within the default's noise.
    let mut relaxed = report();
    relaxed.examples[0].targets = crate::Targets::default();
    assert!(!misses(&relaxed).iter().any(|m| m.what == "cold build"));
    // The fully cached rebuild has no noise allowance: 1.01 misses.
    let mut cached = report();
    for (variant, seconds) in [(Variant::Stagefile, 1.01), (Variant::External, 1.0)] {
        cached.examples[0]
            .builds
            .insert((variant, Scenario::Cached), vec![sample(seconds)]);
    }
    assert!(
        misses(&cached)
            .iter()
            .any(|m| m.what == "fully cached rebuild")
    );
}

#[test]
fn renders_the_tables() {
    let text = render(&report(), None);
    assert!(text.contains(
        "| python-node | fully cached rebuild | 0.80 s (0.70–0.90 s) | 0.50 s (0.50–0.60 s) | 0.40 s (0.40–0.50 s) | 1.60 | 2.00 | 0 / 0 / 0 | ≤ 1.00 | **miss** |"
    ), "{text}");
    assert!(
        text.contains(
            "| python-node | cold build | 11.0 s (10.0–12.0 s) | 11.0 s (11.0–11.0 s) | 10.9 s (10.9–10.9 s) | 1.00 | 1.01 |"
        ),
        "{text}"
    );
    assert!(text.contains(
        "| python-node | one package added | – | – | – | – | – | – | | skipped: no dependency_change |"
    ));
    assert!(text.contains("| python-node | 1.0 kB | 900 B | 900 B | 1.111 | 6 / 6 / 6 | none | pip cache (3 paths) | **miss** |"), "{text}");
    assert!(
        text.contains(
            "| python-node | 100 ms / 100 ms | 50 ms / 50 ms | 50 ms / 50 ms | 300 ms | 300 ms | 300 ms | 0.00 ms |"
        ),
        "{text}"
    );
    assert!(
        text.contains("| **Total** | 10 | 25 | 0.40 | ≤ 0.45 | pass |"),
        "{text}"
    );
    assert!(
        text.find("## Final images") < text.find("## Spec length"),
        "{text}"
    );
    assert!(
        text.contains("| python-node | none | 14.5 MB | 14.5 MB |"),
        "{text}"
    );
    assert!(
        text.find("## Final images") < text.find("## Packaging tools in the image"),
        "{text}"
    );
    assert!(
        text.contains("| python-node | 3 | 1.00 ms (0.90–1.10 ms) | 4.00 ms | 3.6 MB |"),
        "{text}"
    );
    assert!(
        text.contains("| synthetic-200 | 200 | 170 ms (160–180 ms) | 110 ms | 11.4 MB |"),
        "{text}"
    );
    assert!(text.contains(
        "| python-node | `:8000/` | 500 ms (480 ms–520 ms) | 400 ms (390 ms–410 ms) | 1.25 | ≤ 1.00 (+0.05 noise) | **miss** |"
    ), "{text}");
    assert!(text.contains("| Example | Asked | Stagefile | Dockerfile (docker/dockerfile:1) |"));
    assert!(text.contains("a source-change rebuild ≤ 0.80;"), "{text}");
    assert!(text.contains("a final image ≤ 0.95x;"), "{text}");
    assert!(text.contains("`stagefile:dev` (0123456789ab), **9.8 MB**"));
    assert!(text.contains(
        "| Dockerfile frontend image | `docker/dockerfile:1` (fedcba987654), **29.0 MB** |"
    ));
    assert!(text.contains("- `lonely`: no Dockerfile"));
    assert!(text.contains("| Base image | `python:3.11-slim` (abcdefabcdef), 681.7 MB |"));
    assert!(!text.contains("Disturbed"));
    let mut noisy = report();
    if let Some(samples) = noisy.examples[0]
        .builds
        .get_mut(&(Variant::Dockerfile, Scenario::Cached))
    {
        samples[1].steps_run = 3;
    }
    assert!(
        render(&noisy, None).contains(
            "**Disturbed by other work on the engine**: python-node Dockerfile (built-in) fully cached rebuild run 2 (3 steps run)."
        )
    );
    assert!(text.contains(
        "- **python-node, fully cached rebuild**: 1.60x the Dockerfile through docker/dockerfile:1 (target ≤ 1.00)."
    ));
    assert!(
        text.contains("`[deps 4/4] pip install -r requirements.txt` 0.40 s ran"),
        "{text}"
    );
    assert!(text.contains("_Nothing written yet._"));
    assert!(text.contains("3 runs a side: Stagefile 0.45 s (0.40–0.50 s), Dockerfile through `docker/dockerfile:1` 0.30 s (0.30–0.35 s) (ratio 1.50), built-in 0.20 s (0.20–0.25 s) (ratio 2.25). Start 100 ms against 100 ms, requests 50 ms against 50 ms"), "{text}");
}

#[test]
fn explanations_survive_a_rewrite() {
    let first = render(
        &report(),
        Some("The cached rebuild starts a container: see below."),
    );
    let kept = explanations(&first).expect("section present");
    assert_eq!(kept, "The cached rebuild starts a container: see below.");
    let second = render(&report(), Some(&kept));
    assert_eq!(first, second);
    assert_eq!(explanations("no markers here"), None);
}

#[test]
fn units() {
    assert_eq!(secs(0.634), "0.63 s");
    assert_eq!(secs(12.44), "12.4 s");
    assert_eq!(millis(0.0012), "1.20 ms");
    assert_eq!(millis(0.2514), "251 ms");
    assert_eq!(bytes(214_161_592), "214.2 MB");
    assert_eq!(bytes(999), "999 B");
}

#[test]
fn new_layers_after_one_package_are_tabled_only_where_measured() {
    let mut report = report();
    assert!(!render(&report, None).contains("## New layers after one package added"));
    let added = |bytes: [u64; 3]| {
        bytes
            .map(|b| BuildSample {
                new_layer_bytes: Some(b),
                ..sample(2.0)
            })
            .to_vec()
    };
    let builds = &mut report.examples[0].builds;
    builds.insert(
        (Variant::Stagefile, Scenario::DependencyChange),
        added([2_000_000, 2_100_000, 1_900_000]),
    );
    builds.insert(
        (Variant::External, Scenario::DependencyChange),
        added([8_000_000; 3]),
    );
    let text = render(&report, None);
    assert!(
        text.contains("## New layers after one package added"),
        "{text}"
    );
    assert!(
        text.contains("| python-node | 2.0 MB (1.9 MB–2.1 MB) | 8.0 MB | – | 0.25 |"),
        "{text}"
    );
}
