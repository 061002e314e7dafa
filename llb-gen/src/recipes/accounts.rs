//! Where each stage's non-root user is created, and which stages run as it.
//!
//! A stage built `from` another stage gets its user created at the start of the chain's first
//! stage (the one on a base image), as an expert writes `RUN useradd` right after the first
//! `FROM`: created at the end, the account would be re-created after every source edit.

use std::collections::BTreeMap;

use crate::ir::{NewUser, Span};
use crate::plan::{Base, Plan, UserSetting};

/// The accounts the stages of a plan create, and the users they run as.
#[derive(Debug, Default)]
pub(super) struct Accounts {
    /// Stage index -> users created at its start (with the span of the decision).
    pub created_in: BTreeMap<usize, Vec<(NewUser, Span)>>,
    /// Stage index -> the user its image runs as.
    pub runs_as: BTreeMap<usize, NewUser>,
}

impl Accounts {
    /// Decides, for the stages the target needs, where users are created.
    pub fn of(plan: &Plan) -> Self {
        let mut accounts = Self::default();
        for &index in &plan.order {
            let stage = &plan.stages[index];
            let user = match &stage.user {
                _ if stage.replaced => continue,
                UserSetting::Default if index == plan.target => NewUser::app(),
                UserSetting::Create(user) => user.clone(),
                _ => continue,
            };
            let home = chain_root(plan, index);
            // An empty filesystem has no /etc/passwd to add to: the image only runs as the ids.
            let on_scratch = matches!(plan.stages[home].base, Base::Scratch { .. });
            let created = accounts.created_in.entry(home).or_default();
            if !on_scratch && !created.iter().any(|(existing, _)| *existing == user) {
                created.push((user.clone(), stage.span.clone()));
            }
            accounts.runs_as.insert(index, user);
        }
        accounts
    }
}

/// The first stage of `index`'s `from` chain that starts on an image, or `index` itself when
/// a stage of the chain is replaced by a named context (its steps are not ours to extend).
fn chain_root(plan: &Plan, index: usize) -> usize {
    let mut current = index;
    // The plan has no cycles; the bound only keeps a bug from looping.
    for _ in 0..plan.stages.len() {
        let Base::Stage { index: parent, .. } = plan.stages[current].base else {
            return current;
        };
        if plan.stages[parent].replaced {
            return index;
        }
        current = parent;
    }
    index
}
