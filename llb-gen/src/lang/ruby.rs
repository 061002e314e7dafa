//! Ruby: Bundler with Gemfile.lock in frozen mode, `vendor/cache` for offline or private gems,
//! the download cache as a cache mount and no `.gem` files left in the layer.

use super::detect;
use super::row::{Cache, Expansion, Input, LanguageDef, Manager, in_root, manifest_copies};
use crate::diag::Diagnostic;
use crate::ir::{Mount, RunStep, Step};

/// Ruby as data.
pub const LANGUAGE: LanguageDef = LanguageDef {
    title: "Ruby",
    key: "ruby",
    example_version: "3.1",
    image_repository: "ruby",
    excludes: &[".bundle", "vendor/bundle"],
    keys: &[],
    unlocked: &[(
        "Gemfile",
        "run `bundle lock` to create Gemfile.lock and add it",
    )],
    interpreter: None,
    writable: &[("config/application.rb", &["tmp", "log", "storage"])],
};

/// Ruby stages have no keys of their own.
#[derive(Debug, Clone)]
pub struct Settings;

/// Ruby's package managers.
pub const MANAGERS: [Manager<Hooks>; 1] = [Manager {
    name: "bundler",
    lockfiles: &["Gemfile.lock"],
    manifests: &["Gemfile"],
    optional: &[],
    mounted: &["vendor/cache"],
    members: &[],
    caches: &[Cache {
        target: "/root/.bundle/cache",
        id: "stagefile-bundler",
    }],
    hooks: Hooks {
        install: bundle_install,
    },
}];

/// What a Ruby manager adds to its row.
#[derive(Debug)]
pub struct Hooks {
    /// The frozen install, given the vendored gems' directory when the project has one.
    pub install: fn(&Input, &'static Manager<Hooks>, Option<&str>) -> RunStep,
}

/// `bundle install`, from `vendor/cache` only (`--local`) when the project vendors its gems.
fn bundle_install(
    input: &Input,
    manager: &'static Manager<Hooks>,
    vendored: Option<&str>,
) -> RunStep {
    let mut mounts: Vec<Mount> = manager.caches.iter().map(|c| c.mount()).collect();
    // Vendored gems are mounted for the install, not copied: the installed gems are all the
    // image needs, and the `.gem` archives stay out of its layers.
    if let Some(dir) = vendored {
        mounts.push(Mount::Context {
            target: format!("{}/{dir}", input.workdir.trim_end_matches('/')),
            path: in_root(input.root, dir),
        });
    }
    let local = if vendored.is_some() { " --local" } else { "" };
    RunStep::recipe(
        format!("bundle install{local}"),
        format!("bundle install{local} && rm -rf \"$(gem env gemdir)\"/cache/*.gem"),
        mounts,
        input.span.clone(),
    )
    .with_env(&[("BUNDLE_GLOBAL_GEM_CACHE", "true"), ("BUNDLE_JOBS", "4")])
}

/// Steps of a Ruby stage: Gemfile and lock, the env `bundle exec` needs, then the install.
pub fn expand(input: &Input) -> Result<Expansion, Diagnostic> {
    let span = input.span.clone();
    let Some(found) = detect::detect(&MANAGERS, &LANGUAGE, input, &span)? else {
        return Ok(Expansion::default());
    };
    let vendored = found
        .manager
        .mounted
        .iter()
        .copied()
        .find(|dir| input.probe.exists(&in_root(input.root, dir)));
    let mut steps = manifest_copies(input, &found.files, &span);
    // Kept in the image: `bundle exec` at run time must skip the same groups.
    steps.push(Step::Env {
        vars: vec![
            ("BUNDLE_FROZEN".into(), "true".into()),
            ("BUNDLE_WITHOUT".into(), "development:test".into()),
        ],
        span,
    });
    steps.push(Step::Run((found.manager.hooks.install)(
        input,
        found.manager,
        vendored,
    )));
    Ok(Expansion {
        install: steps,
        // GEM_HOME of the official images, where `bundle install` puts the gems.
        installed: vec!["/usr/local/bundle".to_owned()],
        detected: Some(format!("{}: {}", found.manager.name, found.why)),
        ..Expansion::default()
    })
}
