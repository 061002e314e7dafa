//! Images that get a build's results without its tools: a stage with `build_apt` builds in a
//! builder and starts again from its base for the image, and a copy with `interpreter = true`
//! brings a language's interpreter into an image of another family. In both, the shared
//! libraries the results need are found by scanning their ELF files where they were built
//! (`needs.sh`) and provided in the image (`provide.sh`): no runtime package list is written by
//! hand, and a library that cannot be found fails the build.

use super::system::{APT_LISTS, apt_archives, apt_caches};
use crate::diag::{Code, Diagnostic};
use crate::ir::{CopyFrom, MINIMAL_OUT, Mount, NewUser, RunStep, Span, StageFs, Step, scan_script};
use crate::lang::Interpreter;
use crate::plan::{Carry, Plan, StagePlan};

/// Provides what the scanned filesystem's lists name; it mounts that filesystem here.
const PROVIDE: &str = include_str!("provide.sh");

/// Installs packages with apt-get from the shared caches, as a shell function.
const APT_GET: &str = include_str!("apt_get.sh");

/// The shared libraries of build_apt's development packages, as a shell function.
const DEV_LIBRARIES: &str = include_str!("dev_libraries.sh");

/// Installs what the image needs before the build's scan tells the rest.
const EARLY: &str = include_str!("early.sh");

/// Names what [`EARLY`] installed that the results do not need.
const UNNEEDED: &str = include_str!("unneeded.sh");

/// Where the builder's package database is mounted (after its Debian packages' install).
const BUILDER_DPKG: &str = "/stagefile/builder";

/// Assembles a minimal runtime from the builder.
const MINIMAL: &str = include_str!("minimal.sh");

/// Where the scan's results are mounted (`provide.sh` reads them there).
const NEEDS: &str = "/stagefile/needs";

/// Where an interpreter's stage is mounted (its language's `Interpreter::copy` reads it there).
const FROM: &str = "/stagefile/from";

fn scanned(of: StageFs, roots: Vec<String>) -> Mount {
    Mount::Scanned {
        target: NEEDS.into(),
        of,
        roots,
    }
}

/// What a step providing libraries in an image of another family mounts: the archives, this
/// image's own package lists (fetched by a step that waits for nothing: no install before it
/// filled the shared lists cache, as a builder's does before [`provide`]), and the scan of
/// `roots` in `of`.
fn lists_and_scan(of: StageFs, roots: Vec<String>) -> Vec<Mount> {
    vec![
        apt_archives(),
        Mount::PackageLists {
            target: APT_LISTS.into(),
        },
        scanned(of, roots),
    ]
}

/// Installs in the image, once the builder has its Debian packages and while it builds, the
/// stage's own `apt` packages and the libraries of `build_apt`'s development packages (libpq5
/// for libpq-dev): what the results will need whatever the build makes, off the path that
/// waits for the build's scan ([`provide`] then has less or nothing to install).
pub fn early(apt: &[String], build_apt: &[String], span: Span) -> RunStep {
    let mut mounts = apt_caches();
    mounts.push(dpkg_of(StageFs::BuilderPackages, BUILDER_DPKG));
    let script = format!("{DEV_LIBRARIES}\n{APT_GET}\n{EARLY}");
    let mut args = apt.to_vec();
    args.push("--".into());
    args.extend(build_apt.iter().cloned());
    RunStep::script_file(
        "install the runtime packages known before the build",
        &script,
        mounts,
        span,
    )
    .with_args(args)
    .with_env(&[("DEBIAN_FRONTEND", "noninteractive")])
}

/// Installs, in the image, the packages the builder's results need that the base lacks (and
/// the stage's own `apt` packages), and copies the libraries no package owns; names what
/// [`early`] installed for `build_apt` that they do not need. `stage` is this stage's index.
pub fn provide(
    apt: &[String],
    build_apt: &[String],
    stage: usize,
    roots: Vec<String>,
    span: Span,
) -> RunStep {
    let mut mounts = apt_caches();
    mounts.push(scanned(StageFs::Builder, roots));
    mounts.push(dpkg_of(StageFs::BuilderPackages, BUILDER_DPKG));
    mounts.push(dpkg_of(StageFs::Base(stage), "/stagefile/base"));
    let script = format!("{DEV_LIBRARIES}\n{APT_GET}\n{PROVIDE}\n{UNNEEDED}");
    RunStep::script_file("provide the runtime libraries", &script, mounts, span)
        .with_args(apt.iter().cloned())
        .with_env(&[
            ("DEBIAN_FRONTEND", "noninteractive"),
            ("STAGEFILE_BUILD_APT", &build_apt.join(" ")),
        ])
}

/// The package database of `of`, read-only at `target`.
fn dpkg_of(of: StageFs, target: &str) -> Mount {
    Mount::Stage {
        target: target.into(),
        of,
        path: "/var/lib/dpkg".into(),
    }
}

/// Installs, in this image, the packages the interpreter of stage `from` needs as that stage's
/// base has it, and copies the libraries no package owns: it waits for the base, not for the
/// stage's build, so it runs while that stage builds and leaves [`carry`] little to install.
pub fn interpreter_libraries(
    interpreter: &Interpreter,
    from: usize,
    name: &str,
    span: Span,
) -> RunStep {
    let roots = interpreter.scan.iter().map(|s| (*s).to_owned()).collect();
    let mounts = lists_and_scan(StageFs::Base(from), roots);
    RunStep::script_file(
        format!("provide the libraries of stage {name}'s interpreter"),
        &format!("{APT_GET}\n{PROVIDE}"),
        mounts,
        span,
    )
    .with_args(Vec::new())
    .with_env(&[("DEBIAN_FRONTEND", "noninteractive")])
}

/// Copies the interpreter of stage `from` into this image with the libraries it and `also`
/// (the copied files, scanned with it) need, and refreshes the loader's cache.
pub fn carry(
    interpreter: &Interpreter,
    from: usize,
    name: &str,
    also: &[String],
    span: Span,
) -> RunStep {
    let mut roots: Vec<String> = interpreter.scan.iter().map(|s| (*s).to_owned()).collect();
    roots.extend(also.iter().cloned());
    let mut mounts = lists_and_scan(StageFs::Stage(from), roots);
    mounts.push(Mount::Stage {
        target: format!("{FROM}/usr/local"),
        of: StageFs::Stage(from),
        path: "/usr/local".into(),
    });
    let script = format!(
        "set -eu\nFROM={FROM}\nTO=\n{}\n{APT_GET}\n{PROVIDE}",
        interpreter.copy
    );
    RunStep::script_file(
        format!("carry the interpreter of stage {name}"),
        &script,
        mounts,
        span,
    )
    .with_args(Vec::new())
    .with_env(&[
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("STAGEFILE_LDCONFIG", "1"),
    ])
}

/// The paths the image gets from the builder: where the scan looks for what they need.
pub fn roots(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| match step {
            Step::Copy(copy) => copy.src.first().cloned(),
            _ => None,
        })
        .fold(Vec::new(), |mut roots, root| {
            if !roots.contains(&root) {
                roots.push(root);
            }
            roots
        })
}

/// The minimal runtime (`runtime = "minimal"`): the interpreter, the builder's results at
/// `roots`, the libraries they need, CA certificates, time zone data and `user`'s entry, on an
/// empty filesystem.
pub fn minimal(
    interpreter: &Interpreter,
    user: &NewUser,
    roots: &[String],
    writable: &[String],
    span: Span,
) -> RunStep {
    let script = format!(
        "set -eu\nFROM=\nTO={MINIMAL_OUT}\n{}\n{MINIMAL}",
        interpreter.copy
    );
    let mut args = vec![
        user.name.clone(),
        user.uid.to_string(),
        user.group.clone(),
        user.gid.to_string(),
        user.home.clone(),
    ];
    args.extend(roots.iter().cloned());
    let mut step = RunStep::script_file("assemble the minimal runtime", &script, Vec::new(), span)
        .with_args(args);
    step.env.push(("STAGEFILE_NEEDS".into(), scan_script()));
    step.env
        .push(("STAGEFILE_WRITABLE".into(), writable.join("\n")));
    step
}

/// The steps that bring another stage's interpreter (`interpreter = true` on a copy): the
/// libraries its base's interpreter needs, then the interpreter from the built stage.
pub fn carry_steps(
    plan: &Plan,
    stage: &StagePlan,
    carried: &Carry,
) -> Result<[RunStep; 2], Diagnostic> {
    let from = &plan.stages[carried.from];
    let interpreter = from
        .language
        .as_ref()
        .and_then(|l| l.settings.lang().def().interpreter.as_ref());
    let Some(interpreter) = interpreter else {
        let what = from.language.as_ref().map_or_else(
            || "not a language stage".to_owned(),
            |l| {
                format!(
                    "a {} stage, whose interpreter cannot be carried yet",
                    l.settings.lang().def().title
                )
            },
        );
        return Err(Diagnostic::error(
            Code::InvalidCopy,
            format!("`interpreter = true`: stage `{}` is {what}", from.name),
            Some(carried.span.clone()),
        )
        .with_help(
            "carry a Python or Node stage's interpreter, or copy what you need with `src`",
        ));
    };
    let copied: Vec<String> = stage
        .copies
        .iter()
        .filter(|copy| copy.from == CopyFrom::Stage(carried.from))
        .flat_map(|copy| copy.src.iter().cloned())
        .filter(|src| src.starts_with('/'))
        .collect();
    Ok([
        interpreter_libraries(interpreter, carried.from, &from.name, carried.span.clone()),
        carry(
            interpreter,
            carried.from,
            &from.name,
            &copied,
            carried.span.clone(),
        ),
    ])
}
