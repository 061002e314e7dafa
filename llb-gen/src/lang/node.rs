//! Node.js: npm, Yarn, pnpm or Bun chosen from the lockfile, frozen installs, the tool's cache
//! as a (writable) cache mount.

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
    writable: &[],
};

/// Node stages have no keys of their own.
#[derive(Debug, Clone)]
pub struct Settings;

/// Files every Node manager reads when they are there: registry and workspace configuration.
const CONFIG_FILES: &[&str] = &[".npmrc", ".yarnrc.yml", ".yarnrc", "pnpm-workspace.yaml"];

/// The corepack cache: where corepack keeps the pnpm or Yarn release a project pins.
const COREPACK_CACHE: Cache = Cache {
    target: "/root/.cache/node/corepack",
    id: "stagefile-corepack",
};

/// What every corepack command gets: no prompt before a download, and, when `package.json`
/// names no `packageManager`, the release this corepack ships as its default instead of the
/// registry's latest (a new major could change the install; the same base builds the same).
const COREPACK_ENV: &[(&str, &str)] = &[
    ("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
    ("COREPACK_DEFAULT_TO_LATEST", "0"),
];

/// Before `corepack enable`: forgets the "last known good" releases an earlier build (or a
/// frontend without `COREPACK_DEFAULT_TO_LATEST=0`) left in the shared cache mount, which
/// corepack would otherwise prefer to its own default.
const FORGET_LATEST: &str = "rm -f /root/.cache/node/corepack/lastKnownGood.json && ";

/// npm's download cache (npm also fetches Bun).
const NPM_CACHE: Cache = Cache::shared("/root/.npm", "stagefile-npm");

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
            run_tools: corepack_tools,
            prune: pnpm_prune,
        },
    },
    Manager {
        name: "yarn",
        lockfiles: &["yarn.lock"],
        manifests: &["package.json"],
        optional: CONFIG_FILES,
        mounted: &[],
        members: &["**/package.json"],
        caches: &[
            Cache {
                target: "/root/.cache/yarn",
                id: "stagefile-yarn",
            },
            COREPACK_CACHE,
        ],
        hooks: Hooks {
            install: yarn_install,
            run_tools: corepack_tools,
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
    pub run_tools: fn() -> RunTools,
    /// Removes the development-only dependencies, after the build that needed them.
    pub prune: fn(&Install) -> RunStep,
}

/// What an install command is built from.
pub struct Install<'a> {
    /// The stage.
    pub input: &'a Input<'a>,
    /// The manager's row.
    pub manager: &'static Manager<Hooks>,
}

impl Install<'_> {
    fn recipe(&self, display: &str, script: &str) -> RunStep {
        let mounts = self.manager.caches.iter().map(|c| c.mount()).collect();
        RunStep::recipe(display, script, mounts, self.input.span.clone())
    }
}

fn pnpm_install(install: &Install) -> RunStep {
    install
        .recipe(
            "pnpm install --frozen-lockfile",
            &format!("{FORGET_LATEST}corepack enable pnpm && pnpm install --frozen-lockfile --store-dir /root/.cache/pnpm-store"),
        )
        .with_env(COREPACK_ENV)
}

fn yarn_install(install: &Install) -> RunStep {
    // Yarn 2+ (Berry) is configured by `.yarnrc.yml` and refuses `--frozen-lockfile`.
    let input = install.input;
    let berry = input.probe.exists(&in_root(input.root, ".yarnrc.yml"));
    let (display, script) = if berry {
        (
            "yarn install --immutable",
            format!("{FORGET_LATEST}corepack enable yarn && yarn install --immutable"),
        )
    } else {
        (
            "yarn install --frozen-lockfile",
            format!("{FORGET_LATEST}corepack enable yarn && yarn install --frozen-lockfile"),
        )
    };
    install
        .recipe(display, &script)
        .with_env(COREPACK_ENV)
        .with_env(&[("YARN_CACHE_FOLDER", "/root/.cache/yarn")])
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

fn pnpm_prune(install: &Install) -> RunStep {
    install
        .recipe("pnpm prune --prod", "pnpm prune --prod")
        .with_env(COREPACK_ENV)
        .with_env(&[("npm_config_store_dir", "/root/.cache/pnpm-store")])
}

/// Yarn 1 installs again without them; Yarn 2+ (`.yarnrc.yml`) focuses its workspaces.
fn yarn_prune(install: &Install) -> RunStep {
    let input = install.input;
    let script = if input.probe.exists(&in_root(input.root, ".yarnrc.yml")) {
        "yarn workspaces focus --all --production"
    } else {
        "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline"
    };
    install
        .recipe("yarn: production dependencies only", script)
        .with_env(COREPACK_ENV)
        .with_env(&[("YARN_CACHE_FOLDER", "/root/.cache/yarn")])
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
fn bun_tools() -> RunTools {
    RunTools {
        mounts: vec![tools::node_tools_cache()],
        env: Vec::new(),
        path: vec![tools::bun_bin_dir()],
    }
}

/// For pnpm and Yarn: corepack's shims (made by the install step) and its cache, so
/// `pnpm run build` uses the release the install used instead of failing or downloading it.
fn corepack_tools() -> RunTools {
    RunTools {
        mounts: vec![COREPACK_CACHE.mount()],
        env: COREPACK_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        path: Vec::new(),
    }
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

fn no_tools() -> RunTools {
    RunTools::default()
}

/// Steps of a Node stage: manifests, then the frozen install.
pub fn expand(input: &Input) -> Result<Expansion, Diagnostic> {
    let span: Span = input.span.clone();
    let Some(found) = detect::detect(&MANAGERS, &LANGUAGE, input, &span)? else {
        return Ok(Expansion::default());
    };
    let install = Install {
        input,
        manager: found.manager,
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
        run_tools: (found.manager.hooks.run_tools)(),
        finish,
        installed: Vec::new(),
        detected: Some(format!("{}: {}", found.manager.name, found.why)),
        workspace: found.workspace.clone(),
        ..Expansion::default()
    })
}
