//! Phase 3: recipes. Each stage of the plan becomes a list of plain [`Step`]s, the way an expert
//! would write the Dockerfile: OS packages with cache mounts, a non-root user for final images,
//! dependencies installed from manifest and lock files only, then sources, copies and commands.
//!
//! One file per language; recipes emit steps, never BuildKit types.

mod accounts;
mod detect;
mod node;
mod python;
mod ruby;
pub(crate) mod system;

use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::{
    CopyFrom, CopyPlan, Language, MountPlan, Network, NewUserPlan, Plan, RunPlan, Span, StagePlan,
};
use crate::probe::ContextProbe;
use accounts::Accounts;

pub use detect::probe_paths;

/// A step of a stage, in build order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Sets (and creates) the working directory.
    Workdir {
        /// Absolute path.
        path: String,
        /// Where it comes from.
        span: Span,
    },
    /// Sets env entries for later steps and the image (values may refer to earlier env).
    Env {
        /// `(name, value)` pairs.
        vars: Vec<(String, String)>,
        /// Where they come from.
        span: Span,
    },
    /// Runs a command.
    Run(RunStep),
    /// Copies files into the stage.
    Copy(CopyPlan),
    /// Creates a non-root user and its group (as root; later steps still run as root).
    CreateUser {
        /// The user and group.
        user: NewUserPlan,
        /// Where the decision comes from.
        span: Span,
    },
    /// Makes the image run as this user (created here or in the stage it is built from).
    RunAs(NewUserPlan),
}

/// A command with its mounts.
#[derive(Debug, Clone)]
pub struct RunStep {
    /// Text shown in progress output.
    pub display: String,
    /// Program and arguments.
    pub args: Vec<String>,
    /// Extra env for this command only.
    pub env: Vec<(String, String)>,
    /// Working directory override.
    pub cwd: Option<String>,
    /// User override; recipe steps run as root.
    pub user: Option<String>,
    /// Mounts.
    pub mounts: Vec<MountPlan>,
    /// Network mode.
    pub network: Network,
    /// Where it comes from.
    pub span: Span,
}

impl RunStep {
    /// A recipe's shell command, run as root with the given cache mounts.
    pub fn recipe(
        display: impl Into<String>,
        script: impl Into<String>,
        mounts: Vec<MountPlan>,
        span: Span,
    ) -> Self {
        Self {
            display: display.into(),
            args: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: Vec::new(),
            cwd: None,
            user: Some("0:0".into()),
            mounts,
            network: Network::Sandbox,
            span,
        }
    }

    /// Adds env for this command.
    pub fn with_env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }
}

/// The steps of one stage.
#[derive(Debug, Clone)]
pub struct StageSteps {
    /// Index of the stage in the plan.
    pub stage: usize,
    /// Steps, in order.
    pub steps: Vec<Step>,
}

/// Expands every stage the target needs into steps.
pub fn expand(plan: &Plan, probe: &dyn ContextProbe) -> Result<Vec<StageSteps>, Diagnostics> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let accounts = Accounts::of(plan);
    for &index in &plan.order {
        let stage = &plan.stages[index];
        if stage.replaced {
            out.push(StageSteps {
                stage: index,
                steps: Vec::new(),
            });
            continue;
        }
        match expand_stage(plan, index, stage, &accounts, probe) {
            Ok(steps) => out.push(StageSteps {
                stage: index,
                steps,
            }),
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Diagnostics {
            file: plan.file.clone(),
            items: errors,
        })
    }
}

fn expand_stage(
    plan: &Plan,
    index: usize,
    stage: &StagePlan,
    accounts: &Accounts,
    probe: &dyn ContextProbe,
) -> Result<Vec<Step>, Vec<Diagnostic>> {
    let mut steps = Vec::new();
    if !stage.apt.is_empty() {
        steps.push(Step::Run(system::apt_install(stage)));
    }
    for (user, span) in accounts.created_in.get(&index).into_iter().flatten() {
        steps.push(Step::CreateUser {
            user: user.clone(),
            span: span.clone(),
        });
    }
    if let Some(user) = accounts.runs_as.get(&index) {
        steps.push(Step::RunAs(user.clone()));
    }
    if let Some(workdir) = &stage.workdir {
        let span = stage
            .language
            .as_ref()
            .map_or(stage.span.clone(), |l| l.span.clone());
        steps.push(Step::Workdir {
            path: workdir.clone(),
            span,
        });
    }
    // The package manager, detected once: the install, the run steps and packaging use it.
    let manager = match &stage.language {
        Some(language) => detect::manager(stage, language, probe).map_err(|d| vec![d])?,
        None => None,
    };
    let mut run_tools = RunTools::default();
    if let Some(language) = &stage.language {
        if language.kind == Language::Node {
            run_tools = node::run_tools(manager);
        }
        let recipe = match language.kind {
            Language::Python => python::steps(stage, language, manager, probe),
            Language::Node => node::steps(stage, language, manager, probe),
            Language::Ruby => ruby::steps(stage, language, manager, probe),
        };
        steps.extend(recipe);
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
    if source_first && let Some(source) = &stage.source {
        steps.push(Step::Copy(source.clone()));
    }
    let mut errors = Vec::new();
    for copy in &stage.copies {
        if let CopyFrom::Stage(from) = copy.from
            && copy.src.is_empty()
            && plan.stages[from].outputs.is_empty()
        {
            errors.push(
                Diagnostic::error(
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
    let package = stage
        .language
        .as_ref()
        .and_then(|l| l.package.as_ref().map(|p| (l, p)));
    steps.extend(early.into_iter().map(|run| run_step(run, &run_tools)));
    if !source_first && let Some(source) = &stage.source {
        steps.push(Step::Copy(source.clone()));
    }
    steps.extend(late.into_iter().map(|run| run_step(run, &run_tools)));
    if let Some((language, package)) = package {
        steps.push(Step::Run(python::package(
            stage, language, manager, package,
        )));
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// Mounts and env a language adds to the stage's own `run` steps (its tools).
#[derive(Debug, Clone, Default)]
pub struct RunTools {
    /// Mounts, before the step's own.
    pub mounts: Vec<MountPlan>,
    /// Env, before the step's own (which wins).
    pub env: Vec<(String, String)>,
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
        cwd: run.workdir.clone(),
        user: run.user.clone(),
        mounts,
        network: run.network,
        span: run.span.clone(),
    })
}

/// Copies of context files (relative to the stage's root) to the same relative paths under the
/// working directory: the only inputs of a dependency install, so its layer is keyed on them.
pub(crate) fn manifest_copies(stage: &StagePlan, files: &[String], span: &Span) -> Vec<Step> {
    let workdir = stage
        .workdir
        .as_deref()
        .unwrap_or("/app")
        .trim_end_matches('/');
    files
        .iter()
        .map(|file| {
            Step::Copy(CopyPlan {
                from: CopyFrom::Context,
                src: vec![in_root(stage, file)],
                dest: format!("{workdir}/{file}"),
                include: Vec::new(),
                exclude: Vec::new(),
                owner: None,
                mode: None,
                span: span.clone(),
            })
        })
        .collect()
}

/// Context path of a file in the stage's root.
pub(crate) fn in_root(stage: &StagePlan, file: &str) -> String {
    if stage.root.is_empty() {
        file.to_owned()
    } else {
        format!("{}/{file}", stage.root)
    }
}
