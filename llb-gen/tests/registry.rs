//! The registries in the code (languages, package managers, error codes, warning rules) stay in
//! step with what users read and with what proves them: `docs/stagefile.schema.json`,
//! `docs/stagefile.md`, an end-to-end fixture that a test builds, and the code that raises
//! each diagnostic. Adding a language or a manager without these fails here, naming what is
//! missing. A manager's fixture is one that detection chooses it for.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use llb_gen::compile::{CompileOptions, Prepared};
use llb_gen::diag::{Code, RULES};
use llb_gen::lang::Lang;
use llb_gen::{LocalDirProbe, SourceFile};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn schema() -> Value {
    serde_json::from_str(&read("docs/stagefile.schema.json")).expect("schema is JSON")
}

/// Every Rust source file under `dir`, as text.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut pending = vec![repo().join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("source dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("source");
                found.push((path, text));
            }
        }
    }
    found
}

/// Fixture and example directories that an end-to-end test builds, with every file in them.
fn built_fixtures() -> Vec<(String, Vec<PathBuf>)> {
    let tests: String = sources("tests/e2e/tests")
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    let mut fixtures = Vec::new();
    for (parent, call) in [("tests/e2e/fixtures", "fixture"), ("examples", "example")] {
        for entry in fs::read_dir(repo().join(parent)).expect("fixture dir") {
            let dir = entry.expect("entry").path();
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let used = tests.contains(&format!("{call}(\"{name}\")"))
                || tests.contains(&format!("\"{name}\""));
            if dir.join("Stagefile.toml").is_file() && used {
                fixtures.push((name, files_under(&dir)));
            }
        }
    }
    assert!(fixtures.len() >= 10, "fixtures went missing: {fixtures:?}");
    fixtures
}

/// `llb-gen --format steps` of a fixture (its default target), `None` when it does not
/// compile (fixtures of errors).
fn steps_of(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("Stagefile.toml")).ok()?;
    let prepared = Prepared::new(
        SourceFile::new("Stagefile.toml", text),
        CompileOptions::default(),
    );
    prepared
        .and_then(|p| p.steps_text(&LocalDirProbe::new(dir)))
        .ok()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn every_language_has_a_schema_key_a_docs_section_and_a_fixture() {
    let schema = schema();
    let docs = read("docs/stagefile.md");
    let fixtures = built_fixtures();
    for lang in Lang::ALL {
        let key = lang.def().key;
        assert!(
            schema
                .pointer(&format!("/$defs/stage/properties/{key}"))
                .is_some(),
            "docs/stagefile.schema.json has no `{key}` stage key"
        );
        assert!(
            docs.lines()
                .any(|l| l.starts_with("### ") && l.contains(&format!("`{key}`"))),
            "docs/stagefile.md has no section heading naming `{key}`"
        );
        let built = fixtures.iter().any(|(_, files)| {
            files.iter().any(|f| {
                f.ends_with("Stagefile.toml")
                    && fs::read_to_string(f).is_ok_and(|t| t.contains(&format!("\n{key} = ")))
            })
        });
        assert!(built, "no end-to-end fixture builds a `{key}` stage");
    }
}

#[test]
fn every_package_manager_has_a_schema_value_a_docs_row_and_a_fixture() {
    let schema = schema();
    let docs = read("docs/stagefile.md");
    let fixtures = built_fixtures();
    let in_schema: BTreeSet<&str> =
        schema["$defs"]["stage"]["properties"]["package_manager"]["enum"]
            .as_array()
            .expect("package_manager enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
    let mut names = BTreeSet::new();
    for lang in Lang::ALL {
        for row in lang.managers() {
            names.insert(row.name);
            assert!(
                docs.contains(&format!("\n| `{}` |", row.name)),
                "docs/stagefile.md's detection table has no row for `{}`",
                row.name
            );
            for cache in row.caches {
                assert!(
                    docs.contains(&format!("| `{}`", cache.id)),
                    "docs/stagefile.md's cache table lacks `{}` ({})",
                    cache.id,
                    row.name
                );
            }
            // Chosen by detection, not merely holding a file of that name: a pyproject.toml
            // is in every Python fixture, whatever its manager.
            let note = format!("  # {}: ", row.name);
            let built = fixtures.iter().any(|(name, files)| {
                let spec = files
                    .iter()
                    .find(|f| f.ends_with(format!("{name}/Stagefile.toml")));
                spec.and_then(|spec| steps_of(spec.parent()?))
                    .is_some_and(|steps| steps.contains(&note))
            });
            assert!(
                built,
                "no end-to-end fixture is detected as {} (from one of {:?})",
                row.name, row.lockfiles
            );
        }
    }
    assert_eq!(in_schema, names, "schema's package_manager values");
}

#[test]
fn every_error_code_is_documented_and_raised() {
    let docs = read("docs/stagefile.md");
    let documented: Vec<(String, String)> = docs
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let (name, rest) = rest.split_once("` | ")?;
            let meaning = rest.strip_suffix(" |")?;
            (name.chars().next()?.is_ascii_uppercase() && !name.contains(' '))
                .then(|| (name.to_owned(), meaning.to_owned()))
        })
        .collect();
    let expected: Vec<(String, String)> = Code::ALL
        .iter()
        .map(|c| (c.name().to_owned(), c.summary().to_owned()))
        .collect();
    assert_eq!(documented, expected, "docs/stagefile.md's error code table");
    let code: String = sources("llb-gen/src")
        .into_iter()
        .filter(|(path, _)| !path.ends_with("diag.rs"))
        .map(|(_, text)| text)
        .collect();
    for c in Code::ALL {
        assert!(
            code.contains(&format!("Code::{}", c.name())),
            "nothing raises Code::{}: remove it or use it",
            c.name()
        );
    }
}

#[test]
fn every_warning_rule_is_documented_and_raised() {
    let docs = read("docs/stagefile.md");
    let code: String = ["llb-gen/src", "frontend/src"]
        .into_iter()
        .flat_map(sources)
        .filter(|(path, _)| !path.ends_with("diag.rs"))
        .map(|(_, text)| text)
        .collect();
    for rule in RULES {
        let heading = format!("#### {}\n\n{}\n", rule.name, rule.description);
        assert!(
            docs.contains(&heading),
            "docs/stagefile.md needs `#### {}` followed by its description",
            rule.name
        );
        assert_eq!(
            rule.docs,
            rule.name.to_ascii_lowercase(),
            "{}'s anchor",
            rule.name
        );
        let constant = screaming_snake(rule.name);
        assert!(
            code.contains(&format!("&{constant}")),
            "nothing raises {} (&{constant})",
            rule.name
        );
    }
}

/// `RunsAsRoot` -> `RUNS_AS_ROOT`.
fn screaming_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}
