//! The one piece of LLB the frontend writes itself: a single `local://` source (to read the
//! spec and to probe the context), marshalled like BuildKit's Go client does.

use llb_gen::pb;

use llb_gen::llb::{self, LocalOptions, OpMeta, State};

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
    /// Marshals the source as a two-op definition (source, then the terminal op) with
    /// llb-gen's builder, so its bytes are canonical like every other definition.
    pub fn definition(&self) -> SourceDefinition {
        let options = LocalOptions {
            session_id: (!self.session_id.is_empty()).then(|| self.session_id.clone()),
            include_patterns: self.include_patterns.clone(),
            follow_paths: self.follow_paths.clone(),
            shared_key_hint: (!self.shared_key_hint.is_empty())
                .then(|| self.shared_key_hint.clone()),
            differ: self.differ_none.then(|| "none".to_owned()),
            ..LocalOptions::default()
        };
        let state = State::local(&self.name, &options, OpMeta::named(&self.custom_name));
        let definition = llb::marshal(&state, None);
        let digest = definition
            .def
            .first()
            .map(|bytes| digest_of(bytes))
            .unwrap_or_default();
        SourceDefinition { definition, digest }
    }
}

/// `sha256:<hex>` of marshalled op bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    llb::digest_bytes(bytes)
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
