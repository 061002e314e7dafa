//! OS-level recipes: apt packages with locked cache mounts, and the non-root runtime user.

use super::RunStep;
use crate::plan::{APP_UID, APP_USER, MountPlan, Sharing, Span, StagePlan};

/// Cache mounts for apt: downloaded packages and package lists, shared between builds but
/// locked (apt cannot share them concurrently), so neither ends up in a layer.
fn apt_caches() -> Vec<MountPlan> {
    vec![
        MountPlan::Cache {
            target: "/var/cache/apt".into(),
            id: "stagefile-apt-cache".into(),
            sharing: Sharing::Locked,
        },
        MountPlan::Cache {
            target: "/var/lib/apt/lists".into(),
            id: "stagefile-apt-lists".into(),
            sharing: Sharing::Locked,
        },
    ]
}

/// Installs the stage's Debian packages without recommends.
pub fn apt_install(stage: &StagePlan) -> RunStep {
    let packages = stage.apt.join(" ");
    // Debian images delete downloaded packages after each install; with the cache mounted,
    // keeping them is what makes the next build fast.
    let script = format!(
        "rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && apt-get install -y --no-install-recommends -o APT::Keep-Downloaded-Packages=true {packages}"
    );
    RunStep::recipe(
        format!("apt-get install {packages}"),
        script,
        apt_caches(),
        stage.apt_span.clone(),
    )
    .with_env(&[("DEBIAN_FRONTEND", "noninteractive")])
}

/// The uid:gid final images run as.
pub fn app_user() -> String {
    format!("{APP_UID}:{APP_UID}")
}

/// Creates the `app` user and group (system ids, a home, no login shell), with `useradd`
/// where the image has it and plain `/etc/passwd` entries elsewhere (Alpine, BusyBox).
pub fn create_user(span: Span) -> RunStep {
    let script = format!(
        "if command -v useradd >/dev/null 2>&1; then \
groupadd --system --gid {APP_UID} {APP_USER} && \
useradd --system --uid {APP_UID} --gid {APP_UID} --create-home --home-dir /home/{APP_USER} --shell /usr/sbin/nologin {APP_USER}; \
else \
echo '{APP_USER}:x:{APP_UID}:{APP_UID}:{APP_USER}:/home/{APP_USER}:/sbin/nologin' >> /etc/passwd && \
echo '{APP_USER}:x:{APP_UID}:' >> /etc/group && mkdir -p /home/{APP_USER} && chown {APP_UID}:{APP_UID} /home/{APP_USER}; \
fi"
    );
    RunStep::recipe(
        format!("create user {APP_USER} ({APP_UID})"),
        script,
        Vec::new(),
        span,
    )
}
