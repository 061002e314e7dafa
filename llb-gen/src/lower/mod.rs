//! Phase 4: lowering steps to LLB states, one stage at a time in dependency order, and the
//! target's image config.

mod base;
mod config;
mod copy;
mod env;
mod run;
mod since_run;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::diag::{Code, Diagnostic, Diagnostics, SourceFile};
use crate::image::ImageConfig;
use crate::ir::{FileCopy, MINIMAL_OUT, Span, StageSteps, Step};
use crate::limits::{self, Budget, MAX_DEFINITION_BYTES};
use crate::llb::{self, FileAction, LocalOptions, OpMeta, State};
use crate::options::{CompileOptions, ContextSource, ResolvedImage};
use crate::pb;
use crate::plan::{Plan, StagePlan};

/// What each op costs besides its strings (digest, metadata, encoding).
const OP_OVERHEAD: usize = 256;

/// A stage after lowering: its filesystem and image config.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub state: State,
    pub config: ImageConfig,
}

/// Shared inputs of every stage's lowering.
pub(crate) struct Lowering<'a> {
    pub plan: &'a Plan,
    pub options: &'a CompileOptions,
    pub images: &'a BTreeMap<String, ResolvedImage>,
    pub platform: pb::Platform,
    pub context: State,
    pub built: BTreeMap<usize, Built>,
    /// The stages an interpreter is carried from.
    pub carried_from: BTreeSet<usize>,
    /// The base of each stage lowered so far (what a carried interpreter's libraries are
    /// found in before its stage is built).
    pub bases: BTreeMap<usize, Built>,
    /// The base of the stage being lowered, and its env as an exec takes it (what its package
    /// lists step needs; the whole config is not cloned for it).
    pub stage_base: Option<(State, Vec<String>)>,
    /// The builder of the stage being lowered, once its steps reach [`Step::Runtime`].
    pub builder: Option<Built>,
    /// The stage being lowered at its [`Step::Branch`] and at its [`Step::Rejoin`].
    pub branch: Branch,
    /// The stage being lowered after its first run step (its Debian packages' install, when
    /// it has some); its builder's, once it has one ([`StageFs::BuilderPackages`]).
    pub first_run: Option<Built>,
    /// The stage being lowered as of its last run step, and its steps since.
    pub stage_run: SinceRun,
    /// The same for its builder, once it has one (where the builder's library scans run).
    pub builder_run: SinceRun,
    /// A library scan read a root that only copies from the build context (and made
    /// directories) wrote since the last run step (see [`Lowered::scans_context`]).
    pub scans_context: Cell<bool>,
    pub warnings: Vec<Diagnostic>,
    /// What env `$NAME` expansion may still add (what the plan's `${ARG}`s left).
    pub budget: Budget,
    /// Bytes of the definition so far (a close estimate, counted before each op is made).
    pub size: usize,
    /// Errors: a limit went past.
    pub errors: Vec<Diagnostic>,
}

/// A stage (or its builder) as of its last run step, and its steps since.
#[derive(Debug, Clone, Default)]
pub(crate) struct SinceRun {
    /// The state after the last run step.
    pub last_run: Option<State>,
    /// Where steps since then wrote.
    pub written: Vec<Written>,
    /// The copies from the build context since then, in order, with where each wrote.
    pub context_copies: Vec<(FileCopy, Vec<String>)>,
}

/// A stage's filesystem where its install branched off, and where the branch ended.
#[derive(Debug, Clone, Default)]
pub(crate) struct Branch {
    /// At [`Step::Branch`].
    pub point: Option<State>,
    /// At [`Step::Rejoin`]: what [`CopyFrom::Branch`] reads.
    pub branched: Option<State>,
}

/// A path that a step since the last run step wrote.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub path: String,
    /// Only files of the main build context, or an empty directory, went there.
    pub context_only: bool,
}

/// What lowering produces: the target's definition, its image config and the warnings.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The LLB of the target.
    pub definition: pb::Definition,
    /// The target stage's image config.
    pub image_config: ImageConfig,
    /// Findings that do not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// A library scan reads files copied from the build context: a caller that finds no ELF
    /// file there can compile again with `without_elf` and the scan stays cached when only
    /// the source changes.
    pub scans_context: bool,
}

/// Lowers the target and returns the definition with its image config. The steps are taken, not
/// borrowed: their commands, env and mounts move into the ops.
pub fn lower(
    plan: &Plan,
    stages: Vec<StageSteps>,
    images: &BTreeMap<String, ResolvedImage>,
    options: &CompileOptions,
) -> Result<Lowered, Diagnostics> {
    let mut lowering = Lowering {
        plan,
        options,
        images,
        platform: options.platform.to_pb(),
        context: context_state(&options.context),
        built: BTreeMap::new(),
        carried_from: plan
            .stages
            .iter()
            .flat_map(|s| s.carried.iter().map(|c| c.from))
            .collect(),
        bases: BTreeMap::new(),
        stage_base: None,
        builder: None,
        branch: Branch::default(),
        first_run: None,
        stage_run: SinceRun::default(),
        builder_run: SinceRun::default(),
        scans_context: Cell::new(false),
        warnings: plan.warnings.clone(),
        budget: plan.budget.clone(),
        size: 0,
        errors: Vec::new(),
    };
    for stage_steps in stages {
        let index = stage_steps.stage;
        let built = lowering.stage(stage_steps);
        lowering.built.insert(index, built);
        if !lowering.errors.is_empty() {
            return Err(Diagnostics {
                file: plan.file.clone(),
                items: lowering.errors,
            });
        }
    }
    let Some(target) = lowering.built.remove(&plan.target) else {
        return Err(Diagnostics::single(
            &plan.file,
            Diagnostic::error(Code::Internal, "the target stage was not built", None),
        ));
    };
    let mut config = target.config;
    config::finish(&mut config, options);
    let definition = llb::marshal(
        &target.state,
        Some(llb::SourceInfo {
            filename: &plan.file.name,
            data: plan.file.text.as_bytes(),
            language: "TOML",
        }),
    );
    // The running count is close; this is exact.
    let span = plan.target_stage().span.clone();
    if prost::Message::encoded_len(&definition) > MAX_DEFINITION_BYTES {
        lowering.too_large(&span);
    }
    if !lowering.errors.is_empty() {
        return Err(Diagnostics {
            file: plan.file.clone(),
            items: lowering.errors,
        });
    }
    Ok(Lowered {
        definition,
        image_config: config,
        warnings: lowering.warnings,
        scans_context: lowering.scans_context.get(),
    })
}

/// The main build context's source op, as a definition of its own: a caller that solves it
/// before compiling (to read the context) shares its transfer with the build's.
pub fn context_definition(context: &ContextSource) -> pb::Definition {
    llb::marshal(&context_state(context), None)
}

fn context_state(context: &ContextSource) -> State {
    match context {
        ContextSource::Local {
            name,
            session_id,
            exclude_patterns,
            without_elf: _,
        } => State::local(
            name,
            &LocalOptions {
                session_id: session_id.clone(),
                shared_key_hint: Some(name.clone()),
                exclude_patterns: exclude_patterns.clone(),
                ..LocalOptions::default()
            },
            OpMeta::named("[internal] load build context"),
        ),
    }
}

/// Source ranges (1-based lines, 0-based characters) of a span, for the source map.
pub(crate) fn ranges(file: &SourceFile, span: &Span) -> Vec<pb::Range> {
    if span.is_empty() && span.start == 0 {
        return Vec::new();
    }
    let (start_line, start_col) = file.line_col(span.start);
    let (end_line, end_col) = file.line_col(span.end.max(span.start));
    vec![pb::Range {
        start: Some(pb::Position {
            line: start_line as i32,
            character: start_col as i32 - 1,
        }),
        end: Some(pb::Position {
            line: end_line as i32,
            character: end_col as i32 - 1,
        }),
    }]
}

/// Counts the steps that produce an op, for `[stage k/N]` names.
fn op_count(steps: &[Step]) -> usize {
    let mut count = 0;
    let mut in_copies = false;
    for step in steps {
        match step {
            Step::Env { .. }
            | Step::RunAs(_)
            | Step::Runtime { .. }
            | Step::Branch { .. }
            | Step::Rejoin { .. } => {}
            Step::Minimal(_) => count += 1,
            Step::Copy(_) => {
                if !in_copies {
                    count += 1;
                }
            }
            _ => count += 1,
        }
        in_copies = matches!(step, Step::Copy(_));
    }
    count
}

impl Lowering<'_> {
    fn meta(
        &self,
        stage: &StagePlan,
        position: usize,
        total: usize,
        what: &str,
        span: &Span,
    ) -> OpMeta {
        // `what` can be long (a group of copies): appended to a string made to size.
        let mut name = String::with_capacity(stage.name.len() + what.len() + 16);
        let _ = write!(name, "[{} {position}/{total}] ", stage.name);
        name.push_str(what);
        OpMeta::named(name)
            .at(ranges(&self.plan.file, span))
            .no_cache(stage.no_cache)
    }

    fn stage(&mut self, stage_steps: StageSteps) -> Built {
        let stage = &self.plan.stages[stage_steps.stage];
        let total = op_count(&stage_steps.steps) + 1;
        let mut built = self.base(stage, total);
        // An interpreter carried from this stage is scanned in its base (a named context
        // that replaces the stage is the whole stage); its image's runtime libraries are
        // checked against it.
        let index = stage_steps.stage;
        if !stage.build_apt.is_empty() || self.carried_from.contains(&index) {
            self.bases.insert(index, built.clone());
        }
        if stage.replaced {
            return built;
        }
        self.stage_base = Some((built.state.clone(), built.config.exec_env()));
        self.builder = None;
        self.branch = Branch::default();
        self.first_run = None;
        self.stage_run = SinceRun::default();
        self.builder_run = SinceRun::default();
        let mut position = 1;
        // Build steps run as root; the created user is who the image runs as afterwards.
        let mut runtime_user = None;
        let mut steps = stage_steps.steps.into_iter().peekable();
        while let Some(step) = steps.next() {
            match step {
                Step::Env { vars, span } => {
                    if !self.set_env(&mut built, &vars, &span, stage) {
                        return built;
                    }
                }
                Step::Workdir { path, span } => {
                    if !self.charge(path.len(), &span) {
                        return built;
                    }
                    position += 1;
                    let meta = self.meta(stage, position, total, &format!("WORKDIR {path}"), &span);
                    built.state = built.state.file(
                        vec![FileAction::Mkdir {
                            path: path.clone(),
                            mode: 0o755,
                            owner: None,
                        }],
                        meta,
                    );
                    built.config.config.working_dir = Some(path.clone());
                    self.stage_run.written.push(Written {
                        path,
                        context_only: true,
                    });
                }
                Step::Run(run) => {
                    let env = built.config.config.env.iter().flatten().map(String::len);
                    let text = run.args.iter().chain(&run.path).map(String::len);
                    let extra = run.env.iter().map(|(k, v)| k.len() + v.len() + 1);
                    let size = env.chain(text).chain(extra).sum::<usize>() + run.display.len();
                    if !self.charge(size, &run.span) {
                        return built;
                    }
                    position += 1;
                    let meta = self.meta(stage, position, total, &run.display, &run.span);
                    built.state = self.run(&built, run, meta);
                    if self.first_run.is_none() {
                        self.first_run = Some(built.clone());
                    }
                    self.stage_run = SinceRun {
                        last_run: Some(built.state.clone()),
                        ..SinceRun::default()
                    };
                }
                Step::RunAs(user) => runtime_user = Some(user.ids()),
                Step::Minimal(run) => {
                    position += 1;
                    let meta = self.meta(stage, position, total, &run.display, &run.span);
                    built.state = self.run_into(&built, run, MINIMAL_OUT, meta);
                }
                Step::Runtime { .. } => {
                    // The image starts again from the base; the builder stays reachable.
                    let fresh = self.base(stage, total).state;
                    let state = std::mem::replace(&mut built.state, fresh);
                    let config = built.config.clone();
                    self.builder = Some(Built { state, config });
                    self.builder_run = std::mem::take(&mut self.stage_run);
                }
                Step::Branch { .. } => self.branch.point = Some(built.state.clone()),
                Step::Rejoin { .. } => {
                    if let Some(point) = self.branch.point.take() {
                        self.branch.branched = Some(std::mem::replace(&mut built.state, point));
                    }
                }
                Step::Copy(first) => {
                    position += 1;
                    let mut group = vec![first];
                    while let Some(Step::Copy(next)) = steps.next_if(|s| matches!(s, Step::Copy(_)))
                    {
                        group.push(next);
                    }
                    let span =
                        group[0].span.start..group.last().map_or(group[0].span.end, |c| c.span.end);
                    // Summed until past the limit: a copy of a stage's outputs costs as much
                    // as that stage has outputs.
                    let mut size: usize = 0;
                    for copy in &group {
                        size = size.saturating_add(self.copy_size(copy));
                        if size > MAX_DEFINITION_BYTES {
                            break;
                        }
                    }
                    if !self.charge(size, &span) {
                        return built;
                    }
                    for copy in &group {
                        let written = self.written(copy);
                        self.stage_run.copied(copy, written);
                    }
                    let names: Vec<String> = group.iter().map(|c| self.copy_display(c)).collect();
                    let meta = self.meta(stage, position, total, &names.join(", "), &span);
                    built.state = self.copies(&built.state, &group, &names, stage, meta);
                }
            }
        }
        if runtime_user.is_some() {
            built.config.config.user = runtime_user;
        }
        config::apply_stage(
            &mut built.config,
            stage,
            &mut self.warnings,
            stage_steps.stage == self.plan.target,
        );
        // Every stage keeps its config (env, labels) for the stages built from it.
        let config = built.config.config.env.iter().flatten();
        let labels = built.config.config.labels.iter().flatten();
        let size = config.map(String::len).sum::<usize>()
            + labels.map(|(k, v)| k.len() + v.len()).sum::<usize>();
        self.charge(size, &stage.span);
        built
    }

    /// Records that the definition passed [`MAX_DEFINITION_BYTES`] at `span` (once).
    fn too_large(&mut self, span: &Span) {
        if self.errors.is_empty() {
            self.errors.push(
                Diagnostic::error(
                    Code::LimitExceeded,
                    format!(
                        "the build definition grows past {} here",
                        limits::size(MAX_DEFINITION_BYTES)
                    ),
                    Some(span.clone()),
                )
                .with_help("BuildKit takes little more; env is copied into every later step and a copy of outputs into every copy: keep big data in files"),
            );
        }
    }

    /// Counts `bytes` (and a fixed cost per op) toward the definition's size; false, with an
    /// error at `span`, once it passes [`MAX_DEFINITION_BYTES`].
    fn charge(&mut self, bytes: usize, span: &Span) -> bool {
        self.size = self.size.saturating_add(bytes).saturating_add(OP_OVERHEAD);
        if self.size <= MAX_DEFINITION_BYTES {
            return true;
        }
        self.too_large(span);
        false
    }
}
