//! Yarn 2+ (Berry) projects and Node images without corepack (Node 25+): a project that
//! commits its Yarn release is installed by that release with its plugins and patches, never
//! by corepack; one without gets its Yarn or pnpm through a pinned corepack fetched from npm
//! into a cache mount. Plug'n'Play is refused with the fix. No release, corepack or cache
//! reaches the runtime image.

use std::path::Path;
use std::process::Command;

use stagefile_e2e::{Scratch, build, build_leftovers, fixture, root_sh, run, sh};

/// The Yarn release the Berry fixture commits, `@yarnpkg/cli-dist` 4.18.1's `bin/yarn.js`
/// (Yarn's single-file release), from the npm registry, checked against its sha512.
const YARN_RELEASE_URL: &str = "https://registry.npmjs.org/@yarnpkg/cli-dist/-/cli-dist-4.18.1.tgz";
const YARN_RELEASE_SHA512: &str = "107f80e13c40b41597284d03190c56f41a3d72b5c72c9ef799fc634d026ebfc5e89cd5964e97a2f014392637331c9354f4644e4f27303059fc88ebd12195d470";

/// A copy of the Berry fixture with its release at `.yarn/releases/yarn-4.18.1.cjs` (3.8 MB,
/// kept out of the repository).
fn berry_project(name: &str) -> Scratch {
    let dir = Scratch::copy_of(&fixture("node-yarn-berry"), name);
    let releases = dir.path.join(".yarn/releases");
    std::fs::create_dir_all(&releases).expect("mkdir .yarn/releases");
    let script = format!(
        "set -e; t=$(mktemp); curl -fsSL -o \"$t\" {YARN_RELEASE_URL}; \
         echo \"{YARN_RELEASE_SHA512}  $t\" | sha512sum -c --status; \
         tar -xzf \"$t\" -O package/bin/yarn.js > \"$1/yarn-4.18.1.cjs\"; rm -f \"$t\""
    );
    let status = Command::new("sh")
        .args(["-c", &script, "sh"])
        .arg(&releases)
        .status()
        .expect("sh");
    assert!(
        status.success(),
        "could not fetch the Yarn release from npm"
    );
    dir
}

/// What a Node runtime image must not hold: Yarn's release, caches and global folder,
/// corepack's cache and shims, the tools cache.
fn assert_no_yarn_or_corepack(image: &str) {
    let found = root_sh(
        image,
        "ls -d /app/.yarn /root/.yarn /root/.cache /opt/stagefile-tools /usr/local/bin/pnpm \
         /app/node_modules/left-pad 2>/dev/null || true",
    );
    assert_eq!(found.trim(), "", "build leftovers in the runtime image");
    assert_eq!(build_leftovers(image), Vec::<String>::new());
}

/// The expected output of the Berry fixture's app, run as the image's user.
const BERRY_OUTPUT: &str = "numbers: 1,2 (of 3 args), is-number patched, plugin ran, uid 10001";

/// Yarn 4 with its committed release: the install runs it with node (corepack is never used),
/// its plugin ran and its patch is applied, and the runtime gets the production modules only.
#[test]
fn yarn_berry_installs_with_the_committed_release_plugins_and_patches() {
    let dir = berry_project("node-yarn-berry");
    let built = build(&dir.path, "stagefile-e2e/node-yarn-berry", &[]).expect_ok();
    assert!(
        built
            .log
            .contains("yarn install --immutable (with .yarn/releases/yarn-4.18.1.cjs)"),
        "{}",
        built.log
    );
    assert_eq!(run(&built.tag, &[]).trim(), BERRY_OUTPUT);
    assert!(sh(&built.tag, "head -1 dist/main.js").contains("built by yarn run build"));
    assert_no_yarn_or_corepack(&built.tag);
}

/// Node 25 images ship no corepack: pnpm comes through the pinned corepack from npm, and
/// neither corepack, pnpm nor their caches reach the image.
#[test]
fn pnpm_on_node_25_without_corepack_installs_and_runs() {
    let dir: &Path = &fixture("node-no-corepack");
    let built = build(dir, "stagefile-e2e/node-no-corepack", &[]).expect_ok();
    // The image has no corepack and no pnpm: the install ran through the fetched corepack.
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "numbers: 1,2 (of 3 args), uid 10001"
    );
    assert_eq!(sh(&built.tag, "node --version").trim(), "v25.9.0");
    let tools = sh(&built.tag, "command -v corepack pnpm; true");
    assert_eq!(tools.trim(), "", "corepack or pnpm in the image");
    assert_no_yarn_or_corepack(&built.tag);
}

/// Yarn 4 named by `packageManager` only (no committed release) on Node 25, in a stage that
/// is the image: the pinned corepack fetches it, and Yarn's downloads go to the cache mount
/// (Yarn 4's global cache), not to `/root/.yarn` in the image.
#[test]
fn yarn_berry_without_a_release_runs_through_the_pinned_corepack_on_node_25() {
    let dir = Scratch::copy_of(&fixture("node-yarn-berry"), "node-yarn-berry-25");
    let rc = dir.path.join(".yarnrc.yml");
    let text = std::fs::read_to_string(&rc).expect("read .yarnrc.yml");
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("yarnPath"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&rc, text).expect("write .yarnrc.yml");
    let spec = "# syntax=stagefile:dev\n[stage.app]\nnode = \"25\"\nrun = [\"yarn run build\"]\n\
                cmd = [\"node\", \"dist/main.js\", \"1\", \"x\", \"2\"]\n";
    std::fs::write(dir.path.join("Stagefile.toml"), spec).expect("write Stagefile.toml");
    let built = build(&dir.path, "stagefile-e2e/node-yarn-berry-25", &[]).expect_ok();
    assert!(
        built.log.contains("yarn install --immutable"),
        "{}",
        built.log
    );
    // The image's own `yarn` is Yarn 1, which runs no plugin: Yarn 4 came through corepack.
    assert_eq!(run(&built.tag, &[]).trim(), BERRY_OUTPUT);
    // Mount points leave empty directories (`/root/.cache`); nothing may be in them.
    let found = root_sh(
        &built.tag,
        "command -v corepack; find /root/.yarn /root/.cache /root/.npm /opt/stagefile-tools \
         /app/.yarn/cache -mindepth 1 ! -type d 2>/dev/null; ls -d /app/node_modules/left-pad 2>/dev/null; true",
    );
    assert_eq!(found.trim(), "", "build leftovers in the image");
    assert_eq!(build_leftovers(&built.tag), Vec::<String>::new());
}

/// Plug'n'Play (no `nodeLinker`) would give an image without `node_modules`: the build stops
/// with the fix instead.
#[test]
fn yarn_plug_n_play_is_refused_with_the_fix() {
    let dir = Scratch::copy_of(&fixture("node-yarn-berry"), "node-yarn-pnp");
    let rc = dir.path.join(".yarnrc.yml");
    let text = std::fs::read_to_string(&rc).expect("read .yarnrc.yml");
    std::fs::write(&rc, text.replace("nodeLinker: node-modules\n", "")).expect("write");
    let built = build(&dir.path, "stagefile-e2e/node-yarn-pnp", &[]).expect_failure();
    assert!(built.log.contains("Plug'n'Play"), "{}", built.log);
    assert!(
        built.log.contains("nodeLinker: node-modules"),
        "{}",
        built.log
    );
}

/// Zero-installs: a project that commits its offline cache (`.yarn/cache`, with
/// `enableGlobalCache: false`) installs from it alone (its registry here leads nowhere), and
/// the archives stay out of the image, which is the stage itself.
#[test]
fn a_committed_offline_cache_is_the_install_input_and_stays_out_of_the_image() {
    let dir = berry_project("node-yarn-zero-install");
    let rc = dir.path.join(".yarnrc.yml");
    let mut text = std::fs::read_to_string(&rc).expect("read .yarnrc.yml");
    text.push_str("enableGlobalCache: false\n");
    std::fs::write(&rc, &text).expect("write .yarnrc.yml");
    // The offline cache, as the project's developers commit it: filled by Yarn on this machine
    // (its global folder a temporary one, not this machine's).
    let filled = Command::new("sh")
        .current_dir(&dir.path)
        .args([
            "-c",
            "g=$(mktemp -d) && YARN_GLOBAL_FOLDER=$g node .yarn/releases/yarn-4.18.1.cjs \
             install --immutable >/dev/null && rm -rf \"$g\" node_modules .yarn/install-state.gz \
             plugin.txt && ls .yarn/cache/*.zip",
        ])
        .output()
        .expect("yarn install");
    assert!(filled.status.success(), "{filled:?}");
    text.push_str("npmRegistryServer: \"http://127.0.0.1:9\"\n");
    std::fs::write(&rc, text).expect("write .yarnrc.yml");
    let spec = "# syntax=stagefile:dev\n[stage.app]\nnode = \"20\"\nrun = [\"yarn run build\"]\n\
                cmd = [\"node\", \"dist/main.js\", \"1\", \"x\", \"2\"]\n";
    std::fs::write(dir.path.join("Stagefile.toml"), spec).expect("write Stagefile.toml");
    let built = build(&dir.path, "stagefile-e2e/node-yarn-zero-install", &[]).expect_ok();
    assert_eq!(run(&built.tag, &[]).trim(), BERRY_OUTPUT);
    let found = root_sh(
        &built.tag,
        "find / -xdev -name '*.zip' -path '*yarn*' 2>/dev/null; \
         find /root/.yarn /root/.cache /opt/stagefile-tools -mindepth 1 ! -type d 2>/dev/null; \
         ls -d /app/node_modules/left-pad 2>/dev/null; true",
    );
    assert_eq!(found.trim(), "", "Yarn's archives or caches in the image");
}

/// A member of a Yarn 4 workspace (`root` below the workspace's `.yarnrc.yml` and lockfile):
/// installed by the workspace's committed release with its plugin and patch, built and run in
/// the member's directory.
#[test]
fn a_yarn_berry_workspace_member_installs_with_the_workspace_release() {
    let dir = berry_project("node-yarn-berry-workspace");
    let root = &dir.path;
    let web = root.join("packages/web");
    std::fs::create_dir_all(&web).expect("mkdir packages/web");
    for file in ["package.json", "src"] {
        std::fs::rename(root.join(file), web.join(file)).expect("move into the member");
    }
    // The plugin writes plugin.txt at the workspace's root.
    let build_js = std::fs::read_to_string(root.join("build.js")).expect("read build.js");
    std::fs::write(
        web.join("build.js"),
        build_js.replace("\"plugin.txt\"", "\"../../plugin.txt\""),
    )
    .expect("write build.js");
    std::fs::remove_file(root.join("build.js")).expect("rm build.js");
    std::fs::write(
        root.join("package.json"),
        r#"{ "name": "monorepo", "private": true, "packageManager": "yarn@4.18.1", "workspaces": ["packages/*"] }"#,
    )
    .expect("write package.json");
    // The workspace's lockfile, as its developers commit it: made by the release here.
    // `--no-immutable`: Yarn turns `--immutable` on by itself when `CI` is set, as in CI.
    let locked = Command::new("sh")
        .current_dir(root)
        .args([
            "-c",
            "g=$(mktemp -d) && YARN_GLOBAL_FOLDER=$g node .yarn/releases/yarn-4.18.1.cjs \
             install --no-immutable && rm -rf \"$g\" node_modules .yarn/install-state.gz plugin.txt",
        ])
        .output()
        .expect("yarn install");
    assert!(
        locked.status.success(),
        "yarn install failed:\n{}{}",
        String::from_utf8_lossy(&locked.stdout),
        String::from_utf8_lossy(&locked.stderr)
    );
    let spec = "# syntax=stagefile:dev\n[stage.web]\nnode = \"20\"\nroot = \"packages/web\"\n\
                run = [\"yarn run build\"]\ncmd = [\"node\", \"dist/main.js\", \"1\", \"x\", \"2\"]\n";
    std::fs::write(root.join("Stagefile.toml"), spec).expect("write Stagefile.toml");
    let built = build(root, "stagefile-e2e/node-yarn-berry-workspace", &[]).expect_ok();
    assert!(
        built
            .log
            .contains("yarn install --immutable (with .yarn/releases/yarn-4.18.1.cjs)"),
        "{}",
        built.log
    );
    assert_eq!(run(&built.tag, &[]).trim(), BERRY_OUTPUT);
    assert_eq!(sh(&built.tag, "pwd").trim(), "/app/packages/web");
}
