//! uv workspaces and local packages: a project below a `uv.lock` is a member only when the
//! workspace lists it; a member, a workspace root and a project with `path` sources install
//! the dependencies before the source without their own packages, and those after it; a
//! requirement file's local directory is copied for its install.

mod common;

use common::{command, compile_text, execs};
use std::collections::BTreeMap;

use llb_gen::KnownPaths;
use llb_gen::SourceFile;
use llb_gen::compile::{CompileOptions, Compiled, Prepared};

const MEMBER: &str = "[stage.api]\npython = \"3.12\"\nroot = \"packages/api\"\ncmd = [\"api\"]\n";
const API: &str = "[project]\nname = \"API_Server\"\nversion = \"1\"\ndependencies = [\"six\"]\n";
const LOCK: &str = "version = 1\n\n[manifest]\nmembers = [\"api-server\", \"lib\"]\n\n\
    [[package]]\nname = \"api-server\"\nsource = { editable = \"packages/api\" }\ndependencies = [{ name = \"lib\" }, { name = \"six\" }]\n\n\
    [[package]]\nname = \"lib\"\nsource = { editable = \"packages/lib\" }\n\n\
    [[package]]\nname = \"six\"\nsource = { registry = \"https://pypi.org/simple\" }\n";

/// Compiles `spec` against a context of `files` (path, text).
fn compile(spec: &str, files: &[(&str, &str)]) -> Compiled {
    let probe = KnownPaths::new(files.iter().map(|(f, _)| (*f).to_owned())).with_texts(
        files
            .iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned())),
    );
    compile_text(spec, &probe, CompileOptions::default())
}

fn commands(compiled: &Compiled) -> Vec<String> {
    execs(&compiled.definition).iter().map(command).collect()
}

fn workspace(root_pyproject: &str) -> Vec<(&str, &str)> {
    vec![
        ("pyproject.toml", root_pyproject),
        ("uv.lock", LOCK),
        ("packages/api/pyproject.toml", API),
        ("packages/lib/pyproject.toml", "[project]\nname = \"lib\"\n"),
    ]
}

#[test]
fn a_listed_member_is_installed_with_the_workspace_lock() {
    let c = compile(
        MEMBER,
        &workspace("[tool.uv.workspace]\nmembers = [\"./packages/*\"]\n"),
    );
    let all = commands(&c);
    let deps = all.iter().position(|c| {
        c.contains("sync --frozen --no-install-local --no-dev --no-editable --compile-bytecode --package api-server")
    });
    let members = all
        .iter()
        .position(|c| c.contains("sync --frozen --no-dev --no-editable --package api-server && "));
    assert!(deps.is_some() && deps < members, "{all:#?}");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn an_excluded_or_unlisted_project_is_a_project_of_its_own() {
    for root in [
        "[tool.uv.workspace]\nmembers = [\"packages/*\"]\nexclude = [\"packages/api\"]\n",
        "[tool.uv.workspace]\nmembers = [\"libs/*\"]\n",
        "[project]\nname = \"top\"\n",
    ] {
        let c = compile(MEMBER, &workspace(root));
        let all = commands(&c).join("\n");
        assert!(
            !all.contains("uv sync") && !all.contains("--package"),
            "{root}: {all}"
        );
        assert!(all.contains("-r pyproject.toml"), "{root}: {all}");
        let names: Vec<&str> = c.warnings.iter().map(|w| w.code).collect();
        assert_eq!(names, ["UnlockedDependencies"], "{root}");
    }
}

#[test]
fn a_lockfile_of_its_own_wins_over_the_workspace() {
    let mut files = workspace("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    files.push(("packages/api/requirements.txt", "six==1.17.0\n"));
    let all = commands(&compile(MEMBER, &files)).join("\n");
    assert!(all.contains("-r requirements.txt"), "{all}");
    assert!(!all.contains("--package"), "{all}");
}

#[test]
fn a_virtual_workspace_root_installs_every_member_after_the_source() {
    let spec = "[stage.all]\npython = \"3.12\"\ncmd = [\"api\"]\n";
    let c = compile(
        spec,
        &workspace("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n"),
    );
    let all = commands(&c);
    assert!(
        all.iter()
            .any(|c| c.contains("sync --frozen --no-dev --no-editable && ")),
        "{all:#?}"
    );
    assert!(!all.iter().any(|c| c.contains("--package")), "{all:#?}");
}

#[test]
fn a_project_without_local_packages_gets_no_second_sync() {
    let spec = "[stage.app]\npython = \"3.12\"\ncmd = [\"python\"]\n";
    let lock = "version = 1\n\n[[package]]\nname = \"app\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"six\" }]\n\n\
        [[package]]\nname = \"six\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
    let c = compile(
        spec,
        &[
            ("pyproject.toml", "[project]\nname = \"app\"\n"),
            ("uv.lock", lock),
        ],
    );
    let syncs = commands(&c)
        .iter()
        .filter(|c| c.contains("uv sync"))
        .count();
    assert_eq!(syncs, 1);
}

#[test]
fn a_requirement_files_local_directory_is_copied_for_the_install() {
    let spec = "[stage.app]\npython = \"3.12\"\ncmd = [\"python\"]\n";
    let c = compile(
        spec,
        &[
            ("requirements.txt", "six\n-e ./libs/util\n./libs/util\n"),
            ("libs/util/pyproject.toml", ""),
        ],
    );
    let copied = common::copies(&c.definition);
    let install = execs(&c.definition)
        .iter()
        .position(|e| command(e).contains("pip install"));
    assert!(install.is_some());
    let dests: Vec<&str> = copied.iter().map(|(_, dest)| dest.as_str()).collect();
    assert_eq!(
        dests.iter().filter(|d| **d == "/app/libs/util").count(),
        1,
        "{copied:?}"
    );
}

#[test]
fn a_member_named_uv_is_installed_with_the_workspace_lock() {
    let spec = MEMBER.replace("root =", "package_manager = \"uv\"\nroot =");
    let c = compile(
        &spec,
        &workspace("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n"),
    );
    assert!(
        commands(&c)
            .iter()
            .any(|c| c.contains("--package api-server")),
        "{:#?}",
        commands(&c)
    );
}

#[test]
fn only_the_packages_the_project_installs_must_be_inside() {
    // The root project needs `lib`; `tool`, outside the workspace, is another member's.
    let lock = "version = 1\n\n\
        [[package]]\nname = \"top\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"lib\" }]\n\n\
        [[package]]\nname = \"lib\"\nsource = { editable = \"packages/lib\" }\n\n\
        [[package]]\nname = \"api-server\"\nsource = { editable = \"packages/api\" }\ndependencies = [{ name = \"tool\" }]\n\n\
        [[package]]\nname = \"tool\"\nsource = { directory = \"../tool\" }\n";
    let spec = "[stage.top]\npython = \"3.12\"\ncmd = [\"top\"]\n";
    let root = "[project]\nname = \"top\"\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n";
    let mut files = workspace(root);
    files[1] = ("uv.lock", lock);
    let c = compile(spec, &files);
    let syncs = commands(&c)
        .iter()
        .filter(|c| c.contains("uv sync"))
        .count();
    assert_eq!(syncs, 2);

    // The member that needs it is refused, naming the lock and the package.
    let mut files = workspace("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    files[1] = ("uv.lock", lock);
    let probe = KnownPaths::new(files.iter().map(|(f, _)| (*f).to_owned())).with_texts(
        files
            .iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned())),
    );
    let error = Prepared::new(
        SourceFile::new("Stagefile.toml", MEMBER),
        Default::default(),
    )
    .and_then(|prepared| prepared.compile(&probe, &BTreeMap::new()))
    .expect_err("outside");
    let text = error.render(false);
    assert!(
        text.contains("`uv.lock` installs `tool` from `../tool`, outside `.`"),
        "{text}"
    );
}
