//! The one piece of LLB the frontend writes itself: a single `local://` source (to read the
//! spec and to probe the context), marshalled like BuildKit's Go client does.

use std::collections::BTreeMap;

use llb_gen::pb;
use sha2::{Digest as _, Sha256};

use crate::canonical::encode_op;

/// A `local://NAME` source and its attributes.
#[derive(Debug, Clone, Default)]
pub struct LocalSource {
    /// Local name (`dockerfile`, `context`, ...).
    pub name: String,
    /// Session serving it.
    pub session_id: String,
    /// `local.followpaths`.
    pub follow_paths: Vec<String>,
    /// `local.includepattern`.
    pub include_patterns: Vec<String>,
    /// `local.sharedkeyhint`.
    pub shared_key_hint: String,
    /// `local.differ=none`: send the files without comparing metadata.
    pub differ_none: bool,
    /// Progress name (`llb.customname`).
    pub custom_name: String,
}

/// A marshalled definition and the digest of its source op.
#[derive(Debug, Clone)]
pub struct SourceDefinition {
    /// The definition to solve.
    pub definition: pb::Definition,
    /// Digest of the source op (the vertex warnings are attached to).
    pub digest: String,
}

impl LocalSource {
    /// Marshals the source as a two-op definition (source, then the terminal op).
    pub fn definition(&self) -> SourceDefinition {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeMap::from([("source.local".to_owned(), true)]);
        if !self.session_id.is_empty() {
            attrs.insert("local.session".to_owned(), self.session_id.clone());
            caps.insert("source.local.sessionid".to_owned(), true);
        }
        if !self.include_patterns.is_empty() {
            attrs.insert(
                "local.includepattern".to_owned(),
                json_list(&self.include_patterns),
            );
            caps.insert("source.local.includepatterns".to_owned(), true);
        }
        if !self.follow_paths.is_empty() {
            attrs.insert(
                "local.followpaths".to_owned(),
                json_list(&self.follow_paths),
            );
            caps.insert("source.local.followpaths".to_owned(), true);
        }
        if !self.shared_key_hint.is_empty() {
            attrs.insert(
                "local.sharedkeyhint".to_owned(),
                self.shared_key_hint.clone(),
            );
            caps.insert("source.local.sharedkeyhint".to_owned(), true);
        }
        if self.differ_none {
            attrs.insert("local.differ".to_owned(), "none".to_owned());
        }
        let source = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: format!("local://{}", self.name),
                attrs,
            })),
            constraints: Some(pb::WorkerConstraints::default()),
            ..Default::default()
        };
        let source_bytes = encode_op(&source);
        let digest = digest_of(&source_bytes);
        let terminal = pb::Op {
            inputs: vec![pb::Input {
                digest: digest.clone(),
                index: 0,
            }],
            ..Default::default()
        };
        let mut metadata = BTreeMap::new();
        metadata.insert(
            digest.clone(),
            pb::OpMetadata {
                description: BTreeMap::from([(
                    "llb.customname".to_owned(),
                    self.custom_name.clone(),
                )]),
                caps,
                ..Default::default()
            },
        );
        SourceDefinition {
            definition: pb::Definition {
                def: vec![source_bytes, encode_op(&terminal)],
                metadata,
                source: None,
            },
            digest,
        }
    }
}

/// `sha256:<hex>` of marshalled op bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn spec_load_definition() {
        let src = LocalSource {
            name: "dockerfile".into(),
            session_id: "sess".into(),
            follow_paths: vec!["Stagefile.toml".into()],
            shared_key_hint: "dockerfile".into(),
            differ_none: true,
            custom_name: "[internal] load build definition from Stagefile.toml".into(),
            ..Default::default()
        };
        let out = src.definition();
        assert_eq!(out.definition.def.len(), 2);
        assert_eq!(out.digest, digest_of(&out.definition.def[0]));
        let op = pb::Op::decode(out.definition.def[0].as_slice()).unwrap();
        let Some(pb::op::Op::Source(source)) = op.op else {
            panic!("not a source op")
        };
        assert_eq!(source.identifier, "local://dockerfile");
        assert_eq!(source.attrs["local.followpaths"], r#"["Stagefile.toml"]"#);
        assert_eq!(source.attrs["local.session"], "sess");
        assert_eq!(source.attrs["local.differ"], "none");
        let terminal = pb::Op::decode(out.definition.def[1].as_slice()).unwrap();
        assert_eq!(terminal.inputs[0].digest, out.digest);
        assert_eq!(
            out.definition.metadata[&out.digest].description["llb.customname"],
            "[internal] load build definition from Stagefile.toml"
        );
        // Go's field order: the oneof after the constraints.
        assert_eq!(out.definition.def[0].first(), Some(&0x5a));
        // Stable bytes run to run.
        assert_eq!(src.definition().definition, out.definition);
    }
}
