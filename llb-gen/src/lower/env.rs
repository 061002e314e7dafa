//! Lowering a stage's env entries: `$NAME` expanded against the env so far and the build args.

use std::collections::HashMap;

use super::{Built, Lowering};
use crate::interp::{self, Unknown};
use crate::ir::Span;
use crate::plan::StagePlan;

impl Lowering<'_> {
    /// Sets a stage's env entries, each value expanded against the env so far and the build
    /// args, in one pass over the env (an entry used to copy the whole env). False when the
    /// expansion budget ran out (the error is recorded).
    pub(super) fn set_env(
        &mut self,
        built: &mut Built,
        vars: &[(String, String)],
        span: &Span,
        stage: &StagePlan,
    ) -> bool {
        let mut env: Vec<String> = built.config.config.env.take().unwrap_or_default();
        let name_of = |entry: &str| entry.split_once('=').map_or(entry, |(k, _)| k).to_owned();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, entry) in env.iter().enumerate() {
            index.entry(name_of(entry)).or_insert(i);
        }
        let mut ok = true;
        for (name, value) in vars {
            let args = &self.plan.args;
            let lookup = |n: &str| {
                let entry = index.get(n).and_then(|&i| env.get(i));
                entry
                    .map(|e| e.split_once('=').map_or("", |(_, v)| v).to_owned())
                    .or_else(|| args.iter().find(|a| a.name == n).map(|a| a.value.clone()))
            };
            let max_len = self.budget.max_len(value.len());
            let expanded = match interp::expand(value, &lookup, Unknown::Empty, true, max_len) {
                Ok(expanded)
                    if self
                        .budget
                        .charge(expanded.len().saturating_sub(value.len())) =>
                {
                    expanded
                }
                _ => {
                    self.budget.charge(usize::MAX);
                    // The stage's own entry when it is one (a recipe's env has the step's span).
                    let entry = stage.env.iter().find(|(k, v, _)| k == name && v == value);
                    let at = entry.map_or_else(|| span.clone(), |(_, _, span)| span.clone());
                    if self.budget.first_excess() {
                        self.errors.push(crate::diag::expansion_limit(Some(at)));
                    }
                    ok = false;
                    break;
                }
            };
            let entry = format!("{name}={expanded}");
            match index.get(name).and_then(|&i| env.get_mut(i)) {
                Some(existing) => *existing = entry,
                None => {
                    index.insert(name.clone(), env.len());
                    env.push(entry);
                }
            }
        }
        built.config.config.env = Some(env);
        ok
    }
}
