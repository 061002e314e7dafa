//! The graph itself: [`State`], an immutable handle on an op's output, and the ops' metadata.

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::pb;

/// Metadata of one op: its progress name, where it came from, and cache control.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpMeta {
    /// Progress name (`llb.customname`).
    pub name: Option<String>,
    /// Source ranges (1-based lines and characters) in the build file.
    pub ranges: Vec<pb::Range>,
    /// Run even when cached.
    pub ignore_cache: bool,
}

impl OpMeta {
    /// Metadata with a progress name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Adds source ranges.
    pub fn at(mut self, ranges: Vec<pb::Range>) -> Self {
        self.ranges = ranges;
        self
    }

    /// Sets whether the op ignores the cache.
    pub fn no_cache(mut self, ignore: bool) -> Self {
        self.ignore_cache = ignore;
        self
    }
}

/// One op in the graph with its inputs.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) op: pb::op::Op,
    pub(super) inputs: Vec<Output>,
    pub(super) platform: Option<pb::Platform>,
    pub(super) meta: OpMeta,
    pub(super) caps: BTreeSet<&'static str>,
}

impl Drop for Node {
    /// Frees the chain of inputs this node alone holds with a loop: the default drop would
    /// recurse once per op of a chain, and a long chain would overflow the stack. A node held
    /// only here gives up its inputs in place (not moved out of its `Rc`: an op is large) and
    /// is freed when its output is.
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.inputs);
        while let Some(mut output) = stack.pop() {
            if let Some(node) = Rc::get_mut(&mut output.node) {
                stack.append(&mut node.inputs);
            }
        }
    }
}

/// An output of a node.
#[derive(Debug, Clone)]
pub(super) struct Output {
    pub(super) node: Rc<Node>,
    pub(super) index: i64,
}

/// A filesystem state: the output of an op, or the empty filesystem (scratch).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub(super) output: Option<Output>,
}

impl State {
    /// The empty filesystem.
    pub fn scratch() -> Self {
        Self::default()
    }

    /// Another output of the op this state is the first output of (a writable mount of an
    /// exec op, see [`super::ExecMount::Output`]); the empty filesystem stays empty.
    pub fn output(&self, index: i64) -> State {
        State {
            output: self.output.as_ref().map(|output| Output {
                node: output.node.clone(),
                index,
            }),
        }
    }

    /// True for the empty filesystem.
    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    pub(super) fn from_node(node: Node) -> Self {
        Self {
            output: Some(Output {
                node: Rc::new(node),
                index: 0,
            }),
        }
    }

    /// Overlays states in order (later ones win), without copying: a changed lower state does
    /// not invalidate the upper ones (cap `mergeop`).
    pub fn merge(states: Vec<State>, meta: OpMeta) -> State {
        let inputs: Vec<Output> = states.into_iter().filter_map(|s| s.output).collect();
        match inputs.len() {
            0 => State::scratch(),
            1 => State {
                output: inputs.into_iter().next(),
            },
            _ => {
                let merge = pb::MergeOp {
                    inputs: (0..inputs.len() as i64)
                        .map(|input| pb::MergeInput { input })
                        .collect(),
                };
                State::from_node(Node {
                    op: pb::op::Op::Merge(merge),
                    inputs,
                    platform: None,
                    meta,
                    caps: BTreeSet::from(["mergeop"]),
                })
            }
        }
    }

    /// The changes that take `lower` to `upper` (cap `diffop`).
    pub fn diff(lower: &State, upper: &State, meta: OpMeta) -> State {
        let mut inputs = Vec::new();
        let mut index_of = |state: &State| match &state.output {
            Some(output) => {
                inputs.push(output.clone());
                inputs.len() as i64 - 1
            }
            None => -1,
        };
        let lower_index = index_of(lower);
        let upper_index = index_of(upper);
        State::from_node(Node {
            op: pb::op::Op::Diff(pb::DiffOp {
                lower: Some(pb::LowerDiffInput { input: lower_index }),
                upper: Some(pb::UpperDiffInput { input: upper_index }),
            }),
            inputs,
            platform: None,
            meta,
            caps: BTreeSet::from(["diffop"]),
        })
    }
}
