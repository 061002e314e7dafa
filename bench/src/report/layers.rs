//! What a registry push or pull moves after one package is added: the bytes of the layers the
//! image has that it had not before the change (uncompressed, as `docker save` holds them).

use std::fmt::Write as _;

use super::{Report, bytes};
use crate::{ExampleResult, Scenario, Variant, stats};

/// One side's new layer bytes after the package was added, one per run.
fn new_bytes(example: &ExampleResult, variant: Variant) -> Vec<f64> {
    example
        .builds
        .get(&(variant, Scenario::DependencyChange))
        .into_iter()
        .flatten()
        .filter_map(|sample| sample.new_layer_bytes.map(|b| b as f64))
        .collect()
}

/// A median of bytes with the range when the runs differ: `2.0 MB (1.9–2.1 MB)`.
fn figure(values: &[f64]) -> String {
    let as_bytes = |v: f64| bytes(v.round() as u64);
    match (stats::median(values), stats::range(values)) {
        (Some(m), Some((lo, hi))) if lo != hi => {
            format!("{} ({}–{})", as_bytes(m), as_bytes(lo), as_bytes(hi))
        }
        (Some(m), _) => as_bytes(m),
        _ => "–".to_owned(),
    }
}

/// The "New layers after one package added" table, when some example measured it.
pub(super) fn new_layers(out: &mut String, report: &Report) {
    let measured: Vec<&ExampleResult> = report
        .examples
        .iter()
        .filter(|e| !new_bytes(e, Variant::Stagefile).is_empty())
        .collect();
    if measured.is_empty() {
        return;
    }
    out.push_str("\n## New layers after one package added\n\n");
    out.push_str(
        "Bytes of the layers the image has after *one package added* that it did not have \
         before it (uncompressed, as `docker save` holds them): what a registry push, and a \
         pull by a host that has the image before the change, moves. Medians over the runs. \
         Measured, no target.\n\n",
    );
    out.push_str(
        "| Example | Stagefile | Dockerfile (docker/dockerfile:1) | Dockerfile (built-in) | Ratio |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for example in measured {
        let ours = new_bytes(example, Variant::Stagefile);
        let theirs = new_bytes(example, Variant::External);
        let ratio = stats::median(&ours)
            .zip(stats::median(&theirs))
            .and_then(|(o, t)| stats::ratio(o, t))
            .map_or("–".to_owned(), |r| format!("{r:.2}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio} |",
            example.name,
            figure(&ours),
            figure(&theirs),
            figure(&new_bytes(example, Variant::Dockerfile)),
        );
    }
}
