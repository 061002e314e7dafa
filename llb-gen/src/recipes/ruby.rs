//! Ruby: Bundler with Gemfile.lock in frozen mode, `vendor/cache` for offline or private gems,
//! the download cache as a cache mount and no `.gem` files left in the layer.

use super::{in_root, manifest_copies};
use crate::ir::{Mount, RunStep, Sharing, Step};
use crate::plan::{LanguagePlan, Manager, StagePlan};
use crate::probe::ContextProbe;

/// Steps of a Ruby stage: Gemfile, lock and vendored gems, then `bundle install`.
pub fn steps(
    stage: &StagePlan,
    language: &LanguagePlan,
    manager: Option<Manager>,
    probe: &dyn ContextProbe,
) -> Vec<Step> {
    if manager.is_none() {
        return Vec::new();
    }
    let span = language.span.clone();
    let files = ["Gemfile".to_owned(), "Gemfile.lock".to_owned()];
    let mut mounts = vec![Mount::Cache {
        target: "/root/.bundle/cache".into(),
        id: "stagefile-bundler".into(),
        sharing: Sharing::Shared,
    }];
    // Vendored gems are mounted for the install, not copied: the installed gems are all the
    // image needs, and the `.gem` archives stay out of its layers.
    let vendored = probe.exists(&in_root(stage, "vendor/cache"));
    if vendored {
        let workdir = stage.workdir.as_deref().unwrap_or("/app");
        mounts.push(Mount::Context {
            target: format!("{}/vendor/cache", workdir.trim_end_matches('/')),
            path: in_root(stage, "vendor/cache"),
        });
    }
    let local = if vendored { " --local" } else { "" };
    let install = RunStep::recipe(
        format!("bundle install{local}"),
        format!("bundle install{local} && rm -rf \"$(gem env gemdir)\"/cache/*.gem"),
        mounts,
        span.clone(),
    )
    .with_env(&[("BUNDLE_GLOBAL_GEM_CACHE", "true"), ("BUNDLE_JOBS", "4")]);
    let mut steps = manifest_copies(stage, &files, &span);
    // Kept in the image: `bundle exec` at run time must skip the same groups.
    steps.push(Step::Env {
        vars: vec![
            ("BUNDLE_FROZEN".into(), "true".into()),
            ("BUNDLE_WITHOUT".into(), "development:test".into()),
        ],
        span: span.clone(),
    });
    steps.push(Step::Run(install));
    steps
}
