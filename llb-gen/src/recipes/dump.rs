//! The recipes' output as text (`llb-gen --format steps`): each stage the target needs, its
//! base and its steps, one per line, before any of it becomes LLB. A recipe change reads as a
//! small diff here, where it would scatter over the LLB's digests.

use std::fmt::Write;

use crate::ir::{CopyFrom, FileCopy, Mount, Network, RunStep, Sharing, StageFs, StageSteps, Step};
use crate::plan::{Base, Plan};

/// The steps of every stage, in build order.
pub fn text(plan: &Plan, stages: &[StageSteps]) -> String {
    let mut out = String::new();
    for stage_steps in stages {
        let stage = &plan.stages[stage_steps.stage];
        let base = match &stage.base {
            _ if stage.replaced => "a named build context".to_owned(),
            Base::Image { reference, .. } => reference.clone(),
            Base::Stage { index, .. } => format!("stage {}", plan.stages[*index].name),
            Base::Scratch { .. } => "scratch".to_owned(),
        };
        let _ = writeln!(out, "[{}] from {base}", stage.name);
        for note in &stage_steps.notes {
            let _ = writeln!(out, "  # {note}");
        }
        for step in &stage_steps.steps {
            let _ = writeln!(out, "  {}", step_line(plan, step));
        }
    }
    out
}

fn step_line(plan: &Plan, step: &Step) -> String {
    match step {
        Step::Workdir { path, .. } => format!("workdir {path}"),
        Step::Env { vars, .. } => {
            let vars: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("env {}", vars.join(" "))
        }
        Step::Run(run) => run_line(plan, run),
        Step::Copy(copy) => copy_line(plan, copy),
        Step::RunAs(user) => format!("run as {} ({})", user.name, user.ids()),
        Step::Runtime { .. } => "runtime: from the base again, the builder's files by copy".into(),
        Step::Branch { .. } => "branch: the install runs on a branch of the stage".into(),
        Step::Rejoin { .. } => {
            "rejoin: back to the branch point, the install's files by copy".into()
        }
        Step::Minimal(run) => format!("minimal runtime: {}", run_line(plan, run)),
    }
}

fn run_line(plan: &Plan, run: &RunStep) -> String {
    let mut line = match run.args.as_slice() {
        [sh, c, script] if sh == "/bin/sh" && c == "-c" => format!("run {script}"),
        // A script kept in a file of its own (`recipes/*.sh`): its name and its arguments.
        [sh, c, _, _, args @ ..] if sh == "/bin/sh" && c == "-c" => {
            format!("run script `{}` with [{}]", run.display, args.join(", "))
        }
        args => format!("run [{}]", args.join(", ")),
    };
    let mut details: Vec<String> = run.mounts.iter().map(|m| mount_text(plan, m)).collect();
    details.extend(run.env.iter().map(|(k, v)| format!("env {k}={v}")));
    if !run.path.is_empty() {
        details.push(format!("path {}", run.path.join(":")));
    }
    if let Some(user) = &run.user {
        details.push(format!("user {user}"));
    }
    if let Some(cwd) = &run.cwd {
        details.push(format!("cwd {cwd}"));
    }
    match run.network {
        Network::Sandbox => {}
        Network::None => details.push("network none".into()),
        Network::Host => details.push("network host".into()),
    }
    for detail in details {
        line.push_str("\n      ");
        line.push_str(&detail);
    }
    line
}

fn mount_text(plan: &Plan, mount: &Mount) -> String {
    match mount {
        Mount::Cache {
            target,
            id,
            sharing,
        } => {
            let sharing = match sharing {
                Sharing::Shared => "",
                Sharing::Private => " private",
                Sharing::Locked => " locked",
            };
            format!("cache {target} id={id}{sharing}")
        }
        Mount::Secret {
            id, target, env, ..
        } => {
            let target = target.as_deref().unwrap_or("-");
            let env = env
                .as_deref()
                .map(|e| format!(" env={e}"))
                .unwrap_or_default();
            format!("secret {id} at {target}{env}")
        }
        Mount::Ssh { id } => format!("ssh {id}"),
        Mount::Tmpfs { target } => format!("tmpfs {target}"),
        Mount::Context { target, path } => format!("context {path} at {target}"),
        Mount::Scanned { target, of, roots } => {
            let of = fs_name(plan, of);
            format!("{of}: libraries needed by {} at {target}", roots.join(" "))
        }
        Mount::Stage { target, of, path } => {
            let of = fs_name(plan, of);
            format!("{of}:{path} at {target}")
        }
        Mount::PackageLists { target } => format!("package lists of the base at {target}"),
        Mount::Download {
            target,
            url,
            checksum,
            filename,
        } => format!("download {url} ({checksum}) as {target}/{filename}"),
        Mount::File { target, name, .. } => format!("stagefile's {name} at {target}"),
    }
}

fn copy_line(plan: &Plan, copy: &FileCopy) -> String {
    let from = match &copy.from {
        CopyFrom::Context => "context".to_owned(),
        CopyFrom::Stage(index) => format!("stage {}", plan.stages[*index].name),
        CopyFrom::Image(reference) => reference.clone(),
        CopyFrom::Builder => "builder".to_owned(),
        CopyFrom::Branch => "install".to_owned(),
    };
    let src = if copy.src.is_empty() {
        "<outputs>".to_owned()
    } else {
        copy.src.join(" ")
    };
    let mut line = format!("copy {from}:{src} -> {}", copy.dest);
    if !copy.include.is_empty() {
        let _ = write!(line, " include={:?}", copy.include);
    }
    if !copy.exclude.is_empty() {
        let _ = write!(line, " exclude={:?}", copy.exclude);
    }
    if let Some(owner) = &copy.owner {
        let _ = write!(line, " owner={owner:?}");
    }
    if let Some(mode) = copy.mode {
        let _ = write!(line, " mode={mode:o}");
    }
    line
}

/// Whose filesystem a mount shows, in words.
fn fs_name(plan: &Plan, of: &StageFs) -> String {
    match of {
        StageFs::Builder => "builder".to_owned(),
        StageFs::BuilderPackages => "builder after its packages".to_owned(),
        StageFs::Stage(index) => format!("stage {}", plan.stages[*index].name),
        StageFs::Base(index) => format!("the base of stage {}", plan.stages[*index].name),
    }
}
