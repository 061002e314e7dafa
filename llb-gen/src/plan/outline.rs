//! What the plan answers before anything is compiled: the stages that can be targets, the
//! target's args, secrets and ssh ids (`--call=targets|outline`), and the images to resolve.

use std::collections::{BTreeMap, BTreeSet};

use super::{Base, Plan};
use crate::ir::{CopyFrom, Mount};
use crate::options::NamedContext;

/// A stage that can be built with `--target`, for `--call=targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// Stage name.
    pub name: String,
    /// `description` from the spec, if any.
    pub description: Option<String>,
    /// Whether it is the default target.
    pub default: bool,
    /// 1-based line of the stage's header.
    pub line: usize,
}

/// A build argument, for `--call=outline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgInfo {
    /// Argument name.
    pub name: String,
    /// Default from `[args]`.
    pub default: String,
    /// Value in effect after `--build-arg`.
    pub value: String,
    /// 1-based line where it is declared.
    pub line: usize,
}

/// What the target needs, for `--call=outline`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outline {
    /// Target stage name.
    pub target: String,
    /// Build arguments.
    pub args: Vec<ArgInfo>,
    /// Secret ids used by the target's stages, with whether each is required.
    pub secrets: Vec<(String, bool)>,
    /// SSH ids used by the target's stages.
    pub ssh: Vec<String>,
}

impl Plan {
    /// Normalized image references the target needs resolved (bases only, not replaced ones).
    pub fn images_to_resolve(&self, named: &BTreeMap<String, NamedContext>) -> Vec<String> {
        let mut images = BTreeSet::new();
        for &index in &self.order {
            let stage = &self.stages[index];
            if stage.replaced {
                continue;
            }
            if let Base::Image {
                reference, written, ..
            } = &stage.base
                && !named.contains_key(written)
                && !named.contains_key(reference)
            {
                images.insert(reference.clone());
            }
            for copy in &stage.copies {
                if let CopyFrom::Image(reference) = &copy.from
                    && !named.contains_key(reference)
                {
                    images.insert(reference.clone());
                }
            }
        }
        images.into_iter().collect()
    }

    /// Stages that can be targets.
    pub fn targets(&self) -> Vec<TargetInfo> {
        let default = self.default_target();
        self.stages
            .iter()
            .enumerate()
            .map(|(index, stage)| TargetInfo {
                name: stage.name.clone(),
                description: stage.description.clone(),
                default: index == default,
                line: self.file.line_col(stage.span.start).0,
            })
            .collect()
    }

    /// The default target: the stage marked `default`, else the last one.
    pub fn default_target(&self) -> usize {
        self.stages
            .iter()
            .position(|s| s.is_default)
            .unwrap_or(self.stages.len().saturating_sub(1))
    }

    /// Args, secrets and ssh ids the target uses.
    pub fn outline(&self, build_args: &BTreeMap<String, String>) -> Outline {
        let mut secrets = BTreeMap::new();
        let mut ssh = BTreeSet::new();
        for &index in &self.order {
            let stage = &self.stages[index];
            let install = stage.language.iter().flat_map(|l| &l.install_secrets);
            for mount in stage.runs.iter().flat_map(|run| &run.mounts).chain(install) {
                match mount {
                    Mount::Secret { id, required, .. } => {
                        let entry = secrets.entry(id.clone()).or_insert(false);
                        *entry |= *required;
                    }
                    Mount::Ssh { id } => {
                        ssh.insert(id.clone());
                    }
                    _ => {}
                }
            }
        }
        Outline {
            target: self.target_stage().name.clone(),
            args: self
                .args
                .iter()
                .map(|arg| ArgInfo {
                    name: arg.name.clone(),
                    default: arg.default.clone(),
                    value: build_args
                        .get(&arg.name)
                        .cloned()
                        .unwrap_or(arg.value.clone()),
                    line: self.file.line_col(arg.span.start).0,
                })
                .collect(),
            secrets: secrets.into_iter().collect(),
            ssh: ssh.into_iter().collect(),
        }
    }
}
