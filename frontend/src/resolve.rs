//! Base image metadata: config JSON and manifest digest, so the LLB pins every image by digest.
//! `ResolveSourceMeta` where the engine has it (it applies source policies), else
//! `ResolveImageConfig`.

use std::collections::BTreeMap;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    ResolveImageConfigRequest, ResolveSourceImageRequest, ResolveSourceMetaRequest,
};
use llb_gen::image::ImageConfig;
use llb_gen::{Platform, ResolvedImage, pb};
use tokio::task::JoinSet;

use crate::Bridge;
use crate::caps::{Caps, id};
use crate::errors::FrontendError;
use crate::options::ResolveMode;

/// How to resolve: mode, and whether the progress names carry the platform.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// The engine's caps.
    pub caps: Caps,
    /// `image-resolve-mode`.
    pub mode: ResolveMode,
    /// Multi-platform builds prefix progress names with the platform, as the Dockerfile
    /// frontend does.
    pub multi_platform: bool,
}

impl Resolver {
    /// Resolves every reference (normalized) for `platform`, concurrently.
    pub async fn resolve_all(
        &self,
        client: &Bridge,
        references: &[String],
        platform: &Platform,
    ) -> Result<BTreeMap<String, ResolvedImage>, FrontendError> {
        let mut tasks = JoinSet::new();
        for reference in references {
            let mut client = client.clone();
            let resolver = self.clone();
            let reference = reference.clone();
            let platform = platform.clone();
            tasks.spawn(async move {
                let log_name = resolver.log_name(&reference, &platform, None);
                let resolved = resolver
                    .resolve(&mut client, &reference, &platform, &log_name)
                    .await;
                (reference, resolved)
            });
        }
        let mut out = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (reference, resolved) = joined
                .map_err(|e| FrontendError::msg(format!("image resolution task failed: {e}")))?;
            out.insert(reference, resolved?);
        }
        Ok(out)
    }

    /// Progress name of a resolution: `[internal] load metadata for REF`.
    pub fn log_name(&self, reference: &str, platform: &Platform, context: Option<&str>) -> String {
        match context {
            Some(name) => format!("[context {name}] load metadata for {reference}"),
            None if self.multi_platform => {
                format!("[{platform} internal] load metadata for {reference}")
            }
            None => format!("[internal] load metadata for {reference}"),
        }
    }

    /// Resolves one normalized reference for `platform`.
    pub async fn resolve(
        &self,
        client: &mut Bridge,
        reference: &str,
        platform: &Platform,
        log_name: &str,
    ) -> Result<ResolvedImage, FrontendError> {
        let (resolved_ref, digest, config) = if self.caps.has(id::SOURCE_META_RESOLVER) {
            self.via_source_meta(client, reference, platform, log_name)
                .await?
        } else {
            self.via_image_config(client, reference, platform, log_name)
                .await?
        };
        let mut config = ImageConfig::from_json(&config)
            .map_err(|e| FrontendError::msg(format!("invalid image config of {reference}: {e}")))?;
        config.created = None;
        Ok(ResolvedImage {
            pinned: pin(
                if resolved_ref.is_empty() {
                    reference
                } else {
                    &resolved_ref
                },
                &digest,
            ),
            config,
        })
    }

    async fn via_source_meta(
        &self,
        client: &mut Bridge,
        reference: &str,
        platform: &Platform,
        log_name: &str,
    ) -> Result<(String, String, Vec<u8>), FrontendError> {
        let request = ResolveSourceMetaRequest {
            source: Some(pb::SourceOp {
                identifier: format!("docker-image://{reference}"),
                attrs: BTreeMap::new(),
            }),
            platform: Some(platform.to_pb()),
            log_name: log_name.to_owned(),
            resolve_mode: self.mode.as_str().to_owned(),
            image: Some(ResolveSourceImageRequest::default()),
            ..Default::default()
        };
        let response = client.resolve_source_meta(request).await?.into_inner();
        let identifier = response.source.map(|s| s.identifier).unwrap_or_default();
        let Some(image) = response.image else {
            return Err(FrontendError::msg(format!(
                "{reference} resolves to a source that is not an image ({identifier})"
            )));
        };
        let resolved = identifier
            .strip_prefix("docker-image://")
            .unwrap_or_default()
            .to_owned();
        Ok((resolved, image.digest, image.config))
    }

    async fn via_image_config(
        &self,
        client: &mut Bridge,
        reference: &str,
        platform: &Platform,
        log_name: &str,
    ) -> Result<(String, String, Vec<u8>), FrontendError> {
        self.caps
            .require(id::RESOLVE_IMAGE, "resolving base images")?;
        let resolve_mode = if self.caps.has(id::RESOLVE_IMAGE_MODE) {
            self.mode.as_str().to_owned()
        } else {
            String::new()
        };
        let request = ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform: Some(platform.to_pb()),
            resolve_mode,
            log_name: log_name.to_owned(),
            ..Default::default()
        };
        let response = client.resolve_image_config(request).await?.into_inner();
        Ok((response.r#ref, response.digest, response.config))
    }
}

/// `REF@DIGEST`, unless the reference already carries a digest or none was returned.
pub fn pin(reference: &str, digest: &str) -> String {
    let pinned = if reference.contains('@') || digest.is_empty() {
        reference.to_owned()
    } else {
        format!("{reference}@{digest}")
    };
    llb_gen::reference::normalize(&pinned).unwrap_or(pinned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_by_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            pin("docker.io/library/python:3.11-slim", &digest),
            format!("docker.io/library/python:3.11-slim@{digest}")
        );
        let already = format!("docker.io/library/python@{digest}");
        assert_eq!(pin(&already, "sha256:other"), already);
        assert_eq!(pin("docker.io/library/x:1", ""), "docker.io/library/x:1");
    }

    #[test]
    fn progress_names() {
        let r = Resolver {
            caps: Caps::default(),
            mode: ResolveMode::Default,
            multi_platform: false,
        };
        let p = Platform::default();
        assert_eq!(r.log_name("x", &p, None), "[internal] load metadata for x");
        let r = Resolver {
            multi_platform: true,
            ..r
        };
        assert_eq!(
            r.log_name("x", &p, None),
            "[linux/amd64 internal] load metadata for x"
        );
        assert_eq!(
            r.log_name("x", &p, Some("base")),
            "[context base] load metadata for x"
        );
    }
}
