//! Building the plan: args first, then each stage, then the target and the stage order.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use super::{ArgPlan, Plan, graph, stage};
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::interp::{self, Unknown};
use crate::ir::Span;
use crate::options::CompileOptions;
use crate::spec::Spec;

/// Collects diagnostics and answers questions every stage asks (arg values, stage names).
pub(super) struct Checker<'a> {
    pub file: &'a SourceFile,
    pub args: BTreeMap<String, String>,
    pub stage_names: Vec<String>,
    pub errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Records an error.
    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    /// Interpolates `${NAME}` args in a spec value; an unknown name is an error at its place.
    pub fn value(&mut self, value: &Spanned<String>) -> String {
        let lookup = |name: &str| self.args.get(name).cloned();
        match interp::expand(value.get_ref(), &lookup, Unknown::Fail, false) {
            Ok(text) => text,
            Err(unknown) => {
                let span = value.span();
                let start = self.locate_in_value(&span, unknown.offset);
                let names: Vec<&str> = self.args.keys().map(String::as_str).collect();
                let diagnostic = Diagnostic::error(
                    format!("`${{{}}}` names no build arg", unknown.name),
                    Some(start..start + unknown.name.len() + 3),
                )
                .with_suggestion(&unknown.name, names.iter().copied());
                let diagnostic = if diagnostic.help.is_none() {
                    diagnostic.with_help(format!(
                        "declare it under [args], e.g. `{} = \"...\"`, or write `$$` for a literal `$`",
                        unknown.name
                    ))
                } else {
                    diagnostic
                };
                self.error(diagnostic);
                value.get_ref().clone()
            }
        }
    }

    /// Interpolates args in a run command, leaving other `$` uses to the shell.
    pub fn command(&self, text: &str) -> String {
        let lookup = |name: &str| self.args.get(name).cloned();
        interp::expand(text, &lookup, Unknown::Keep, false).unwrap_or_else(|_| text.to_owned())
    }

    /// Byte offset of `offset` (in the value's text) within the file, assuming a basic string.
    fn locate_in_value(&self, span: &Span, offset: usize) -> usize {
        let raw = &self.file.text[span.clone()];
        let quote = usize::from(raw.starts_with(['"', '\'']));
        (span.start + quote + offset).min(span.end)
    }
}

/// Validates a parsed spec into a plan for the options' target; all errors are reported at once.
pub fn build(
    file: &SourceFile,
    spec: &Spec,
    options: &CompileOptions,
) -> Result<Plan, Diagnostics> {
    let mut checker = Checker {
        file,
        args: BTreeMap::new(),
        stage_names: spec.stage.keys().map(|k| k.get_ref().clone()).collect(),
        errors: Vec::new(),
    };
    let args = build_args(&mut checker, spec, options);
    if spec.stage.is_empty() {
        checker.error(
            Diagnostic::error("the spec defines no stage", None)
                .with_help("add a stage, e.g.\n[stage.app]\nfrom = \"python:3.11-slim\""),
        );
    }
    let mut stages = Vec::new();
    for (index, (name, table)) in spec.stage.iter().enumerate() {
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
    };
    if checker.errors.is_empty() && !plan.stages.is_empty() {
        plan.target = match &options.target {
            Some(target) => match plan.stage_index(target) {
                Some(index) => index,
                None => {
                    let names = plan.stages.iter().map(|s| s.name.as_str());
                    checker.error(
                        Diagnostic::error(format!("target stage `{target}` is not defined"), None)
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
    }
    if checker.errors.is_empty() {
        Ok(plan)
    } else {
        Err(Diagnostics {
            file: file.clone(),
            items: checker.errors,
        })
    }
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
        if !is_arg_name(name.get_ref()) {
            checker.error(
                Diagnostic::error(
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

fn is_arg_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
