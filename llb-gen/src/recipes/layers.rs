//! Installed packages in a few layers by name: a virtualenv reaches an image as one copy per
//! range of its packages' first letters, so a dependency change makes new layers only for the
//! ranges it touched (a registry push or pull after it moves those, not every package).

use crate::diag::{Diagnostic, PACKAGE_LAYERS_UNUSED};
use crate::ir::{CopyFrom, FileCopy, Span, Step};

/// The first letters that split a package directory's entries into layers (either case),
/// about even over the packages apps commonly install. Names starting otherwise (`_`, digits)
/// stay with the rest of the tree. A range never depends on what is installed, so adding a
/// package re-makes its range's layer and the rest's (scripts, top-level bytecode) only.
const PACKAGE_LAYERS: [&str; 5] = ["a-c", "d-h", "i-o", "p-r", "s-z"];

/// Copies of `path` from `from` to the same path: one per [`PACKAGE_LAYERS`] range of each of
/// `package_dirs` inside it, then one of the rest (leaving out `exclude` too).
fn layered(
    from: &CopyFrom,
    path: &str,
    package_dirs: &[String],
    exclude: Vec<String>,
    span: &Span,
) -> Vec<Step> {
    let copy = |include: Vec<String>, exclude: Vec<String>| {
        Step::Copy(FileCopy {
            from: from.clone(),
            src: vec![path.to_owned()],
            dest: path.to_owned(),
            include,
            exclude,
            owner: None,
            mode: None,
            span: span.clone(),
        })
    };
    let inside: Vec<&str> = package_dirs
        .iter()
        .filter_map(|dir| dir.strip_prefix(path)?.strip_prefix('/'))
        .collect();
    let by_letters = |letters: &str| -> Vec<String> {
        let upper = letters.to_ascii_uppercase();
        inside
            .iter()
            .map(|dir| format!("{dir}/[{letters}{upper}]*"))
            .collect()
    };
    let mut steps: Vec<Step> = Vec::new();
    if !inside.is_empty() {
        steps.extend(
            PACKAGE_LAYERS
                .iter()
                .map(|l| copy(by_letters(l), Vec::new())),
        );
    }
    let mut rest = exclude;
    rest.extend(PACKAGE_LAYERS.iter().flat_map(|l| by_letters(l)));
    steps.push(copy(Vec::new(), rest));
    steps
}

/// The results of the steps `from` holds (the builder, or the install's branch), copied to the
/// same paths: what the install filled, the copies' destinations outside the workdir, and the
/// workdir (sources and what the build steps wrote). A result inside the workdir (a virtualenv
/// in it) is a copy of its own, left out of the workdir's, so a source edit does not copy it
/// again. A result holding one of `package_dirs` is copied in layers by the packages' first
/// letters ([`layered`]).
pub fn results(
    from: &CopyFrom,
    installed: &[String],
    package_dirs: &[String],
    copies: &[FileCopy],
    workdir: &str,
    span: &Span,
) -> Vec<Step> {
    let workdir = workdir.trim_end_matches('/');
    let mut paths: Vec<&str> = installed.iter().map(|p| p.trim_end_matches('/')).collect();
    paths.extend(copies.iter().map(|copy| copy.dest.trim_end_matches('/')));
    let within = |path: &str, dir: &str| path.starts_with(&format!("{dir}/"));
    let mut own: Vec<&str> = Vec::new();
    let mut exclude: Vec<String> = Vec::new();
    for path in paths {
        if path.is_empty() || own.contains(&path) || path == workdir {
            continue;
        }
        if within(path, workdir) && installed.iter().any(|i| i.trim_end_matches('/') == path) {
            exclude.push(path[workdir.len() + 1..].to_owned());
            own.push(path);
        } else if !within(path, workdir) {
            own.push(path);
        }
    }
    // Outer paths hold inner ones: copy the outer only.
    let kept: Vec<&str> = own
        .iter()
        .copied()
        .filter(|p| {
            !own.iter()
                .any(|o| o != p && !within(p, workdir) && within(p, o))
        })
        .collect();
    let mut steps: Vec<Step> = kept
        .iter()
        .flat_map(|path| layered(from, path, package_dirs, Vec::new(), span))
        .collect();
    steps.extend(layered(from, workdir, &[], exclude, span));
    steps
}

/// The install's steps (its manifests' copies and its commands) on a branch of the stage: the
/// stage goes on from where the install started, with what the install filled (`installed`,
/// in layers by package) and the workdir (the manifests, what the install wrote there) copied
/// from the branch. A manifest change leaves the stage below those copies as it was, so the
/// copies of the ranges it did not touch stay cached.
pub fn branched(
    install: Vec<Step>,
    installed: &[String],
    package_dirs: &[String],
    workdir: &str,
) -> Vec<Step> {
    let span = install.iter().find_map(|step| match step {
        Step::Run(run) => Some(run.span.clone()),
        _ => None,
    });
    // A result at `/` or at the workdir would not be copied back on its own: install there.
    let whole = |path: &String| {
        let path = path.trim_end_matches('/');
        path.is_empty() || path == workdir.trim_end_matches('/')
    };
    let Some(span) = span.filter(|_| !installed.iter().any(whole)) else {
        return install;
    };
    let mut steps = vec![Step::Branch { span: span.clone() }];
    steps.extend(install);
    steps.push(Step::Rejoin { span: span.clone() });
    steps.extend(results(
        &CopyFrom::Branch,
        installed,
        package_dirs,
        &[],
        workdir,
        &span,
    ));
    steps
}

/// The warning for `package_layers` on a stage with `runtime = "minimal"` (at `span`), whose
/// image a script assembles from files: it has no virtualenv copies to split.
pub fn unused_in_minimal(span: &Span) -> Diagnostic {
    Diagnostic::warning(
        &PACKAGE_LAYERS_UNUSED,
        "`runtime = \"minimal\"` assembles the image in one step, so `package_layers` changes nothing",
        Some(span.clone()),
    )
    .with_help("remove `package_layers`, or `runtime` for the slim base with the virtualenv in layers")
}
