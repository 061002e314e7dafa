//! What a Ruby install needs from `Gemfile.lock` besides the file itself: the gems of its
//! `PATH` sections (directories of the project, copied before the install) and of its `GIT`
//! sections (vendored by `bundle cache` or fetched with git).

use super::row::lexical;
use crate::diag::{Code, Diagnostic};
use crate::ir::Span;

/// A `PATH` or `GIT` section of a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `remote:`: the directory (relative to the Gemfile's) or the repository's URL.
    pub remote: String,
    /// `revision:` (GIT sections): the commit.
    pub revision: Option<String>,
    /// The gems it gives, by name.
    pub gems: Vec<String>,
}

/// The sections of a lockfile that are not gem servers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Lock {
    /// `PATH` sections: gems in directories of the project.
    pub paths: Vec<Source>,
    /// `GIT` sections: gems from git repositories.
    pub git: Vec<Source>,
}

/// Reads the `PATH` and `GIT` sections of a `Gemfile.lock`; other sections are left alone.
pub fn parse(text: &str) -> Lock {
    let mut lock = Lock::default();
    let mut current: Option<(bool, Source)> = None;
    let mut in_specs = false;
    let finish = |current: &mut Option<(bool, Source)>, lock: &mut Lock| {
        if let Some((git, source)) = current.take() {
            if git {
                lock.git.push(source);
            } else {
                lock.paths.push(source);
            }
        }
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if !line.starts_with(' ') {
            finish(&mut current, &mut lock);
            in_specs = false;
            let git = match line.trim() {
                "GIT" => true,
                "PATH" => false,
                _ => continue,
            };
            current = Some((
                git,
                Source {
                    remote: String::new(),
                    revision: None,
                    gems: Vec::new(),
                },
            ));
            continue;
        }
        let Some((_, source)) = current.as_mut() else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let item = line.trim();
        if indent == 2 {
            in_specs = item == "specs:";
            if let Some(remote) = item.strip_prefix("remote: ") {
                source.remote = remote.trim().to_owned();
            } else if let Some(revision) = item.strip_prefix("revision: ") {
                source.revision = Some(revision.trim().to_owned());
            }
        } else if indent == 4 && in_specs {
            let name = item.split(' ').next().unwrap_or(item);
            if !name.is_empty() {
                source.gems.push(name.to_owned());
            }
        }
    }
    finish(&mut current, &mut lock);
    lock
}

/// A path gem's directory: in the context (for the copy) and in the image (where Bundler looks,
/// relative to the Gemfile), both normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGem {
    /// Its directory in the context (`"."` for the context's root).
    pub context: String,
    /// Where it goes: the same place relative to the workdir as to the project's root.
    pub dest: String,
}

/// Where the path gem at `remote` (as `Gemfile.lock` writes it, relative to the project's
/// `root`) is in the context and goes in the image; an error when it is absolute or leaves the
/// build context.
pub fn path_gem(
    source: &Source,
    root: &str,
    workdir: &str,
    lockfile: &str,
    span: &Span,
) -> Result<PathGem, Diagnostic> {
    let remote = source.remote.as_str();
    let gems = source.gems.join("`, `");
    let outside = |why: &str| {
        Diagnostic::error(
            Code::InvalidPath,
            format!("`{lockfile}` has the path gem `{gems}` at `{remote}`, {why}"),
            Some(span.clone()),
        )
        .with_help("the install copies a path gem from the build context: move the gem's directory into it (next to the Gemfile, e.g. `gems/NAME`), or build from a directory that holds both (with `root` naming the project's directory)")
    };
    if remote.is_empty() {
        return Err(outside("with no directory"));
    }
    if remote.starts_with('/') || remote.starts_with('~') {
        return Err(outside("an absolute path, outside the build context"));
    }
    let context = join(root, remote).ok_or_else(|| outside("outside the build context"))?;
    let dest = join(workdir.trim_start_matches('/'), remote).ok_or_else(|| {
        outside(&format!(
            "above the filesystem's root from the workdir `{workdir}`"
        ))
    })?;
    Ok(PathGem {
        context: if context.is_empty() {
            ".".to_owned()
        } else {
            context
        },
        dest: format!("/{dest}"),
    })
}

/// `base/relative` with `.` and `..` resolved, `None` when it climbs above `base`'s root.
fn join(base: &str, relative: &str) -> Option<String> {
    lexical(&format!("{base}/{relative}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "GIT\n  remote: https://example.com/a/sparkle.git\n  revision: 650d7c93d7177a6078116d39c1727125ca35d956\n  specs:\n    sparkle (0.3.0)\n      rack\n\nPATH\n  remote: gems/shout\n  specs:\n    shout (0.2.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.22)\n\nDEPENDENCIES\n  shout!\n";

    #[test]
    fn reads_path_and_git_sections_only() {
        let lock = parse(LOCK);
        assert_eq!(lock.paths.len(), 1);
        assert_eq!(lock.paths[0].remote, "gems/shout");
        assert_eq!(lock.paths[0].gems, ["shout"]);
        assert_eq!(lock.git[0].gems, ["sparkle"]);
        assert_eq!(
            lock.git[0].revision.as_deref(),
            Some("650d7c93d7177a6078116d39c1727125ca35d956")
        );
    }

    #[test]
    fn path_gems_stay_in_the_context_and_keep_their_place() {
        let source = |remote: &str| Source {
            remote: remote.into(),
            revision: None,
            gems: vec!["x".into()],
        };
        let at = |remote, root| path_gem(&source(remote), root, "/app", "Gemfile.lock", &(0..0));
        let gem = at("../shared/x", "web").unwrap();
        assert_eq!(
            (gem.context.as_str(), gem.dest.as_str()),
            ("shared/x", "/shared/x")
        );
        assert_eq!(at(".", "").unwrap().context, ".");
        assert_eq!(at("./gems/x/", "").unwrap().dest, "/app/gems/x");
        assert!(at("../x", "").is_err());
        assert!(at("/opt/x", "").is_err());
        assert!(at("../../../x", "a/b").is_err());
    }
}
