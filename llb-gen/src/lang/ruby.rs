//! Ruby: Bundler with Gemfile.lock in frozen mode, `vendor/cache` for offline or private gems,
//! the download cache as a cache mount and no `.gem` files left in the layer. Path gems (the
//! lockfile's `PATH` sections) are copied with the manifests, so the install has them and is
//! keyed on them; git gems (`GIT` sections) come from `vendor/cache` or are fetched with git
//! (`ruby_git.sh`), and reach the image either way.

use super::detect;
use super::row::{
    Cache, Expansion, Input, LanguageDef, Manager, context_copy, in_root, manifest_copies,
};
use super::ruby_lock::{self, Lock, PathGem};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Mount, RunStep, Step};
use crate::limits::{MAX_LOCKED_SOURCES, count};

/// The install of a project with git gems.
const GIT_INSTALL: &str = include_str!("ruby_git.sh");

/// Removes the `.gem` archives the install left (in GEM_HOME, or the bundle's path when the
/// stage sets BUNDLE_PATH or BUNDLE_DEPLOYMENT).
const CLEAN: &str = "rm -rf \"$(gem env gemdir)\"/cache/*.gem \"$(ruby -rbundler -e 'print Bundler.bundle_path')\"/cache/*.gem";

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
    install_runs: &[],
    writable: &[("config/application.rb", &["tmp", "log", "storage"])],
};

/// Ruby stages have no keys of their own.
#[derive(Debug, Clone)]
pub struct Settings;

/// The lockfile, read for its path and git gems.
const LOCKFILE: &str = "Gemfile.lock";

/// Ruby's package managers.
pub const MANAGERS: [Manager<Hooks>; 1] = [Manager {
    name: "bundler",
    lockfiles: &[LOCKFILE],
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
    /// The frozen install, given the vendored gems' directory when the project has one and
    /// the lockfile's git gems.
    pub install: fn(&Input, &'static Manager<Hooks>, Option<&str>, &[GitGem]) -> RunStep,
}

/// A git gem of the lockfile, as the install script takes it.
#[derive(Debug, Clone)]
pub struct GitGem {
    /// The gems its repository gives, comma-separated (for messages).
    pub gems: String,
    /// The repository's URL.
    pub remote: String,
    /// The locked commit.
    pub revision: String,
}

/// The context files whose text decides a Ruby stage's steps: the lockfile.
pub fn read_paths(root: &str) -> Vec<String> {
    vec![in_root(root, LOCKFILE)]
}

/// `bundle install`, from `vendor/cache` only (`--local`) when the project vendors its gems.
fn bundle_install(
    input: &Input,
    manager: &'static Manager<Hooks>,
    vendored: Option<&str>,
    git: &[GitGem],
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
    let step = if git.is_empty() {
        RunStep::recipe(
            format!("bundle install{local}"),
            format!("bundle install{local} && {CLEAN}"),
            mounts,
            input.span.clone(),
        )
    } else {
        let mode = if vendored.is_some() {
            "local"
        } else {
            "remote"
        };
        let args = git
            .iter()
            .flat_map(|g| [g.gems.clone(), g.remote.clone(), g.revision.clone()]);
        RunStep::script_file(
            format!("bundle install{local} (git gems)"),
            GIT_INSTALL,
            mounts,
            input.span.clone(),
        )
        .with_args(std::iter::once(mode.to_owned()).chain(args))
    };
    step.with_env(&[("BUNDLE_GLOBAL_GEM_CACHE", "true"), ("BUNDLE_JOBS", "4")])
}

/// Steps of a Ruby stage: Gemfile, lock and path gems, the env `bundle exec` needs, then the
/// install.
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
    let lockfile = in_root(input.root, LOCKFILE);
    let lock = input
        .probe
        .read(&lockfile)
        .map(|text| ruby_lock::parse(&text))
        .unwrap_or_default();
    if lock.paths.len() + lock.git.len() > MAX_LOCKED_SOURCES {
        return Err(Diagnostic::error(
            Code::LimitExceeded,
            format!(
                "`{lockfile}` has more than {} path and git gems",
                count(MAX_LOCKED_SOURCES)
            ),
            Some(span),
        )
        .with_help("vendor the gems (bundle cache) or publish them to a gem server"));
    }
    let path_gems = path_gems(&lock, input, &lockfile)?;
    let git = lock
        .git
        .iter()
        .map(|source| GitGem {
            gems: source.gems.join(","),
            remote: source.remote.clone(),
            revision: source.revision.clone().unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let mut steps = manifest_copies(input, &found.files, &span);
    steps.extend(path_gems.iter().map(|gem| path_gem_copy(gem, &span)));
    // Kept in the image: `bundle exec` at run time must skip the same groups and find the
    // gems where the install put them.
    steps.push(Step::Env {
        vars: bundler_env(input),
        span,
    });
    steps.push(Step::Run((found.manager.hooks.install)(
        input,
        found.manager,
        vendored,
        &git,
    )));
    // GEM_HOME of the official images, where `bundle install` puts the gems (or the stage's
    // BUNDLE_PATH), and the path gems outside the workdir.
    let workdir = format!("{}/", input.workdir.trim_end_matches('/'));
    let mut installed = vec!["/usr/local/bundle".to_owned()];
    installed.extend(
        input
            .env
            .iter()
            .filter(|(name, value, _)| name == "BUNDLE_PATH" && value.starts_with('/'))
            .filter(|(_, value, _)| !value.starts_with(&workdir) && value != "/usr/local/bundle")
            .map(|(_, value, _)| value.trim_end_matches('/').to_owned()),
    );
    installed.extend(
        path_gems
            .iter()
            .filter(|gem| !format!("{}/", gem.dest).starts_with(&workdir))
            .map(|gem| gem.dest.clone()),
    );
    let mut detected = format!("{}: {}", found.manager.name, found.why);
    if !path_gems.is_empty() {
        let dirs: Vec<&str> = path_gems.iter().map(|g| g.context.as_str()).collect();
        detected.push_str(&format!(", path gems in {}", dirs.join(", ")));
    }
    if !git.is_empty() {
        let names: Vec<&str> = git.iter().map(|g| g.gems.as_str()).collect();
        detected.push_str(&format!(", git gems {}", names.join(", ")));
    }
    Ok(Expansion {
        install: steps,
        installed,
        detected: Some(detected),
        ..Expansion::default()
    })
}

/// The Bundler settings of the install and the image: frozen (Bundler's deployment check: a
/// Gemfile.lock out of date with the Gemfile is an error), without the development and test
/// groups, then the stage's own `BUNDLE_*` env (its `BUNDLE_WITHOUT`, `BUNDLE_DEPLOYMENT`,
/// `BUNDLE_PATH`...), so the install puts the gems where `bundle exec` will look for them.
fn bundler_env(input: &Input) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = vec![
        ("BUNDLE_FROZEN".into(), "true".into()),
        ("BUNDLE_WITHOUT".into(), "development:test".into()),
    ];
    for (name, value, _) in input
        .env
        .iter()
        .filter(|(n, _, _)| n.starts_with("BUNDLE_"))
    {
        match vars.iter_mut().find(|(n, _)| n == name) {
            Some(var) => var.1 = value.clone(),
            None => vars.push((name.clone(), value.clone())),
        }
    }
    vars
}

/// The lockfile's path gems, each once, in the context and in the image.
fn path_gems(lock: &Lock, input: &Input, lockfile: &str) -> Result<Vec<PathGem>, Diagnostic> {
    let mut gems: Vec<PathGem> = Vec::new();
    for source in &lock.paths {
        let gem = ruby_lock::path_gem(source, input.root, input.workdir, lockfile, &input.span)?;
        if !gems.contains(&gem) {
            gems.push(gem);
        }
    }
    Ok(gems)
}

/// A path gem's directory, copied before the install like the manifests, without version
/// control and what Bundler makes there.
fn path_gem_copy(gem: &PathGem, span: &crate::ir::Span) -> Step {
    let exclude = [".git"]
        .iter()
        .chain(LANGUAGE.excludes)
        .chain(MANAGERS[0].mounted);
    context_copy(
        &gem.context,
        format!("{}/", gem.dest.trim_end_matches('/')),
        Vec::new(),
        exclude.map(|e| (*e).to_owned()).collect(),
        span,
    )
}
