//! Lowering a run step to an exec op: env from the image config, mounts from the plan.

use super::{Built, Lowering};
use crate::ir::{Mount, Network, RunStep, Sharing, StageFs, scan_script};
use crate::llb::{Exec, ExecMount, OpMeta, SecretEnv, State};
use crate::pb;

impl Lowering<'_> {
    /// Runs `run` on the built stage, seeded with its config's env, workdir and user.
    pub(super) fn run(&self, built: &Built, run: &RunStep, meta: OpMeta) -> State {
        built.state.run(self.exec(built, run, Vec::new()), meta)
    }

    /// Runs `run` on the built stage with an empty writable mount at `dest`, and returns what
    /// the command wrote there.
    pub(super) fn run_into(&self, built: &Built, run: &RunStep, dest: &str, meta: OpMeta) -> State {
        let out = ExecMount::Output {
            dest: dest.into(),
            source: State::scratch(),
        };
        built
            .state
            .run(self.exec(built, run, vec![out]), meta)
            .output(1)
    }

    /// The exec op of `run` on the built stage, with `extra` mounts.
    fn exec(&self, built: &Built, run: &RunStep, extra: Vec<ExecMount>) -> Exec {
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
        let mut mounts = extra;
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
                Mount::Scanned { target, of, roots } => mounts.push(ExecMount::ReadOnly {
                    dest: target.clone(),
                    source: self.scanned(of, roots),
                    selector: "/stagefile/needs".into(),
                }),
                Mount::Stage { target, of, path } => mounts.push(ExecMount::ReadOnly {
                    dest: target.clone(),
                    source: self
                        .stage_fs(of)
                        .map_or_else(State::scratch, |b| b.state.clone()),
                    selector: path.clone(),
                }),
                Mount::Download {
                    target,
                    url,
                    checksum,
                    filename,
                } => mounts.push(ExecMount::ReadOnly {
                    dest: target.clone(),
                    source: State::http(
                        url,
                        Some(filename),
                        Some(checksum),
                        OpMeta::named(format!("[internal] download {filename}")),
                    ),
                    selector: String::new(),
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
        }
    }
}

impl Lowering<'_> {
    /// A stage's (or the builder's) filesystem after the scan of `roots` ran in it: an op of
    /// its own, so the stage itself stays as it was.
    fn scanned(&self, of: &StageFs, roots: &[String]) -> State {
        let Some(source) = self.stage_fs(of) else {
            return State::scratch();
        };
        let mut args = vec!["/bin/sh".into(), "-c".into(), scan_script(), "needs".into()];
        args.extend(roots.iter().cloned());
        let env = source.config.env_pairs();
        let meta = OpMeta::named(format!(
            "[internal] find the shared libraries {} need",
            roots.join(" ")
        ));
        source.state.run(
            Exec {
                args,
                env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
                cwd: "/".into(),
                user: "0:0".into(),
                network: pb::NetMode::None,
                mounts: Vec::new(),
                secret_env: Vec::new(),
                platform: Some(self.platform.clone()),
            },
            meta,
        )
    }

    /// The builder of the stage being lowered, or a stage built before.
    fn stage_fs(&self, of: &StageFs) -> Option<&Built> {
        match of {
            StageFs::Builder => self.builder.as_ref(),
            StageFs::Stage(index) => self.built.get(index),
        }
    }
}
