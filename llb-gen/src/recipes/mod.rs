//! Phase 3: recipes. Each stage of the plan becomes a list of plain [`Step`]s, the way an expert
//! would write the Dockerfile: OS packages with cache mounts, a non-root user for final images,
//! dependencies installed from manifest and lock files only, then sources, copies and commands.
//!
//! What each language adds comes from `lang`; this module only places it among the stage's own
//! steps. Recipes emit steps, never BuildKit types.

mod accounts;
pub mod dump;
mod layers;
mod paths;
mod runtime;
mod system;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{CopyFrom, NewUser, RunStep, RunTools, Span, StageSteps, Step};
use crate::lang::{self, Expansion};
use crate::plan::{Carry, Plan, RunPlan, StagePlan, UserSetting};
use crate::platform::Platform;
use crate::probe::ContextProbe;
use accounts::Accounts;

/// Context paths whose existence the target's language stages depend on (lockfiles,
/// manifests, tool configuration, vendored packages): the only paths recipes ask about.
pub fn probe_paths(plan: &Plan) -> Vec<String> {
    installing_paths(plan, |settings, root| settings.probe_paths(root))
}

/// Context files whose text the target's language stages depend on (requirement files).
pub fn read_paths(plan: &Plan) -> Vec<String> {
    installing_paths(plan, |settings, root| settings.read_paths(root))
}

/// The paths `of` gives for each language stage of the target that installs, sorted, once each.
fn installing_paths(
    plan: &Plan,
    of: impl Fn(&crate::lang::Settings, &str) -> Vec<String>,
) -> Vec<String> {
    let mut paths = Vec::new();
    for &index in &plan.order {
        let stage = &plan.stages[index];
        if let Some(language) = &stage.language
            && !stage.replaced
            && language.install
        {
            paths.extend(of(&language.settings, &stage.root));
        }
    }
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// Every stage's steps, and what the recipes found worth a warning.
#[derive(Debug, Default)]
pub struct Expanded {
    /// The stages the target needs, in build order.
    pub stages: Vec<StageSteps>,
    /// Findings that do not stop the build (a tool kept, and why).
    pub warnings: Vec<Diagnostic>,
}

/// Expands every stage the target needs into steps, for `platform`.
pub fn expand(
    plan: &Plan,
    probe: &dyn ContextProbe,
    platform: &Platform,
) -> Result<Expanded, Diagnostics> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let accounts = Accounts::of(plan);
    for &index in &plan.order {
        let stage = &plan.stages[index];
        if stage.replaced {
            out.push(StageSteps {
                stage: index,
                steps: Vec::new(),
                notes: vec!["replaced by a named build context".into()],
            });
            continue;
        }
        match expand_stage(plan, index, stage, &accounts, probe, platform) {
            Ok((stage_steps, mut found)) => {
                out.push(stage_steps);
                warnings.append(&mut found);
            }
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() {
        Ok(Expanded {
            stages: out,
            warnings,
        })
    } else {
        Err(Diagnostics {
            file: plan.file.clone(),
            items: crate::diag::capped(errors, 0),
        })
    }
}

fn expand_stage(
    plan: &Plan,
    index: usize,
    stage: &StagePlan,
    accounts: &Accounts,
    probe: &dyn ContextProbe,
    platform: &Platform,
) -> Result<(StageSteps, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    // A stage with build-only packages, or a minimal runtime, builds in a builder; its image
    // starts again after it.
    let split =
        (!stage.build_apt.is_empty() || stage.minimal.is_some()) && stage.language.is_some();
    let mut packages = stage.apt.clone();
    let mut apt_span = stage.apt_span.clone();
    if split {
        packages.extend(stage.build_apt.iter().cloned());
        apt_span = stage.build_apt_span.clone();
    }
    if !packages.is_empty() {
        steps.push(Step::Run(system::apt_install(&packages, apt_span)));
    }
    // The users before a carried interpreter, which waits for its stage to be built: created
    // first, they are made while that stage builds.
    if !split {
        steps.extend(users(accounts, index));
    }
    // A carried interpreter comes after this stage's install (which then runs while the
    // interpreter's stage builds), unless the install may run it.
    let runs = stage
        .language
        .as_ref()
        .map_or(&[][..], |l| l.settings.lang().def().install_runs);
    let (carried_first, carried_after): (Vec<&Carry>, Vec<&Carry>) =
        stage.carried.iter().partition(|carry| {
            let key = plan.stages[carry.from]
                .language
                .as_ref()
                .map(|l| l.settings.lang().def().key);
            key.is_some_and(|key| runs.contains(&key))
        });
    let mut push_carries = |carried: Vec<&Carry>, steps: &mut Vec<Step>| {
        for carry in carried {
            match runtime::carry_steps(plan, stage, carry) {
                Ok(found) => steps.extend(found.into_iter().map(Step::Run)),
                Err(diagnostic) => errors.push(diagnostic),
            }
        }
    };
    push_carries(carried_first, &mut steps);
    let workdir = stage.workdir.as_deref().unwrap_or("/app");
    if let Some(path) = &stage.workdir {
        let span = stage
            .language
            .as_ref()
            .map_or(stage.span.clone(), |l| l.span.clone());
        steps.push(Step::Workdir {
            path: path.clone(),
            span,
        });
    }
    // The language's part, with its package manager detected once: the install, the tools
    // of the run steps and the build steps after them.
    let Expansion {
        install,
        after_source,
        run_tools,
        finish,
        installed,
        package_dirs,
        detected,
        workspace,
        mut warnings,
    } = match &stage.language {
        Some(language) => {
            let reaching_images = paths::reaching_images(plan, index);
            let input = lang::Input {
                version: &language.version,
                root: &stage.root,
                workdir,
                span: language.span.clone(),
                named: language.manager,
                install: language.install,
                ships_dependencies: index == plan.target
                    || stage.outputs.iter().any(|o| {
                        let o = o.trim_end_matches('/');
                        o == "node_modules" || o.ends_with("/node_modules")
                    }),
                reaching_images: &reaching_images,
                runs: stage
                    .runs
                    .iter()
                    .map(|run| (run.args.join(" "), run.span.clone()))
                    .collect(),
                platform,
                probe,
                env: &stage.env,
            };
            lang::expand(&language.settings, &input).map_err(|d| vec![d])?
        }
        None => Expansion::default(),
    };
    let secrets = stage
        .language
        .as_ref()
        .map_or(&[][..], |l| &l.install_secrets[..]);
    // The install's secrets: mounted for its commands only, never in a layer.
    let with_secrets = |step| match step {
        Step::Run(mut run) => {
            run.mounts.extend(secrets.iter().cloned());
            Step::Run(run)
        }
        other => other,
    };
    let install: Vec<Step> = install.into_iter().map(with_secrets).collect();
    if split || package_dirs.is_empty() || workdir == "/" {
        steps.extend(install);
    } else {
        steps.extend(layers::branched(
            install,
            &installed,
            &package_dirs,
            workdir,
        ));
    }
    push_carries(carried_after, &mut steps);
    let after_source: Vec<Step> = after_source.into_iter().map(with_secrets).collect();
    if let Some(language) = &stage.language {
        notes.push(match (language.install, detected) {
            (false, _) => "install = false: no dependencies installed".to_owned(),
            (true, Some(detected)) => detected,
            (true, None) => "no lockfile, no manifest: nothing to install".to_owned(),
        });
    }
    if !stage.env.is_empty() {
        let span = stage.env.first().map(|e| e.2.start).unwrap_or(0)
            ..stage.env.last().map(|e| e.2.end).unwrap_or(0);
        steps.push(Step::Env {
            vars: stage
                .env
                .iter()
                .map(|(k, v, _)| (k.clone(), v.clone()))
                .collect(),
            span,
        });
    }
    // Commands that do not read the source go between the copies and the source; the source
    // then follows the copies instead of preceding them.
    let (early, late): (Vec<&RunPlan>, Vec<&RunPlan>) =
        stage.runs.iter().partition(|run| run.before_source);
    let source_first = early.is_empty() || stage.source.is_none();
    let source = stage
        .source
        .as_ref()
        .map(|copy| paths::in_workspace(copy, stage, workspace.as_ref()));
    // Relative paths of the stage are under the directory it works in: a member's own.
    let app_dir = paths::app_dir(stage, workspace.as_ref());
    let copies = paths::copies(stage, &app_dir);
    let member_dir = workspace.as_ref().map(|_| Step::Workdir {
        path: app_dir.clone(),
        span: stage
            .language
            .as_ref()
            .map_or(stage.span.clone(), |l| l.span.clone()),
    });
    // The source copy and what follows it, placed once: first, or after the early commands.
    let mut source_steps = source.map(|source| {
        let mut part = vec![Step::Copy(source)];
        part.extend(member_dir);
        part.extend(after_source);
        part
    });
    if source_first {
        steps.extend(source_steps.take().into_iter().flatten());
    }
    for copy in &copies {
        if let CopyFrom::Stage(from) = copy.from
            && copy.src.is_empty()
            && plan.stages[from].outputs.is_empty()
        {
            errors.push(
                Diagnostic::error(
                    Code::NoOutputs,
                    format!(
                        "stage `{}` declares no outputs to copy",
                        plan.stages[from].name
                    ),
                    Some(copy.span.clone()),
                )
                .with_help(format!(
                    "add `src` to this copy, or `outputs = [...]` to stage `{}`",
                    plan.stages[from].name
                )),
            );
        }
        steps.push(Step::Copy(copy.clone()));
    }
    steps.extend(early.into_iter().map(|run| run_step(run, &run_tools)));
    steps.extend(source_steps.into_iter().flatten());
    steps.extend(late.into_iter().map(|run| run_step(run, &run_tools)));
    steps.extend(finish);
    let writable = paths::writable_dirs(stage, probe, &app_dir);
    // What an image built from the builder copies from it.
    let builder_results = |span: &Span| {
        layers::results(
            &CopyFrom::Builder,
            &installed,
            &package_dirs,
            &copies,
            workdir,
            span,
        )
    };
    if let Some(span) = stage.minimal.clone().filter(|_| split) {
        if !package_dirs.is_empty() {
            warnings.push(layers::unused_in_minimal(&span));
        }
        let results = builder_results(&span);
        let roots = runtime::roots(&results);
        let dirs: Vec<String> = writable.iter().map(|(dir, _)| dir.clone()).collect();
        match minimal_step(stage, accounts, index, &roots, &dirs, span) {
            Ok(step) => steps.extend(step),
            Err(diagnostic) => errors.push(diagnostic),
        }
    } else if split {
        let span = stage.build_apt_span.clone();
        let results = builder_results(&span);
        steps.push(Step::Runtime { span: span.clone() });
        // The users first: that step needs nothing from the build, so it runs while the build
        // does; then what the image needs whatever the build makes (which waits for the
        // builder's packages only), and the runtime libraries (which wait for the build's scan)
        // on top.
        steps.extend(users(accounts, index));
        steps.push(Step::Run(runtime::early(
            &stage.apt,
            &stage.build_apt,
            span.clone(),
        )));
        let roots = runtime::roots(&results);
        steps.push(Step::Run(runtime::provide(
            &stage.apt,
            &stage.build_apt,
            index,
            roots,
            span,
        )));
        steps.extend(results);
    }
    if !writable.is_empty() {
        match owner(stage, accounts, index) {
            Some(owner) if stage.minimal.is_none() || !split => {
                let dirs = writable.iter().map(|(dir, _)| dir.clone()).collect();
                let span = writable[0].1.clone();
                steps.push(Step::Run(system::writable(&owner, dirs, span)));
            }
            Some(_) => {} // the minimal runtime makes them (minimal.sh)
            None => {
                if let Some((_, span)) = writable.iter().find(|(_, span)| !span.is_empty()) {
                    errors.push(
                        Diagnostic::error(
                            Code::InvalidUser,
                            format!("`writable` is for the user the image runs as, and stage `{}` runs as its base's", stage.name),
                            Some(span.clone()),
                        )
                        .with_help("put `writable` in the stage the image runs (the target), or set `user` here"),
                    );
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((
            StageSteps {
                stage: index,
                steps,
                notes,
            },
            warnings,
        ))
    } else {
        Err(errors)
    }
}

/// Who owns the writable directories: the user the image runs as, by ids or by name.
fn owner(stage: &StagePlan, accounts: &Accounts, index: usize) -> Option<String> {
    match (&stage.user, accounts.runs_as.get(&index)) {
        (_, Some(user)) => Some(user.ids()),
        (UserSetting::Explicit(name), None) => Some(name.clone()),
        _ => None,
    }
}

/// The users the stage creates, and who its image runs as.
fn users(accounts: &Accounts, index: usize) -> Vec<Step> {
    let created = accounts.created_in.get(&index).into_iter().flatten();
    let mut steps: Vec<Step> = created
        .map(|(user, span)| Step::Run(system::create_user(user, span.clone())))
        .collect();
    if let Some(user) = accounts.runs_as.get(&index) {
        steps.push(Step::RunAs(user.clone()));
    }
    steps
}

/// The minimal runtime's steps: its assembly (with the user's entry: it has no `useradd`) and
/// who it runs as.
fn minimal_step(
    stage: &StagePlan,
    accounts: &Accounts,
    index: usize,
    roots: &[String],
    writable: &[String],
    span: Span,
) -> Result<Vec<Step>, Diagnostic> {
    let lang = stage.language.as_ref().map(|l| l.settings.lang());
    let Some(interpreter) = lang.and_then(|l| l.def().interpreter.as_ref()) else {
        let title = lang.map_or("this", |l| l.def().title);
        return Err(Diagnostic::error(
            Code::UnknownValue,
            format!("`runtime = \"minimal\"` is for Python and Node stages, not {title} ones"),
            Some(span),
        )
        .with_help("remove `runtime`, or use `build_apt` for an image without build tools"));
    };
    let user = accounts
        .runs_as
        .get(&index)
        .cloned()
        .unwrap_or_else(NewUser::app);
    Ok(vec![
        Step::Minimal(runtime::minimal(interpreter, &user, roots, writable, span)),
        Step::RunAs(user),
    ])
}

/// A stage's `run` entry as a step, with the language's tools.
fn run_step(run: &RunPlan, tools: &RunTools) -> Step {
    // A mount the step declares itself at the same target takes the tool's place.
    let mounts = tools
        .mounts
        .iter()
        .filter(|tool| run.mounts.iter().all(|own| own.target() != tool.target()))
        .chain(&run.mounts)
        .cloned()
        .collect();
    Step::Run(RunStep {
        display: run.display.clone(),
        args: run.args.clone(),
        env: tools.env.iter().chain(&run.env).cloned().collect(),
        path: tools.path.clone(),
        cwd: run.workdir.clone(),
        user: run.user.clone(),
        mounts,
        network: run.network,
        span: run.span.clone(),
    })
}
