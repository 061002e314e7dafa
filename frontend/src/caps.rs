//! What the engine can do: `Ping` answers with the gateway API caps, the LLB caps and the
//! workers. Optional features are used only when present; required ones fail with a message
//! that names the feature and says what to upgrade.

use std::collections::{BTreeMap, BTreeSet};

use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::PingRequest;
use llb_gen::{Platform, pb};

use crate::Bridge;
use crate::errors::FrontendError;

/// Gateway API caps this frontend uses (`frontend/gateway/pb/caps.go`).
pub mod id {
    pub const SOLVE_BASE: &str = "solve.base";
    pub const RETURN: &str = "return";
    pub const RETURN_MAP: &str = "returnmap";
    pub const READ_FILE: &str = "readfile";
    pub const READ_DIR: &str = "readdir";
    pub const RESOLVE_IMAGE: &str = "resolveimage";
    pub const RESOLVE_IMAGE_MODE: &str = "resolveimage.resolvemode";
    pub const IMPORT_CACHES: &str = "importcaches";
    pub const PROTO_REF_ARRAY: &str = "proto.refarray";
    pub const FRONTEND_INPUTS: &str = "frontend.inputs";
    pub const WARNINGS: &str = "gateway.warnings";
    pub const SOURCE_META_RESOLVER: &str = "source.metaresolver";
}

/// The engine's caps and workers.
#[derive(Debug, Clone, Default)]
pub struct Caps {
    frontend: BTreeMap<String, ApiCap>,
    llb: BTreeMap<String, ApiCap>,
    /// First platform of each worker, in the engine's order.
    pub worker_platforms: Vec<pb::Platform>,
}

impl Caps {
    /// Asks the engine.
    pub async fn ping(client: &mut Bridge) -> Result<Self, FrontendError> {
        let pong = client
            .ping(PingRequest {})
            .await
            .map_err(|e| FrontendError::from(e).context("ping failed"))?
            .into_inner();
        let mut frontend = index(pong.frontend_api_caps);
        if frontend.is_empty() {
            // Engines from before caps existed (BuildKit's frozen default list).
            for cap in [
                id::SOLVE_BASE,
                "solve.inlinereturn",
                id::RESOLVE_IMAGE,
                id::READ_FILE,
            ] {
                frontend.insert(cap.to_owned(), enabled(cap));
            }
        }
        Ok(Self {
            frontend,
            llb: index(pong.llb_caps),
            worker_platforms: pong
                .workers
                .into_iter()
                .filter_map(|w| w.platforms.into_iter().next())
                .collect(),
        })
    }

    /// Caps from lists of ids.
    #[cfg(test)]
    pub fn from_ids<'a>(
        frontend: impl IntoIterator<Item = &'a str>,
        llb: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            frontend: frontend
                .into_iter()
                .map(|c| (c.to_owned(), enabled(c)))
                .collect(),
            llb: llb
                .into_iter()
                .map(|c| (c.to_owned(), enabled(c)))
                .collect(),
            worker_platforms: Vec::new(),
        }
    }

    /// The LLB caps the engine has enabled (the compiler avoids the others where it can).
    pub fn llb_enabled(&self) -> BTreeSet<String> {
        self.llb
            .iter()
            .filter(|(_, cap)| cap.enabled)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Whether the gateway API supports `cap`.
    pub fn has(&self, cap: &str) -> bool {
        self.frontend.get(cap).is_some_and(|c| c.enabled)
    }

    /// Fails unless the gateway API supports `cap`; `feature` says what needs it.
    pub fn require(&self, cap: &str, feature: &str) -> Result<(), FrontendError> {
        if self.has(cap) {
            return Ok(());
        }
        Err(FrontendError::msg(format!(
            "{feature} needs the BuildKit gateway capability `{cap}`, which this engine {}; \
             upgrade Docker (or BuildKit) to a current release",
            reason(self.frontend.get(cap))
        )))
    }

    /// What every build needs.
    pub fn require_basics(&self) -> Result<(), FrontendError> {
        self.require(id::SOLVE_BASE, "building")?;
        self.require(id::READ_FILE, "reading Stagefile.toml")?;
        Ok(())
    }

    /// Fails when the definition uses an LLB feature the engine lacks (what BuildKit's Go
    /// client checks before each solve), naming the feature.
    pub fn check_definition(&self, definition: &pb::Definition) -> Result<(), FrontendError> {
        let needed: BTreeSet<&str> = definition
            .metadata
            .values()
            .flat_map(|m| {
                m.caps
                    .iter()
                    .filter(|(_, on)| **on)
                    .map(|(c, _)| c.as_str())
            })
            .collect();
        let missing: Vec<String> = needed
            .into_iter()
            .filter(|cap| !self.llb.get(*cap).is_some_and(|c| c.enabled))
            .map(|cap| format!("`{cap}` ({})", reason(self.llb.get(cap))))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(FrontendError::msg(format!(
            "this build uses BuildKit features the engine does not support: {}; \
             upgrade Docker (or BuildKit) to a current release",
            missing.join(", ")
        )))
    }

    /// The platform builds run for when the client asks for none: the first worker's.
    pub fn default_platform(&self) -> Platform {
        match self.worker_platforms.first() {
            Some(p) if !p.os.is_empty() && !p.architecture.is_empty() => {
                crate::options::normalize_platform(Platform {
                    os: p.os.clone(),
                    architecture: p.architecture.clone(),
                    variant: Some(p.variant.clone()).filter(|v| !v.is_empty()),
                })
            }
            _ => Platform::default(),
        }
    }
}

fn index(caps: Vec<ApiCap>) -> BTreeMap<String, ApiCap> {
    caps.into_iter().map(|c| (c.id.clone(), c)).collect()
}

fn enabled(cap: &str) -> ApiCap {
    ApiCap {
        id: cap.to_owned(),
        enabled: true,
        ..Default::default()
    }
}

fn reason(cap: Option<&ApiCap>) -> String {
    match cap {
        None => "does not have".to_owned(),
        Some(c) if !c.disabled_reason_msg.is_empty() => {
            format!("has disabled ({})", c.disabled_reason_msg)
        }
        Some(c) if !c.disabled_reason.is_empty() => format!("has disabled ({})", c.disabled_reason),
        Some(_) => "has disabled".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_missing_features() {
        let caps = Caps::from_ids(
            ["solve.base", "readfile"],
            ["source.image", "exec.meta.base"],
        );
        assert!(caps.require_basics().is_ok());
        let err = caps
            .require(id::WARNINGS, "warnings")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`gateway.warnings`"), "{err}");

        let mut def = pb::Definition::default();
        def.metadata.insert(
            "sha256:1".into(),
            pb::OpMetadata {
                caps: [
                    ("exec.mount.cache".to_owned(), true),
                    ("source.image".to_owned(), true),
                ]
                .into(),
                ..Default::default()
            },
        );
        let err = caps.check_definition(&def).unwrap_err().to_string();
        assert!(err.contains("`exec.mount.cache`"), "{err}");
        assert!(!err.contains("source.image"), "{err}");
    }

    #[test]
    fn default_platform_from_workers() {
        let mut caps = Caps::default();
        assert_eq!(caps.default_platform().to_string(), "linux/amd64");
        caps.worker_platforms.push(pb::Platform {
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: "v8".into(),
            ..Default::default()
        });
        assert_eq!(caps.default_platform().to_string(), "linux/arm64");
    }
}
