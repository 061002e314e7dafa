//! The same spec always gives the same bytes: within a process and across processes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{compile_dir, compile_text, example_dirs, spec_dirs};
use llb_gen::LocalDirProbe;
use llb_gen::compile::CompileOptions;
use prost::Message;

#[test]
fn compiling_twice_in_one_process_gives_identical_bytes() {
    for dir in spec_dirs().into_iter().chain(example_dirs()) {
        let first = compile_dir(&dir, None);
        let second = compile_dir(&dir, None);
        assert_eq!(
            first.definition.encode_to_vec(),
            second.definition.encode_to_vec(),
            "{}",
            dir.display()
        );
        assert_eq!(
            first.image_config.to_json(),
            second.image_config.to_json(),
            "{}",
            dir.display()
        );
    }
}

#[test]
fn the_cli_prints_identical_bytes_in_two_processes() {
    for dir in spec_dirs() {
        let run = || {
            let output = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
                .arg(dir.join("Stagefile.toml"))
                .args(["--format", "pb", "--platform", "linux/amd64"])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}: {}",
                dir.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            output.stdout
        };
        let first = run();
        assert!(!first.is_empty());
        assert_eq!(first, run(), "{}", dir.display());
        // The CLI and the library agree.
        let library = compile_dir(&dir, None).definition.encode_to_vec();
        assert_eq!(first, library, "{}", dir.display());
    }
}

#[test]
fn build_args_and_targets_change_the_bytes_only_when_they_change_the_build() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/multi-target");
    let default = compile_dir(&dir, None).definition.encode_to_vec();
    let api = compile_dir(&dir, Some("api")).definition.encode_to_vec();
    let worker = compile_dir(&dir, Some("worker")).definition.encode_to_vec();
    assert_eq!(default, api, "api is the default target");
    assert_ne!(api, worker);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/python-node");
    let text = std::fs::read_to_string(dir.join("Stagefile.toml")).unwrap();
    let with_python = |version: Option<&str>| {
        let options = CompileOptions {
            build_args: version
                .map(|v| BTreeMap::from([("PYTHON".to_owned(), v.to_owned())]))
                .unwrap_or_default(),
            ..CompileOptions::default()
        };
        compile_text(&text, &LocalDirProbe::new(&dir), options)
            .definition
            .encode_to_vec()
    };
    assert_eq!(
        with_python(None),
        with_python(Some("3.11")),
        "3.11 is the default"
    );
    assert_ne!(with_python(None), with_python(Some("3.12")));
}
