//! Node.js: npm, Yarn, pnpm or Bun chosen from the lockfile, frozen installs, the tool's cache
//! as a (writable) cache mount. pnpm and Yarn run through corepack (the image's, or a pinned
//! one on images without it); Yarn's own details are in `node_yarn`.

use super::node_yarn::{self, Yarn};
use super::row::{
    Cache, Expansion, Input, Interpreter, LanguageDef, Manager, in_root, manifest_copies,
};
use super::{detect, tools};
use crate::diag::Diagnostic;
use crate::ir::{RunStep, RunTools, Span, Step};

/// Node.js as data.
pub const LANGUAGE: LanguageDef = LanguageDef {
    title: "Node",
    key: "node",
    example_version: "20",
    image_repository: "node",
    excludes: &["**/node_modules"],
    keys: &[],
    unlocked: &[(
        "package.json",
        "run `npm install` to create package-lock.json and add it",
    )],
    interpreter: Some(Interpreter {
        scan: &["/usr/local/bin/node"],
        copy: "mkdir -p \"$TO/usr/local/bin\" && cp -a \"$FROM/usr/local/bin/node\" \"$TO/usr/local/bin/node\"",
    }),
    install_runs: &["python"],
    writable: &[],
};

/// Node stages have no keys of their own.
#[derive(Debug, Clone)]
pub struct Settings;

/// Files every Node manager reads when they are there: registry and workspace configuration.
const CONFIG_FILES: &[&str] = &[".npmrc", ".yarnrc.yml", ".yarnrc", "pnpm-workspace.yaml"];

/// Yarn's files: the configuration files, and Yarn 2+'s plugins and patches.
const YARN_FILES: &[&str] = &[
    ".npmrc",
    ".yarnrc.yml",
    ".yarnrc",
    "pnpm-workspace.yaml",
    node_yarn::BERRY_FILES[0],
    node_yarn::BERRY_FILES[1],
];

use tools::{COREPACK_CACHE, NPM_CACHE};

/// Node's package managers, in detection preference.
pub const MANAGERS: [Manager<Hooks>; 4] = [
    Manager {
        name: "pnpm",
        lockfiles: &["pnpm-lock.yaml"],
        manifests: &["package.json"],
        optional: CONFIG_FILES,
        mounted: &[],
        members: &["**/package.json"],
        caches: &[
            Cache {
                target: "/root/.cache/pnpm-store",
                id: "stagefile-pnpm",
            },
            COREPACK_CACHE,
        ],
        hooks: Hooks {
            install: pnpm_install,
            run_tools: pnpm_tools,
            prune: pnpm_prune,
        },
    },
    Manager {
        name: "yarn",
        lockfiles: &["yarn.lock"],
        manifests: &["package.json"],
        optional: YARN_FILES,
        mounted: &[node_yarn::OFFLINE_CACHE],
        members: &["**/package.json"],
        caches: &[node_yarn::YARN_CACHE, COREPACK_CACHE],
        hooks: Hooks {
            install: yarn_install,
            run_tools: yarn_tools,
            prune: yarn_prune,
        },
    },
    Manager {
        name: "bun",
        lockfiles: &["bun.lock", "bun.lockb"],
        manifests: &["package.json"],
        optional: &[".npmrc", "bunfig.toml"],
        mounted: &[],
        members: &["**/package.json"],
        caches: &[
            Cache::shared("/root/.bun/install/cache", "stagefile-bun"),
            NPM_CACHE,
        ],
        hooks: Hooks {
            install: bun_install,
            run_tools: bun_tools,
            prune: bun_prune,
        },
    },
    Manager {
        name: "npm",
        lockfiles: &["package-lock.json"],
        manifests: &["package.json"],
        optional: CONFIG_FILES,
        mounted: &[],
        members: &["**/package.json"],
        caches: &[NPM_CACHE],
        hooks: Hooks {
            install: npm_install,
            run_tools: no_tools,
            prune: npm_prune,
        },
    },
];

/// What a Node manager adds to its row.
#[derive(Debug)]
pub struct Hooks {
    /// The frozen install.
    pub install: fn(&Install) -> RunStep,
    /// What the stage's own `run` steps need to find the manager.
    pub run_tools: fn(&Install) -> RunTools,
    /// Removes the development-only dependencies, after the build that needed them.
    pub prune: fn(&Install) -> RunStep,
}

/// What an install command is built from.
pub struct Install<'a> {
    /// The stage.
    pub input: &'a Input<'a>,
    /// The manager's row.
    pub manager: &'static Manager<Hooks>,
    /// The context directory of the lockfile (the project's, or its workspace's).
    pub dir: &'a str,
    /// Which Yarn, for Yarn projects.
    pub yarn: Yarn,
}

impl Install<'_> {
    fn recipe(&self, display: &str, script: &str) -> RunStep {
        let mounts = self.manager.caches.iter().map(|c| c.mount()).collect();
        RunStep::recipe(display, script, mounts, self.input.span.clone())
    }
}

/// A step through corepack: the tools cache and npm's (for the pinned corepack), and its shims
/// on `PATH`.
fn with_corepack(mut step: RunStep) -> RunStep {
    step.mounts.push(tools::node_tools_cache());
    step.mounts.push(NPM_CACHE.mount());
    step.path.push(tools::corepack_bin_dir());
    step.with_env(tools::COREPACK_ENV)
}

fn pnpm_install(install: &Install) -> RunStep {
    let script = format!(
        "{}pnpm install --frozen-lockfile --store-dir /root/.cache/pnpm-store",
        tools::ensure_corepack("pnpm")
    );
    with_corepack(install.recipe("pnpm install --frozen-lockfile", &script))
}

/// Yarn's step: its own mounts and env (`node_yarn`), not the row's caches.
fn yarn_step(install: &Install, display: &str, script: &str) -> RunStep {
    let yarn = &install.yarn;
    let mut step = RunStep::recipe(
        display,
        script,
        yarn.mounts(install.input.workdir, install.dir),
        install.input.span.clone(),
    );
    step.path = yarn.path();
    step.env = yarn.env();
    step
}

fn yarn_install(install: &Install) -> RunStep {
    let (display, script) = install.yarn.install(!install.input.runs.is_empty());
    yarn_step(install, &display, &script)
}

fn npm_install(install: &Install) -> RunStep {
    install.recipe("npm ci", "npm ci --no-audit --no-fund")
}

fn npm_prune(install: &Install) -> RunStep {
    install.recipe(
        "npm prune --omit=dev",
        "npm prune --omit=dev --no-audit --no-fund",
    )
}

/// `pnpm prune --prod`; in a pnpm workspace, a production install into fresh modules folders
/// instead: there `pnpm prune` asks before it purges the modules and, with no terminal to
/// answer, pruned nothing (and told to purge, it drops the links between members). Packages
/// come from the store mount, or the registry when the mount was emptied since the install.
fn pnpm_prune(install: &Install) -> RunStep {
    let input = install.input;
    let workspace = input
        .probe
        .exists(&in_root(install.dir, "pnpm-workspace.yaml"));
    let prune = if workspace {
        "find . -name node_modules -type d -prune -exec rm -rf {} + && pnpm install --prod --frozen-lockfile --prefer-offline"
    } else {
        "pnpm prune --prod"
    };
    let script = format!("{}{prune}", tools::ensure_corepack("pnpm"));
    with_corepack(install.recipe("pnpm prune --prod", &script))
        .with_env(&[("npm_config_store_dir", "/root/.cache/pnpm-store")])
}

/// Yarn 1 installs again without them; Yarn 2+ (`.yarnrc.yml`) focuses its workspaces.
fn yarn_prune(install: &Install) -> RunStep {
    yarn_step(
        install,
        "yarn: production dependencies only",
        &install.yarn.prune(),
    )
}

/// Drops the root package's `scripts` from `package.json`, kept aside in [`PACKAGE_KEPT`].
const DROP_SCRIPTS: &str = r#"node -e 'const fs=require("fs"),p=JSON.parse(fs.readFileSync("package.json","utf8"));delete p.scripts;fs.writeFileSync("package.json",JSON.stringify(p))'"#;

/// Where Bun's prune keeps the project's own `package.json` while it reinstalls.
const PACKAGE_KEPT: &str = "/tmp/stagefile-package.json";

/// Bun leaves installed development dependencies in place: install again without them (from
/// its cache mount, no download). A reinstall would run the project's own lifecycle scripts
/// (`prepare: husky`), whose tools are development dependencies it just left out; npm's and
/// pnpm's prunes do not run them, so neither does this one: `package.json` without its
/// `scripts` for the reinstall, then restored as it was.
fn bun_prune(install: &Install) -> RunStep {
    let script = format!(
        "rm -rf node_modules && cp package.json {PACKAGE_KEPT} && {DROP_SCRIPTS} && {{ {}/bun install --production --frozen-lockfile --backend=copyfile; s=$?; mv {PACKAGE_KEPT} package.json; exit $s; }}",
        tools::bun_bin_dir()
    );
    let mut step = install.recipe("bun install --production", &script);
    step.mounts.push(tools::node_tools_cache());
    step.with_env(&[("BUN_INSTALL_CACHE_DIR", "/root/.bun/install/cache")])
}

/// Installs the pinned Bun with npm unless it is there, then `bun install --frozen-lockfile`
/// (which refuses a lock that no longer matches package.json). Files are copied out of Bun's
/// cache, not hard-linked: the cache is a mount, the modules go into the layer.
fn bun_install(install: &Install) -> RunStep {
    let script = format!(
        "{}{}/bun install --frozen-lockfile --backend=copyfile",
        tools::ensure_bun(),
        tools::bun_bin_dir()
    );
    let mut step = install.recipe("bun install --frozen-lockfile", &script);
    step.mounts.push(tools::node_tools_cache());
    step.with_env(&[("BUN_INSTALL_CACHE_DIR", "/root/.bun/install/cache")])
}

/// For Bun: the release the install used, on `PATH`, so `bun run build` works.
fn bun_tools(_: &Install) -> RunTools {
    RunTools {
        mounts: vec![tools::node_tools_cache()],
        env: Vec::new(),
        path: vec![tools::bun_bin_dir()],
    }
}

/// For pnpm: corepack's shims (made by the install step) and its cache, so `pnpm run build`
/// uses the release the install used instead of failing or downloading it.
fn pnpm_tools(_: &Install) -> RunTools {
    RunTools {
        mounts: vec![COREPACK_CACHE.mount(), tools::node_tools_cache()],
        env: tools::COREPACK_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        path: vec![tools::corepack_bin_dir()],
    }
}

/// For Yarn: the `yarn` the install used (corepack's, or the committed release).
fn yarn_tools(install: &Install) -> RunTools {
    install.yarn.run_tools(install.input.workdir, install.dir)
}

/// One recipe step that runs `first`, then `second`: the second's script, env and mounts added.
fn then(mut first: RunStep, second: RunStep) -> RunStep {
    first.display = format!("{}, then {}", first.display, second.display);
    if let (Some(a), Some(b)) = (first.args.last_mut(), second.args.last()) {
        *a = format!("{a} && {b}");
    }
    for (key, value) in second.env {
        if !first.env.iter().any(|(k, _)| *k == key) {
            first.env.push((key, value));
        }
    }
    for mount in second.mounts {
        if !first.mounts.contains(&mount) {
            first.mounts.push(mount);
        }
    }
    first
}

fn no_tools(_: &Install) -> RunTools {
    RunTools::default()
}

/// Steps of a Node stage: manifests, then the frozen install.
pub fn expand(input: &Input) -> Result<Expansion, Diagnostic> {
    let span: Span = input.span.clone();
    let Some(mut found) = detect::detect(&MANAGERS, &LANGUAGE, input, &span)? else {
        return Ok(Expansion::default());
    };
    let dir = found
        .workspace
        .as_ref()
        .map_or(input.root, |w| w.root.as_str())
        .to_owned();
    let yarn = if found.manager.name == "yarn" {
        node_yarn::config(input, &dir)?
    } else {
        Yarn::Classic
    };
    found.files.extend(yarn.files());
    let install = Install {
        input,
        manager: found.manager,
        dir: &dir,
        yarn,
    };
    let mut steps = match detect::workspace_copy(&found, input, &span) {
        Some(copy) => vec![copy],
        None => manifest_copies(input, &found.files, &span),
    };
    let mut step = (found.manager.hooks.install)(&install);
    // Development dependencies serve the build; an image that gets the modules does not.
    let mut finish = Vec::new();
    if input.ships_dependencies {
        let mut prune = (found.manager.hooks.prune)(&install);
        if input.runs.is_empty() {
            // Nothing builds: the install's own layer never holds them.
            step = then(step, prune);
        } else {
            // In the workspace's directory, where the install ran (the build ran in the member's).
            prune.cwd = Some(input.workdir.to_owned());
            finish.push(Step::Run(prune));
        }
    }
    steps.push(Step::Run(step));
    Ok(Expansion {
        install: steps,
        run_tools: (found.manager.hooks.run_tools)(&install),
        finish,
        installed: Vec::new(),
        detected: Some(format!(
            "{}: {}{}",
            found.manager.name,
            found.why,
            install.yarn.describe()
        )),
        workspace: found.workspace.clone(),
        ..Expansion::default()
    })
}

/// Context paths a Node stage's steps look at: the rows' files, and Yarn 2+'s directories in
/// the project and every directory above it (a workspace's). Possibly repeated.
pub fn probe_paths(root: &str) -> Vec<String> {
    let mut paths = detect::probe_paths(&MANAGERS, &LANGUAGE, root);
    for dir in std::iter::once(root.to_owned()).chain(detect::ancestors(root)) {
        paths.extend(node_yarn::probe_paths(&dir));
    }
    paths
}

/// Context files a Node stage reads: `.yarnrc.yml` (Yarn 2+'s linker and release), in the
/// project and every directory above it.
pub fn read_paths(root: &str) -> Vec<String> {
    std::iter::once(root.to_owned())
        .chain(detect::ancestors(root))
        .map(|dir| super::row::in_root(&dir, node_yarn::YARNRC))
        .collect()
}
