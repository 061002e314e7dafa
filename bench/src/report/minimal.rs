//! The "Minimal runtime" table: the image with `runtime = "minimal"` against the Stagefile
//! image on the slim base.

use std::fmt::Write as _;

use super::{Miss, Report, bytes, millis, size};
use crate::minimal::{MINIMAL_TARGET, MinimalRuntime};
use crate::{ExampleResult, Variant, stats};

/// The ratio minimal / slim, or why the example misses without one (or with one over the
/// target).
fn outcome(example: &ExampleResult, minimal: &MinimalRuntime) -> Result<f64, String> {
    let slim = size(example, Variant::Stagefile);
    let ratio = minimal
        .size
        .zip(slim)
        .and_then(|(m, s)| stats::ratio(m as f64, s as f64));
    if let Some(why) = &minimal.failure {
        return Err(why.clone());
    }
    let Some(ratio) = ratio else {
        return Err("the slim Stagefile image was not measured: nothing to compare".to_owned());
    };
    if ratio > MINIMAL_TARGET {
        return Err(format!(
            "{ratio:.2}x the slim Stagefile image ({} against {}; target ≤ {MINIMAL_TARGET:.2})",
            minimal.size.map_or("–".to_owned(), bytes),
            slim.map_or("–".to_owned(), bytes)
        ));
    }
    Ok(ratio)
}

/// The misses of the minimal images: not built, not answering, or over the target.
pub(super) fn misses(example: &ExampleResult) -> Option<Miss> {
    let minimal = example.minimal.as_ref()?;
    outcome(example, minimal).err().map(|detail| Miss {
        example: example.name.clone(),
        what: "minimal runtime".to_owned(),
        detail,
    })
}

/// The table, when some example has a minimal image.
pub(super) fn minimal_runtime(out: &mut String, report: &Report) {
    let all: Vec<(&ExampleResult, &MinimalRuntime)> = report
        .examples
        .iter()
        .filter_map(|e| Some((e, e.minimal.as_ref()?)))
        .collect();
    if all.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Minimal runtime\n\n\
         For the examples with `minimal = true` in `bench/examples.toml`: a copy of the \
         Stagefile with `runtime = \"minimal\"` set on its target stage (the stage with \
         `default = true`, else the last), built once per harness run through the same frontend \
         image after the example's runs and `--load`ed, then started once and asked what \
         *Time to first answer* asks. Against the Stagefile image on the slim base (median \
         size). Target: at most {MINIMAL_TARGET:.2} of its size, and it answers; an image that \
         does not build or answer misses.\n\n\
         | Example | Stage | Stagefile (slim base) | Minimal | Ratio | Answered | Target | Result |\n\
         |---|---|---:|---:|---:|---|---|---|"
    );
    for (example, minimal) in all {
        let ratio = minimal
            .size
            .zip(size(example, Variant::Stagefile))
            .and_then(|(m, s)| stats::ratio(m as f64, s as f64))
            .map_or("–".to_owned(), |r| format!("{r:.2}"));
        let answered = match (minimal.size, minimal.first_answer) {
            (_, Some(seconds)) => format!(
                "yes, `{}` in {}",
                example.answer_probe.as_deref().unwrap_or("–"),
                millis(seconds)
            ),
            (None, None) => "–".to_owned(),
            (Some(_), None) => "**no**".to_owned(),
        };
        let result = match outcome(example, minimal) {
            Ok(_) => "pass".to_owned(),
            Err(why) => format!("**miss**: {}", why.replace('|', "\\|").replace('\n', " ")),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio} | {answered} | ≤ {MINIMAL_TARGET:.2} | {result} |",
            example.name,
            if minimal.stage.is_empty() {
                "–".to_owned()
            } else {
                format!("`{}`", minimal.stage)
            },
            size(example, Variant::Stagefile).map_or("–".to_owned(), bytes),
            minimal.size.map_or("–".to_owned(), bytes),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ImageFacts;

    fn example(name: &str, minimal: MinimalRuntime) -> ExampleResult {
        ExampleResult {
            name: name.into(),
            images: BTreeMap::from([(
                Variant::Stagefile,
                vec![ImageFacts {
                    size: 222_700_000,
                    ..ImageFacts::default()
                }],
            )]),
            answer_probe: Some(":8000/".into()),
            minimal: Some(minimal),
            ..ExampleResult::default()
        }
    }

    fn report() -> Report {
        let built = |size: u64, answer: Option<f64>, failure: Option<&str>| MinimalRuntime {
            stage: "web".into(),
            size: Some(size),
            first_answer: answer,
            failure: failure.map(str::to_owned),
        };
        Report {
            examples: vec![
                example("python-venv", built(79_000_000, Some(0.412), None)),
                example("python-node", built(150_000_000, Some(0.5), None)),
                example(
                    "django-assets",
                    built(80_000_000, None, Some("did not answer: no 200 answer")),
                ),
                example(
                    "broken",
                    MinimalRuntime {
                        stage: "app".into(),
                        failure: Some("did not build: cold build failed: exit 1".into()),
                        ..MinimalRuntime::default()
                    },
                ),
                ExampleResult {
                    name: "not-asked".into(),
                    ..ExampleResult::default()
                },
            ],
            ..Report::default()
        }
    }

    #[test]
    fn renders_the_table_and_the_misses() {
        let report = report();
        let mut out = String::new();
        minimal_runtime(&mut out, &report);
        for row in [
            "| python-venv | `web` | 222.7 MB | 79.0 MB | 0.35 | yes, `:8000/` in 412 ms | ≤ 0.60 | pass |",
            "| python-node | `web` | 222.7 MB | 150.0 MB | 0.67 | yes, `:8000/` in 500 ms | ≤ 0.60 | **miss**: 0.67x the slim Stagefile image (150.0 MB against 222.7 MB; target ≤ 0.60) |",
            "| django-assets | `web` | 222.7 MB | 80.0 MB | 0.36 | **no** | ≤ 0.60 | **miss**: did not answer: no 200 answer |",
            "| broken | `app` | 222.7 MB | – | – | – | ≤ 0.60 | **miss**: did not build: cold build failed: exit 1 |",
        ] {
            assert!(out.contains(row), "no row {row} in\n{out}");
        }
        assert!(!out.contains("not-asked"));
        let found: Vec<(String, String)> = super::super::misses(&report)
            .into_iter()
            .filter(|m| m.what == "minimal runtime")
            .map(|m| (m.example, m.detail))
            .collect();
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["python-node", "django-assets", "broken"]);
        assert!(found[2].1.starts_with("did not build"), "{}", found[2].1);
        let mut none = String::new();
        minimal_runtime(&mut none, &Report::default());
        assert!(none.is_empty());
    }

    #[test]
    fn a_minimal_image_without_a_slim_one_misses() {
        let mut lone = example(
            "lone",
            MinimalRuntime {
                stage: "web".into(),
                size: Some(1),
                first_answer: Some(0.1),
                failure: None,
            },
        );
        lone.images.clear();
        let miss = misses(&lone).expect("a miss");
        assert!(miss.detail.contains("not measured"), "{}", miss.detail);
    }
}
