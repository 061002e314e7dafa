//! Helpers shared by the integration tests: the spec fixtures and compiling them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use llb_gen::compile::{CompileOptions, Compiled, Prepared};
use llb_gen::{ContextProbe, LocalDirProbe, SourceFile, pb};
use prost::Message;

/// Fixtures `tests/specs/` holds today; fewer means some went missing.
pub const SPEC_COUNT: usize = 17;

/// Examples `examples/` holds today; fewer means some went missing.
pub const EXAMPLE_COUNT: usize = 6;

/// `llb-gen/tests/specs/<name>/` directories (each a context with its `Stagefile.toml`),
/// sorted. Panics when the directory is gone or has lost fixtures: a test looping over an
/// empty list would pass without checking anything.
pub fn spec_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    at_least(dirs_with_stagefile(&root), SPEC_COUNT, &root)
}

/// `examples/<name>/` directories, sorted; panics like [`spec_dirs`] when they went missing.
pub fn example_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    at_least(dirs_with_stagefile(&root), EXAMPLE_COUNT, &root)
}

fn at_least(dirs: Vec<PathBuf>, count: usize, root: &Path) -> Vec<PathBuf> {
    assert!(
        dirs.len() >= count,
        "{} has {} directories with a Stagefile.toml, expected at least {count}: {dirs:?} \
         (raise or lower the count in tests/common/mod.rs when adding or removing one)",
        root.display(),
        dirs.len()
    );
    dirs
}

fn dirs_with_stagefile(root: &Path) -> Vec<PathBuf> {
    let entries =
        fs::read_dir(root).unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()));
    let mut dirs: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("Stagefile.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The last component of a directory, as a test name.
pub fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Compiles `text` with `options`, panicking with the rendered diagnostics on failure.
pub fn compile_text(text: &str, probe: &dyn ContextProbe, options: CompileOptions) -> Compiled {
    Prepared::new(SourceFile::new("Stagefile.toml", text), options)
        .and_then(|prepared| prepared.compile(probe, &BTreeMap::new()))
        .unwrap_or_else(|diagnostics| panic!("does not compile:\n{}", diagnostics.render(false)))
}

/// Compiles `dir/Stagefile.toml` with `dir` as the context.
pub fn compile_dir(dir: &Path, target: Option<&str>) -> Compiled {
    let text = fs::read_to_string(dir.join("Stagefile.toml")).unwrap();
    let options = CompileOptions {
        target: target.map(str::to_owned),
        ..CompileOptions::default()
    };
    compile_text(&text, &LocalDirProbe::new(dir), options)
}

/// The recipes' steps for `dir/Stagefile.toml` (`llb-gen --format steps`), `dir` the context.
pub fn steps_of_dir(dir: &Path, target: Option<&str>) -> String {
    let text = fs::read_to_string(dir.join("Stagefile.toml")).unwrap();
    let options = CompileOptions {
        target: target.map(str::to_owned),
        ..CompileOptions::default()
    };
    Prepared::new(SourceFile::new("Stagefile.toml", text), options)
        .and_then(|prepared| prepared.steps_text(&LocalDirProbe::new(dir)))
        .unwrap_or_else(|diagnostics| panic!("does not compile:\n{}", diagnostics.render(false)))
}

/// Every op of a definition, decoded.
pub fn ops(definition: &pb::Definition) -> Vec<pb::Op> {
    definition
        .def
        .iter()
        .map(|bytes| pb::Op::decode(bytes.as_slice()).expect("op decodes"))
        .collect()
}

/// The exec ops of a definition.
pub fn execs(definition: &pb::Definition) -> Vec<pb::ExecOp> {
    ops(definition)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Exec(exec)) => Some(exec),
            _ => None,
        })
        .collect()
}

/// The shell script (or joined args) of an exec op.
pub fn command(exec: &pb::ExecOp) -> String {
    let args = &exec.meta.as_ref().unwrap().args;
    match args.as_slice() {
        [sh, c, script] if sh == "/bin/sh" && c == "-c" => script.clone(),
        _ => args.join(" "),
    }
}

/// The exec op whose command contains `needle`.
pub fn exec_running(definition: &pb::Definition, needle: &str) -> pb::ExecOp {
    let execs = execs(definition);
    execs
        .iter()
        .find(|exec| command(exec).contains(needle))
        .cloned()
        .unwrap_or_else(|| {
            let all: Vec<String> = execs.iter().map(command).collect();
            panic!("no exec runs `{needle}`; commands:\n{}", all.join("\n"))
        })
}

/// `(dest, cache id)` of the cache mounts of an exec op.
pub fn cache_mounts(exec: &pb::ExecOp) -> Vec<(String, String)> {
    exec.mounts
        .iter()
        .filter_map(|m| m.cache_opt.as_ref().map(|c| (m.dest.clone(), c.id.clone())))
        .collect()
}

/// Sources and destinations of every file copy in the definition.
pub fn copies(definition: &pb::Definition) -> Vec<(String, String)> {
    ops(definition)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::File(file)) => Some(file.actions),
            _ => None,
        })
        .flatten()
        .filter_map(|action| match action.action {
            Some(pb::file_action::Action::Copy(copy)) => Some((copy.src, copy.dest)),
            _ => None,
        })
        .collect()
}

/// Compiles `spec` against a context holding exactly `files`.
pub fn compile_files(spec: &str, files: &[&str]) -> Compiled {
    let probe = llb_gen::KnownPaths::new(files.iter().map(|f| (*f).to_owned()));
    compile_text(spec, &probe, CompileOptions::default())
}
