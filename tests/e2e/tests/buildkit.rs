//! Standalone BuildKit: the vendored buildkitd v0.32.2 that `setup.sh` starts on its own
//! socket, as remote builders and build platforms run it. Reached with `buildctl` (through the
//! release image, and with the LLB from `llb-gen`) and with a buildx remote-driver builder.
//! Images go to the local registry and are pulled back into the Docker engine and run.

use std::io::Write;
use std::process::{Command, Stdio};

use stagefile_e2e::buildkit::{
    ARCH_SPEC, Builder, PLATFORMS, buildctl_command, buildctl_gateway, fresh_ref, has_merge_op,
    index_platforms, inspect, outcome, provenance_llb, release_image, require_buildkit,
    run_platform,
};
use stagefile_e2e::{Scratch, Server, example, repo_root, run_with, text};

#[test]
fn buildctl_builds_an_example_through_the_release_image() {
    require_buildkit();
    let image = fresh_ref("bk-python-node");
    let output = format!("type=image,name={image},push=true");
    buildctl_gateway(&example("python-node"), &["--output", &output]).expect_ok();
    // The frontend's image config came along: gunicorn as the default command, as user app.
    let (_server, body) = Server::start(&image, 8000, "/");
    assert_eq!(body.trim(), "assets: site.css");
    assert_eq!(
        run_with(&image, &["--entrypoint", "id"], &["-u"]).trim(),
        "10001"
    );
}

/// A spec whose steps need no network: `llb-gen` attaches no image config, so the base
/// images' environment (these machines' proxy CA for pip and npm) is not there.
const OFFLINE_SPEC: &str = "\
[stage.tool]
from = \"python:3.11-slim\"
workdir = \"/opt/tool\"
run = [\"python3 -m venv venv\", \"venv/bin/python -c 'import sys; print(sys.prefix)' > prefix\"]
outputs = [\"venv/\", \"prefix\"]

[stage.app]
from = \"python:3.11-slim\"
copy = [
  { from = \"tool\", dest = \"/opt/tool/\" },
  { src = \"hello.py\", dest = \"/srv/hello.py\" },
]
";

#[test]
fn llb_gen_output_piped_to_buildctl_builds_with_merge_ops() {
    require_buildkit();
    let llb_gen = llb_gen_binary();
    let dir = Scratch::with_files(
        "bk-llb-gen",
        &[
            ("Stagefile.toml", OFFLINE_SPEC),
            ("hello.py", "import sys\nprint('hello from', sys.prefix)\n"),
        ],
    );
    let spec = dir.path.join("Stagefile.toml");
    let listing = Command::new(&llb_gen)
        .arg(&spec)
        .args(["--format", "text"])
        .output()
        .expect("llb-gen runs");
    assert!(listing.status.success(), "{}", text(&listing.stderr));
    assert!(
        text(&listing.stdout).lines().any(|l| l.contains(" merge ")),
        "cross-stage copies are linked with merge ops:\n{}",
        text(&listing.stdout)
    );
    let definition = Command::new(&llb_gen)
        .arg(&spec)
        .output()
        .expect("llb-gen runs");
    assert!(definition.status.success(), "{}", text(&definition.stderr));

    let image = fresh_ref("bk-llb-gen");
    let context = format!("context={}", dir.path.display());
    let output = format!("type=image,name={image},push=true");
    let mut child = buildctl_command(&[
        "build",
        "--progress=plain",
        "--local",
        &context,
        "--output",
        &output,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("buildctl starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&definition.stdout)
        .expect("the definition goes to buildctl");
    let done = child.wait_with_output().expect("buildctl ends");
    outcome(&done, "llb-gen | buildctl build").expect_ok();
    // llb-gen attaches no image config: name the command. The venv built in one stage runs
    // the context's file in the other.
    let out = run_with(
        &image,
        &["--entrypoint", "/opt/tool/venv/bin/python"],
        &["/srv/hello.py"],
    );
    assert_eq!(out.trim(), "hello from /opt/tool/venv");
    assert_eq!(
        run_with(&image, &["--entrypoint", "cat"], &["/opt/tool/prefix"]).trim(),
        "/opt/tool/venv"
    );
}

/// `--output type=registry` for two platforms, through buildx's remote driver to buildkitd.
#[test]
fn several_platforms_pushed_by_buildkitd_run_and_use_merge_ops() {
    require_buildkit();
    let dir = Scratch::with_files("bk-multi", &[("Stagefile.toml", ARCH_SPEC)]);
    let image = fresh_ref("bk-multi");
    let syntax = format!("BUILDKIT_SYNTAX={}", release_image());
    let output = format!("type=registry,name={image}");
    Builder::remote("multi")
        .build(
            &dir.path,
            "Stagefile.toml",
            &[
                "--build-arg",
                &syntax,
                "--platform",
                PLATFORMS,
                "--attest",
                "type=provenance,mode=max",
                "--output",
                &output,
            ],
        )
        .expect_ok();
    let index = inspect(&image, &["--raw"]);
    assert_eq!(
        index_platforms(&index),
        ["linux/amd64", "linux/arm64"],
        "{index:#}"
    );
    assert_eq!(run_platform(&image, "linux/amd64", &[]).trim(), "x86_64");
    assert_eq!(run_platform(&image, "linux/arm64", &[]).trim(), "aarch64");
    // What BuildKit solved, per platform: the cross-stage copy went through a merge op.
    let provenance = inspect(&image, &["--format", "{{json .Provenance}}"]);
    for platform in ["linux/amd64", "linux/arm64"] {
        let llb = provenance_llb(&provenance[platform]["SLSA"]);
        assert!(
            has_merge_op(llb),
            "{platform}: no merge op in the solved definition:\n{llb:#}"
        );
    }
}

#[test]
fn buildx_remote_driver_builds_and_loads_an_example() {
    require_buildkit();
    let builder = Builder::remote("remote");
    let syntax = format!("BUILDKIT_SYNTAX={}", release_image());
    let tag = format!("stagefile-e2e/bk-remote:{}", std::process::id());
    builder
        .build(
            &example("python-pex"),
            "Stagefile.toml",
            &["--build-arg", &syntax, "--tag", &tag, "--load"],
        )
        .expect_ok();
    let (_server, html) = Server::start(&tag, 8000, "/render?text=%23%20Hello");
    assert!(html.contains("<h1>Hello</h1>"), "{html}");
}

/// The `llb-gen` binary of this tree (built now if needed).
fn llb_gen_binary() -> std::path::PathBuf {
    let root = repo_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build", "--quiet", "--locked", "-p", "llb-gen", "--bin", "llb-gen",
        ])
        .current_dir(&root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p llb-gen failed");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into);
    target.join("debug/llb-gen")
}
