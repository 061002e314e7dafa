//! The image config of a stage: the base's config with the spec's settings applied.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, RUNS_AS_ROOT};
use crate::image::ImageConfig;
use crate::options::CompileOptions;
use crate::plan::{StagePlan, UserSetting};

/// Applies the stage's image settings (after its steps set env, workdir and user).
pub(super) fn apply_stage(
    config: &mut ImageConfig,
    stage: &StagePlan,
    warnings: &mut Vec<Diagnostic>,
    is_target: bool,
) {
    let image = &stage.image;
    let runtime = &mut config.config;
    if !image.expose.is_empty() {
        let ports = runtime.exposed_ports.get_or_insert_with(BTreeMap::new);
        for port in &image.expose {
            ports.insert(port.clone(), serde_json::json!({}));
        }
    }
    if let Some(entrypoint) = &image.entrypoint {
        runtime.entrypoint = Some(entrypoint.clone());
        if image.cmd.is_none() {
            // An inherited command was written for the old entrypoint.
            runtime.cmd = None;
        }
    }
    if let Some(cmd) = &image.cmd {
        runtime.cmd = Some(cmd.clone());
    }
    if !image.labels.is_empty() {
        runtime
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(image.labels.clone());
    }
    if let Some(health) = &image.healthcheck {
        runtime.healthcheck = Some(health.clone());
    }
    if let Some(signal) = &image.stop_signal {
        runtime.stop_signal = Some(signal.clone());
    }
    if let UserSetting::Explicit(user) = &stage.user {
        runtime.user = Some(user.clone());
        if is_target && matches!(user.as_str(), "root" | "0" | "0:0") {
            warnings.push(
                Diagnostic::warning(
                    &RUNS_AS_ROOT,
                    format!("stage `{}` runs as root", stage.name),
                    Some(stage.span.clone()),
                )
                .with_help("remove `user` to run as the non-root `app` user Stagefile creates"),
            );
        }
    }
}

/// Final touches on the target's config: `--label`s and the creation time.
pub(super) fn finish(config: &mut ImageConfig, options: &CompileOptions) {
    if !options.labels.is_empty() {
        config
            .config
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(options.labels.clone());
    }
    config.created = options.source_date_epoch.map(crate::image::rfc3339);
}
