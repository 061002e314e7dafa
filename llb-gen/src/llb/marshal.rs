//! Deterministic marshalling of a state graph into a [`pb::Definition`].
//!
//! Ops are emitted dependencies first, in the order a depth-first walk from the result meets
//! them; each op is written in BuildKit's canonical encoding (see `encode`) and its digest is
//! the sha256 of those bytes, so the same graph always gives the same bytes and BuildKit's
//! vertex digests equal ours.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::state::{Node, Output, State};
use crate::pb;

/// The build file a definition's source map points into.
#[derive(Debug, Clone)]
pub struct SourceInfo<'a> {
    /// File name.
    pub filename: &'a str,
    /// Its contents.
    pub data: &'a [u8],
    /// Language, e.g. `TOML`.
    pub language: &'a str,
}

struct Marshaller {
    digests: HashMap<*const Node, String>,
    definition: pb::Definition,
    locations: BTreeMap<String, pb::Locations>,
}

impl Marshaller {
    /// The digest of `root`'s node, emitting it and every op it depends on first.
    ///
    /// A depth-first walk with an explicit stack (a chain of ops is as deep as the spec has
    /// steps, far deeper than the thread's stack allows recursion): each node is emitted after
    /// its inputs, in input order, exactly as the recursive definition would.
    fn digest_of(&mut self, root: &Output) -> String {
        let mut stack: Vec<(&Rc<Node>, usize)> = vec![(&root.node, 0)];
        while let Some((node, next)) = stack.last_mut() {
            let node: &Rc<Node> = node;
            if self.digests.contains_key(&Rc::as_ptr(node)) {
                stack.pop();
                continue;
            }
            if let Some(input) = node.inputs.get(*next) {
                *next += 1;
                if !self.digests.contains_key(&Rc::as_ptr(&input.node)) {
                    stack.push((&input.node, 0));
                }
                continue;
            }
            stack.pop();
            self.emit(node);
        }
        self.digests
            .get(&Rc::as_ptr(&root.node))
            .cloned()
            .unwrap_or_default()
    }

    /// Encodes a node whose inputs all have digests, and records it.
    fn emit(&mut self, node: &Rc<Node>) {
        let inputs = node
            .inputs
            .iter()
            .map(|input| pb::Input {
                digest: self
                    .digests
                    .get(&Rc::as_ptr(&input.node))
                    .cloned()
                    .unwrap_or_default(),
                index: input.index,
            })
            .collect();
        let op = pb::Op {
            inputs,
            platform: node.platform.clone(),
            constraints: Some(pb::WorkerConstraints::default()),
            op: Some(node.op.clone()),
        };
        let bytes = super::encode_op(&op);
        let digest = digest_bytes(&bytes);
        if !self.definition.metadata.contains_key(&digest) {
            self.definition.def.push(bytes);
            let mut metadata = pb::OpMetadata {
                ignore_cache: node.meta.ignore_cache,
                caps: node.caps.iter().map(|c| ((*c).to_owned(), true)).collect(),
                ..Default::default()
            };
            if let Some(name) = &node.meta.name {
                metadata
                    .description
                    .insert("llb.customname".into(), name.clone());
            }
            self.definition.metadata.insert(digest.clone(), metadata);
            if !node.meta.ranges.is_empty() {
                self.locations.insert(
                    digest.clone(),
                    pb::Locations {
                        locations: vec![pb::Location {
                            source_index: 0,
                            ranges: node.meta.ranges.clone(),
                        }],
                    },
                );
            }
        }
        self.digests.insert(Rc::as_ptr(node), digest);
    }
}

/// `sha256:<hex>` of some bytes.
pub fn digest_bytes(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Marshals the graph ending in `result`; `source` adds the source map. Scratch gives an empty
/// definition (nothing to build).
pub fn marshal(result: &State, source: Option<SourceInfo<'_>>) -> pb::Definition {
    let Some(output) = &result.output else {
        return pb::Definition::default();
    };
    let mut marshaller = Marshaller {
        digests: HashMap::new(),
        definition: pb::Definition::default(),
        locations: BTreeMap::new(),
    };
    let digest = marshaller.digest_of(output);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest,
            index: output.index,
        }],
        ..Default::default()
    };
    let bytes = super::encode_op(&terminal);
    let terminal_digest = digest_bytes(&bytes);
    marshaller.definition.def.push(bytes);
    marshaller
        .definition
        .metadata
        .insert(terminal_digest, pb::OpMetadata::default());
    if let Some(info) = source
        && !marshaller.locations.is_empty()
    {
        marshaller.definition.source = Some(pb::Source {
            locations: marshaller.locations,
            infos: vec![pb::SourceInfo {
                filename: info.filename.to_owned(),
                data: info.data.to_vec(),
                definition: None,
                language: info.language.to_owned(),
            }],
        });
    }
    marshaller.definition
}
