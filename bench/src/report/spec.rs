//! The "Spec length" table: lines of each `Stagefile.toml` against its `Dockerfile`.

use std::fmt::Write as _;

use super::{Miss, Report};
use crate::spec_lines::{self, SPEC_LINES_TARGET};
use crate::stats::Verdict;

/// The total's verdict against [`SPEC_LINES_TARGET`]; `None` without counts.
fn verdict(report: &Report) -> Option<(f64, Verdict)> {
    let ratio = spec_lines::total_ratio(&report.spec_lines)?;
    let verdict = if ratio <= SPEC_LINES_TARGET {
        Verdict::Pass
    } else {
        Verdict::Miss
    };
    Some((ratio, verdict))
}

/// The miss of the total ratio, if it misses.
pub(super) fn miss(report: &Report) -> Option<Miss> {
    let (ratio, verdict) = verdict(report)?;
    let (ours, theirs) = spec_lines::totals(&report.spec_lines);
    (verdict == Verdict::Miss).then(|| Miss {
        example: "all examples".to_owned(),
        what: "spec length".to_owned(),
        detail: format!(
            "{ratio:.2}x the Dockerfiles' lines ({ours} against {theirs}; target ≤ \
             {SPEC_LINES_TARGET:.2} in total)"
        ),
    })
}

/// The table, when there are counts.
pub(super) fn spec_length(out: &mut String, report: &Report) {
    let Some((total, verdict)) = verdict(report) else {
        return;
    };
    let _ = writeln!(
        out,
        "\n## Spec length\n\n\
         Lines of each example's `Stagefile.toml` and of its hand-written `Dockerfile`, counted \
         from the files without blank lines and comment lines (whose first non-blank character \
         is `#`, the `# syntax=` line included). Target: Stagefile / Dockerfile at most \
         {SPEC_LINES_TARGET:.2} in total (the sum of the lines over the sum).\n\n\
         | Example | Stagefile.toml | Dockerfile | Ratio | Target | Result |\n\
         |---|---:|---:|---:|---|---|"
    );
    for e in &report.spec_lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | – | – |",
            e.name,
            e.stagefile,
            e.dockerfile,
            e.ratio().map_or("–".to_owned(), |r| format!("{r:.2}"))
        );
    }
    let (ours, theirs) = spec_lines::totals(&report.spec_lines);
    let _ = writeln!(
        out,
        "| **Total** | {ours} | {theirs} | {total:.2} | ≤ {SPEC_LINES_TARGET:.2} | {} |",
        verdict.markdown()
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spec_lines::SpecLines;

    fn lines(name: &str, stagefile: usize, dockerfile: usize) -> SpecLines {
        SpecLines {
            name: name.into(),
            stagefile,
            dockerfile,
        }
    }

    #[test]
    fn renders_the_table_and_the_total_verdict() {
        let mut report = Report {
            spec_lines: vec![lines("python-node", 12, 25), lines("python-venv", 6, 27)],
            ..Report::default()
        };
        let mut out = String::new();
        spec_length(&mut out, &report);
        assert!(
            out.contains("| python-node | 12 | 25 | 0.48 | – | – |"),
            "{out}"
        );
        assert!(
            out.contains("| python-venv | 6 | 27 | 0.22 | – | – |"),
            "{out}"
        );
        assert!(
            out.contains("| **Total** | 18 | 52 | 0.35 | ≤ 0.45 | pass |"),
            "{out}"
        );
        assert!(miss(&report).is_none());
        report.spec_lines.push(lines("python-pex", 20, 10));
        let found = miss(&report).expect("0.61 misses");
        assert_eq!(found.what, "spec length");
        assert!(found.detail.starts_with("0.61x"), "{}", found.detail);
        assert!(super::super::misses(&report).contains(&found));
        let mut none = String::new();
        spec_length(&mut none, &Report::default());
        assert!(none.is_empty());
    }

    #[test]
    fn the_repository_examples_give_a_table() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let report = Report {
            spec_lines: spec_lines::from_dir(&examples).expect("counted"),
            ..Report::default()
        };
        let mut out = String::new();
        spec_length(&mut out, &report);
        let rows = out.lines().filter(|l| l.starts_with("| ")).count();
        // The header, one row per example and the total.
        assert_eq!(rows, report.spec_lines.len() + 2, "{out}");
        assert!(out.contains("| python-venv | "), "{out}");
    }
}
