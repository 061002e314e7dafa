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
    /// Each node's slot in `digests` (a node reached again is not encoded again).
    slots: HashMap<*const Node, usize>,
    /// The digest of every node encoded, back to back (slot `i` at `i * DIGEST_LEN`): one
    /// string for all, where a string each was an allocation per op.
    digests: String,
    definition: pb::Definition,
    locations: BTreeMap<String, pb::Locations>,
}

impl Marshaller {
    /// The slot of `root`'s node digest, encoding it and every op it depends on first.
    ///
    /// A depth-first walk with an explicit stack (a chain of ops is as deep as the spec has
    /// steps, far deeper than the thread's stack allows recursion): each node is encoded after
    /// its inputs, in input order, exactly as the recursive definition would.
    fn digest_of(&mut self, root: &Output) -> usize {
        let mut stack: Vec<(&Rc<Node>, usize)> = vec![(&root.node, 0)];
        while let Some((node, next)) = stack.last_mut() {
            let node: &Rc<Node> = node;
            if self.slots.contains_key(&Rc::as_ptr(node)) {
                stack.pop();
                continue;
            }
            if let Some(input) = node.inputs.get(*next) {
                *next += 1;
                if !self.slots.contains_key(&Rc::as_ptr(&input.node)) {
                    stack.push((&input.node, 0));
                }
                continue;
            }
            stack.pop();
            self.emit(node);
        }
        self.slots[&Rc::as_ptr(&root.node)]
    }

    /// Encodes a node whose inputs all have slots, and records its digest's slot.
    fn emit(&mut self, node: &Rc<Node>) {
        let inputs = node.inputs.iter().map(|input| {
            let slot = self.slots[&Rc::as_ptr(&input.node)];
            (slot_digest(&self.digests, slot), input.index)
        });
        let bytes = super::encode::encode_parts(
            inputs,
            node.platform.as_ref(),
            Some(&pb::WorkerConstraints::default()),
            Some(&node.op),
        );
        let slot = self.digests.len() / DIGEST_LEN;
        push_digest(&mut self.digests, &bytes);
        let digest = slot_digest(&self.digests, slot);
        if !self.definition.metadata.contains_key(digest) {
            self.definition.def.push(bytes);
            let mut caps = BTreeMap::new();
            for cap in &node.caps {
                caps.insert((*cap).to_owned(), true);
            }
            let mut metadata = pb::OpMetadata {
                ignore_cache: node.meta.ignore_cache,
                caps,
                ..Default::default()
            };
            if let Some(name) = &node.meta.name {
                metadata
                    .description
                    .insert("llb.customname".into(), name.clone());
            }
            if !node.meta.ranges.is_empty() {
                self.locations.insert(
                    digest.to_owned(),
                    pb::Locations {
                        locations: vec![pb::Location {
                            source_index: 0,
                            ranges: node.meta.ranges.clone(),
                        }],
                    },
                );
            }
            self.definition.metadata.insert(digest.to_owned(), metadata);
        }
        self.slots.insert(Rc::as_ptr(node), slot);
    }
}

/// Length of a digest: `sha256:` and 64 hex digits.
const DIGEST_LEN: usize = 71;

/// The digest in `slot` of the marshaller's digests.
fn slot_digest(digests: &str, slot: usize) -> &str {
    &digests[slot * DIGEST_LEN..(slot + 1) * DIGEST_LEN]
}

/// Appends `sha256:<hex>` of `bytes` to `out`.
fn push_digest(out: &mut String, bytes: &[u8]) {
    let mut hex = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    let _ = hex::encode_to_slice(Sha256::digest(bytes), &mut hex);
    out.push_str("sha256:");
    out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
}

/// `sha256:<hex>` of some bytes.
pub fn digest_bytes(bytes: &[u8]) -> String {
    let mut digest = String::with_capacity(DIGEST_LEN);
    push_digest(&mut digest, bytes);
    digest
}

/// Marshals the graph ending in `result`; `source` adds the source map. Scratch gives an empty
/// definition (nothing to build).
pub fn marshal(result: &State, source: Option<SourceInfo<'_>>) -> pb::Definition {
    let Some(output) = &result.output else {
        return pb::Definition::default();
    };
    let mut marshaller = Marshaller {
        slots: HashMap::new(),
        digests: String::new(),
        definition: pb::Definition::default(),
        locations: BTreeMap::new(),
    };
    let slot = marshaller.digest_of(output);
    let terminal = (slot_digest(&marshaller.digests, slot), output.index);
    let bytes = super::encode::encode_parts(std::iter::once(terminal), None, None, None);
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
