//! The stage graph: which stages a target needs, dependencies first.

use super::{Base, Plan};
use crate::diag::{Code, Diagnostic};
use crate::ir::{CopyFrom, Span};

/// Stages a stage depends on (its base and the stages it copies from), with the span that
/// creates each dependency. A stage replaced by a named context depends on nothing.
pub fn dependencies(plan: &Plan, index: usize) -> Vec<(usize, Span)> {
    let stage = &plan.stages[index];
    if stage.replaced {
        return Vec::new();
    }
    let mut deps = Vec::new();
    if let Base::Stage { index, span } = &stage.base {
        deps.push((*index, span.clone()));
    }
    for copy in &stage.copies {
        if let CopyFrom::Stage(from) = copy.from {
            deps.push((from, copy.span.clone()));
        }
    }
    deps
}

/// Stages `target` needs in build order (post-order DFS: deterministic, dependencies first).
pub fn order(plan: &Plan, target: usize) -> Result<Vec<usize>, Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        plan: &Plan,
        index: usize,
        marks: &mut [Mark],
        out: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) -> Result<(), Diagnostic> {
        match marks[index] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let start = path.iter().position(|&i| i == index).unwrap_or(0);
                let mut names: Vec<&str> = path[start..]
                    .iter()
                    .map(|&i| plan.stages[i].name.as_str())
                    .collect();
                names.push(&plan.stages[index].name);
                let span = plan.stages[index].span.clone();
                return Err(Diagnostic::error(
                    Code::DependencyCycle,
                    format!(
                        "stages depend on each other in a cycle: {}",
                        names.join(" -> ")
                    ),
                    Some(span),
                )
                .with_help("a stage can only use stages that do not, directly or not, use it"));
            }
            Mark::New => {}
        }
        marks[index] = Mark::Visiting;
        path.push(index);
        for (dep, _) in dependencies(plan, index) {
            visit(plan, dep, marks, out, path)?;
        }
        path.pop();
        marks[index] = Mark::Done;
        out.push(index);
        Ok(())
    }
    let mut marks = vec![Mark::New; plan.stages.len()];
    let mut out = Vec::new();
    visit(plan, target, &mut marks, &mut out, &mut Vec::new())?;
    Ok(out)
}
