//! uv workspaces and a uv project's local packages. A project (`root`) without a lockfile of
//! its own, listed in the `[tool.uv.workspace]` `members` of the nearest directory above it
//! that holds a `uv.lock`, is a member of that workspace: it is installed with the
//! workspace's lock (`--package`), from the workspace's directory. `uv.lock` says which
//! packages come from the project's own files (the project, workspace members, `path`
//! sources): their `pyproject.toml` files are copied with the lock, the dependencies are
//! installed without them (`--no-install-local`), and they are installed after the source
//! copy, non-editable. One outside the directory the build copies is an error, never an image
//! without it. Part of the Python language (`python.rs`).

use std::collections::{BTreeMap, BTreeSet};

use super::detect::{Found, ancestors};
use super::python_install::Hooks;
use super::row::{Input, Manager, Workspace, context_copy, in_root, lexical};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Span, Step};
use crate::limits::MAX_LOCAL_MANIFESTS;

/// Paths probed besides the rows': each directory above the project may be a workspace's.
pub fn probe_paths(root: &str) -> Vec<String> {
    let dirs = ancestors(root);
    let files = dirs
        .iter()
        .flat_map(|dir| [in_root(dir, "uv.lock"), in_root(dir, "pyproject.toml")]);
    files.collect()
}

/// Files read: the project's lock (its local packages), and the workspaces' above (their
/// members and locks).
pub fn read_paths(root: &str) -> Vec<String> {
    let mut paths = vec![in_root(root, "uv.lock")];
    paths.extend(probe_paths(root));
    paths
}

/// The project as a member of the uv workspace above it: the nearest directory above with a
/// `uv.lock`, when its `pyproject.toml`'s `[tool.uv.workspace]` lists the project among its
/// `members` (globs) and not in `exclude`. `None` when the stage installs nothing, names
/// another manager, has one of `own_locks` or no `pyproject.toml`, or is not a member (then
/// it is a project of its own).
pub fn member(
    uv: &'static Manager<Hooks>,
    own_locks: &[&str],
    input: &Input,
) -> Option<Found<Hooks>> {
    let exists = |file: &str| input.probe.exists(&in_root(input.root, file));
    if !input.install
        || input.named.is_some_and(|name| name != uv.name)
        || own_locks.iter().any(|file| exists(file))
        || !exists("pyproject.toml")
    {
        return None;
    }
    let dir = ancestors(input.root)
        .into_iter()
        .find(|dir| input.probe.exists(&in_root(dir, "uv.lock")))?;
    let text = input.probe.read(&in_root(&dir, "pyproject.toml"))?;
    let table = text.parse::<toml::Table>().ok()?;
    let workspace = table.get("tool")?.get("uv")?.get("workspace")?;
    let member = input
        .root
        .strip_prefix(dir.as_str())
        .unwrap_or(input.root)
        .trim_start_matches('/')
        .to_owned();
    let globs = |key: &str| -> Vec<String> {
        let list = workspace.get(key).and_then(|v| v.as_array());
        let names = list.into_iter().flatten().filter_map(|v| v.as_str());
        names.map(|g| clean(g).to_owned()).collect()
    };
    let listed = |key: &str| globs(key).iter().any(|g| glob_matches(g, &member));
    if !listed("members") || listed("exclude") {
        return None;
    }
    Some(Found {
        manager: uv,
        files: vec!["pyproject.toml".to_owned(), "uv.lock".to_owned()],
        why: format!(
            "a member ({member}) of the uv workspace with {}",
            in_root(&dir, "uv.lock")
        ),
        workspace: Some(Workspace { root: dir, member }),
    })
}

/// A relative path without `./` and trailing slashes.
fn clean(path: &str) -> &str {
    let mut path = path.trim_end_matches('/');
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path
}

/// Whether a workspace glob (`packages/*`, `libs/**`) matches a directory, segment by
/// segment: `*` and `?` stay within a segment, `**` spans any number of them. Both levels
/// are matched by a table (no backtracking a crafted glob could make exponential).
fn glob_matches(glob: &str, path: &str) -> bool {
    let glob: Vec<&str> = glob.split('/').filter(|s| !s.is_empty()).collect();
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    table_match(
        &glob,
        &path,
        |g| *g == "**",
        |g, p| {
            let (g, p): (Vec<char>, Vec<char>) = (g.chars().collect(), p.chars().collect());
            table_match(&g, &p, |c| *c == '*', |g, p| *g == '?' || g == p)
        },
    )
}

/// Wildcard matching of `items` by `pattern`, where `any` items match any run and `one`
/// says whether a pattern item matches one item.
fn table_match<G, P>(
    pattern: &[G],
    items: &[P],
    any: impl Fn(&G) -> bool,
    one: impl Fn(&G, &P) -> bool,
) -> bool {
    // matched[j]: the pattern so far matches the first j items.
    let mut matched = vec![false; items.len() + 1];
    matched[0] = true;
    for g in pattern {
        let mut next = vec![false; items.len() + 1];
        for j in 0..=items.len() {
            next[j] = if any(g) {
                matched[j] || (j > 0 && next[j - 1])
            } else {
                j > 0 && matched[j - 1] && one(g, &items[j - 1])
            };
        }
        matched = next;
    }
    matched[items.len()]
}

/// What `uv.lock` asks of the install.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Locals {
    /// `pyproject.toml` files of the local packages, relative to the lock's directory:
    /// copied with the lock (the workspace's shape, without its sources).
    pub manifests: Vec<String>,
    /// The workspace member to install (`--package`), when the project is one.
    pub package: Option<String>,
    /// Whether packages of the project's own files are installed, after the source copy.
    pub after_source: bool,
}

/// One `[[package]]` of `uv.lock`: where it comes from, when from local files (`editable`,
/// `directory`, `path`, `virtual`, with the path), and the names it depends on.
#[derive(Debug)]
struct Package {
    local: Option<(String, String)>,
    dependencies: Vec<String>,
}

/// The lock's packages by name, and its workspace's members; `None` when it cannot be read.
/// A lock cut at the read limit is read up to its last whole package.
fn parse_lock(text: &str) -> Option<(BTreeMap<String, Package>, Vec<String>)> {
    let table = text.parse::<toml::Table>().ok().or_else(|| {
        let cut = text.rfind("\n[[package]]")?;
        text[..cut].parse::<toml::Table>().ok()
    })?;
    let mut packages = BTreeMap::new();
    let listed = table.get("package").and_then(|p| p.as_array());
    for package in listed.into_iter().flatten() {
        let name = package.get("name")?.as_str()?.to_owned();
        let source = package.get("source").and_then(|s| s.as_table());
        let local = source.and_then(|source| {
            ["editable", "directory", "path", "virtual"]
                .iter()
                .find_map(|kind| Some(((*kind).to_owned(), source.get(*kind)?.as_str()?.into())))
        });
        let dependencies = package.get("dependencies").and_then(|d| d.as_array());
        let dependencies = dependencies.into_iter().flatten();
        let dependencies = dependencies.filter_map(|d| Some(d.get("name")?.as_str()?.to_owned()));
        let package = Package {
            local,
            dependencies: dependencies.collect(),
        };
        packages.insert(name, package);
    }
    let members = table.get("manifest").and_then(|m| m.get("members"));
    let members = members.and_then(|m| m.as_array()).into_iter().flatten();
    let members = members.filter_map(|m| m.as_str().map(normalize)).collect();
    Some((packages, members))
}

/// A package name as uv.lock writes it (PEP 503).
fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// `[project] name` of a `pyproject.toml`.
fn project_name(text: Option<String>) -> Option<String> {
    let table = text?.parse::<toml::Table>().ok()?;
    Some(normalize(table.get("project")?.get("name")?.as_str()?))
}

/// A path relative to the lock's directory, joined and without `.`/`..`; `None` when it
/// leaves that directory or is absolute.
pub(super) fn inside(path: &str) -> Option<String> {
    if path.starts_with('/') || path.contains(':') || path.contains('\\') {
        return None;
    }
    lexical(path)
}

/// Reads the lock the install uses (the workspace's, for a member): the local packages the
/// project needs (the member's, or the project's and its dependencies', through the lock),
/// and an error for one outside the lock's directory, which the build does not copy.
pub fn locals(found: &Found<Hooks>, input: &Input, span: &Span) -> Result<Locals, Diagnostic> {
    let dir = found
        .workspace
        .as_ref()
        .map_or(input.root, |w| w.root.as_str());
    let lock_path = in_root(dir, "uv.lock");
    let own = project_name(input.probe.read(&in_root(input.root, "pyproject.toml")));
    let package = found.workspace.as_ref().and(own.clone());
    let Some((packages, members)) = input.probe.read(&lock_path).and_then(|t| parse_lock(&t))
    else {
        // Unread: whatever the lock holds is installed after the source.
        return Ok(Locals {
            manifests: vec!["**/pyproject.toml".to_owned()],
            package,
            after_source: true,
        });
    };
    let mut manifests = BTreeSet::new();
    for (kind, path) in packages.values().filter_map(|p| p.local.as_ref()) {
        if let Some(path) = inside(path).filter(|p| !p.is_empty() && kind != "path") {
            manifests.insert(format!("{path}/pyproject.toml"));
        }
    }
    // What `uv sync` installs: the member, else the project, else every member (a virtual
    // workspace root), with what they depend on.
    let mut todo: Vec<String> = match (&package, &own) {
        (Some(name), _) | (None, Some(name)) => vec![name.clone()],
        (None, None) => members,
    };
    let mut seen = BTreeSet::new();
    let mut after_source = false;
    while let Some(name) = todo.pop() {
        let Some(package) = packages.get(&name).filter(|_| seen.insert(name.clone())) else {
            continue;
        };
        todo.extend(package.dependencies.iter().cloned());
        let Some((kind, path)) = &package.local else {
            continue;
        };
        if inside(path).is_none() {
            return Err(outside(&lock_path, &name, path, dir, span));
        }
        after_source |= kind != "virtual";
    }
    // A lock of thousands of local packages: their manifests by pattern, not one by one.
    if manifests.len() > MAX_LOCAL_MANIFESTS {
        manifests = BTreeSet::from(["**/pyproject.toml".to_owned()]);
    }
    Ok(Locals {
        manifests: manifests.into_iter().collect(),
        package,
        after_source,
    })
}

fn outside(lock: &str, name: &str, path: &str, dir: &str, span: &Span) -> Diagnostic {
    let tree = if dir.is_empty() { "." } else { dir };
    Diagnostic::error(
        Code::InvalidPath,
        format!("`{lock}` installs `{name}` from `{path}`, outside `{tree}`, the directory the build copies"),
        Some(span.clone()),
    )
    .with_help(format!(
        "the install sees only what is under `{tree}`: move `{name}` there, or make both members of a uv workspace in a directory above them (`[tool.uv.workspace]` in its pyproject.toml, then `uv lock` there) and set `root` to this project"
    ))
}

/// The copy the install is keyed on: the lock's directory's `pyproject.toml` and `uv.lock`
/// and the local packages' `pyproject.toml` files, to the same places under the workdir.
pub fn manifest_copy(found: &Found<Hooks>, locals: &Locals, input: &Input, span: &Span) -> Step {
    let dir = found
        .workspace
        .as_ref()
        .map_or(input.root, |w| w.root.as_str());
    let mut include = found.files.clone();
    include.extend(locals.manifests.iter().cloned());
    context_copy(
        dir,
        input.workdir.to_owned(),
        include,
        vec!["**/.venv".to_owned(), "**/node_modules".to_owned()],
        span,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_globs_match_segment_by_segment() {
        assert!(glob_matches("packages/*", "packages/api"));
        assert!(!glob_matches("packages/*", "packages/api/sub"));
        assert!(glob_matches("libs/**", "libs/a/b"));
        assert!(glob_matches("api", "api"));
        assert!(glob_matches("pkg-?", "pkg-a"));
        assert!(!glob_matches("packages/a*", "packages/b"));
        assert!(glob_matches("**/x/**", "a/b/x"));
        let crafted = format!("{}b", "*a".repeat(40));
        assert!(!glob_matches(&crafted, &"a".repeat(200)));
        assert!(glob_matches(&"**/".repeat(40), &"a/".repeat(100)));
    }

    #[test]
    fn lock_paths_stay_inside_or_are_refused() {
        assert_eq!(inside("packages/./api/").as_deref(), Some("packages/api"));
        assert_eq!(inside("a/../b").as_deref(), Some("b"));
        assert_eq!(inside(".").as_deref(), Some(""));
        assert_eq!(inside("../lib"), None);
        assert_eq!(inside("/abs"), None);
        assert_eq!(normalize("My_Pkg.Name"), "my-pkg-name");
    }

    #[test]
    fn a_lock_cut_at_the_read_limit_is_read_up_to_its_last_whole_package() {
        let lock = "version = 1\n\n[[package]]\nname = \"a\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"b\"\nsource = { regis";
        let (packages, _) = parse_lock(lock).expect("read");
        assert_eq!(packages.keys().collect::<Vec<_>>(), ["a"]);
    }
}
