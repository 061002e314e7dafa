//! OS-level recipes: apt packages with locked cache mounts, and the non-root runtime user.

use crate::ir::{Mount, NewUser, RunStep, Sharing, Span};
use crate::shell::{quote, single_quoted};

/// Cache mounts for apt: downloaded packages and package lists, shared between builds but
/// locked (apt cannot share them concurrently), so neither ends up in a layer.
pub(super) fn apt_caches() -> Vec<Mount> {
    vec![
        apt_archives(),
        Mount::Cache {
            target: APT_LISTS.into(),
            id: "stagefile-apt-lists".into(),
            sharing: Sharing::Locked,
        },
    ]
}

/// Where apt keeps its package lists.
pub(super) const APT_LISTS: &str = "/var/lib/apt/lists";

/// The cache of downloaded Debian packages, shared by every apt step.
pub(super) fn apt_archives() -> Mount {
    Mount::Cache {
        target: "/var/cache/apt".into(),
        id: "stagefile-apt-cache".into(),
        sharing: Sharing::Locked,
    }
}

/// Installs Debian packages without recommends.
pub fn apt_install(packages: &[String], span: Span) -> RunStep {
    // The plan lets only Debian package names through; quoting keeps it so if that changes.
    let words: Vec<String> = packages.iter().map(|p| quote(p).into_owned()).collect();
    let packages = words.join(" ");
    // Debian's images delete downloaded packages after each install (docker-clean); with the
    // cache mounted, keeping them is what makes the next build fast. apt-get keeps them while
    // that file is set aside (apt ignores `*.disabled`); it is put back, so an image made here
    // keeps it as its base had it.
    let clean = "/etc/apt/apt.conf.d/docker-clean";
    let script = format!(
        "{{ [ ! -e {clean} ] || mv {clean} {clean}.disabled; }} && apt-get update && apt-get install -y --no-install-recommends {packages} && {{ [ ! -e {clean}.disabled ] || mv {clean}.disabled {clean}; }}"
    );
    RunStep::recipe(
        format!("apt-get install {packages}"),
        script,
        apt_caches(),
        span,
    )
    .with_env(&[("DEBIAN_FRONTEND", "noninteractive")])
}

/// Creates a user and its group (a home it owns, no login shell), with `groupadd`/`useradd`
/// where the image has them and plain `/etc/passwd` entries elsewhere (Alpine, BusyBox).
pub fn create_user(user: &NewUser, span: Span) -> RunStep {
    let NewUser {
        name,
        uid,
        group,
        gid,
        home,
    } = user;
    // useradd creates the home but not its parents (`/service` for `/service/var`).
    let parent = home.rsplit_once('/').map_or("", |(parent, _)| parent);
    let mkdir_parent = match parent {
        "" | "/home" => String::new(),
        parent => format!("mkdir -p {} && ", quote(parent)),
    };
    // Every value is one quoted word: a home with a space or a quote stays a path.
    let passwd = single_quoted(&format!("{name}:x:{uid}:{gid}:{name}:{home}:/sbin/nologin"));
    let group_line = single_quoted(&format!("{group}:x:{gid}:"));
    let (name, group, home) = (quote(name), quote(group), quote(home));
    let script = format!(
        "{mkdir_parent}if command -v useradd >/dev/null 2>&1; then \
groupadd --system --gid {gid} {group} && \
useradd --system --uid {uid} --gid {gid} --create-home --home-dir {home} --shell /usr/sbin/nologin {name}; \
else \
echo {passwd} >> /etc/passwd && \
echo {group_line} >> /etc/group && mkdir -p {home} && chown {uid}:{gid} {home}; \
fi"
    );
    let ids = if uid == gid {
        uid.to_string()
    } else {
        format!("{uid}:{gid}")
    };
    RunStep::recipe(
        format!("create user {name} ({ids})"),
        script,
        Vec::new(),
        span,
    )
}

/// Makes `dirs` (created when missing) the property of `owner`, with what they hold: the
/// places the app writes to, while the code stays root's.
pub fn writable(owner: &str, dirs: Vec<String>, span: Span) -> RunStep {
    let mut args = vec![owner.to_owned()];
    args.extend(dirs.iter().cloned());
    RunStep::recipe(
        format!("writable for {owner}: {}", dirs.join(" ")),
        "owner=$1; shift; mkdir -p -- \"$@\" && chown -R \"$owner\" -- \"$@\"",
        Vec::new(),
        span,
    )
    .with_args(args)
}
