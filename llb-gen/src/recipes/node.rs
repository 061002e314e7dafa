//! Node.js: npm, Yarn or pnpm chosen from the lockfile, frozen installs, the tool's cache as a
//! (writable) cache mount.

use super::{in_root, manifest_copies};
use crate::ir::{Mount, RunStep, RunTools, Sharing, Step};
use crate::plan::{LanguagePlan, Manager, StagePlan};
use crate::probe::ContextProbe;

fn cache(target: &str, id: &str) -> Mount {
    Mount::Cache {
        target: target.into(),
        id: id.into(),
        sharing: Sharing::Shared,
    }
}

/// The corepack cache: where corepack keeps the pnpm or Yarn release a project pins.
fn corepack_cache() -> Mount {
    cache("/root/.cache/node/corepack", "stagefile-corepack")
}

/// What the stage's own `run` steps need to find the stage's package manager: for pnpm and
/// Yarn, corepack's shims (made by the install step) and its cache, so `pnpm run build` uses
/// the release the install used instead of failing or downloading it again.
pub fn run_tools(manager: Option<Manager>) -> RunTools {
    match manager {
        Some(Manager::Pnpm | Manager::Yarn) => RunTools {
            mounts: vec![corepack_cache()],
            env: vec![("COREPACK_ENABLE_DOWNLOAD_PROMPT".into(), "0".into())],
        },
        _ => RunTools::default(),
    }
}

/// Steps of a Node stage: manifests, then the frozen install.
pub fn steps(
    stage: &StagePlan,
    language: &LanguagePlan,
    manager: Option<Manager>,
    probe: &dyn ContextProbe,
) -> Vec<Step> {
    let Some(manager) = manager else {
        return Vec::new();
    };
    let span = language.span.clone();
    let corepack = corepack_cache();
    let (lockfile, install) = match manager {
        Manager::Pnpm => (
            "pnpm-lock.yaml",
            RunStep::recipe(
                "pnpm install --frozen-lockfile",
                "corepack enable pnpm && pnpm install --frozen-lockfile --store-dir /root/.cache/pnpm-store",
                vec![cache("/root/.cache/pnpm-store", "stagefile-pnpm"), corepack],
                span.clone(),
            )
            .with_env(&[("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0")]),
        ),
        Manager::Yarn => {
            let berry = probe.exists(&in_root(stage, ".yarnrc.yml"));
            let (display, script) = if berry {
                (
                    "yarn install --immutable",
                    "corepack enable yarn && yarn install --immutable",
                )
            } else {
                (
                    "yarn install --frozen-lockfile",
                    "corepack enable yarn && yarn install --frozen-lockfile",
                )
            };
            (
                "yarn.lock",
                RunStep::recipe(
                    display,
                    script,
                    vec![cache("/root/.cache/yarn", "stagefile-yarn"), corepack],
                    span.clone(),
                )
                .with_env(&[
                    ("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
                    ("YARN_CACHE_FOLDER", "/root/.cache/yarn"),
                ]),
            )
        }
        _ => (
            "package-lock.json",
            RunStep::recipe(
                "npm ci",
                "npm ci --no-audit --no-fund",
                vec![cache("/root/.npm", "stagefile-npm")],
                span.clone(),
            ),
        ),
    };
    let mut files = vec!["package.json".to_owned(), lockfile.to_owned()];
    for optional in [".npmrc", ".yarnrc.yml", ".yarnrc", "pnpm-workspace.yaml"] {
        if probe.exists(&in_root(stage, optional)) {
            files.push(optional.to_owned());
        }
    }
    let mut steps = manifest_copies(stage, &files, &span);
    steps.push(Step::Run(install));
    steps
}
