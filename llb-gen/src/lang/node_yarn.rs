//! Yarn, by major line. Yarn 1 runs through corepack. Yarn 2+ ("Berry", configured by
//! `.yarnrc.yml`) runs the release the project commits (`yarnPath`) with node, else through
//! corepack; its plugins, patches and release are install inputs, its offline cache too when
//! the project commits one (zero-installs), and its downloads go to a cache mount. Plug'n'Play
//! (no `node_modules`) is refused: the image would not find its dependencies.

use super::row::{Cache, Input, in_root};
use super::tools;
use crate::diag::{Code, Diagnostic};
use crate::ir::{Mount, RunTools};
use crate::shell::quote;

/// Yarn 2+'s configuration file: its presence means Yarn 2+.
pub const YARNRC: &str = ".yarnrc.yml";

/// Yarn 2+'s offline cache: committed, it is what the install reads (zero-installs).
pub const OFFLINE_CACHE: &str = ".yarn/cache";

/// Yarn 2+'s files besides the release that an install reads when they exist: plugins (named
/// in `.yarnrc.yml`) and patches (named by `patch:` dependencies).
pub const BERRY_FILES: [&str; 2] = [".yarn/plugins", ".yarn/patches"];

/// Yarn 1's download cache, and Yarn 2+'s global folder below it.
pub const YARN_CACHE: Cache = Cache::shared("/root/.cache/yarn", "stagefile-yarn");

/// Yarn 2+'s global folder (its cache, unless the project's own offline cache is used).
const BERRY_GLOBAL: &str = "/root/.cache/yarn/berry";

/// The `yarn` command run steps get when the project commits its release: runs the release
/// `STAGEFILE_YARN_PATH` names (set in their env), so one shim serves every project.
const RELEASE_SHIM_DIR: &str = "/opt/stagefile-tools/yarn-release/bin";

/// Which Yarn a project uses, from its `.yarnrc.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Yarn {
    /// Yarn 1 (no `.yarnrc.yml`).
    Classic,
    /// Yarn 2+.
    Berry {
        /// The committed release (`yarnPath`), relative to the project's directory.
        release: Option<String>,
        /// Whether the project commits its offline cache (`.yarn/cache`).
        offline: bool,
    },
}

/// The Yarn of the project whose lockfile is in `dir`. Errors when Yarn 2+ would use
/// Plug'n'Play or its `yarnPath` leaves the project.
pub fn config(input: &Input, dir: &str) -> Result<Yarn, Diagnostic> {
    let rc = in_root(dir, YARNRC);
    if !input.probe.exists(&rc) {
        return Ok(Yarn::Classic);
    }
    let text = input.probe.read(&rc).unwrap_or_default();
    let linker = value(&text, "nodeLinker");
    if linker.as_deref().is_none_or(|l| l == "pnp") {
        return Err(Diagnostic::error(
            Code::Unsupported,
            format!(
                "`{rc}` makes Yarn use Plug'n'Play ({}): the image would have no `node_modules` and its dependencies in Yarn's cache, which Stagefile does not carry into images",
                match linker {
                    Some(_) => "`nodeLinker: pnp`",
                    None => "no `nodeLinker`",
                }
            ),
            Some(input.span.clone()),
        )
        .with_help(format!(
            "add `nodeLinker: node-modules` to `{rc}`: Yarn then installs into `node_modules`, which the image gets"
        )));
    }
    let release = match value(&text, "yarnPath") {
        Some(path) => Some(release_path(&path).ok_or_else(|| {
            Diagnostic::error(
                Code::InvalidPath,
                format!("`yarnPath: {path}` in `{rc}` is not a file inside the project"),
                Some(input.span.clone()),
            )
            .with_help(
                "commit the release under `.yarn/releases/` and name it relative to `.yarnrc.yml`",
            )
        })?),
        None => None,
    };
    Ok(Yarn::Berry {
        release,
        offline: input.probe.exists(&in_root(dir, OFFLINE_CACHE)),
    })
}

/// A top-level scalar of a `.yarnrc.yml` (`key: value`, quoted or not, comments dropped).
fn value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let rest = rest.split(" #").next().unwrap_or_default().trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| rest.strip_prefix(*q)?.strip_suffix(*q))
            .unwrap_or(rest);
        (!unquoted.is_empty()).then(|| unquoted.to_owned())
    })
}

/// `yarnPath` as a path relative to the project, `None` when it leaves it (absolute, `..`,
/// an environment variable).
fn release_path(path: &str) -> Option<String> {
    if path.starts_with('/') || path.contains("${") {
        return None;
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    (!parts.is_empty() && !parts.contains(&"..")).then(|| parts.join("/"))
}

impl Yarn {
    /// Project files the install needs besides the manifests: the committed release.
    pub fn files(&self) -> Vec<String> {
        match self {
            Yarn::Berry {
                release: Some(release),
                ..
            } => vec![release.clone()],
            _ => Vec::new(),
        }
    }

    /// `yarn` followed by `args`, as a script: the committed release run by node, else
    /// corepack's `yarn`.
    fn command(&self, args: &str) -> String {
        match self {
            Yarn::Berry {
                release: Some(release),
                ..
            } => format!("node {} {args}", quote(&format!("./{release}"))),
            _ => format!("yarn {args}"),
        }
    }

    /// What detection adds to its note (`--format steps`): which Yarn, run how.
    pub fn describe(&self) -> String {
        match self {
            Yarn::Classic => String::new(),
            Yarn::Berry { release, offline } => format!(
                " (Yarn 2+, {}{})",
                match release {
                    Some(release) => format!("its release {release}"),
                    None => "through corepack".to_owned(),
                },
                if *offline {
                    ", from its offline cache .yarn/cache"
                } else {
                    ""
                }
            ),
        }
    }

    fn via_corepack(&self) -> bool {
        !matches!(
            self,
            Yarn::Berry {
                release: Some(_),
                ..
            }
        )
    }

    /// The frozen install's display text and script.
    pub fn install(&self, runs: bool) -> (String, String) {
        let (display, args) = match self {
            Yarn::Classic => (
                "yarn install --frozen-lockfile",
                "install --frozen-lockfile",
            ),
            Yarn::Berry { .. } => ("yarn install --immutable", "install --immutable"),
        };
        // The log names the committed release the install runs.
        let display = match self {
            Yarn::Berry {
                release: Some(release),
                ..
            } => format!("{display} (with {release})"),
            _ => display.to_owned(),
        };
        let mut script = String::new();
        if self.via_corepack() {
            script.push_str(&tools::ensure_corepack("yarn"));
        } else if runs {
            // The stage's `run` steps call `yarn`: a shim that runs the release they name.
            script.push_str(&format!(
                "d={RELEASE_SHIM_DIR} && {{ [ -x \"$d/yarn\" ] || {{ mkdir -p \"$d\" && printf '#!/bin/sh\\nexec node \"$STAGEFILE_YARN_PATH\" \"$@\"\\n' > \"$d/yarn.part\" && chmod 755 \"$d/yarn.part\" && mv \"$d/yarn.part\" \"$d/yarn\"; }}; }} && "
            ));
        }
        script.push_str(&self.command(args));
        (display, script)
    }

    /// Removing development dependencies: Yarn 1 installs again without them, Yarn 2+
    /// focuses its workspaces.
    pub fn prune(&self) -> String {
        let args = match self {
            Yarn::Classic => {
                "install --production --frozen-lockfile --ignore-scripts --prefer-offline"
            }
            Yarn::Berry { .. } => "workspaces focus --all --production",
        };
        let mut script = String::new();
        if self.via_corepack() {
            script.push_str(&tools::ensure_corepack("yarn"));
        }
        script.push_str(&self.command(args));
        script
    }

    /// The env of every step that runs Yarn. Yarn 2+'s downloads go to its global folder in
    /// the cache mount (Yarn 4 ignores `YARN_CACHE_FOLDER` while its global cache is on), or
    /// come from the project's offline cache, mounted where Yarn looks for it.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(&str, &str)> = tools::COREPACK_ENV.to_vec();
        match self {
            Yarn::Classic => env.push(("YARN_CACHE_FOLDER", YARN_CACHE.target)),
            Yarn::Berry { offline, .. } => env.extend([
                ("YARN_GLOBAL_FOLDER", BERRY_GLOBAL),
                (
                    "YARN_ENABLE_GLOBAL_CACHE",
                    if *offline { "false" } else { "true" },
                ),
                ("YARN_ENABLE_TELEMETRY", "0"),
            ]),
        }
        env.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// The mounts of every step that runs Yarn, in `workdir` (where the project's lockfile
    /// is, `dir` in the context).
    pub fn mounts(&self, workdir: &str, dir: &str) -> Vec<Mount> {
        let mut mounts = vec![YARN_CACHE.mount()];
        if self.via_corepack() {
            mounts.push(tools::COREPACK_CACHE.mount());
            mounts.push(tools::NPM_CACHE.mount());
        }
        // The pinned corepack, or the shim of a committed release.
        mounts.push(tools::node_tools_cache());
        if let Yarn::Berry { offline: true, .. } = self {
            mounts.push(Mount::Context {
                target: format!("{}/{OFFLINE_CACHE}", workdir.trim_end_matches('/')),
                path: in_root(dir, OFFLINE_CACHE),
            });
        }
        mounts
    }

    /// `PATH` entries the steps running Yarn need.
    pub fn path(&self) -> Vec<String> {
        if self.via_corepack() {
            vec![tools::corepack_bin_dir()]
        } else {
            vec![RELEASE_SHIM_DIR.to_owned()]
        }
    }

    /// What the stage's own `run` steps need to call `yarn`.
    pub fn run_tools(&self, workdir: &str, dir: &str) -> RunTools {
        let mut env = self.env();
        if let Yarn::Berry {
            release: Some(release),
            ..
        } = self
        {
            let workdir = workdir.trim_end_matches('/');
            env.push(("STAGEFILE_YARN_PATH".into(), format!("{workdir}/{release}")));
        }
        RunTools {
            mounts: self.mounts(workdir, dir),
            env,
            path: self.path(),
        }
    }
}

/// The paths Yarn's configuration adds to a Node stage's probe, in `dir`.
pub fn probe_paths(dir: &str) -> Vec<String> {
    let mut paths = vec![in_root(dir, OFFLINE_CACHE)];
    paths.extend(BERRY_FILES.iter().map(|file| in_root(dir, file)));
    paths
}

#[cfg(test)]
mod tests {
    use super::{release_path, value};

    #[test]
    fn reads_top_level_scalars() {
        let rc = "# comment\nnodeLinker: \"node-modules\"\nyarnPath: .yarn/releases/yarn-4.1.cjs # pinned\nplugins:\n  - path: x\n";
        assert_eq!(value(rc, "nodeLinker").as_deref(), Some("node-modules"));
        assert_eq!(
            value(rc, "yarnPath").as_deref(),
            Some(".yarn/releases/yarn-4.1.cjs")
        );
        assert_eq!(value(rc, "path"), None, "nested keys are not top-level");
        assert_eq!(value("nodeLinkerX: pnp\n", "nodeLinker"), None);
    }

    #[test]
    fn release_paths_stay_inside_the_project() {
        assert_eq!(
            release_path("./.yarn/releases/y.cjs").as_deref(),
            Some(".yarn/releases/y.cjs")
        );
        for bad in [
            "/usr/y.cjs",
            "../y.cjs",
            "a/../../y.cjs",
            "${HOME}/y.cjs",
            ".",
        ] {
            assert_eq!(release_path(bad), None, "{bad}");
        }
    }
}
