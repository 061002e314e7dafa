//! The invalid-spec corpus: every `tests/invalid/NN-name.toml` must fail to compile (without
//! panicking) with exactly the diagnostics checked in as `NN-name.stderr`.
//!
//! An optional `NN-name.options` (TOML) sets `target = "..."`, `context = "contexts/..."` (the
//! build context, relative to `tests/invalid/`; default `contexts/empty`) and
//! `build-args = { NAME = "value" }`.
//!
//! Regenerate the expected files with `UPDATE_EXPECT=1 cargo test -p llb-gen --test invalid`,
//! then read the diff: each message must point at the right place and say how to fix it.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use llb_gen::compile::{CompileOptions, Prepared};
use llb_gen::{LocalDirProbe, SourceFile};

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Options {
    target: Option<String>,
    context: Option<String>,
    #[serde(default)]
    build_args: BTreeMap<String, String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

/// Compiles one spec and returns its rendered diagnostics, or why the case is broken.
fn render(spec: &Path) -> Result<String, String> {
    let name = spec.file_name().unwrap().to_string_lossy().into_owned();
    let text = fs::read_to_string(spec).map_err(|e| e.to_string())?;
    let options: Options = match fs::read_to_string(spec.with_extension("options")) {
        Ok(options) => toml::from_str(&options).map_err(|e| format!("bad .options: {e}"))?,
        Err(_) => Options::default(),
    };
    let context = corpus_dir().join(options.context.as_deref().unwrap_or("contexts/empty"));
    if !context.is_dir() {
        return Err(format!("context {} is not a directory", context.display()));
    }
    let compile_options = CompileOptions {
        target: options.target,
        build_args: options.build_args,
        ..CompileOptions::default()
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        Prepared::new(SourceFile::new(name, text), compile_options)
            .and_then(|prepared| prepared.compile(&LocalDirProbe::new(&context), &BTreeMap::new()))
    }))
    .map_err(|_| "the compiler panicked".to_owned())?;
    match result {
        Ok(_) => Err("the spec compiled, but it should have been refused".to_owned()),
        Err(diagnostics) if diagnostics.items.is_empty() => {
            Err("refused with no diagnostic".to_owned())
        }
        Err(diagnostics) => Ok(diagnostics.render(false)),
    }
}

#[test]
fn every_invalid_spec_fails_with_the_expected_diagnostics() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut specs: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 30, "the corpus shrank to {}", specs.len());
    let mut failures = Vec::new();
    for spec in &specs {
        let name = spec.file_name().unwrap().to_string_lossy();
        let actual = match render(spec) {
            Ok(actual) => actual,
            Err(problem) => {
                failures.push(format!("{name}: {problem}"));
                continue;
            }
        };
        let expected_path = spec.with_extension("stderr");
        if update {
            fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{name}: diagnostics changed\n--- expected\n{expected}+++ actual\n{actual}"
            )),
            Err(_) => failures.push(format!("{name}: no .stderr file; actual:\n{actual}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (UPDATE_EXPECT=1 rewrites the .stderr files):\n\n{}",
        failures.len(),
        specs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_expected_file_has_a_spec() {
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && path.extension().is_some_and(|e| e != "toml") {
            assert!(
                path.with_extension("toml").exists(),
                "{} has no .toml next to it",
                path.display()
            );
        }
    }
}
