//! File ops: copy (with patterns), mkdir, mkfile and rm, chained in one op.

use std::collections::BTreeSet;

use super::state::{Node, OpMeta, Output, State};
use crate::pb;

/// Options of a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// Owner `(uid, gid)` of the copied files.
    pub owner: Option<(u32, u32)>,
    /// Owner by user and group name, looked up in the destination state.
    pub owner_names: Option<(String, Option<String>)>,
    /// File mode.
    pub mode: Option<u32>,
    /// Copy a directory's contents rather than the directory itself.
    pub dir_contents: bool,
    /// Allow `*` in the source path.
    pub allow_wildcard: bool,
    /// Only these patterns.
    pub include: Vec<String>,
    /// Skip these patterns.
    pub exclude: Vec<String>,
    /// When `src` is a symlink, copy what it points to (as a Dockerfile `COPY` does).
    pub follow_symlink: bool,
}

/// One action of a file op.
#[derive(Debug, Clone)]
pub enum FileAction {
    /// Copies `src` from `from` to `dest`.
    Copy {
        /// State to copy from.
        from: State,
        /// Path in `from`.
        src: String,
        /// Destination path.
        dest: String,
        /// Options.
        options: CopyOptions,
    },
    /// Creates a directory (and its parents).
    Mkdir {
        /// Path.
        path: String,
        /// Mode.
        mode: u32,
        /// Owner `(uid, gid)`.
        owner: Option<(u32, u32)>,
    },
    /// Writes a file.
    Mkfile {
        /// Path.
        path: String,
        /// Mode.
        mode: u32,
        /// Contents.
        data: Vec<u8>,
    },
    /// Removes a path.
    Rm {
        /// Path.
        path: String,
    },
}

fn owner_by_id(owner: Option<(u32, u32)>) -> Option<pb::ChownOpt> {
    owner.map(|(uid, gid)| pb::ChownOpt {
        user: Some(pb::UserOpt {
            user: Some(pb::user_opt::User::ById(uid)),
        }),
        group: Some(pb::UserOpt {
            user: Some(pb::user_opt::User::ById(gid)),
        }),
    })
}

fn owner_by_name(user: &str, group: Option<&str>, input: i64) -> pb::ChownOpt {
    let named = |name: &str| pb::UserOpt {
        user: Some(pb::user_opt::User::ByName(pb::NamedUserOpt {
            name: name.to_owned(),
            input,
        })),
    };
    pb::ChownOpt {
        user: Some(named(user)),
        group: group.map(named),
    }
}

impl State {
    /// Applies file actions in order on top of this state.
    pub fn file(&self, actions: Vec<FileAction>, meta: OpMeta) -> State {
        let mut caps = BTreeSet::from(["file.base"]);
        let mut inputs: Vec<Output> = Vec::new();
        let input_of = |state: &State, inputs: &mut Vec<Output>| -> i64 {
            match &state.output {
                Some(output) => {
                    let found = inputs.iter().position(|i| {
                        std::rc::Rc::ptr_eq(&i.node, &output.node) && i.index == output.index
                    });
                    match found {
                        Some(index) => index as i64,
                        None => {
                            inputs.push(output.clone());
                            inputs.len() as i64 - 1
                        }
                    }
                }
                None => -1,
            }
        };
        let base = input_of(self, &mut inputs);
        // Inputs of copy sources must be known before action results are numbered.
        let secondary: Vec<i64> = actions
            .iter()
            .map(|action| match action {
                FileAction::Copy { from, .. } => input_of(from, &mut inputs),
                _ => -1,
            })
            .collect();
        let input_count = inputs.len() as i64;
        let last = actions.len().saturating_sub(1);
        let mut pb_actions = Vec::with_capacity(actions.len());
        for (k, (action, secondary_input)) in actions.into_iter().zip(secondary).enumerate() {
            let input = if k == 0 {
                base
            } else {
                input_count + k as i64 - 1
            };
            let output = if k == last { 0 } else { -1 };
            let action = match action {
                FileAction::Copy {
                    src, dest, options, ..
                } => {
                    if !options.include.is_empty() || !options.exclude.is_empty() {
                        caps.insert("file.copy.includeexcludepatterns");
                    }
                    let owner = match &options.owner_names {
                        Some((user, group)) => Some(owner_by_name(user, group.as_deref(), input)),
                        None => owner_by_id(options.owner),
                    };
                    pb::file_action::Action::Copy(pb::FileActionCopy {
                        src,
                        dest,
                        owner,
                        mode: options.mode.map_or(-1, |m| m as i32),
                        follow_symlink: options.follow_symlink,
                        dir_copy_contents: options.dir_contents,
                        create_dest_path: true,
                        allow_wildcard: options.allow_wildcard,
                        allow_empty_wildcard: options.allow_wildcard,
                        timestamp: -1,
                        include_patterns: options.include,
                        exclude_patterns: options.exclude,
                        ..Default::default()
                    })
                }
                FileAction::Mkdir { path, mode, owner } => {
                    pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                        path,
                        mode: mode as i32,
                        make_parents: true,
                        owner: owner_by_id(owner),
                        timestamp: -1,
                    })
                }
                FileAction::Mkfile { path, mode, data } => {
                    pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                        path,
                        mode: mode as i32,
                        data,
                        owner: None,
                        timestamp: -1,
                    })
                }
                FileAction::Rm { path } => pb::file_action::Action::Rm(pb::FileActionRm {
                    path,
                    allow_not_found: true,
                    allow_wildcard: false,
                }),
            };
            pb_actions.push(pb::FileAction {
                input,
                secondary_input,
                output,
                action: Some(action),
            });
        }
        State::from_node(Node {
            op: pb::op::Op::File(pb::FileOp {
                actions: pb_actions,
            }),
            inputs,
            platform: None,
            meta,
            caps,
        })
    }
}
