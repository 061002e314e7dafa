//! Lowering a run step to an exec op: env from the image config, mounts from the plan.

use super::{Built, Lowering};
use crate::ir::{Mount, Network, RunStep, Sharing, StageFs, scan_script, without_comments};
use crate::llb::{Exec, ExecMount, FileAction, OpMeta, SecretEnv, State};
use crate::pb;

impl Lowering<'_> {
    /// Runs `run` on the built stage, seeded with its config's env, workdir and user.
    pub(super) fn run(&self, built: &Built, run: RunStep, meta: OpMeta) -> State {
        built.state.run(self.exec(built, run, Vec::new()), meta)
    }

    /// Runs `run` on the built stage with an empty writable mount at `dest`, and returns what
    /// the command wrote there.
    pub(super) fn run_into(&self, built: &Built, run: RunStep, dest: &str, meta: OpMeta) -> State {
        let out = ExecMount::Output {
            dest: dest.into(),
            source: State::scratch(),
        };
        built
            .state
            .run(self.exec(built, run, vec![out]), meta)
            .output(1)
    }

    /// The exec op of `run` on the built stage, with `extra` mounts (its command, env and mounts
    /// move into the op).
    fn exec(&self, built: &Built, run: RunStep, extra: Vec<ExecMount>) -> Exec {
        let mut env = built.config.exec_env();
        let tools_path = (!run.path.is_empty()).then(|| {
            let path = env.iter().find_map(|entry| entry.strip_prefix("PATH="));
            let path = path.unwrap_or(crate::image::DEFAULT_PATH);
            format!("PATH={}:{path}", run.path.join(":"))
        });
        // Sets `name` to `entry` (`name=value`), in place when the env has it.
        let mut set = |name: &str, entry: String| {
            let same = |e: &String| e.split_once('=').is_some_and(|(n, _)| n == name);
            match env.iter_mut().find(|e| same(e)) {
                Some(existing) => *existing = entry,
                None => env.push(entry),
            }
        };
        if let Some(path) = tools_path {
            set("PATH", path);
        }
        for (name, value) in &run.env {
            set(name, format!("{name}={value}"));
        }
        if let Some(epoch) = self.options.source_date_epoch {
            set("SOURCE_DATE_EPOCH", format!("SOURCE_DATE_EPOCH={epoch}"));
        }
        let mut mounts = extra;
        let mut secret_env = Vec::new();
        let mut ssh_count = 0;
        for mount in run.mounts {
            match mount {
                Mount::Cache {
                    target,
                    id,
                    sharing,
                } => mounts.push(ExecMount::Cache {
                    dest: target,
                    id,
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
                            dest: target,
                            id: id.clone(),
                            optional: !required,
                        });
                    }
                    if let Some(var) = var {
                        secret_env.push(SecretEnv {
                            id,
                            name: var,
                            optional: !required,
                        });
                    }
                }
                Mount::Ssh { id } => {
                    let dest = format!("/run/buildkit/ssh_agent.{ssh_count}");
                    if ssh_count == 0 {
                        set("SSH_AUTH_SOCK", format!("SSH_AUTH_SOCK={dest}"));
                    }
                    ssh_count += 1;
                    mounts.push(ExecMount::Ssh { dest, id });
                }
                Mount::Tmpfs { target } => mounts.push(ExecMount::Tmpfs { dest: target }),
                Mount::Context { target, path } => mounts.push(ExecMount::ReadOnly {
                    dest: target,
                    source: self.context.clone(),
                    selector: format!("/{}", path.trim_start_matches('/')),
                }),
                Mount::Scanned { target, of, roots } => mounts.push(ExecMount::ReadOnly {
                    dest: target,
                    source: self.scanned(&of, &roots),
                    selector: "/stagefile/needs".into(),
                }),
                Mount::PackageLists { target } => mounts.push(ExecMount::Scratch {
                    dest: target.clone(),
                    source: self.package_lists(),
                    selector: target,
                }),
                Mount::Stage { target, of, path } => mounts.push(ExecMount::ReadOnly {
                    dest: target,
                    source: self
                        .stage_fs(&of)
                        .map_or_else(State::scratch, |b| b.state.clone()),
                    selector: path,
                }),
                Mount::Download {
                    target,
                    url,
                    checksum,
                    filename,
                } => mounts.push(ExecMount::ReadOnly {
                    dest: target,
                    source: State::http(
                        &url,
                        Some(&filename),
                        Some(&checksum),
                        OpMeta::named(format!("[internal] download {filename}")),
                    ),
                    selector: String::new(),
                }),
                Mount::File {
                    target,
                    name,
                    contents,
                } => mounts.push(ExecMount::ReadOnly {
                    dest: target,
                    source: State::scratch().file(
                        vec![FileAction::Mkfile {
                            path: format!("/{name}"),
                            mode: 0o444,
                            data: contents.as_bytes().to_vec(),
                        }],
                        OpMeta::named(format!("[internal] write {name}")),
                    ),
                    selector: String::new(),
                }),
            }
        }
        let cwd = run
            .cwd
            .or_else(|| built.config.config.working_dir.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/".to_owned());
        let user = run
            .user
            .or_else(|| built.config.config.user.clone())
            .unwrap_or_default();
        Exec {
            args: run.args,
            env,
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

/// Where a scanned directory is mounted (`/venv` at `/stagefile/scan/venv`).
const SCAN_MOUNTS: &str = "/stagefile/scan";

/// Where the merge of several scans finds each one's results.
const PARTS: &str = "/stagefile/parts";

impl Lowering<'_> {
    /// A filesystem holding, at `/stagefile/needs`, what the ELF files under `roots` of a
    /// stage (or the builder) need.
    ///
    /// In the builder, each root (a result copied into the image) is scanned on its own, in
    /// the builder as of its last run step (where the libraries were installed), with the
    /// root mounted read-only from the finished builder: BuildKit keys a read-only mount by
    /// its content, so the scan of a directory that did not change (the venv, when only the
    /// code did) stays cached. Another stage's roots (an interpreter's files, which need
    /// not exist) are scanned in one step in that stage.
    fn scanned(&self, of: &StageFs, roots: &[String]) -> State {
        let Some(source) = self.stage_fs(of) else {
            return State::scratch();
        };
        let system = match of {
            StageFs::Builder => self.builder_run.last_run.as_ref(),
            StageFs::BuilderPackages | StageFs::Stage(_) | StageFs::Base(_) => None,
        };
        let env = source.config.exec_env();
        let exec = |args: Vec<String>, mounts: Vec<ExecMount>| Exec {
            args,
            env: env.clone(),
            cwd: "/".into(),
            user: "0:0".into(),
            network: pb::NetMode::None,
            mounts,
            secret_env: Vec::new(),
            platform: Some(self.platform.clone()),
        };
        let Some(system) = system else {
            let mut args = vec!["/bin/sh".into(), "-c".into(), scan_script(), "needs".into()];
            args.extend(roots.iter().cloned());
            let meta = OpMeta::named(format!(
                "[internal] find the shared libraries {} need",
                roots.join(" ")
            ));
            return source.state.run(exec(args, Vec::new()), meta);
        };
        let mut scans: Vec<State> = roots
            .iter()
            .map(|root| {
                let mounted = format!("{SCAN_MOUNTS}/{}", root.trim_matches('/'));
                let mut args = vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    scan_script(),
                    "needs".into(),
                    mounted.clone(),
                ];
                // A root inside this one (a venv in the workdir) is scanned on its own.
                let prefix = format!("{}/", root.trim_end_matches('/'));
                args.extend(
                    roots
                        .iter()
                        .filter(|inner| inner.starts_with(&prefix))
                        .map(|inner| format!("{SCAN_MOUNTS}/{}", inner.trim_matches('/'))),
                );
                let mount = ExecMount::ReadOnly {
                    dest: mounted,
                    source: self.scan_source(root),
                    selector: root.clone(),
                };
                let meta =
                    OpMeta::named(format!("[internal] find the shared libraries {root} needs"));
                let mut scan = exec(args, vec![mount]);
                scan.env.push(format!("STAGEFILE_SCANNED={SCAN_MOUNTS}"));
                system.run(scan, meta)
            })
            .collect();
        if scans.len() == 1 {
            return scans.remove(0);
        }
        let mounts = scans
            .into_iter()
            .enumerate()
            .map(|(index, scan)| ExecMount::ReadOnly {
                dest: format!("{PARTS}/{index:04}"),
                source: scan,
                selector: "/stagefile/needs".into(),
            })
            .collect();
        let merge = without_comments(include_str!("../recipes/merge.sh"));
        let args = vec!["/bin/sh".into(), "-c".into(), merge, PARTS.into()];
        let meta = OpMeta::named(format!(
            "[internal] the shared libraries {} need",
            roots.join(" ")
        ));
        system.run(exec(args, mounts), meta)
    }

    /// The stage's base after `apt-get update`: a step that depends on nothing else, so
    /// BuildKit runs it while the stages it does not wait for build. A base without apt gets
    /// an empty directory.
    fn package_lists(&self) -> State {
        let Some((base, env)) = &self.stage_base else {
            return State::scratch();
        };
        let script = "mkdir -p /var/lib/apt/lists && if command -v apt-get >/dev/null 2>&1; then apt-get update; fi";
        let exec = Exec {
            args: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: env.clone(),
            cwd: "/".into(),
            user: "0:0".into(),
            network: pb::NetMode::Unset,
            mounts: Vec::new(),
            secret_env: Vec::new(),
            platform: Some(self.platform.clone()),
        };
        base.run(exec, OpMeta::named("[internal] fetch the package lists"))
    }

    /// The builder of the stage being lowered, or a stage built before.
    fn stage_fs(&self, of: &StageFs) -> Option<&Built> {
        match of {
            StageFs::Builder => self.builder.as_ref(),
            StageFs::BuilderPackages => self.builder.as_ref().and(self.first_run.as_ref()),
            StageFs::Stage(index) => self.built.get(index),
            StageFs::Base(index) => self.bases.get(index),
        }
    }
}
