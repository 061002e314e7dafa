//! The fuzz harness for `llb-gen`: what the CLI and the frontend do with a spec, on any bytes,
//! with the invariants that must hold whatever the input.
//!
//! [`check`] is the one entry point, run by the libFuzzer target (`fuzz_targets/compile.rs`,
//! nightly) and by the stable driver (`src/bin/fuzz-stable.rs`, CI). It panics when an
//! invariant breaks; the library itself must never panic, recurse without bound or blow up.
//! Options (build args, context files, target, `SOURCE_DATE_EPOCH`) come from a hash of the
//! input, so every detection path and every hostile build arg is reached.

pub mod mutate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use llb_gen::compile::{CompileOptions, Compiled, Prepared};
use llb_gen::limits::{MAX_DEFINITION_BYTES, MAX_ERRORS};
use llb_gen::{Diagnostics, KnownPaths, SourceFile, dump, pb};
use prost::Message as _;

/// Text that hostile build args carry: it may reach a shell script only inside single quotes.
pub const MARKER: &str = "pwned-by-build-arg";

/// Build-arg values tried for each `${NAME}` of a spec.
const HOSTILE_ARGS: [&str; 9] = [
    "$(touch /pwned-by-build-arg)",
    "a'; touch /pwned-by-build-arg; echo 'b",
    "`touch /pwned-by-build-arg`",
    "x\ntouch /pwned-by-build-arg",
    "\"; touch /pwned-by-build-arg; echo \"",
    "-oDPkg::Pre-Invoke::=touch /pwned-by-build-arg",
    "3.11",
    "${A}",
    "",
];

/// Context files the probe may say exist, one bit of the input's hash each.
const CONTEXT_FILES: [&str; 20] = [
    "requirements.txt",
    "uv.lock",
    "pyproject.toml",
    "poetry.lock",
    "pdm.lock",
    "Pipfile",
    "Pipfile.lock",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "Gemfile",
    "Gemfile.lock",
    "vendor/cache",
    "app/requirements.txt",
    "app/package.json",
    "bun.lockb",
    ".npmrc",
    "bunfig.toml",
];

/// Runs one input through parsing, planning and compiling, for the default target and (for
/// half the inputs) the first stage, checking the invariants. Panics when one breaks.
/// Returns what became of it, coarsely (the error codes, or how many stages were built): the
/// stable driver keeps inputs with a new outcome.
pub fn check(data: &[u8]) -> String {
    let hash = fnv1a(data);
    let file = match SourceFile::from_bytes("Stagefile.toml", data.to_vec()) {
        Ok(file) => file,
        Err(diagnostics) => {
            refused(&diagnostics);
            return format!("read:{}", codes(&diagnostics));
        }
    };
    let options = options_for(hash, &file.text);
    let (targets, outcome) = match compile(&file, options.clone(), hash) {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    if hash & 1 == 1
        && let Some(first) = targets.first()
    {
        let options = CompileOptions {
            target: Some(first.clone()),
            ..options
        };
        let _ = compile(&file, options, hash);
    }
    outcome
}

fn codes(diagnostics: &Diagnostics) -> String {
    let codes: Vec<&str> = diagnostics.items.iter().take(3).map(|d| d.code).collect();
    codes.join(",")
}

/// Prepares and compiles; returns the spec's stage names when it was accepted, and the
/// outcome.
fn compile(
    file: &SourceFile,
    options: CompileOptions,
    hash: u64,
) -> Result<(Vec<String>, String), String> {
    let prepared = match Prepared::new(file.clone(), options) {
        Ok(prepared) => prepared,
        Err(diagnostics) => {
            refused(&diagnostics);
            return Err(format!("plan:{}", codes(&diagnostics)));
        }
    };
    let images = prepared.images_to_resolve();
    assert!(
        images
            .iter()
            .all(|i| llb_gen::reference::normalize(i).is_ok())
    );
    let _ = prepared.probe_paths();
    let _ = prepared.outline();
    let targets: Vec<String> = prepared.targets().into_iter().map(|t| t.name).collect();
    let present = CONTEXT_FILES
        .iter()
        .enumerate()
        .filter(|(bit, _)| hash >> (8 + bit) & 1 == 1)
        .map(|(_, file)| (*file).to_owned());
    let outcome = match prepared.compile(&KnownPaths::new(present), &BTreeMap::new()) {
        Ok(compiled) => {
            accepted(&compiled, &file.text);
            let ops = compiled.definition.def.len();
            format!(
                "ok:{}:{}",
                targets.len().min(8),
                usize::BITS - ops.leading_zeros()
            )
        }
        Err(diagnostics) => {
            refused(&diagnostics);
            format!("compile:{}", codes(&diagnostics))
        }
    };
    Ok((targets, outcome))
}

/// A refusal explains itself: at least one diagnostic, at most the cap, and all render.
fn refused(diagnostics: &Diagnostics) {
    assert!(
        !diagnostics.items.is_empty(),
        "refused without a diagnostic"
    );
    assert!(
        diagnostics.items.len() <= MAX_ERRORS + 1,
        "more errors than the cap"
    );
    assert!(!diagnostics.render(false).is_empty());
    let _ = diagnostics.render(true);
    let _ = diagnostics.summary();
    for item in &diagnostics.items {
        let _ = item.line_range(&diagnostics.file);
    }
}

/// What an accepted spec compiles to: within the size limit, decodable, and with no build-arg
/// value in a shell script outside single quotes.
fn accepted(compiled: &Compiled, spec: &str) {
    let definition = &compiled.definition;
    assert!(
        definition.encoded_len() <= MAX_DEFINITION_BYTES,
        "definition of {} bytes",
        definition.encoded_len()
    );
    dump::decode(definition).expect("the definition decodes");
    let _ = dump::text(definition).expect("text dump");
    let _ = dump::json(definition).expect("json dump");
    let config = compiled.image_config.to_json();
    assert!(!config.is_empty(), "the image config serializes");
    if spec.contains(MARKER) {
        return;
    }
    for op in &definition.def {
        let op = pb::Op::decode(op.as_slice()).expect("op decodes");
        let Some(pb::op::Op::Exec(exec)) = op.op else {
            continue;
        };
        let args = exec.meta.map(|m| m.args).unwrap_or_default();
        if let Some(script) = llb_gen::shell::script_index(&args).and_then(|i| args.get(i)) {
            assert!(
                outside_single_quotes(script, MARKER).is_none(),
                "a build arg's value is shell code in: {script}"
            );
        }
    }
}

/// The offset of `needle` in `script` where a POSIX shell would not read it as single-quoted
/// text, if any.
pub fn outside_single_quotes(script: &str, needle: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
    }
    let mut state = State::Plain;
    let mut escaped = false;
    for (at, c) in script.char_indices() {
        if state != State::Single && !escaped && script[at..].starts_with(needle) {
            return Some(at);
        }
        if escaped {
            escaped = false;
            continue;
        }
        state = match (state, c) {
            (State::Plain, '\'') => State::Single,
            (State::Plain, '"') => State::Double,
            (State::Single, '\'') | (State::Double, '"') => State::Plain,
            (state, '\\') if state != State::Single => {
                escaped = true;
                state
            }
            (state, _) => state,
        };
    }
    None
}

/// Build args for the `${NAME}`s of the text (a hostile value each, picked by the hash),
/// which context files exist, and sometimes `pull`, a `SOURCE_DATE_EPOCH` or no merge ops.
fn options_for(hash: u64, text: &str) -> CompileOptions {
    let mut build_args = BTreeMap::new();
    for (i, name) in arg_names(text).into_iter().take(8).enumerate() {
        let pick = (hash >> (i * 4)) as usize % HOSTILE_ARGS.len();
        build_args.insert(name, HOSTILE_ARGS[pick].to_owned());
    }
    let epochs = [None, Some(0), Some(1_700_000_000), Some(-1), Some(i64::MAX)];
    CompileOptions {
        build_args,
        pull: hash >> 40 & 1 == 1,
        source_date_epoch: epochs[(hash >> 41) as usize % epochs.len()],
        llb_caps: (hash >> 44 & 1 == 1).then(Default::default),
        ..CompileOptions::default()
    }
}

/// The distinct names written as `${NAME}` in the text.
fn arg_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for part in text.split("${").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && part[name.len()..].starts_with('}') && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// 64-bit FNV-1a.
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The seed corpus: the examples, the test specs and the invalid corpus, and with `gathered`
/// what `fuzz/corpus/compile/` holds (cargo-fuzz's corpus, on machines that ran it), each
/// file's bytes with its path.
pub fn seeds(repo: &Path, gathered: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for dir in ["examples", "llb-gen/tests/specs"] {
        for entry in read_dir(&repo.join(dir)) {
            let spec = entry.join("Stagefile.toml");
            if let Ok(bytes) = std::fs::read(&spec) {
                found.push((spec, bytes));
            }
        }
    }
    let dirs: &[&str] = if gathered {
        &["llb-gen/tests/invalid", "fuzz/corpus/compile"]
    } else {
        &["llb-gen/tests/invalid"]
    };
    for dir in dirs {
        for path in read_dir(&repo.join(dir)) {
            let toml = path.extension().is_some_and(|e| e == "toml");
            if (toml || dir.starts_with("fuzz"))
                && path.is_file()
                && let Ok(bytes) = std::fs::read(&path)
            {
                found.push((path, bytes));
            }
        }
    }
    found
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    paths
}

/// The repository root, from this crate's manifest directory.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Tokens the mutator inserts: keys, table headers, interpolation, hostile text.
pub const DICTIONARY: &[&str] = &[
    "[stage.",
    "[args]\n",
    "]\n",
    " = ",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    "\r\n",
    "\\u0000",
    "\\u0041",
    "\\\n",
    "${",
    "${X}",
    "${A}",
    "$$",
    "$HOME",
    "..",
    "../",
    "/etc",
    "scratch",
    "busybox:1.36",
    "python:3.11-slim",
    "@sha256:",
    "from",
    "python",
    "node",
    "ruby",
    "root",
    "apt",
    "workdir",
    "package_manager",
    "requirements",
    "install",
    "venv",
    "package",
    "tool",
    "entry",
    "output",
    "pex",
    "zipapp",
    "source",
    "copy",
    "src",
    "dest",
    "path",
    "include",
    "exclude",
    "owner",
    "mode",
    "run",
    "cmd",
    "cache",
    "secret",
    "ssh",
    "tmpfs",
    "env",
    "network",
    "user",
    "before_source",
    "outputs",
    "expose",
    "entrypoint",
    "labels",
    "healthcheck",
    "interval",
    "timeout",
    "start_period",
    "retries",
    "stop_signal",
    "description",
    "default",
    "id",
    "target",
    "sharing",
    "locked",
    "required",
    "name",
    "uid",
    "gid",
    "group",
    "home",
    "true",
    "false",
    "-1",
    "0",
    "65536",
    "9223372036854775807",
    "\"sh\", \"-c\"",
    "$(id)",
    "`id`",
    "; rm -rf /",
    "\t",
    "RUN",
    "FROM",
    "chown",
    "test",
    "uv",
    "poetry",
    "pdm",
    "pipenv",
    "pip",
    "npm",
    "yarn",
    "pnpm",
    "bun",
    "bundler",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unquoted_text() {
        assert_eq!(outside_single_quotes("echo 'a$(b)c'", "$(b)"), None);
        assert_eq!(outside_single_quotes("echo a'x'$(b)", "$(b)"), Some(9));
        assert_eq!(outside_single_quotes("echo \"$(b)\"", "$(b)"), Some(6));
        assert_eq!(outside_single_quotes(r"echo 'a'\''$(b)'", "$(b)"), None);
        assert_eq!(outside_single_quotes(r"echo \'$(b)", "$(b)"), Some(7));
    }

    #[test]
    fn arg_names_are_found_once_each() {
        assert_eq!(arg_names("${A} ${B}x ${A} ${ C} ${D"), ["A", "B"]);
    }
}
