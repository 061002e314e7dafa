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
///
/// The walk keeps its own stack (the path from the target), so a chain of stages as long as
/// the spec allows cannot overflow the thread's stack.
pub fn order(plan: &Plan, target: usize) -> Result<Vec<usize>, Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    let mut marks = vec![Mark::New; plan.stages.len()];
    let mut out = Vec::new();
    // Each entry: a stage on the current path, its dependencies, and the next one to visit.
    let mut path: Vec<(usize, Vec<usize>, usize)> = Vec::new();
    let deps_of = |index: usize| dependencies(plan, index).into_iter().map(|(d, _)| d);
    marks[target] = Mark::Visiting;
    path.push((target, deps_of(target).collect(), 0));
    while let Some((index, deps, next)) = path.last_mut() {
        let Some(&dep) = deps.get(*next) else {
            marks[*index] = Mark::Done;
            out.push(*index);
            path.pop();
            continue;
        };
        *next += 1;
        match marks[dep] {
            Mark::Done => {}
            Mark::New => {
                marks[dep] = Mark::Visiting;
                path.push((dep, deps_of(dep).collect(), 0));
            }
            Mark::Visiting => {
                let start = path.iter().position(|(i, _, _)| *i == dep).unwrap_or(0);
                let mut names: Vec<&str> = path[start..]
                    .iter()
                    .map(|(i, _, _)| plan.stages[*i].name.as_str())
                    .collect();
                names.push(&plan.stages[dep].name);
                return Err(Diagnostic::error(
                    Code::DependencyCycle,
                    format!(
                        "stages depend on each other in a cycle: {}",
                        names.join(" -> ")
                    ),
                    Some(plan.stages[dep].span.clone()),
                )
                .with_help("a stage can only use stages that do not, directly or not, use it"));
            }
        }
    }
    Ok(out)
}
