//! The time to first answer: its target, ratio and table. It is measured on the Stagefile side
//! and the Dockerfile side through the external frontend (the built-in frontend builds the same
//! Dockerfile into the same image).

use std::fmt::Write as _;

use super::{Report, figure, millis};
use crate::stats::{self, Target};
use crate::{EXTERNAL_FRONTEND, ExampleResult, Variant};

/// The target for the time to first answer: no later, with the noise margin.
pub(super) fn target(margin: f64) -> Target {
    Target {
        at_most: 1.0,
        noise: margin,
    }
}

/// Stagefile / Dockerfile (through the external frontend) of the median times to first answer.
pub(super) fn ratio(example: &ExampleResult) -> Option<f64> {
    let median = |v: Variant| stats::median(example.first_answers.get(&v)?);
    stats::ratio(median(Variant::Stagefile)?, median(Variant::External)?)
}

/// The "Time to first answer" table, when some example has a server.
pub(super) fn first_answers(out: &mut String, report: &Report) {
    let answered: Vec<&ExampleResult> = report
        .examples
        .iter()
        .filter(|e| !e.first_answers.is_empty())
        .collect();
    if answered.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Time to first answer\n\n\
         From a container's start (the engine's `State.StartedAt`) to the first `200` answer \
         of its server, asked every 5 ms at the container's own address; {} new containers of \
         the cold build's image per side and run, medians over all of them. Measured on the \
         Stagefile side and on the Dockerfile side through `{EXTERNAL_FRONTEND}`; the built-in \
         frontend builds the same Dockerfile into the same image, so it is not measured again. \
         Python's start reads the bytecode the build compiled (checked-hash on the Stagefile \
         side, timestamp-based on the Dockerfile's, both valid here).\n\n\
         | Example | Asked | Stagefile | Dockerfile ({EXTERNAL_FRONTEND}) | Ratio | Target | Result |\n\
         |---|---|---:|---:|---:|---|---|",
        crate::answer::STARTS
    );
    let target = target(report.margin);
    for example in answered {
        let values = |v: Variant| example.first_answers.get(&v).cloned().unwrap_or_default();
        let (ratio, result) = match ratio(example) {
            Some(r) => (format!("{r:.2}"), target.verdict(r).markdown()),
            None => ("–".to_owned(), "–"),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {ratio} | {} | {result} |",
            example.name,
            example.answer_probe.as_deref().unwrap_or("–"),
            figure(&values(Variant::Stagefile), millis),
            figure(&values(Variant::External), millis),
            target.describe()
        );
    }
}
