//! Which package manager a language stage uses, from its language's rows: the one the spec
//! names (its files must exist), else the first whose lockfile is in the project. The context
//! paths this looks at are listed by [`probe_paths`] from the same rows, so the frontend (which
//! probes only those) and the CLI (which reads the disk) see the same answers.

use super::row::{Input, LanguageDef, Manager, Workspace, context_copy, in_root};
use crate::diag::{Code, Diagnostic};
use crate::ir::Step;

/// A manager found for a stage, with the lockfile that is there.
#[derive(Debug)]
pub struct Found<H: 'static> {
    /// The row.
    pub manager: &'static Manager<H>,
    /// The project files the install needs, relative to its root, in copy order: manifests,
    /// the lockfile, then the optional files that exist.
    pub files: Vec<String>,
    /// Why this manager: what named it or which file selected it.
    pub why: String,
    /// The workspace above the project whose lockfile it is, when it is not the project's own.
    pub workspace: Option<Workspace>,
}

/// The context paths detection and the install steps look at, for one language's rows, in no
/// particular order and possibly repeated (the plan's list sorts them, once each).
pub fn probe_paths<H>(managers: &[Manager<H>], lang: &LanguageDef, root: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for manager in managers {
        let files = manager.lockfiles.iter().chain(manager.manifests);
        let files = files.chain(manager.optional).chain(manager.mounted);
        paths.extend(files.map(|file| in_root(root, file)));
    }
    for (manifest, _) in lang.unlocked {
        paths.push(in_root(root, manifest));
    }
    for (marker, _) in lang.writable {
        paths.push(in_root(root, marker));
    }
    // A workspace's lockfile may be in any directory above the project.
    for manager in managers.iter().filter(|m| !m.members.is_empty()) {
        for dir in ancestors(root) {
            let files = manager.lockfiles.iter().chain(manager.manifests);
            paths.extend(
                files
                    .chain(manager.optional)
                    .map(|file| in_root(&dir, file)),
            );
        }
    }
    paths
}

/// The directories above a context path, nearest first, the context's root (`""`) last.
pub(super) fn ancestors(root: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut current = root;
    while !current.is_empty() {
        current = current.rsplit_once('/').map_or("", |(parent, _)| parent);
        dirs.push(current.to_owned());
    }
    dirs
}

/// The nearest workspace above the project with a lockfile of one of `managers` (of the named
/// one, when the spec names it).
fn workspace<H>(
    managers: &'static [Manager<H>],
    input: &Input,
) -> Option<(&'static Manager<H>, &'static str, String)> {
    let candidates = managers
        .iter()
        .filter(|m| !m.members.is_empty() && input.named.is_none_or(|name| name == m.name));
    for dir in ancestors(input.root) {
        for manager in candidates.clone() {
            let lockfile = manager
                .lockfiles
                .iter()
                .find(|l| input.probe.exists(&in_root(&dir, l)));
            if let Some(lockfile) = lockfile {
                return Some((manager, lockfile, dir));
            }
        }
    }
    None
}

/// In a workspace: what the install needs, copied in one step from the workspace's directory
/// (its manifests and lockfile, and every member's manifest) to the working directory.
pub fn workspace_copy<H>(
    found: &Found<H>,
    input: &Input,
    span: &std::ops::Range<usize>,
) -> Option<Step> {
    let workspace = found.workspace.as_ref()?;
    let mut include = found.files.clone();
    include.extend(found.manager.members.iter().map(|m| (*m).to_owned()));
    Some(context_copy(
        &workspace.root,
        input.workdir.to_owned(),
        include,
        vec!["**/node_modules".to_owned()],
        span,
    ))
}

/// The stage's manager: the named one, else the first whose lockfile exists, else none (the
/// project declares no dependencies). A manifest without a lockfile is an error.
pub fn detect<H>(
    managers: &'static [Manager<H>],
    lang: &LanguageDef,
    input: &Input,
    deps_span: &std::ops::Range<usize>,
) -> Result<Option<Found<H>>, Diagnostic> {
    if !input.install {
        return Ok(None);
    }
    let exists = |file: &str| input.probe.exists(&in_root(input.root, file));
    if let Some(name) = input.named {
        let Some(manager) = managers.iter().find(|m| m.name == name) else {
            // The plan only lets names of this language's rows through.
            return Err(Diagnostic::error(
                Code::UnknownPackageManager,
                format!("`{name}` is not a {} package manager", lang.key),
                Some(deps_span.clone()),
            ));
        };
        let lockfile = manager.lockfiles.iter().find(|file| exists(file));
        if lockfile.is_none()
            && let Some((manager, lockfile, dir)) = workspace(managers, input)
        {
            return Ok(Some(in_workspace(manager, lockfile, dir, input)));
        }
        let missing_manifest = manager.manifests.iter().find(|file| !exists(file));
        let missing = match (missing_manifest, lockfile) {
            (Some(manifest), _) => Some(*manifest),
            (None, None) => manager.lockfiles.first().copied(),
            (None, Some(_)) => None,
        };
        if let Some(file) = missing {
            let file = in_root(input.root, file);
            return Err(Diagnostic::error(
                Code::MissingFile,
                format!(
                    "`{file}` is not in the build context, but {} needs it",
                    manager.name
                ),
                Some(deps_span.clone()),
            )
            .with_help(format!(
                "add `{file}` to the context (check .dockerignore), or change the package manager"
            )));
        }
        return Ok(lockfile.map(|lockfile| {
            let why = format!(
                "named by package_manager, with {}",
                in_root(input.root, lockfile)
            );
            found(manager, lockfile, input, why)
        }));
    }
    for manager in managers {
        let Some(lockfile) = manager.lockfiles.iter().find(|file| exists(file)) else {
            continue;
        };
        if let Some(file) = manager.manifests.iter().find(|file| !exists(file)) {
            return Err(Diagnostic::error(
                Code::MissingFile,
                format!(
                    "found `{}` but not `{}`",
                    in_root(input.root, lockfile),
                    in_root(input.root, file)
                ),
                Some(input.span.clone()),
            )
            .with_help(format!(
                "add `{}` to the build context so {} can install the dependencies",
                in_root(input.root, file),
                manager.name
            )));
        }
        let why = format!("found {}", in_root(input.root, lockfile));
        return Ok(Some(found(manager, lockfile, input, why)));
    }
    if let Some((manager, lockfile, dir)) = workspace(managers, input) {
        return Ok(Some(in_workspace(manager, lockfile, dir, input)));
    }
    for (manifest, help) in lang.unlocked {
        if exists(manifest) {
            return Err(Diagnostic::error(
                Code::NoLockfile,
                format!(
                    "`{}` has no lockfile: installs must be frozen to be reproducible",
                    in_root(input.root, manifest)
                ),
                Some(input.span.clone()),
            )
            .with_help(*help));
        }
    }
    Ok(None)
}

fn found<H>(manager: &'static Manager<H>, lockfile: &str, input: &Input, why: String) -> Found<H> {
    let mut found = files_at(manager, lockfile, input, input.root);
    found.why = why;
    found
}

/// The project is a member of the workspace in `dir`: its lockfile and files are there.
fn in_workspace<H>(
    manager: &'static Manager<H>,
    lockfile: &str,
    dir: String,
    input: &Input,
) -> Found<H> {
    let mut found = files_at(manager, lockfile, input, &dir);
    found.why = format!("a member of the workspace with {}", in_root(&dir, lockfile));
    let member = input
        .root
        .strip_prefix(&dir)
        .unwrap_or(input.root)
        .trim_start_matches('/');
    found.workspace = Some(Workspace {
        member: member.to_owned(),
        root: dir,
    });
    found
}

fn files_at<H>(manager: &'static Manager<H>, lockfile: &str, input: &Input, dir: &str) -> Found<H> {
    let mut files: Vec<String> = manager.manifests.iter().map(|f| (*f).to_owned()).collect();
    files.push(lockfile.to_owned());
    // A file that is both (a manifest that selects its manager) is copied once.
    for optional in manager.optional.iter().filter(|f| **f != lockfile) {
        if input.probe.exists(&in_root(dir, optional)) {
            files.push((*optional).to_owned());
        }
    }
    Found {
        manager,
        files,
        why: String::new(),
        workspace: None,
    }
}
