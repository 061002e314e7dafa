//! Exec ops: run a command on a state, with extra mounts.

use std::collections::BTreeSet;

use super::state::{Node, OpMeta, Output, State};
use crate::pb;

/// A command to run with its environment.
#[derive(Debug, Clone, Default)]
pub struct Exec {
    /// Program and arguments.
    pub args: Vec<String>,
    /// `NAME=value` entries, in order.
    pub env: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// User (`name`, `uid`, `uid:gid`); empty for the image default.
    pub user: String,
    /// Network mode.
    pub network: pb::NetMode,
    /// Extra mounts besides the root.
    pub mounts: Vec<ExecMount>,
    /// Secrets exposed as env vars.
    pub secret_env: Vec<SecretEnv>,
    /// Platform the command runs on.
    pub platform: Option<pb::Platform>,
}

/// A secret exposed as an env var.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    /// Secret id.
    pub id: String,
    /// Env var name.
    pub name: String,
    /// Whether a missing secret is allowed.
    pub optional: bool,
}

/// An extra mount of an exec op.
#[derive(Debug, Clone)]
pub enum ExecMount {
    /// A persistent cache directory.
    Cache {
        /// Mount point.
        dest: String,
        /// Cache id.
        id: String,
        /// Sharing mode.
        sharing: pb::CacheSharingOpt,
    },
    /// A secret file.
    Secret {
        /// Mount point.
        dest: String,
        /// Secret id.
        id: String,
        /// Whether a missing secret is allowed.
        optional: bool,
    },
    /// The SSH agent socket.
    Ssh {
        /// Socket path.
        dest: String,
        /// SSH id.
        id: String,
    },
    /// A tmpfs.
    Tmpfs {
        /// Mount point.
        dest: String,
    },
    /// A writable bind that starts from another state (or empty) and is an output of the op:
    /// [`State::output`] with the index [`State::run`] gives it (1 for the first).
    Output {
        /// Mount point.
        dest: String,
        /// What it starts from.
        source: State,
    },
    /// A writable bind of another state's path whose changes the op drops: the command may
    /// write there (apt refreshing package lists) without it becoming part of any result.
    Scratch {
        /// Mount point.
        dest: String,
        /// What it starts from.
        source: State,
        /// Path inside the source.
        selector: String,
    },
    /// A read-only bind of another state (or a path inside it).
    ReadOnly {
        /// Mount point.
        dest: String,
        /// What to mount.
        source: State,
        /// Path inside the source (empty for its root).
        selector: String,
    },
}

impl ExecMount {
    fn dest(&self) -> &str {
        match self {
            ExecMount::Cache { dest, .. }
            | ExecMount::Secret { dest, .. }
            | ExecMount::Ssh { dest, .. }
            | ExecMount::Tmpfs { dest }
            | ExecMount::Output { dest, .. }
            | ExecMount::Scratch { dest, .. }
            | ExecMount::ReadOnly { dest, .. } => dest,
        }
    }
}

impl State {
    /// Runs `exec` with this state as the root filesystem; the result is the changed root.
    pub fn run(&self, exec: Exec, meta: OpMeta) -> State {
        let mut caps = BTreeSet::from(["exec.meta.base"]);
        let mut inputs: Vec<Output> = Vec::new();
        let root_input = match &self.output {
            Some(output) => {
                inputs.push(output.clone());
                0
            }
            None => -1,
        };
        let mut mounts = vec![pb::Mount {
            input: root_input,
            dest: "/".into(),
            output: 0,
            ..Default::default()
        }];
        let mut extra = exec.mounts;
        extra.sort_by(|a, b| a.dest().cmp(b.dest()));
        let mut outputs = 0;
        for mount in extra {
            // A scratch bind is writable, its changes dropped (no output); a read-only one not.
            let readonly = matches!(mount, ExecMount::ReadOnly { .. });
            mounts.push(match mount {
                ExecMount::Output { dest, source } => {
                    caps.insert("exec.mount.bind");
                    let input = input_index(&mut inputs, source);
                    outputs += 1;
                    pb::Mount {
                        input,
                        dest,
                        output: outputs,
                        mount_type: pb::MountType::Bind as i32,
                        ..Default::default()
                    }
                }
                ExecMount::Cache { dest, id, sharing } => {
                    caps.extend(["exec.mount.cache", "exec.mount.cache.sharing"]);
                    pb::Mount {
                        input: -1,
                        dest,
                        output: -1,
                        mount_type: pb::MountType::Cache as i32,
                        cache_opt: Some(pb::CacheOpt {
                            id,
                            sharing: sharing as i32,
                        }),
                        ..Default::default()
                    }
                }
                ExecMount::Secret { dest, id, optional } => {
                    caps.insert("exec.mount.secret");
                    pb::Mount {
                        input: -1,
                        dest,
                        output: -1,
                        mount_type: pb::MountType::Secret as i32,
                        secret_opt: Some(pb::SecretOpt {
                            id,
                            uid: 0,
                            gid: 0,
                            mode: 0o400,
                            optional,
                        }),
                        ..Default::default()
                    }
                }
                ExecMount::Ssh { dest, id } => {
                    caps.insert("exec.mount.ssh");
                    pb::Mount {
                        input: -1,
                        dest,
                        output: -1,
                        mount_type: pb::MountType::Ssh as i32,
                        ssh_opt: Some(pb::SshOpt {
                            id,
                            uid: 0,
                            gid: 0,
                            mode: 0o600,
                            optional: false,
                        }),
                        ..Default::default()
                    }
                }
                ExecMount::Tmpfs { dest } => {
                    caps.insert("exec.mount.tmpfs");
                    pb::Mount {
                        input: -1,
                        dest,
                        output: -1,
                        mount_type: pb::MountType::Tmpfs as i32,
                        tmpfs_opt: Some(pb::TmpfsOpt { size: 0 }),
                        ..Default::default()
                    }
                }
                ExecMount::Scratch {
                    dest,
                    source,
                    selector,
                }
                | ExecMount::ReadOnly {
                    dest,
                    source,
                    selector,
                } => {
                    caps.insert("exec.mount.bind");
                    let input = input_index(&mut inputs, source);
                    pb::Mount {
                        input,
                        selector,
                        dest,
                        output: -1,
                        readonly,
                        mount_type: pb::MountType::Bind as i32,
                        ..Default::default()
                    }
                }
            });
        }
        if !exec.secret_env.is_empty() {
            caps.insert("exec.secretenv");
        }
        if exec.network != pb::NetMode::Unset {
            caps.insert("exec.meta.network");
        }
        let op = pb::ExecOp {
            meta: Some(pb::Meta {
                args: exec.args,
                env: exec.env,
                cwd: exec.cwd,
                user: exec.user,
                ..Default::default()
            }),
            mounts,
            network: exec.network as i32,
            security: pb::SecurityMode::Sandbox as i32,
            secretenv: exec
                .secret_env
                .into_iter()
                .map(|s| pb::SecretEnv {
                    id: s.id,
                    name: s.name,
                    optional: s.optional,
                })
                .collect(),
            cdi_devices: Vec::new(),
        };
        State::from_node(Node {
            op: pb::op::Op::Exec(op),
            inputs,
            platform: exec.platform,
            meta,
            caps,
        })
    }
}

/// The index `state` gets among an op's inputs (pushed there), or -1 for the empty filesystem.
fn input_index(inputs: &mut Vec<Output>, state: State) -> i64 {
    match state.output {
        Some(output) => {
            inputs.push(output);
            inputs.len() as i64 - 1
        }
        None => -1,
    }
}
