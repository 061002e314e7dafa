//! Where a stage's paths land. The directory a stage works in is its workdir, or, for a
//! workspace's member, the member's directory there (known once the language has found the
//! workspace): relative `copy` destinations and `writable` directories, the spec's and its
//! framework's, are under it; absolute ones stay as written.

use crate::ir::{FileCopy, Span};
use crate::lang;
use crate::plan::{StagePlan, under};
use crate::probe::ContextProbe;

/// The directory the stage works in: its member's directory for a workspace member, else its
/// workdir (`/` without one).
pub(super) fn app_dir(stage: &StagePlan, workspace: Option<&lang::Workspace>) -> String {
    let workdir = stage.workdir.as_deref().unwrap_or("/");
    match workspace {
        Some(workspace) => under(workdir, &workspace.member),
        None => workdir.to_owned(),
    }
}

/// The stage's copies with their destinations under `dir` (see [`app_dir`]).
pub(super) fn copies(stage: &StagePlan, dir: &str) -> Vec<FileCopy> {
    stage
        .copies
        .iter()
        .map(|copy| FileCopy {
            dest: under(dir, &copy.dest),
            ..copy.clone()
        })
        .collect()
}

/// The directories the image's user may write, under `dir` (see [`app_dir`]): the spec's, and
/// its framework's (Rails' `tmp`, `log`, `storage`), with where each was asked for (an empty
/// span: by convention).
pub(super) fn writable_dirs(
    stage: &StagePlan,
    probe: &dyn ContextProbe,
    dir: &str,
) -> Vec<(String, Span)> {
    let mut dirs: Vec<(String, Span)> = stage
        .writable
        .iter()
        .map(|(path, span)| (under(dir, path), span.clone()))
        .collect();
    if let Some(language) = stage.language.as_ref().filter(|l| l.install) {
        for (marker, conventional) in language.settings.lang().def().writable {
            if probe.exists(&lang::in_root(&stage.root, marker)) {
                for path in *conventional {
                    let path = under(dir, path);
                    if !dirs.iter().any(|(d, _)| *d == path) {
                        dirs.push((path, 0..0));
                    }
                }
            }
        }
    }
    dirs
}

/// The source copy of a workspace's member: the workspace's directory (the member needs its
/// fellow members), unless the spec chose another source.
pub(super) fn in_workspace(
    source: &FileCopy,
    stage: &StagePlan,
    workspace: Option<&lang::Workspace>,
) -> FileCopy {
    let mut source = source.clone();
    let project = if stage.root.is_empty() {
        "."
    } else {
        stage.root.as_str()
    };
    if let Some(workspace) = workspace
        && source.src.first().is_some_and(|src| src == project)
    {
        let root = if workspace.root.is_empty() {
            "."
        } else {
            workspace.root.as_str()
        };
        source.src = vec![root.to_owned()];
    }
    source
}

/// The paths of stage `index` that reach an image: `/` when it is the target or another
/// stage's base, else what other stages copy from it (a copy of its outputs: those, a
/// relative one as its workdir; a relative path or one with a wildcard: `/`).
pub(super) fn reaching_images(plan: &crate::plan::Plan, index: usize) -> Vec<String> {
    use crate::ir::CopyFrom;
    use crate::plan::Base;
    let based_on = |s: &StagePlan| matches!(s.base, Base::Stage { index: i, .. } if i == index);
    if index == plan.target || plan.stages.iter().any(based_on) {
        return vec!["/".into()];
    }
    let stage = &plan.stages[index];
    let workdir = stage.workdir.as_deref().unwrap_or("/");
    let mut paths = Vec::new();
    let copies = plan.stages.iter().flat_map(|s| &s.copies);
    for copy in copies.filter(|c| c.from == CopyFrom::Stage(index)) {
        if copy.src.is_empty() {
            let outputs = stage.outputs.iter();
            paths.extend(outputs.map(|o| {
                if o.starts_with('/') {
                    o.clone()
                } else {
                    workdir.to_owned()
                }
            }));
        }
        for src in &copy.src {
            let exact = src.starts_with('/') && !src.contains(['*', '?', '[']);
            paths.push(if exact { src.clone() } else { "/".into() });
        }
    }
    paths
}
