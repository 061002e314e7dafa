//! The `frontend.lint` subrequest (`docker buildx build --call=check`): the compiler's warnings,
//! or the spec error, in BuildKit's `LintResults` shape (`frontend/subrequests/lint/lint.go`).
//! Without it buildx falls back to pulling a Dockerfile frontend, which fails offline.

use std::collections::HashMap;

use base64::Engine as _;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::Result as GwResult;
use llb_gen::diag::{RULES, Severity};
use llb_gen::{Diagnostic, Diagnostics, SourceFile};
use serde::Serialize;

/// `frontend.lint`.
pub const LINT: &str = "frontend.lint";

#[derive(Debug, Serialize)]
struct Position {
    line: usize,
}

#[derive(Debug, Serialize)]
struct Range {
    start: Position,
    end: Position,
}

#[derive(Debug, Default, Serialize)]
struct Location {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<Range>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Warning {
    rule_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
    location: Location,
}

#[derive(Debug, Serialize)]
struct Source {
    filename: String,
    data: String,
    language: &'static str,
}

#[derive(Debug, Serialize)]
struct BuildError {
    message: String,
    location: Location,
}

#[derive(Debug, Serialize)]
struct LintResults {
    warnings: Option<Vec<Warning>>,
    sources: Vec<Source>,
    #[serde(rename = "buildError", skip_serializing_if = "Option::is_none")]
    error: Option<BuildError>,
}

fn location(file: &SourceFile, diagnostic: &Diagnostic) -> (Location, Option<(usize, usize)>) {
    match diagnostic.line_range(file) {
        Some((start, end)) => (
            Location {
                ranges: vec![Range {
                    start: Position { line: start },
                    end: Position { line: end },
                }],
            },
            Some((start, end)),
        ),
        None => (Location::default(), None),
    }
}

/// The lint result: `warnings` found by a successful compile, or the `error` that stopped it.
pub fn result(file: &SourceFile, warnings: &[Diagnostic], error: Option<&Diagnostics>) -> GwResult {
    let mut sorted: Vec<(&Diagnostic, Option<(usize, usize)>)> =
        warnings.iter().map(|w| (w, w.line_range(file))).collect();
    // BuildKit's order: warnings without a location first, then by line.
    sorted.sort_by_key(|(w, lines)| (lines.is_some(), lines.map(|l| l.0), w.message.clone()));

    let mut text = String::new();
    for (warning, lines) in &sorted {
        text.push_str(&format!(
            "\nWARNING: {}\n{}\n",
            warning.code,
            detail(warning)
        ));
        if let Some((start, end)) = lines {
            text.push_str(&snippet(file, *start, *end));
        }
    }

    let results = LintResults {
        warnings: (!sorted.is_empty()).then(|| {
            sorted
                .iter()
                .map(|(w, _)| Warning {
                    rule_name: w.code.to_owned(),
                    description: RULES
                        .iter()
                        .find(|rule| rule.name == w.code)
                        .map_or_else(String::new, |rule| rule.description.to_owned()),
                    detail: detail(w),
                    location: location(file, w).0,
                })
                .collect()
        }),
        sources: vec![Source {
            filename: file.name.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(file.text.as_bytes()),
            language: "TOML",
        }],
        error: error.map(|diagnostics| {
            let first = diagnostics
                .items
                .iter()
                .find(|d| d.severity == Severity::Error)
                .or(diagnostics.items.first());
            BuildError {
                message: first.map_or_else(|| diagnostics.summary(), |d| d.message.clone()),
                location: first
                    .map(|d| location(&diagnostics.file, d).0)
                    .unwrap_or_default(),
            }
        }),
    };
    let status = if results.warnings.is_some() || results.error.is_some() {
        "1"
    } else {
        "0"
    };
    let json = serde_json::to_string_pretty(&results).unwrap_or_else(|_| "{}".to_owned());
    GwResult {
        metadata: HashMap::from([
            ("result.json".to_owned(), json.into_bytes()),
            ("result.txt".to_owned(), text.into_bytes()),
            ("result.statuscode".to_owned(), status.as_bytes().to_vec()),
            ("version".to_owned(), b"1.0.0".to_vec()),
        ]),
        ..Default::default()
    }
}

/// The finding and, on a line of its own, how to address it.
fn detail(warning: &Diagnostic) -> String {
    match &warning.help {
        Some(help) => format!("{}\nhelp: {help}", warning.message),
        None => warning.message.clone(),
    }
}

/// The lines around `start..=end` with `>>>` markers, as BuildKit's `errdefs.Source.Print`.
fn snippet(file: &SourceFile, start: usize, end: usize) -> String {
    let lines: Vec<&str> = file.text.split('\n').collect();
    if start < 1 || start > lines.len() {
        return String::new();
    }
    let marked = start..=end.max(start);
    let mut first = start;
    let mut last = end.min(lines.len());
    let pad = if last == first { 4 } else { 2 };
    let mut p = 0;
    while p < pad {
        if first > 1 {
            first -= 1;
            p += 1;
        }
        if last != lines.len() {
            last += 1;
            p += 1;
        }
        p += 1;
    }
    let mut out = format!("{}:{start}\n--------------------\n", file.name);
    for (number, line) in lines.iter().enumerate().take(last).skip(first - 1) {
        let number = number + 1;
        let prefix = if marked.contains(&number) {
            ">>>"
        } else {
            "   "
        };
        out.push_str(&format!(" {number:>3} | {prefix} {line}\n"));
    }
    out.push_str("--------------------\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::diag::{Code, RUNS_AS_ROOT};

    fn meta(result: &GwResult, key: &str) -> String {
        String::from_utf8(result.metadata[key].clone()).unwrap()
    }

    #[test]
    fn warnings_shape() {
        let file = SourceFile::new(
            "Stagefile.toml",
            "[stage.app]\nfrom = \"x\"\nuser = \"root\"\n",
        );
        let w = Diagnostic::warning(&RUNS_AS_ROOT, "stage `app` runs as root", Some(0..11))
            .with_help("remove `user`");
        let res = result(&file, &[w], None);
        let json: serde_json::Value = serde_json::from_str(&meta(&res, "result.json")).unwrap();
        assert_eq!(json["warnings"][0]["ruleName"], "RunsAsRoot");
        assert_eq!(json["warnings"][0]["description"], RUNS_AS_ROOT.description);
        assert_eq!(
            json["warnings"][0]["detail"],
            "stage `app` runs as root\nhelp: remove `user`"
        );
        assert_eq!(
            json["warnings"][0]["location"]["ranges"][0]["start"]["line"],
            1
        );
        assert_eq!(json["sources"][0]["language"], "TOML");
        assert!(json.get("buildError").is_none());
        assert_eq!(meta(&res, "result.statuscode"), "1");
        assert_eq!(
            meta(&res, "result.txt"),
            "\nWARNING: RunsAsRoot\nstage `app` runs as root\nhelp: remove `user`\n\
             Stagefile.toml:1\n--------------------\n   1 | >>> [stage.app]\n   2 |     from = \"x\"\n   3 |     user = \"root\"\n--------------------\n"
        );
    }

    #[test]
    fn clean_and_failed() {
        let file = SourceFile::new("Stagefile.toml", "a\nb\n");
        let res = result(&file, &[], None);
        let json: serde_json::Value = serde_json::from_str(&meta(&res, "result.json")).unwrap();
        assert_eq!(json["warnings"], serde_json::Value::Null);
        assert_eq!(meta(&res, "result.statuscode"), "0");

        let error = Diagnostics::single(
            &file,
            Diagnostic::error(Code::UnknownKey, "unknown key `b`", Some(2..3)),
        );
        let res = result(&file, &[], Some(&error));
        let json: serde_json::Value = serde_json::from_str(&meta(&res, "result.json")).unwrap();
        assert_eq!(json["buildError"]["message"], "unknown key `b`");
        assert_eq!(
            json["buildError"]["location"]["ranges"][0]["start"]["line"],
            2
        );
        assert_eq!(meta(&res, "result.statuscode"), "1");
    }
}
