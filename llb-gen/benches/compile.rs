//! Compile time of `llb-gen`: parse, validate, expand recipes, lower and marshal, for every
//! `examples/*/Stagefile.toml` and for a generated spec of 200 stages.
//!
//!     cargo bench -p llb-gen --bench compile
//!
//! The benchmark harness (`bench/`) runs this and copies the medians from
//! `target/criterion/compile/<name>/new/estimates.json` into docs/benchmarks.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use llb_gen::{CompileOptions, ContextProbe, KnownPaths, LocalDirProbe, Prepared, SourceFile};

#[path = "synthetic.rs"]
mod synthetic;

/// Stages in the generated spec.
const SYNTHETIC_STAGES: usize = 200;

/// One full compilation, as the CLI does it (no resolved images).
fn compile(name: &str, text: &str, probe: &dyn ContextProbe) -> usize {
    let prepared = Prepared::new(
        SourceFile::new(name.to_owned(), text.to_owned()),
        CompileOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name} does not compile:\n{}", e.render(false)));
    let compiled = prepared
        .compile(probe, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{name} does not compile:\n{}", e.render(false)));
    compiled.definition.def.len()
}

/// `examples/<name>` directories holding a `Stagefile.toml`, by name.
fn examples() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| dir.join("Stagefile.toml").is_file())
        .filter_map(|dir| Some((dir.file_name()?.to_string_lossy().into_owned(), dir)))
        .collect();
    found.sort();
    found
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    for (name, dir) in examples() {
        let text = std::fs::read_to_string(dir.join("Stagefile.toml")).expect("readable spec");
        let probe = LocalDirProbe::new(&dir);
        group.bench_function(name.as_str(), |b| {
            b.iter(|| compile("Stagefile.toml", black_box(&text), &probe));
        });
    }
    let generated = synthetic::synthetic(SYNTHETIC_STAGES);
    let probe = KnownPaths::new(generated.files.iter().map(|(path, _)| path.clone()));
    group.sample_size(30);
    group.bench_function(format!("synthetic-{SYNTHETIC_STAGES}"), |b| {
        b.iter(|| compile("Stagefile.toml", black_box(&generated.spec), &probe));
    });
    group.finish();
}

criterion_group!(benches, bench_compile);
criterion_main!(benches);
