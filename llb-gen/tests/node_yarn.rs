//! Yarn 2+ and corepack on the LLB: a committed release runs with node and is an install
//! input with the plugins and patches, a committed offline cache is mounted (not copied), the
//! `run` steps find the same Yarn, and pnpm and Yarn without a release fall back to the pinned
//! corepack on images without one.

mod common;

use common::{cache_mounts, command, compile_text, copies, exec_running};
use llb_gen::KnownPaths;
use llb_gen::compile::{CompileOptions, Compiled};
use llb_gen::pb;

const STAGE: &str =
    "[stage.web]\nnode = \"25\"\nrun = [\"yarn build\"]\ncmd = [\"node\", \"dist/main.js\"]\n";

const RC: &str = "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.18.1.cjs\n";

/// Compiles `spec` against a context holding `files`, with `.yarnrc.yml` (at `rc_dir`) reading
/// `rc`.
fn compile(spec: &str, files: &[&str], rc_dir: &str, rc: &str) -> Compiled {
    let rc_path = if rc_dir.is_empty() {
        ".yarnrc.yml".to_owned()
    } else {
        format!("{rc_dir}/.yarnrc.yml")
    };
    let mut all: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
    all.push(rc_path.clone());
    let probe = KnownPaths::new(all).with_texts([(rc_path, rc.to_owned())]);
    compile_text(spec, &probe, CompileOptions::default())
}

fn env(exec: &pb::ExecOp) -> Vec<String> {
    exec.meta
        .as_ref()
        .map(|m| m.env.clone())
        .unwrap_or_default()
}

fn ids(exec: &pb::ExecOp) -> Vec<String> {
    cache_mounts(exec).into_iter().map(|(_, id)| id).collect()
}

#[test]
fn a_committed_release_installs_with_node_and_its_plugins_and_patches() {
    let files = [
        "package.json",
        "yarn.lock",
        ".yarn/plugins",
        ".yarn/patches",
    ];
    let c = compile(STAGE, &files, "", RC).definition;
    let install = exec_running(&c, "install --immutable");
    let script = command(&install);
    assert!(
        script.ends_with("node ./.yarn/releases/yarn-4.18.1.cjs install --immutable"),
        "{script}"
    );
    assert!(!script.contains("corepack"), "{script}");
    assert!(
        env(&install).contains(&"YARN_GLOBAL_FOLDER=/root/.cache/yarn/berry".to_owned()),
        "Yarn 4's global cache must be in the cache mount"
    );
    assert!(ids(&install).contains(&"stagefile-yarn".to_owned()));
    let copied = copies(&c);
    for (src, dest) in [
        (
            "/.yarn/releases/yarn-4.18.1.cjs",
            "/app/.yarn/releases/yarn-4.18.1.cjs",
        ),
        ("/.yarn/plugins", "/app/.yarn/plugins"),
        ("/.yarn/patches", "/app/.yarn/patches"),
    ] {
        assert!(
            copied.contains(&(src.to_owned(), dest.to_owned())),
            "{copied:?}"
        );
    }
    // `yarn build` finds a `yarn` that runs the same release.
    let build = exec_running(&c, "yarn build");
    assert!(
        env(&build).contains(&"STAGEFILE_YARN_PATH=/app/.yarn/releases/yarn-4.18.1.cjs".to_owned()),
        "{:?}",
        env(&build)
    );
    let path = env(&build)
        .into_iter()
        .find(|e| e.starts_with("PATH="))
        .unwrap();
    assert!(
        path.starts_with("PATH=/opt/stagefile-tools/yarn-release/bin:"),
        "{path}"
    );
    // Development dependencies go after the build, with the same release.
    let prune = exec_running(&c, "workspaces focus --all --production");
    assert!(command(&prune).starts_with("node ./.yarn/releases/yarn-4.18.1.cjs"));
}

#[test]
fn a_committed_offline_cache_is_mounted_for_the_install_not_copied() {
    let files = ["package.json", "yarn.lock", ".yarn/cache"];
    let c = compile(STAGE, &files, "", RC).definition;
    let install = exec_running(&c, "install --immutable");
    assert!(env(&install).contains(&"YARN_ENABLE_GLOBAL_CACHE=false".to_owned()));
    let mounted = install.mounts.iter().any(|m| {
        m.dest == "/app/.yarn/cache" && m.readonly && m.selector.as_str() == "/.yarn/cache"
    });
    assert!(mounted, "{:?}", install.mounts);
    assert!(
        copies(&c)
            .iter()
            .all(|(src, _)| !src.starts_with("/.yarn/cache")),
        "the offline cache is not copied into a layer"
    );
}

#[test]
fn a_workspace_member_is_yarn_berry_from_the_workspace_yarnrc() {
    let spec = format!("{STAGE}root = \"packages/web\"\n");
    let files = ["package.json", "yarn.lock", "packages/web/package.json"];
    let c = compile(&spec, &files, "", RC).definition;
    let install = exec_running(&c, "install --immutable");
    assert!(
        command(&install).ends_with("node ./.yarn/releases/yarn-4.18.1.cjs install --immutable")
    );
}

#[test]
fn without_a_release_yarn_and_pnpm_fall_back_to_the_pinned_corepack() {
    let c = compile(
        STAGE,
        &["package.json", "yarn.lock"],
        "",
        "nodeLinker: node-modules\n",
    )
    .definition;
    let install = command(&exec_running(&c, "yarn install --immutable"));
    assert!(
        install
            .contains("&& if command -v corepack >/dev/null 2>&1; then corepack enable yarn; else"),
        "{install}"
    );
    assert!(install.contains("npm install --prefix /opt/stagefile-tools/corepack@0.34.6"));
    let probe = KnownPaths::new(["package.json", "pnpm-lock.yaml"].map(str::to_owned));
    let c = compile_text(STAGE, &probe, CompileOptions::default()).definition;
    let install = exec_running(&c, "pnpm install");
    assert!(command(&install).contains("corepack@0.34.6/bin pnpm; fi && pnpm install"));
    // npm's download of corepack goes to its cache mount, corepack to the tools cache.
    let mounts = ids(&install);
    for id in [
        "stagefile-npm",
        "stagefile-node-tools",
        "stagefile-corepack",
    ] {
        assert!(mounts.contains(&id.to_owned()), "{mounts:?}");
    }
}
