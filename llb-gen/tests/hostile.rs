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

fn refused(text: &str, options: llb_gen::CompileOptions) -> llb_gen::Diagnostics {
    let file = llb_gen::SourceFile::new("Stagefile.toml", text);
    match llb_gen::Prepared::new(file, options) {
        Err(diagnostics) => diagnostics,
        Ok(prepared) => prepared
            .compile(&llb_gen::KnownPaths::default(), &Default::default())
            .expect_err("the spec should have been refused"),
    }
}

fn codes(diagnostics: &llb_gen::Diagnostics) -> Vec<&'static str> {
    diagnostics.items.iter().map(|d| d.code).collect()
}

/// The first line of each diagnostic's location, as `line:col`.
fn located(diagnostics: &llb_gen::Diagnostics) -> Vec<String> {
    diagnostics
        .items
        .iter()
        .filter_map(|d| d.span.as_ref())
        .map(|span| {
            let (line, col) = diagnostics.file.line_col(span.start);
            format!("{line}:{col}")
        })
        .collect()
}

#[test]
fn a_spec_larger_than_the_limit_is_refused_at_the_limit() {
    let limit = llb_gen::limits::MAX_SPEC_BYTES;
    let mut text = String::from("[stage.a]\nfrom = \"busybox:1.36\"\n");
    while text.len() <= limit {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let error = llb_gen::SourceFile::from_bytes("S.toml", text.clone().into_bytes()).unwrap_err();
    assert_eq!(codes(&error), ["LimitExceeded"]);
    assert_eq!(located(&error).len(), 1);
    // A library user handing over a large text directly gets the same.
    assert_eq!(
        codes(&refused(&text, Default::default())),
        ["LimitExceeded"]
    );
}

#[test]
fn text_that_is_not_utf8_is_refused_where_it_goes_wrong() {
    let bytes = b"[stage.a]\nfrom = \"busybox:1.36\"\n# caf\xe9\n".to_vec();
    let error = llb_gen::SourceFile::from_bytes("S.toml", bytes).unwrap_err();
    assert_eq!(codes(&error), ["TomlSyntax"]);
    assert_eq!(located(&error), ["3:6"]);
}

/// A 10 KB build arg used 100,000 times took 8.8 GB and 45 s; in a shell script it is now set
/// once in the step's environment, and substituted elsewhere only up to the budget.
#[test]
fn build_arg_amplification_stops_at_the_budget() {
    let big = llb_gen::CompileOptions {
        build_args: [("X".to_owned(), "x".repeat(10_000))].into(),
        ..Default::default()
    };
    let uses = "${X}".repeat(100_000);
    for stage in [
        format!("run = [{{ cmd = [\"echo\", \"{uses}\"] }}]"),
        format!("env = {{ E = \"{uses}\" }}\nrun = [\"true\"]"),
        format!("labels = {{ l = \"{uses}\" }}"),
        format!("run = [{}]", vec!["\"echo ${X}\""; 1_000].join(", ")),
    ] {
        let text = format!("[args]\nX = \"\"\n[stage.a]\nfrom = \"busybox:1.36\"\n{stage}\n");
        let error = refused(&text, big.clone());
        assert_eq!(codes(&error), ["LimitExceeded"], "{}", error.render(false));
        assert_eq!(located(&error).len(), 1);
    }
}

#[test]
fn steps_stages_and_definition_size_are_bounded() {
    let runs = vec!["\"x\""; llb_gen::limits::MAX_STEPS + 1].join(",");
    let text = format!("[stage.a]\nfrom = \"busybox:1.36\"\nrun = [{runs}]\n");
    assert_eq!(located(&refused(&text, Default::default())), ["1:8"]);

    let mut text = String::new();
    for i in 0..=llb_gen::limits::MAX_STAGES {
        text.push_str(&format!("[stage.s{i}]\nfrom = \"busybox:1.36\"\n"));
    }
    let error = refused(&text, Default::default());
    assert_eq!(codes(&error), ["LimitExceeded"]);
    assert_eq!(located(&error), ["2001:8"]);

    // Env is copied into every later step: 400 KB of it reaches 15 MiB in 40 steps.
    let text = format!(
        "[stage.a]\nfrom = \"busybox:1.36\"\nenv = {{ E = \"{}\" }}\nrun = [{}]\n",
        "x".repeat(400_000),
        vec!["\"x\""; 100].join(",")
    );
    let error = refused(&text, Default::default());
    assert_eq!(codes(&error), ["LimitExceeded"]);
    assert!(error.items[0].message.contains("15 MiB"));
}

/// Each value of a spec costs a hundred bytes or more once typed: past 50,000 the spec is
/// refused before that (a file of 350,000 `{}` took 197 MB).
#[test]
fn values_are_counted_before_they_are_typed() {
    let text = format!(
        "[stage.a]\nfrom = \"busybox:1.36\"\ncopy = [{}]\n",
        vec!["{}"; 60_000].join(",")
    );
    let error = refused(&text, Default::default());
    assert_eq!(codes(&error), ["LimitExceeded"]);
    // `stage`, `a`, `from`, `copy` and 49,996 items make 50,000: the next item is refused.
    assert_eq!(located(&error), ["3:149997"]);
}

/// Past 50 errors the rest are counted, not rendered (30,000 errors in a 1 MiB spec took
/// minutes, each rendering and each with a "did you mean" among thousands of names).
#[test]
fn errors_stop_at_fifty() {
    let mut text = String::from("[args]\n");
    for i in 0..2_000 {
        text.push_str(&format!("ARG{i} = \"x\"\n"));
    }
    text.push_str("[stage.a]\nfrom = \"busybox:1.36\"\nlabels = { ");
    let labels: Vec<String> = (0..5_000)
        .map(|i| format!("l{i} = \"${{NOPE{i}}}\""))
        .collect();
    text.push_str(&labels.join(", "));
    text.push_str(" }\n");
    let error = refused(&text, Default::default());
    assert_eq!(error.items.len(), 51);
    assert_eq!(error.items[50].message, "4,950 more errors are not shown");
}

/// Runs the CLI on `spec` in `dir` with a time limit; returns (status, stderr, stdout).
fn cli(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("llb-gen {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The CLI reads `.dockerignore` as the frontend does: a file that is not UTF-8 still
/// excludes `.env` (it used to be dropped whole), and a FIFO is an error, not a hang.
#[test]
fn the_cli_reads_dockerignore_like_the_frontend() {
    let dir = scratch_dir("dockerignore");
    fs::write(
        dir.join("Stagefile.toml"),
        "[stage.a]\nfrom = \"busybox:1.36\"\ncopy = [{ src = \".\", dest = \"/app\" }]\n",
    )
    .unwrap();
    fs::write(dir.join(".dockerignore"), b"# caf\xe9\n.env\nsecrets\n").unwrap();
    let (status, stderr, stdout) = cli(&dir, &["Stagefile.toml", "--format", "json"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stdout.contains("[\\\".env\\\",\\\"secrets\\\"]"),
        "{stdout}"
    );

    fs::remove_file(dir.join(".dockerignore")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(dir.join(".dockerignore"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let (status, stderr, _) = cli(&dir, &["Stagefile.toml"]);
    assert_eq!(status, Some(1));
    assert!(
        stderr.contains(".dockerignore is not a regular file"),
        "{stderr}"
    );

    let (status, stderr, _) = cli(&dir, &["Stagefile.toml", "--context", "missing"]);
    assert_eq!(status, Some(1));
    assert!(
        stderr.contains("the build context missing is not a directory"),
        "{stderr}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn source_date_epoch_must_be_a_date_rfc_3339_can_write() {
    for epoch in [-1, 253_402_300_800, i64::MIN, i64::MAX] {
        let options = llb_gen::CompileOptions {
            source_date_epoch: Some(epoch),
            ..Default::default()
        };
        let error = refused("[stage.a]\nfrom = \"busybox:1.36\"\n", options);
        assert_eq!(codes(&error), ["OutOfRange"], "{epoch}");
    }
    let options = llb_gen::CompileOptions {
        source_date_epoch: Some(253_402_300_799),
        ..Default::default()
    };
    let file = llb_gen::SourceFile::new("S.toml", "[stage.a]\nfrom = \"busybox:1.36\"\n");
    let compiled = llb_gen::Prepared::new(file, options)
        .unwrap()
        .compile(&llb_gen::KnownPaths::default(), &Default::default())
        .unwrap();
    assert_eq!(
        compiled.image_config.created.as_deref(),
        Some("9999-12-31T23:59:59Z")
    );
}

/// A `Gemfile.lock` of a megabyte of path gems is refused at the limit, not turned into
/// tens of thousands of copies.
#[test]
fn a_lockfile_full_of_path_gems_is_refused() {
    let dir = scratch_dir("path-gems");
    fs::write(
        dir.join("Stagefile.toml"),
        "[stage.app]\nruby = \"3.1\"\ncmd = [\"x\"]\n",
    )
    .unwrap();
    fs::write(dir.join("Gemfile"), "gem \"x\"\n").unwrap();
    let lock: String = (0..40_000)
        .map(|i| format!("PATH\n  remote: g/{i}\n  specs:\n    g{i} (1.0)\n\n"))
        .collect();
    fs::write(dir.join("Gemfile.lock"), lock).unwrap();
    let (status, stderr, _) = cli(&dir, &["--format", "text"]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("`Gemfile.lock` has more than 1,000 path and git gems"),
        "{stderr}"
    );
    let _ = fs::remove_dir_all(&dir);
}
