//! Building the plan: args first, then each stage, then the target and the stage order.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use super::{ArgPlan, Plan, graph, stage};
use crate::check::Checker;
use crate::diag::{self, Code, Diagnostic, Diagnostics, SourceFile};
use crate::interp;
use crate::limits::{Budget, MAX_STAGES, MAX_STEPS, SOURCE_DATE_EPOCH_END, count};
use crate::options::CompileOptions;
use crate::spec::Spec;

/// Validates a parsed spec into a plan for the options' target; all errors are reported at once.
pub fn build(
    file: &SourceFile,
    spec: &Spec,
    options: &CompileOptions,
) -> Result<Plan, Diagnostics> {
    let mut checker = Checker {
        file,
        args: BTreeMap::new(),
        // Stages past the limit are refused, not built: no name lookup or "did you mean"
        // goes through them.
        stage_names: spec
            .stage
            .keys()
            .take(MAX_STAGES)
            .map(|k| k.get_ref().clone())
            .collect(),
        errors: Vec::new(),
        budget: Budget::default(),
        left_out: 0,
        warnings: Vec::new(),
    };
    let args = build_args(&mut checker, spec, options);
    if let Some(epoch) = options
        .source_date_epoch
        .filter(|e| !(0..SOURCE_DATE_EPOCH_END).contains(e))
    {
        checker.error(
            Diagnostic::error(
                Code::OutOfRange,
                format!("SOURCE_DATE_EPOCH {epoch} is out of range"),
                None,
            )
            .with_help(format!(
                "give seconds since 1970 before the year 10000 (0 to {})",
                SOURCE_DATE_EPOCH_END - 1
            )),
        );
    }
    if spec.stage.is_empty() {
        checker.error(
            Diagnostic::error(Code::NoStage, "the spec defines no stage", None)
                .with_help("add a stage, e.g.\n[stage.app]\nfrom = \"python:3.11-slim\""),
        );
    }
    // Made to size: a stage's plan is large, and a vector grown to hundreds of them is copied
    // each time it grows.
    let mut stages = Vec::with_capacity(spec.stage.len().min(MAX_STAGES));
    for (index, (name, table)) in spec.stage.iter().enumerate() {
        if index == MAX_STAGES {
            checker.error(
                Diagnostic::error(
                    Code::LimitExceeded,
                    format!(
                        "a spec may define {} stages; this is one more",
                        count(MAX_STAGES)
                    ),
                    Some(name.span()),
                )
                .with_help("split the build into several specs"),
            );
            break;
        }
        stages.push(stage::build(&mut checker, index, name, table, options));
    }
    let defaults: Vec<&Spanned<String>> = spec
        .stage
        .iter()
        .filter(|(_, t)| t.get_ref().default.as_ref().is_some_and(|d| *d.get_ref()))
        .map(|(name, _)| name)
        .collect();
    if let [_, second, ..] = defaults.as_slice() {
        checker.error(
            Diagnostic::error(
                Code::TwoDefaults,
                "more than one stage is marked `default = true`",
                Some(second.span()),
            )
            .with_help("keep `default = true` on one stage only"),
        );
    }
    let mut plan = Plan {
        file: file.clone(),
        stages,
        target: 0,
        order: Vec::new(),
        args,
        budget: Budget::default(),
        warnings: Vec::new(),
    };
    if checker.errors.is_empty() && !plan.stages.is_empty() {
        plan.target = match &options.target {
            Some(target) => match plan.stage_index(target) {
                Some(index) => index,
                None => {
                    let names = plan.stages.iter().map(|s| s.name.as_str());
                    checker.error(
                        Diagnostic::error(
                            Code::UnknownTarget,
                            format!("target stage `{target}` is not defined"),
                            None,
                        )
                        .with_suggestion(target, names),
                    );
                    0
                }
            },
            None => plan.default_target(),
        };
    }
    if checker.errors.is_empty() && !plan.stages.is_empty() {
        match graph::order(&plan, plan.target) {
            Ok(order) => plan.order = order,
            Err(diagnostic) => checker.error(diagnostic),
        }
        if let Some(diagnostic) = too_many_steps(&plan) {
            checker.error(diagnostic);
        }
    }
    if checker.errors.is_empty() {
        plan.budget = checker.budget;
        plan.warnings = checker.warnings;
        Ok(plan)
    } else {
        Err(Diagnostics {
            file: file.clone(),
            items: diag::capped(checker.errors, checker.left_out),
        })
    }
}

/// An error at the stage whose steps take the target past [`MAX_STEPS`] run steps and copies.
fn too_many_steps(plan: &Plan) -> Option<Diagnostic> {
    let mut steps = 0;
    for &index in &plan.order {
        let stage = &plan.stages[index];
        steps += stage.runs.len() + stage.copies.len();
        if steps > MAX_STEPS {
            return Some(
                Diagnostic::error(
                    Code::LimitExceeded,
                    format!(
                        "target `{}` needs more than {} build steps (run steps and copies) by stage `{}`",
                        plan.target_stage().name,
                        count(MAX_STEPS),
                        stage.name
                    ),
                    Some(stage.span.clone()),
                )
                .with_help("merge commands into fewer run steps, or split the build"),
            );
        }
    }
    None
}

fn build_args(checker: &mut Checker, spec: &Spec, options: &CompileOptions) -> Vec<ArgPlan> {
    let mut args = Vec::new();
    for (name, value) in &spec.args {
        let default = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                checker.error(
                    Diagnostic::error(
                        Code::InvalidArg,
                        format!(
                            "build arg `{}` must be a string, number or boolean",
                            name.get_ref()
                        ),
                        Some(value.span()),
                    )
                    .with_help("write the default as a string, e.g. `PYTHON = \"3.11\"`"),
                );
                continue;
            }
        };
        if !interp::is_identifier(name.get_ref()) {
            checker.error(
                Diagnostic::error(
                    Code::InvalidName,
                    format!("`{}` is not a valid build arg name", name.get_ref()),
                    Some(name.span()),
                )
                .with_help("use letters, digits and `_`, starting with a letter or `_`"),
            );
        }
        let effective = options
            .build_args
            .get(name.get_ref())
            .cloned()
            .unwrap_or_else(|| default.clone());
        if effective.contains('\0') {
            checker.error(
                Diagnostic::error(
                    Code::NulCharacter,
                    format!(
                        "the value of build arg `{}` holds a NUL character",
                        name.get_ref()
                    ),
                    Some(name.span()),
                )
                .with_help("pass a value without NUL (`\\0`) characters"),
            );
        }
        checker
            .args
            .insert(name.get_ref().clone(), effective.clone());
        args.push(ArgPlan {
            name: name.get_ref().clone(),
            default,
            value: effective,
            span: name.span(),
        });
    }
    args
}
