//! Solving definitions and assembling the result handed to `Return`: one ref with
//! `containerimage.config`, or a per-platform refs map, plus `refs.platforms`.

use std::collections::HashMap;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    CacheOptionsEntry, Ref, RefMap, RefMapDeprecated, Result as GwResult, SolveRequest, result,
};
use llb_gen::image::ImageConfig;
use llb_gen::{Platform, pb};

use crate::Bridge;
use crate::caps::{Caps, id};
use crate::errors::FrontendError;
use crate::options::CacheImport;

/// Solves a definition and returns its single result ref.
pub async fn solve_ref(
    client: &mut Bridge,
    caps: &Caps,
    definition: pb::Definition,
    cache_imports: &[CacheImport],
) -> Result<Ref, FrontendError> {
    let cache_imports = if caps.has(id::IMPORT_CACHES) {
        cache_imports
            .iter()
            .map(|c| CacheOptionsEntry {
                r#type: c.kind.clone(),
                attrs: c
                    .attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let request = SolveRequest {
        definition: Some(definition),
        allow_result_return: true,
        allow_result_array_ref: true,
        cache_imports,
        ..Default::default()
    };
    let response = client.solve(request).await?.into_inner();
    match response.result.and_then(|r| r.result) {
        Some(result::Result::Ref(reference)) => Ok(reference),
        Some(result::Result::RefDeprecated(id)) => Ok(Ref { id, def: None }),
        None if !response.r#ref.is_empty() => Ok(Ref {
            id: response.r#ref,
            def: None,
        }),
        _ => Err(FrontendError::msg(
            "the engine returned no single result for a solve",
        )),
    }
}

/// One platform's built image.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    /// The platform it was built for.
    pub platform: Platform,
    /// The solved root filesystem.
    pub reference: Ref,
    /// Its image config.
    pub config: ImageConfig,
}

/// Builds the `Return` result. `multi` forces the refs map even for a single platform.
pub fn build_result(
    images: Vec<PlatformImage>,
    multi: bool,
    epoch: Option<i64>,
    caps: &Caps,
) -> Result<GwResult, FrontendError> {
    let ref_array = caps.has(id::PROTO_REF_ARRAY);
    let mut metadata: HashMap<String, Vec<u8>> = HashMap::new();
    metadata.insert(
        "refs.platforms".into(),
        platforms_json(images.iter().map(|i| &i.platform)),
    );
    let result = if multi {
        if images.len() > 1 {
            caps.require(id::RETURN_MAP, "a multi-platform build")?;
        }
        let mut refs = HashMap::new();
        for image in images {
            let key = image.platform.to_string();
            metadata.insert(
                format!("containerimage.config/{key}"),
                image.config.to_json(),
            );
            if let Some(epoch) = epoch {
                metadata.insert(
                    format!("source.date.epoch/{key}"),
                    epoch.to_string().into_bytes(),
                );
            }
            refs.insert(key, image.reference);
        }
        if ref_array {
            result::Result::Refs(RefMap { refs })
        } else {
            result::Result::RefsDeprecated(RefMapDeprecated {
                refs: refs.into_iter().map(|(k, r)| (k, r.id)).collect(),
            })
        }
    } else {
        let Some(image) = images.into_iter().next() else {
            return Err(FrontendError::msg("nothing was built"));
        };
        metadata.insert("containerimage.config".into(), image.config.to_json());
        if let Some(epoch) = epoch {
            metadata.insert("source.date.epoch".into(), epoch.to_string().into_bytes());
        }
        if ref_array {
            result::Result::Ref(image.reference)
        } else {
            result::Result::RefDeprecated(image.reference.id)
        }
    };
    Ok(GwResult {
        metadata,
        attestations: HashMap::new(),
        result: Some(result),
    })
}

/// `refs.platforms`: BuildKit's `exptypes.Platforms` JSON.
pub fn platforms_json<'a>(platforms: impl IntoIterator<Item = &'a Platform>) -> Vec<u8> {
    let list: Vec<serde_json::Value> = platforms
        .into_iter()
        .map(|p| {
            let mut platform = serde_json::Map::new();
            platform.insert("architecture".into(), p.architecture.clone().into());
            platform.insert("os".into(), p.os.clone().into());
            if let Some(variant) = &p.variant {
                platform.insert("variant".into(), variant.clone().into());
            }
            serde_json::json!({ "ID": p.to_string(), "Platform": platform })
        })
        .collect();
    serde_json::json!({ "Platforms": list })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(platform: &str, id: &str) -> PlatformImage {
        let platform = Platform::parse(platform).unwrap();
        PlatformImage {
            config: ImageConfig::empty(
                &platform.os,
                &platform.architecture,
                platform.variant.as_deref(),
            ),
            platform,
            reference: Ref {
                id: id.into(),
                def: None,
            },
        }
    }

    fn caps() -> Caps {
        Caps::from_ids(["solve.base", "proto.refarray", "returnmap"], [])
    }

    #[test]
    fn single_platform_result() {
        let res = build_result(vec![image("linux/amd64", "r1")], false, Some(0), &caps()).unwrap();
        assert!(matches!(res.result, Some(result::Result::Ref(ref r)) if r.id == "r1"));
        assert!(res.metadata.contains_key("containerimage.config"));
        assert_eq!(res.metadata["source.date.epoch"], b"0");
        assert_eq!(
            String::from_utf8(res.metadata["refs.platforms"].clone()).unwrap(),
            r#"{"Platforms":[{"ID":"linux/amd64","Platform":{"architecture":"amd64","os":"linux"}}]}"#
        );
    }

    #[test]
    fn multi_platform_result() {
        let res = build_result(
            vec![image("linux/amd64", "a"), image("linux/arm/v7", "b")],
            true,
            None,
            &caps(),
        )
        .unwrap();
        let Some(result::Result::Refs(map)) = res.result else {
            panic!("no refs map")
        };
        assert_eq!(map.refs["linux/arm/v7"].id, "b");
        assert!(
            res.metadata
                .contains_key("containerimage.config/linux/amd64")
        );
        assert!(
            res.metadata
                .contains_key("containerimage.config/linux/arm/v7")
        );
        let platforms: serde_json::Value =
            serde_json::from_slice(&res.metadata["refs.platforms"]).unwrap();
        assert_eq!(platforms["Platforms"][1]["Platform"]["variant"], "v7");
    }

    #[test]
    fn old_engines_get_deprecated_refs() {
        let caps = Caps::from_ids(["solve.base"], []);
        let res = build_result(vec![image("linux/amd64", "r1")], false, None, &caps).unwrap();
        assert!(matches!(res.result, Some(result::Result::RefDeprecated(ref id)) if id == "r1"));
    }
}
