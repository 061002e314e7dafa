//! Hostile input: what a spec, its build args or its context can make the compiler do is
//! bounded. No recursion as deep as the input, no crash on a closed output.
//!
//! Each test is built from a reproducer of issue 11 (`../shared/reports/hostile-input.md`).

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use llb_gen::llb::{self, Exec, OpMeta, State};
use llb_gen::pb;

/// Runs `work` on a thread with a small stack, so that recursion as deep as the input
/// overflows there even when the main thread's 8 MiB would hide it.
fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(work)
        .unwrap()
        .join()
        .expect("the work overflowed a 128 KiB stack or panicked")
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llb-gen-hostile-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A chain of 100,000 ops marshals and drops without recursion (the marshaller recursed per
/// op and overflowed at about 5,800; dropping recursed per op too).
#[test]
fn a_long_op_chain_marshals_and_drops_on_a_small_stack() {
    let ops = on_small_stack(|| {
        let platform = pb::Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            ..Default::default()
        };
        let mut state = State::image(
            "docker.io/library/busybox:1.36",
            &platform,
            false,
            OpMeta::default(),
        );
        for i in 0..100_000 {
            let exec = Exec {
                args: vec!["/bin/sh".into(), "-c".into(), format!("echo {i}")],
                cwd: "/".into(),
                ..Exec::default()
            };
            state = state.run(exec, OpMeta::default());
        }
        let definition = llb::marshal(&state, None);
        drop(state);
        definition.def.len()
    });
    // The image, 100,000 execs and the terminal op.
    assert_eq!(ops, 100_002);
}

/// 1,000 stages each `from` the previous: the stage graph is walked without recursion.
#[test]
fn a_long_stage_chain_is_ordered_on_a_small_stack() {
    let mut text = String::from("[stage.s0]\nfrom = \"busybox:1.36\"\n");
    for i in 1..1_000 {
        text.push_str(&format!("[stage.s{i}]\nfrom = \"s{}\"\n", i - 1));
    }
    let order = on_small_stack(move || {
        let file = llb_gen::SourceFile::new("Stagefile.toml", text);
        let prepared = llb_gen::Prepared::new(file, Default::default()).unwrap();
        prepared.plan().order.clone()
    });
    assert_eq!(order, (0..1_000).collect::<Vec<_>>());
}

/// `llb-gen` exits with status 1, not an abort, when it cannot write its diagnostics
/// (`2>/dev/full`) or its output (a reader that went away).
#[test]
fn a_closed_or_full_output_is_an_ordinary_exit() {
    let dir = scratch_dir("closed-output");
    let bad = dir.join("bad.toml");
    fs::write(&bad, "[stage.a]\nfrm = \"x\"\n").unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .arg(&bad)
        .stderr(File::options().write(true).open("/dev/full").unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "{status}");

    let good = dir.join("good.toml");
    fs::write(
        &good,
        "[stage.a]\nfrom = \"busybox:1.36\"\nrun = [\"true\"]\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args([good.to_str().unwrap(), "--format", "text"])
        .stdout(Stdio::piped())
        .stderr(File::options().write(true).open("/dev/full").unwrap())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "closed stdout: {status}"
    );
    fs::remove_dir_all(&dir).unwrap();
}
