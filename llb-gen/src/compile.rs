//! The compiler's front door: options in, a [`pb::Definition`] and an image config out. The
//! only module that uses every phase.
//!
//! Compilation has two halves so that callers can answer questions about the outside world in
//! between, synchronously (the CLI) or over gRPC (the gateway frontend):
//!
//! 1. [`Prepared::new`] parses and validates the spec for the chosen target. It then tells which
//!    base images need resolving ([`Prepared::images_to_resolve`]) and which context paths decide
//!    lockfile detection ([`Prepared::probe_paths`]).
//! 2. [`Prepared::compile`] takes those answers, expands recipes and lowers to LLB.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::image::ImageConfig;
use crate::pb;
use crate::plan::{self, Plan};
use crate::probe::{ContextProbe, Declared};
use crate::{lower, recipes, spec};

pub use crate::options::{CompileOptions, ContextSource, NamedContext, ResolvedImage};
pub use crate::plan::{ArgInfo, Outline, TargetInfo};

/// The result of a compilation.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The LLB, ready to marshal or to solve.
    pub definition: pb::Definition,
    /// The image config of the target stage (OCI config JSON with Docker's extensions).
    pub image_config: ImageConfig,
    /// Findings that do not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// A library scan reads files copied from the build context (see
    /// [`ContextSource::Local`]'s `without_elf`).
    pub scans_context: bool,
}

/// A validated spec for one target, waiting for image and context answers.
#[derive(Debug, Clone)]
pub struct Prepared {
    plan: Plan,
    options: CompileOptions,
}

impl Prepared {
    /// Parses and validates `file` for the options' target.
    pub fn new(file: SourceFile, options: CompileOptions) -> Result<Self, Diagnostics> {
        let spec = spec::parse(&file)?;
        let plan = plan::build(&file, &spec, &options)?;
        Ok(Self { plan, options })
    }

    /// Marks the main build context as holding no ELF file (see [`ContextSource::Local`]'s
    /// `without_elf`), for a compile after the caller checked it.
    pub fn set_context_without_elf(&mut self) {
        let ContextSource::Local { without_elf, .. } = &mut self.options.context;
        *without_elf = true;
    }

    /// The validated plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Normalized references of the base images the target needs, in a stable order.
    pub fn images_to_resolve(&self) -> Vec<String> {
        self.plan.images_to_resolve(&self.options.named_contexts)
    }

    /// Context-relative paths whose existence drives detection (lockfiles, `vendor/cache`).
    pub fn probe_paths(&self) -> Vec<String> {
        recipes::probe_paths(&self.plan)
    }

    /// Context-relative files (among [`Self::probe_paths`]) whose text the recipes read, when
    /// they exist: requirement files, whose options decide between uv and pip.
    pub fn read_paths(&self) -> Vec<String> {
        recipes::read_paths(&self.plan)
    }

    fn answers(&self, probe: &dyn ContextProbe) -> Declared {
        Declared::answer(self.probe_paths(), self.read_paths(), probe)
    }

    /// Stages that can be targets, in spec order.
    pub fn targets(&self) -> Vec<TargetInfo> {
        self.plan.targets()
    }

    /// Args, secrets and ssh ids of the target.
    pub fn outline(&self) -> Outline {
        self.plan.outline(&self.options.build_args)
    }

    /// The recipes' steps for every stage the target needs, as text (`llb-gen --format steps`).
    pub fn steps_text(&self, probe: &dyn ContextProbe) -> Result<String, Diagnostics> {
        let expanded = recipes::expand(&self.plan, &self.answers(probe), &self.options.platform)?;
        Ok(recipes::dump::text(&self.plan, &expanded.stages))
    }

    /// Expands recipes and lowers the target to LLB.
    ///
    /// `images` maps each reference from [`Self::images_to_resolve`] to its resolution; a
    /// missing entry is used unpinned with an empty config (what the offline CLI does).
    pub fn compile(
        &self,
        probe: &dyn ContextProbe,
        images: &BTreeMap<String, ResolvedImage>,
    ) -> Result<Compiled, Diagnostics> {
        let recipes::Expanded {
            stages,
            mut warnings,
        } = recipes::expand(&self.plan, &self.answers(probe), &self.options.platform)?;
        let lowered = lower::lower(&self.plan, stages, images, &self.options)?;
        warnings.extend(lowered.warnings);
        Ok(Compiled {
            definition: lowered.definition,
            image_config: lowered.image_config,
            warnings,
            scans_context: lowered.scans_context,
        })
    }
}
