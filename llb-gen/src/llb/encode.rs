//! Op bytes in BuildKit's canonical encoding.
//!
//! BuildKit (since v0.18) decodes every op it is sent, re-marshals it with Go's deterministic
//! protobuf encoder and keys the vertex by the digest of *those* bytes. Go's encoder differs
//! from prost in two ways that matter for LLB:
//!
//! - `Op.op` (the oneof, tags 2-7) comes after `platform` (10) and `constraints` (11); prost
//!   writes it by its lowest tag, right after `inputs`;
//! - map entries always carry key and value, even empty ones; prost leaves empty ones out.
//!
//! Writing ops this way keeps our digests equal to BuildKit's, so the source map and warnings
//! attach to the right vertices.

use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};

use crate::pb;

/// An op's bytes as Go's deterministic marshaller writes them.
pub fn encode_op(op: &pb::Op) -> Vec<u8> {
    let inputs = op
        .inputs
        .iter()
        .map(|input| (input.digest.as_str(), input.index));
    encode_parts(
        inputs,
        op.platform.as_ref(),
        op.constraints.as_ref(),
        op.op.as_ref(),
    )
}

/// The length of an `Input` message (`digest` = 1, `index` = 2).
fn input_len(digest: &str, index: i64) -> usize {
    let digest_len = if digest.is_empty() {
        0
    } else {
        1 + encoded_len_varint(digest.len() as u64) + digest.len()
    };
    let index_len = if index == 0 {
        0
    } else {
        1 + encoded_len_varint(index as u64)
    };
    digest_len + index_len
}

/// The same from an op's parts, borrowed (inputs as their digests and output indexes, walked
/// twice: for the length, then the bytes): the marshaller encodes every op of a graph, and
/// cloning each (its strings, mounts, env) only to encode it was most of the work.
pub fn encode_parts<'a>(
    inputs: impl Iterator<Item = (&'a str, i64)> + Clone,
    platform: Option<&pb::Platform>,
    constraints: Option<&pb::WorkerConstraints>,
    op: Option<&pb::op::Op>,
) -> Vec<u8> {
    // `Op`'s fields in tag order, as prost writes them: inputs (1), platform (10),
    // constraints (11); then the oneof, as Go writes it.
    let source_body = match op {
        Some(pb::op::Op::Source(source)) => Some(encode_source(source)),
        _ => None,
    };
    let op_len = match (op, &source_body) {
        (_, Some(body)) => 1 + encoded_len_varint(body.len() as u64) + body.len(),
        (Some(other), None) => other.encoded_len(),
        (None, None) => 0,
    };
    let len = inputs
        .clone()
        .map(|(digest, index)| {
            let len = input_len(digest, index);
            1 + encoded_len_varint(len as u64) + len
        })
        .sum::<usize>()
        + platform.map_or(0, |p| prost::encoding::message::encoded_len(10, p))
        + constraints.map_or(0, |c| prost::encoding::message::encoded_len(11, c))
        + op_len;
    let mut bytes = Vec::with_capacity(len);
    for (digest, index) in inputs {
        encode_key(1, WireType::LengthDelimited, &mut bytes);
        encode_varint(input_len(digest, index) as u64, &mut bytes);
        if !digest.is_empty() {
            encode_key(1, WireType::LengthDelimited, &mut bytes);
            encode_varint(digest.len() as u64, &mut bytes);
            bytes.extend_from_slice(digest.as_bytes());
        }
        if index != 0 {
            prost::encoding::int64::encode(2, &index, &mut bytes);
        }
    }
    if let Some(platform) = platform {
        prost::encoding::message::encode(10, platform, &mut bytes);
    }
    if let Some(constraints) = constraints {
        prost::encoding::message::encode(11, constraints, &mut bytes);
    }
    match (op, source_body) {
        (_, Some(body)) => {
            encode_key(3, WireType::LengthDelimited, &mut bytes);
            encode_varint(body.len() as u64, &mut bytes);
            bytes.extend_from_slice(&body);
        }
        (Some(other), None) => other.encode(&mut bytes),
        (None, None) => {}
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
        encode_key(2, WireType::LengthDelimited, &mut out);
        encode_varint(len as u64, &mut out);
        prost::encoding::string::encode(1, key, &mut out);
        // `string::encode` writes empty strings too (it is the caller that skips defaults).
        prost::encoding::string::encode(2, value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use prost::Message as _;

    use super::*;
    use crate::llb::digest_bytes as digest_of;

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
}
