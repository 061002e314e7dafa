//! A workspace member works in its own directory (`/app/packages/web`), so its relative paths
//! are there too: `writable` directories, `copy` destinations (and the default one of a copy of
//! a stage's outputs), like its `run` steps and its image. Absolute paths stay as written, and
//! a stage that is no member keeps them under its workdir.

mod common;

use common::{command, compile_files, copies, exec_running};

/// A pnpm workspace with the member `packages/web` and the lockfile at its root.
const PNPM: &[&str] = &[
    "package.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "packages/web/package.json",
];

/// A client builder and a server in the same member: the server reads the client's build from
/// `public` and writes `app-data`.
const SPEC: &str = r#"
[stage.assets]
from = "debian:bookworm-slim"
run = ["mkdir -p /out && echo hi > /out/logo.svg"]
outputs = ["/out"]

[stage.client]
node = "20"
root = "packages/web"
run = ["pnpm run build"]
outputs = ["dist/"]

[stage.server]
node = "20"
root = "ROOT"
copy = [
  { from = "client", dest = "public" },
  { from = "client" },
  { from = "assets", src = "/out/logo.svg", dest = "./static/" },
  { from = "assets", src = "/out/logo.svg", dest = "/srv/logo.svg" },
]
writable = ["app-data", "./cache/", "/data"]
cmd = ["node", "server.js"]
"#;

/// The dirs the writable step gives to the app's user, from its command line.
fn writable(definition: &llb_gen::pb::Definition) -> String {
    command(&exec_running(definition, "chown -R \"$owner\""))
}

/// Checks that the writable step names each of `dirs` and that the copies hold each of
/// `pairs` (source, destination).
fn assert_paths(definition: &llb_gen::pb::Definition, dirs: &[&str], pairs: &[(&str, &str)]) {
    let written = writable(definition);
    for dir in dirs {
        assert!(written.contains(&format!(" {dir}")), "{dir} in {written}");
    }
    let copies = copies(definition);
    for (src, dest) in pairs {
        let pair = ((*src).to_owned(), (*dest).to_owned());
        assert!(copies.contains(&pair), "{pair:?} in {copies:#?}");
    }
}

#[test]
fn a_members_relative_paths_are_under_its_directory() {
    let spec = SPEC.replace("ROOT", "packages/web");
    let c = compile_files(&spec, PNPM).definition;
    assert_paths(
        &c,
        &[
            "/app/packages/web/app-data",
            "/app/packages/web/cache",
            "/data",
        ],
        &[
            ("/app/packages/web/dist", "/app/packages/web/public/dist"),
            ("/app/packages/web/dist", "/app/packages/web/dist"),
            ("/out/logo.svg", "/app/packages/web/static/"),
            ("/out/logo.svg", "/srv/logo.svg"),
        ],
    );
    let dirs = writable(&c);
    assert!(!dirs.contains(" /app/app-data"), "{dirs}");
}

#[test]
fn a_stage_that_is_no_member_keeps_them_under_its_workdir() {
    let spec = SPEC.replace("ROOT", ".");
    let files = [
        "package.json",
        "pnpm-lock.yaml",
        "packages/web/package.json",
    ];
    let c = compile_files(&spec, &files).definition;
    assert_paths(
        &c,
        &["/app/app-data", "/app/cache", "/data"],
        &[
            ("/app/packages/web/dist", "/app/public/dist"),
            ("/app/packages/web/dist", "/app/dist"),
            ("/out/logo.svg", "/app/static/"),
            ("/out/logo.svg", "/srv/logo.svg"),
        ],
    );
}

#[test]
fn a_uv_members_writable_dirs_are_under_its_directory() {
    let spec = "[stage.api]\npython = \"3.12\"\nroot = \"packages/api\"\nworkdir = \"/srv\"\n\
        writable = [\"instance\", \"/data\"]\ncmd = [\"api\"]\n";
    let lock = "version = 1\n\n[manifest]\nmembers = [\"api\"]\n\n\
        [[package]]\nname = \"api\"\nsource = { editable = \"packages/api\" }\n";
    let files = [
        (
            "pyproject.toml",
            "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n",
        ),
        ("uv.lock", lock),
        (
            "packages/api/pyproject.toml",
            "[project]\nname = \"api\"\nversion = \"1\"\n",
        ),
    ];
    let probe = llb_gen::KnownPaths::new(files.iter().map(|(f, _)| (*f).to_owned())).with_texts(
        files
            .iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned())),
    );
    let c = common::compile_text(spec, &probe, Default::default()).definition;
    let dirs = writable(&c);
    assert!(
        dirs.ends_with(" /srv/packages/api/instance /data"),
        "{dirs}"
    );
}
