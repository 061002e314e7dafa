//! uv workspaces and a uv project's local packages: one member built with the workspace's
//! lock (from the member's directory, or the workspace's root), a `path` source inside the
//! project, each installed non-editable after the source with its script on `PATH`, the
//! dependency layer kept across a source edit; and a `path` source outside what the build
//! copies refused at the spec, not an image without it.

use stagefile_e2e::{Scratch, build, build_leftovers, cached_steps, fixture, run, sh};

/// What the workspace fixture's member prints as the image's user.
const MEMBER_SAYS: &str = "hello workspace: 1,234,567, uid 10001";

/// The member's script is the venv's, and the sibling it imports is installed there (not
/// read from the source tree), without uv or a cache left behind.
fn check_member(image: &str) {
    assert_eq!(run(image, &[]).trim(), MEMBER_SAYS);
    let found = sh(
        image,
        "command -v api-hello; python -c 'import greeting, api; print(greeting.__file__); print(api.__file__)'",
    );
    assert_eq!(
        found.lines().collect::<Vec<_>>(),
        [
            "/venv/bin/api-hello",
            "/venv/lib/python3.11/site-packages/greeting/__init__.py",
            "/venv/lib/python3.11/site-packages/api/__init__.py",
        ],
        "{found}"
    );
    assert_eq!(build_leftovers(image), Vec::<String>::new());
    // The members' own files are compiled at build time (only the files their install added:
    // the dependencies' bytecode is in the layer before).
    let compiled = sh(
        image,
        "ls /venv/lib/python3.11/site-packages/greeting/__pycache__ /venv/lib/python3.11/site-packages/api/__pycache__",
    );
    assert_eq!(compiled.matches(".pyc").count(), 2, "{compiled}");
}

#[test]
fn a_uv_workspace_member_builds_with_the_workspace_lock() {
    let dir = Scratch::copy_of(&fixture("python-uv-workspace"), "python-uv-workspace");
    let tag = "stagefile-e2e/python-uv-workspace";
    let built = build(&dir.path, tag, &[]).expect_ok();
    for step in [
        "uv sync --frozen --no-install-local --no-dev --package api",
        "uv sync --frozen --no-dev --no-editable --package api",
    ] {
        assert!(built.log.contains(step), "no `{step}`:\n{}", built.log);
    }
    check_member(tag);
    assert_eq!(sh(tag, "pwd").trim(), "/app/packages/api");

    // A sibling's source changes (new each run, so the members' install cannot be a cache
    // hit of an earlier run): the dependency install is reused, the members' is not.
    let word = format!("hi{}", std::process::id());
    let sibling = dir.path.join("packages/greeting/src/greeting/__init__.py");
    let source = std::fs::read_to_string(&sibling).expect("greeting");
    let edited = source.replace("f\"hello ", &format!("f\"{word} "));
    std::fs::write(&sibling, edited).expect("edit greeting");
    let log = build(&dir.path, tag, &[]).expect_ok().log;
    let cached = cached_steps(&log);
    assert!(
        cached
            .iter()
            .any(|s| s.contains("uv sync --frozen --no-install-local")),
        "the dependency install was not CACHED:\n{log}"
    );
    assert!(
        !cached.iter().any(|s| s.contains("--no-editable")),
        "the members were not installed again:\n{log}"
    );
    assert_eq!(
        run(tag, &[]).trim(),
        MEMBER_SAYS.replacen("hello", &word, 1),
        "the edit is not in the image"
    );
}

#[test]
fn a_uv_workspace_root_installs_its_members() {
    let dir = Scratch::copy_of(&fixture("python-uv-workspace"), "python-uv-workspace-root");
    let spec = "# syntax=stagefile:dev\n[stage.all]\npython = \"3.11\"\ncmd = [\"api-hello\"]\n";
    std::fs::write(dir.path.join("Stagefile.toml"), spec).expect("write Stagefile.toml");
    let tag = "stagefile-e2e/python-uv-workspace-root";
    let built = build(&dir.path, tag, &[]).expect_ok();
    assert!(
        built
            .log
            .contains("uv sync --frozen --no-install-local --no-dev\n"),
        "{}",
        built.log
    );
    check_member(tag);
    assert_eq!(sh(tag, "pwd").trim(), "/app");
}

#[test]
fn a_path_source_inside_the_project_is_installed_after_the_source() {
    let tag = "stagefile-e2e/python-uv-path";
    let built = build(&fixture("python-uv-path"), tag, &[]).expect_ok();
    assert!(
        built
            .log
            .contains("uv sync --frozen --no-dev --no-editable"),
        "{}",
        built.log
    );
    assert_eq!(run(tag, &[]).trim(), "PATH: 7,654,321, uid 10001");
    let found = sh(
        tag,
        "command -v tool; python -c 'import util; print(util.__file__)'",
    );
    assert_eq!(
        found.lines().collect::<Vec<_>>(),
        [
            "/venv/bin/tool",
            "/venv/lib/python3.11/site-packages/util/__init__.py"
        ],
        "{found}"
    );
    assert_eq!(build_leftovers(tag), Vec::<String>::new());
}

#[test]
fn a_path_source_outside_the_copied_directory_is_an_error_at_the_spec() {
    let dir = Scratch::copy_of(&fixture("python-uv-path"), "python-uv-path-outside");
    let lock = dir.path.join("app/uv.lock");
    let text = std::fs::read_to_string(&lock).expect("uv.lock");
    std::fs::write(&lock, text.replace("\"libs/util\"", "\"../util\"")).expect("edit uv.lock");
    let log = build(&dir.path, "stagefile-e2e/python-uv-path-outside", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("`app/uv.lock` installs `util` from `../util`, outside `app`"),
        "{log}"
    );
    assert!(log.contains(">>> python = \"3.11\""), "{log}");
}
