//! Op bytes in BuildKit's canonical encoding.
//!
//! BuildKit (since v0.18) decodes every op a frontend sends, re-marshals it with Go's
//! deterministic protobuf encoder and uses the digest of *those* bytes for the vertex
//! (`solver/llbsolver/vertex.go`, `recomputeDigests`). Go's encoder differs from prost in two
//! ways that matter for LLB:
//!
//! - `Op.op` (the oneof, tags 2-7) comes after `platform` (10) and `constraints` (11); prost
//!   writes it by its lowest tag, right after `inputs`;
//! - map entries always carry key and value, even empty ones; prost leaves empty ones out.
//!
//! When the bytes differ, everything keyed by our digests misses BuildKit's vertices: the
//! source map (so a failing step is shown without its Stagefile lines) and warnings. The
//! definitions solved here are therefore put in canonical form first; for bytes that already
//! are canonical this changes nothing.

use std::collections::BTreeMap;

use llb_gen::pb;
use prost::Message as _;
use prost::encoding::{encode_key, encode_varint, encoded_len_varint};

use crate::localsrc::digest_of;

/// An op's bytes as Go's deterministic marshaller writes them.
pub fn encode_op(op: &pb::Op) -> Vec<u8> {
    let head = pb::Op {
        op: None,
        ..op.clone()
    };
    let mut bytes = head.encode_to_vec();
    match &op.op {
        Some(pb::op::Op::Source(source)) => {
            let body = encode_source(source);
            encode_key(3, prost::encoding::WireType::LengthDelimited, &mut bytes);
            encode_varint(body.len() as u64, &mut bytes);
            bytes.extend_from_slice(&body);
        }
        Some(other) => other.encode(&mut bytes),
        None => {}
    }
    bytes
}

/// `SourceOp` with every map entry written in full (key and value, even when empty).
fn encode_source(source: &pb::SourceOp) -> Vec<u8> {
    let mut out = Vec::new();
    if !source.identifier.is_empty() {
        prost::encoding::string::encode(1, &source.identifier, &mut out);
    }
    for (key, value) in &source.attrs {
        let len = 1
            + encoded_len_varint(key.len() as u64)
            + key.len()
            + 1
            + encoded_len_varint(value.len() as u64)
            + value.len();
        encode_key(2, prost::encoding::WireType::LengthDelimited, &mut out);
        encode_varint(len as u64, &mut out);
        prost::encoding::string::encode(1, key, &mut out);
        // `string::encode` writes empty strings too (it is the caller that skips defaults).
        prost::encoding::string::encode(2, value, &mut out);
    }
    out
}

/// The definition with every op in canonical bytes, inputs, metadata and source locations
/// re-keyed to the new digests. Ops that cannot be decoded are kept as they are.
pub fn canonicalize(definition: pb::Definition) -> pb::Definition {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut def = Vec::with_capacity(definition.def.len());
    for bytes in definition.def {
        let old = digest_of(&bytes);
        let Ok(mut op) = pb::Op::decode(bytes.as_slice()) else {
            def.push(bytes);
            continue;
        };
        for input in &mut op.inputs {
            if let Some(new) = renamed.get(&input.digest) {
                input.digest = new.clone();
            }
        }
        let canonical = encode_op(&op);
        let new = digest_of(&canonical);
        if new != old {
            renamed.insert(old, new);
        }
        def.push(canonical);
    }
    let rekey = |key: String| renamed.get(&key).cloned().unwrap_or(key);
    let metadata = definition
        .metadata
        .into_iter()
        .map(|(k, v)| (rekey(k), v))
        .collect();
    let source = definition.source.map(|mut source| {
        source.locations = std::mem::take(&mut source.locations)
            .into_iter()
            .map(|(k, v)| (rekey(k), v))
            .collect();
        source
    });
    pb::Definition {
        def,
        metadata,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_op() -> pb::Op {
        pb::Op {
            platform: Some(pb::Platform {
                architecture: "amd64".into(),
                os: "linux".into(),
                ..Default::default()
            }),
            constraints: Some(pb::WorkerConstraints::default()),
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "docker-image://docker.io/library/python:3.11-slim".into(),
                attrs: BTreeMap::new(),
            })),
            ..Default::default()
        }
    }

    #[test]
    fn digest_matches_buildkit() {
        // The digest BuildKit reported (progress `rawjson`) for this op on Docker 28.5.2.
        let op = image_op();
        assert_eq!(
            digest_of(&encode_op(&op)),
            "sha256:17ccda49836a49aa05c7708725fb18b0a4aca8f101c8987a1c445be536005ce1"
        );
        assert_eq!(pb::Op::decode(encode_op(&op).as_slice()).unwrap(), op);
    }

    #[test]
    fn empty_attr_values_are_written() {
        let source = pb::SourceOp {
            identifier: "local://context".into(),
            attrs: BTreeMap::from([("a".to_owned(), String::new())]),
        };
        let bytes = encode_source(&source);
        // entry: tag 2, len 5, key "a" (0a 01 61), empty value (12 00)
        assert!(
            bytes.ends_with(&[0x12, 0x05, 0x0a, 0x01, b'a', 0x12, 0x00]),
            "{bytes:?}"
        );
        assert_eq!(pb::SourceOp::decode(bytes.as_slice()).unwrap(), source);
    }

    #[test]
    fn rekeys_inputs_metadata_and_locations() {
        let source = image_op().encode_to_vec(); // prost order: not canonical
        let old = digest_of(&source);
        let terminal = pb::Op {
            inputs: vec![pb::Input {
                digest: old.clone(),
                index: 0,
            }],
            ..Default::default()
        }
        .encode_to_vec();
        let mut definition = pb::Definition {
            def: vec![source, terminal],
            ..Default::default()
        };
        definition
            .metadata
            .insert(old.clone(), pb::OpMetadata::default());
        definition.source = Some(pb::Source {
            locations: BTreeMap::from([(old.clone(), pb::Locations::default())]),
            infos: Vec::new(),
        });

        let out = canonicalize(definition);
        let new = digest_of(&out.def[0]);
        assert_ne!(new, old);
        assert_eq!(
            new,
            "sha256:17ccda49836a49aa05c7708725fb18b0a4aca8f101c8987a1c445be536005ce1"
        );
        let terminal = pb::Op::decode(out.def[1].as_slice()).unwrap();
        assert_eq!(terminal.inputs[0].digest, new);
        assert!(out.metadata.contains_key(&new));
        assert!(out.source.unwrap().locations.contains_key(&new));
        // Idempotent.
        let again = canonicalize(pb::Definition {
            def: out.def.clone(),
            ..Default::default()
        });
        assert_eq!(again.def, out.def);
    }
}
