//! `runtime = "minimal"`: the image is only the interpreter, its standard library, the
//! dependencies, the app, the libraries they need, CA certificates, time zone data and the
//! user; no shell, no package manager, no package database. Two examples, built that way
//! through the frontend, serve what they serve with their base image, in a fraction of its size.

use stagefile_e2e::{Scratch, Server, build, example, image_size, run_with};

/// A copy of `name` whose stage `stage` asks for the minimal runtime.
fn minimal_copy(name: &str, stage: &str) -> Scratch {
    let copy = Scratch::copy_of(&example(name), &format!("{name}-minimal"));
    let path = copy.path.join("Stagefile.toml");
    let spec = std::fs::read_to_string(&path).expect("Stagefile.toml");
    let header = format!("[stage.{stage}]\n");
    assert!(spec.contains(&header), "{name} has no stage {stage}");
    let spec = spec.replacen(&header, &format!("{header}runtime = \"minimal\"\n"), 1);
    std::fs::write(&path, spec).expect("write Stagefile.toml");
    copy
}

/// What a minimal image must not have, asked of its own Python (it has no shell).
fn nothing_but_the_runtime(image: &str) {
    let script = "import os, ssl, zoneinfo; \
        print([p for p in ('/bin/sh', '/usr/bin/apt-get', '/var/lib/dpkg', '/usr/bin/gcc') if os.path.exists(p)], \
        os.path.exists(ssl.get_default_verify_paths().cafile or ''), \
        zoneinfo.ZoneInfo('Europe/Paris').key, os.getuid())";
    assert_eq!(
        run_with(image, &["--entrypoint", "python"], &["-c", script]).trim(),
        "[] True Europe/Paris 10001"
    );
}

/// Builds example `name` with stage `stage` minimal.
fn build_minimal(name: &str, stage: &str) -> String {
    let copy = minimal_copy(name, stage);
    build(&copy.path, &format!("stagefile-e2e/{name}-minimal"), &[])
        .expect_ok()
        .tag
}

#[test]
fn python_venv_runs_on_the_minimal_runtime() {
    let minimal = build_minimal("python-venv", "web");
    let (_server, page) = Server::start(&minimal, 8000, "/");
    assert!(page.contains("psycopg2 built against libpq 15."), "{page}");
    nothing_but_the_runtime(&minimal);
    let slim = build(&example("python-venv"), "stagefile-e2e/python-venv", &[])
        .expect_ok()
        .tag;
    let (minimal_size, slim_size) = (image_size(&minimal), image_size(&slim));
    eprintln!(
        "python-venv: minimal runtime {} MB, base image runtime {} MB ({:.2})",
        minimal_size / 1_000_000,
        slim_size / 1_000_000,
        minimal_size as f64 / slim_size as f64
    );
    assert!(
        minimal_size < slim_size,
        "{minimal_size} B >= {slim_size} B"
    );
}

#[test]
fn python_node_runs_on_the_minimal_runtime() {
    let minimal = build_minimal("python-node", "app");
    let (_server, css) = Server::start(&minimal, 8000, "/site.css");
    assert!(css.contains("built"), "{css}");
    nothing_but_the_runtime(&minimal);
}
