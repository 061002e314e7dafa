//! Lowering a run step to an exec op: env from the image config, mounts from the plan.

use super::{Built, Lowering};
use crate::ir::{Mount, Network, RunStep, Sharing};
use crate::llb::{Exec, ExecMount, OpMeta, SecretEnv, State};
use crate::pb;

impl Lowering<'_> {
    /// Runs `run` on the built stage, seeded with its config's env, workdir and user.
    pub(super) fn run(&self, built: &Built, run: &RunStep, meta: OpMeta) -> State {
        let mut env = built.config.env_pairs();
        let tools_path = (!run.path.is_empty()).then(|| {
            let path = env
                .iter()
                .find(|(k, _)| k == "PATH")
                .map(|(_, v)| v.as_str());
            let path = path.unwrap_or(crate::image::DEFAULT_PATH);
            format!("{}:{path}", run.path.join(":"))
        });
        let mut set = |name: &str, value: String| match env.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1 = value,
            None => env.push((name.to_owned(), value)),
        };
        if let Some(path) = tools_path {
            set("PATH", path);
        }
        for (name, value) in &run.env {
            set(name, value.clone());
        }
        if let Some(epoch) = self.options.source_date_epoch {
            set("SOURCE_DATE_EPOCH", epoch.to_string());
        }
        let mut mounts = Vec::new();
        let mut secret_env = Vec::new();
        let mut ssh_count = 0;
        for mount in &run.mounts {
            match mount {
                Mount::Cache {
                    target,
                    id,
                    sharing,
                } => mounts.push(ExecMount::Cache {
                    dest: target.clone(),
                    id: id.clone(),
                    sharing: match sharing {
                        Sharing::Shared => pb::CacheSharingOpt::Shared,
                        Sharing::Private => pb::CacheSharingOpt::Private,
                        Sharing::Locked => pb::CacheSharingOpt::Locked,
                    },
                }),
                Mount::Secret {
                    id,
                    target,
                    env: var,
                    required,
                } => {
                    if let Some(target) = target {
                        mounts.push(ExecMount::Secret {
                            dest: target.clone(),
                            id: id.clone(),
                            optional: !required,
                        });
                    }
                    if let Some(var) = var {
                        secret_env.push(SecretEnv {
                            id: id.clone(),
                            name: var.clone(),
                            optional: !required,
                        });
                    }
                }
                Mount::Ssh { id } => {
                    let dest = format!("/run/buildkit/ssh_agent.{ssh_count}");
                    if ssh_count == 0 {
                        set("SSH_AUTH_SOCK", dest.clone());
                    }
                    ssh_count += 1;
                    mounts.push(ExecMount::Ssh {
                        dest,
                        id: id.clone(),
                    });
                }
                Mount::Tmpfs { target } => mounts.push(ExecMount::Tmpfs {
                    dest: target.clone(),
                }),
                Mount::Context { target, path } => mounts.push(ExecMount::ReadOnly {
                    dest: target.clone(),
                    source: self.context.clone(),
                    selector: format!("/{}", path.trim_start_matches('/')),
                }),
            }
        }
        let cwd = run
            .cwd
            .clone()
            .or_else(|| built.config.config.working_dir.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/".to_owned());
        let user = run
            .user
            .clone()
            .or_else(|| built.config.config.user.clone())
            .unwrap_or_default();
        built.state.run(
            Exec {
                args: run.args.clone(),
                env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
                cwd,
                user,
                network: match run.network {
                    Network::Sandbox => pb::NetMode::Unset,
                    Network::None => pb::NetMode::None,
                    Network::Host => pb::NetMode::Host,
                },
                mounts,
                secret_env,
                platform: Some(self.platform.clone()),
            },
            meta,
        )
    }
}
