//! The package managers beyond each language's first: pnpm, Yarn (through corepack) and Bun
//! for Node, Poetry, pdm and Pipenv for Python, and a Python project without a lockfile. Each
//! fixture is found from its lockfile (or manifest), built through the frontend and run.

use std::path::Path;

use stagefile_e2e::{Scratch, build, build_leftovers, check_node_cli, fixture, root_sh, run, sh};

/// A Node fixture installed with its manager (found from its lockfile): its own
/// `run` step calls the manager by name, and the runtime gets the build's output only.
fn node_manager_fixture_runs(name: &str) {
    let image = build(&fixture(name), &format!("stagefile-e2e/{name}"), &[])
        .expect_ok()
        .tag;
    check_node_cli(&image, "/root/.cache /app/src");
}

#[test]
fn pnpm_stage_installs_from_its_lockfile_and_runs_pnpm() {
    node_manager_fixture_runs("node-pnpm");
}

#[test]
fn yarn_stage_installs_from_its_lockfile_and_runs_yarn() {
    node_manager_fixture_runs("node-yarn");
}

#[test]
fn bun_stage_installs_from_bun_lock_and_runs_bun() {
    node_manager_fixture_runs("node-bun");
}

/// Projects from before Bun 1.2 have a binary `bun.lockb`: the same fixture locked that way.
#[test]
fn bun_stage_installs_from_a_binary_bun_lockb() {
    let dir = Scratch::copy_of(&fixture("node-bun"), "node-bun-lockb");
    std::fs::remove_file(dir.path.join("bun.lock")).expect("rm bun.lock");
    let lockb = fixture("node-bun-binary-lock").join("bun.lockb");
    std::fs::copy(lockb, dir.path.join("bun.lockb")).expect("cp bun.lockb");
    let built = build(&dir.path, "stagefile-e2e/node-bun-lockb", &[]).expect_ok();
    assert!(
        built.log.contains("bun install --frozen-lockfile"),
        "{}",
        built.log
    );
    check_node_cli(&built.tag, "/root/.cache /app/src");
}

/// The Python fixture `name`, installed by `manager` from its lock: the program runs as `app` with its
/// dependency from the virtualenv, and neither the tool nor any cache is in the image.
fn python_lock_fixture_runs(name: &str, manager: &str, expected: &str) {
    let dir: &Path = &fixture(name);
    let image = build(dir, &format!("stagefile-e2e/{name}"), &[])
        .expect_ok()
        .tag;
    assert_eq!(
        run(&image, &[]).trim(),
        format!("{manager}: {expected}, uid 10001")
    );
    assert_eq!(sh(&image, "command -v python").trim(), "/venv/bin/python");
    let tool = root_sh(
        &image,
        &format!(
            "command -v {manager}; ls -d /opt/stagefile-tools /root/.cache/{manager} 2>/dev/null; true"
        ),
    );
    assert_eq!(tool.trim(), "", "{manager} or its cache is in the image");
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
    // The tool's own environment (pdm makes `.venv` and `.pdm-python` where it runs) is not
    // left in the workdir.
    let own = root_sh(
        &image,
        "ls -A /app | grep -E '^(\\.venv|\\.pdm-python)$'; true",
    );
    assert_eq!(own.trim(), "", "{manager} left its environment in /app");
}

#[test]
fn pdm_stage_installs_from_pdm_lock() {
    python_lock_fixture_runs("python-pdm", "pdm", "1,234,567");
}

#[test]
fn pipenv_stage_installs_from_pipfile_lock() {
    python_lock_fixture_runs("python-pipenv", "pipenv", "hello-stagefile-world");
}

#[test]
fn poetry_stage_installs_from_poetry_lock() {
    python_lock_fixture_runs("python-poetry", "poetry", "a  1");
}

/// A PEP 621 project without a lockfile: its dependency from pyproject.toml, then the project
/// itself (non-editable), whose console script runs as the image's command; the build warns
/// that nothing pins the dependencies.
#[test]
fn a_project_without_a_lockfile_installs_itself_and_its_dependencies() {
    let built = build(
        &fixture("python-pyproject"),
        "stagefile-e2e/python-pyproject",
        &[],
    )
    .expect_ok();
    assert!(built.log.contains("UnlockedDependencies"), "{}", built.log);
    assert!(
        built.log.contains("uv pip install --no-deps ."),
        "{}",
        built.log
    );
    let image = built.tag;
    assert_eq!(run(&image, &[]).trim(), "pyproject: 1,234,567, uid 10001");
    assert_eq!(sh(&image, "command -v greet").trim(), "/venv/bin/greet");
    let imported = sh(
        &image,
        "cd / && python -c 'import greeter, humanize; print(greeter.__file__)'",
    );
    assert!(
        imported
            .trim()
            .starts_with("/venv/lib/python3.11/site-packages/greeter/"),
        "not installed into the venv (editable?): {imported}"
    );
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
}

/// A `setup.py` project (no `pyproject.toml`, no lockfile): the project and its dependency
/// install after the source copy, and what setuptools writes while building (`build/lib`,
/// `*.egg-info`) stays out of the image, while the project's own `build/` is kept as it is.
#[test]
fn a_setup_py_project_installs_without_leaving_build_output_in_the_workdir() {
    let built = build(
        &fixture("python-setuppy"),
        "stagefile-e2e/python-setuppy",
        &[],
    )
    .expect_ok();
    assert!(built.log.contains("UnlockedDependencies"), "{}", built.log);
    assert!(built.log.contains("uv pip install ."), "{}", built.log);
    let image = built.tag;
    assert_eq!(run(&image, &[]).trim(), "setup.py: 7,654,321, uid 10001");
    assert_eq!(
        sh(&image, "command -v hello-setup").trim(),
        "/venv/bin/hello-setup"
    );
    let workdir = sh(&image, "cd /app && find . | sort");
    assert_eq!(
        workdir.lines().collect::<Vec<_>>(),
        [
            ".",
            "./build",
            "./build/NOTES.txt",
            "./hello_setup",
            "./hello_setup/__init__.py",
            "./setup.py",
        ],
        "{workdir}"
    );
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
}

/// A member of an npm workspace whose lockfile is at the workspace's root: installed with that
/// lockfile (every member's manifest, not the sources, before the install), built in its own
/// directory, and able to use a fellow member.
#[test]
fn a_workspace_member_builds_with_the_workspace_lockfile() {
    let built = build(
        &fixture("node-workspace"),
        "stagefile-e2e/node-workspace",
        &[],
    )
    .expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "numbers: 1,2 (of 3 args), uid 10001"
    );
    assert_eq!(sh(&built.tag, "pwd").trim(), "/app/packages/web");
    let dev = root_sh(
        &built.tag,
        "ls -d /app/node_modules/left-pad 2>/dev/null || true",
    );
    assert_eq!(dev.trim(), "", "the devDependency served the build only");
}

/// The same member in a pnpm workspace (`pnpm-workspace.yaml`, `workspace:*`).
#[test]
fn a_pnpm_workspace_member_builds_with_the_workspace_lockfile() {
    let built = build(
        &fixture("node-pnpm-workspace"),
        "stagefile-e2e/node-pnpm-workspace",
        &[],
    )
    .expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "numbers: 1,2 (of 3 args), uid 10001"
    );
    // pnpm asks before it purges a workspace's modules, and without a terminal it used to
    // answer no and prune nothing.
    let dev = root_sh(
        &built.tag,
        "ls -d /app/packages/web/node_modules/left-pad /app/node_modules/.pnpm/left-pad@* 2>/dev/null || true",
    );
    assert_eq!(dev.trim(), "", "the devDependency served the build only");
}

/// A client build and a server in one pnpm workspace member: the server, run as uid 10001,
/// reads the client's build from `public` and writes `app-data`, both relative to the member's
/// directory, where it runs (not the workspace's root at the workdir).
const MEMBER_PATHS: &str = r#"# syntax=stagefile:dev
[stage.client]
node = "20"
root = "packages/web"
run = ["npm run build"]
outputs = ["dist/"]

[stage.server]
node = "20"
root = "packages/web"
copy = [{ from = "client", dest = "public" }]
writable = ["app-data"]
cmd = ["node", "server.js"]
"#;

const MEMBER_SERVER: &str = r#"const fs = require("fs");
const asset = fs.readFileSync("public/dist/main.js", "utf8").split("\n")[0];
fs.writeFileSync("app-data/state", "written");
const state = fs.readFileSync("app-data/state", "utf8");
console.log(`${process.cwd()}: ${asset}; app-data ${state}, uid ${process.getuid()}`);
"#;

#[test]
fn a_members_relative_writable_and_copy_dest_are_in_its_directory() {
    let dir = Scratch::copy_of(&fixture("node-pnpm-workspace"), "member-paths");
    std::fs::write(dir.path.join("Stagefile.toml"), MEMBER_PATHS).unwrap();
    std::fs::write(dir.path.join("packages/web/server.js"), MEMBER_SERVER).unwrap();
    let built = build(&dir.path, "stagefile-e2e/member-paths", &[]).expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "/app/packages/web: // built in the workspace; app-data written, uid 10001"
    );
}

/// A server without a build step (no `run` steps in the target, as haste-server): the image
/// gets the production dependencies only, with each manager (npm from its fixture; pnpm, Yarn
/// and Bun from theirs with the same spec).
#[test]
fn a_target_without_build_steps_gets_production_dependencies_only() {
    let spec = fixture("node-no-build").join("Stagefile.toml");
    for name in ["node-no-build", "node-pnpm", "node-yarn", "node-bun"] {
        let dir = Scratch::copy_of(&fixture(name), &format!("{name}-no-build"));
        std::fs::copy(&spec, dir.path.join("Stagefile.toml")).expect("cp Stagefile.toml");
        let built = build(&dir.path, &format!("stagefile-e2e/{name}-no-build"), &[]).expect_ok();
        assert!(
            built.log.contains(", then "),
            "{name}: no prune\n{}",
            built.log
        );
        assert_eq!(
            run(&built.tag, &[]).trim(),
            "numbers: 1,2 (of 3 args), uid 10001",
            "{name}"
        );
        let modules = root_sh(
            &built.tag,
            "ls -d /app/node_modules/is-number /app/node_modules/left-pad 2>/dev/null; true",
        );
        assert_eq!(modules.trim(), "/app/node_modules/is-number", "{name}");
    }
}

/// A pnpm project whose package.json names no `packageManager` is installed by the release
/// corepack itself defaults to (what `COREPACK_DEFAULT_TO_LATEST=0 corepack pnpm` runs on the
/// same base), not the registry's newest, whose new major may refuse the project.
#[test]
fn pnpm_without_a_pin_is_corepacks_default_release() {
    let built = build(
        &fixture("node-pnpm-unpinned"),
        "stagefile-e2e/node-pnpm-unpinned",
        &[],
    )
    .expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "numbers: 1,2 (of 3 args), uid 10001"
    );
    let default = root_sh(
        "node:20-slim",
        "COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_DEFAULT_TO_LATEST=0 corepack pnpm --version",
    );
    assert!(!default.trim().is_empty());
    assert_eq!(sh(&built.tag, "cat pnpm-version").trim(), default.trim());
}

/// A Bun project whose own `prepare` script needs a development dependency (EVE-KILL/edk's
/// `prepare: husky`): the build installs with it; the production reinstall that prunes the
/// modules does not run the project's scripts, so it does not fail on the missing tool.
#[test]
fn bun_prune_does_not_run_the_projects_own_scripts() {
    let built = build(
        &fixture("node-bun-prepare"),
        "stagefile-e2e/node-bun-prepare",
        &[],
    )
    .expect_ok();
    assert!(
        built.log.contains("bun install --production"),
        "{}",
        built.log
    );
    check_node_cli(&built.tag, "/root/.cache /app/src");
}
