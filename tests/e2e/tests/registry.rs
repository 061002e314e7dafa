//! Flags that go through a registry (the local one `setup.sh` starts): `--cache-to` /
//! `--cache-from` from one engine to another, and `--pull`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use stagefile_e2e::{
    REGISTRY, Scratch, TRIXIE, build, build_file, cached_steps, require_registry, run, text,
};

/// A value no earlier build has seen, so no engine can have its steps cached already.
fn nonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

/// CI machine A builds and pushes with inline cache; machine B (the trixie engine, which has
/// never built this spec) builds it with `--cache-from` and runs none of its steps.
#[test]
fn cache_from_reuses_another_engines_inline_cache() {
    require_registry();
    TRIXIE.require();
    TRIXIE.require_same_frontend();
    let nonce = nonce();
    let spec = format!(
        r#"# syntax=stagefile:dev
[stage.app]
from = "python:3.11-slim"
workdir = "/srv"
run = [
  "echo built {nonce} > /srv/stamp",
  "python -c 'import sys; print(sys.version_info[0])' > /srv/major",
]
cmd = ["cat", "/srv/stamp", "/srv/major"]
"#
    );
    let dir = Scratch::with_files("cache-from", &[("Stagefile.toml", &spec)]);
    let image = format!("{REGISTRY}/stagefile-e2e/cache:{}", std::process::id());
    build(&dir.path, &image, &["--cache-to", "type=inline", "--push"]).expect_ok();

    let from = format!("type=registry,ref={image}");
    let log = TRIXIE
        .build(
            &dir.path,
            "Stagefile.toml",
            "stagefile-e2e/cache-from",
            &["--cache-from", &from],
        )
        .expect_ok()
        .log;
    let cached = cached_steps(&log);
    for step in ["echo built", "python -c", "WORKDIR /srv", "create user app"] {
        assert!(
            cached.iter().any(|s| s.contains(step)),
            "`{step}` was not taken from the imported cache:\n{log}"
        );
    }
    let out = TRIXIE.docker(&["run", "--rm", "stagefile-e2e/cache-from"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("built {nonce}\n3\n"));
}

/// The base image exists locally (v1) and in the registry (v2) under one name: a build uses
/// the local one, and `--pull` the registry's, as with a Dockerfile.
#[test]
fn pull_takes_the_base_image_from_the_registry() {
    require_registry();
    let nonce = nonce();
    let base = format!("{REGISTRY}/stagefile-e2e/pullbase:{}", std::process::id());
    let dockerfile = "FROM debian:bookworm-slim\nARG MARK\nRUN echo $MARK > /marker\n";
    let spec = format!(
        "# syntax=stagefile:dev\n[stage.app]\nfrom = \"{base}\"\ncmd = [\"cat\", \"/marker\"]\n"
    );
    let dir = Scratch::with_files(
        "pull",
        &[("Dockerfile", dockerfile), ("Stagefile.toml", &spec)],
    );
    let mark = |version: &str| format!("MARK={version}-{nonce}");
    base_image(&dir.path, &base, &["--build-arg", &mark("v2"), "--push"]);
    base_image(&dir.path, &base, &["--build-arg", &mark("v1")]);

    let local = build(&dir.path, "stagefile-e2e/pull-local", &[])
        .expect_ok()
        .tag;
    assert_eq!(run(&local, &[]).trim(), format!("v1-{nonce}"));
    let pulled = build(&dir.path, "stagefile-e2e/pull-registry", &["--pull"])
        .expect_ok()
        .tag;
    assert_eq!(run(&pulled, &[]).trim(), format!("v2-{nonce}"));
}

/// Builds the test's base image from its Dockerfile with the built-in frontend.
fn base_image(dir: &Path, tag: &str, extra: &[&str]) {
    build_file(dir, "Dockerfile", tag, extra).expect_ok();
}
