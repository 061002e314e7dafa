//! What should not be in a final image: build tools and caches, found in its file list.
//!
//! Only files the build added count: paths that are also in the base image are left out by the
//! caller, so a base that ships `node_modules` (npm itself) or headers is not held against a
//! build.

use std::collections::BTreeMap;
use std::fmt;

/// A kind of leftover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Leak {
    /// A C/C++ compiler, `make` or the binutils.
    Compiler,
    /// C headers (`-dev` packages).
    Headers,
    /// pip's download and wheel cache.
    PipCache,
    /// npm's cache.
    NpmCache,
    /// Yarn's or pnpm's cache or store.
    YarnPnpmCache,
    /// Downloaded `.gem` files (Bundler or RubyGems cache).
    GemCache,
    /// Anything else under a home directory's `.cache` (uv, Poetry, ...).
    UserCache,
    /// apt's package lists.
    AptLists,
    /// apt's downloaded `.deb`s and package caches.
    AptArchives,
    /// `node_modules` outside the image's working directory.
    NodeModulesOutsideApp,
}

impl fmt::Display for Leak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Leak::Compiler => "compiler/make",
            Leak::Headers => "C headers",
            Leak::PipCache => "pip cache",
            Leak::NpmCache => "npm cache",
            Leak::YarnPnpmCache => "yarn/pnpm cache",
            Leak::GemCache => "gem cache",
            Leak::UserCache => "~/.cache",
            Leak::AptLists => "apt lists",
            Leak::AptArchives => "apt archives",
            Leak::NodeModulesOutsideApp => "node_modules outside the workdir",
        })
    }
}

/// A path as `docker export | tar -t` lists it, made relative and without a trailing `/`.
pub fn normalize(path: &str) -> &str {
    path.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
}

/// Which leak `path` (normalized) is, given the image's working directory.
pub fn classify(path: &str, workdir: &str) -> Option<Leak> {
    let path = normalize(path);
    if path.is_empty() {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let in_bin = matches!(
        dir,
        "usr/bin" | "usr/local/bin" | "bin" | "usr/sbin" | "usr/local/sbin"
    );
    if in_bin && is_compiler(name) {
        return Some(Leak::Compiler);
    }
    if (path.starts_with("usr/include/") || path.starts_with("usr/local/include/"))
        && (name.ends_with(".h") || name.ends_with(".hpp"))
    {
        return Some(Leak::Headers);
    }
    if contains_dir(path, ".cache/pip") {
        return Some(Leak::PipCache);
    }
    if contains_dir(path, ".npm") {
        return Some(Leak::NpmCache);
    }
    if contains_dir(path, ".cache/yarn")
        || contains_dir(path, ".yarn/cache")
        || contains_dir(path, ".cache/pnpm")
        || contains_dir(path, ".cache/pnpm-store")
        || contains_dir(path, ".local/share/pnpm")
        || contains_dir(path, ".pnpm-store")
    {
        return Some(Leak::YarnPnpmCache);
    }
    if name.ends_with(".gem") && (path.contains("/cache/") || path.contains(".bundle/")) {
        return Some(Leak::GemCache);
    }
    if path.starts_with("root/.cache/") || (path.starts_with("home/") && path.contains("/.cache/"))
    {
        return Some(Leak::UserCache);
    }
    if let Some(rest) = path.strip_prefix("var/lib/apt/lists/") {
        return (rest != "lock"
            && rest != "partial"
            && !rest.starts_with("partial/")
            && rest != "auxfiles")
            .then_some(Leak::AptLists);
    }
    if path.starts_with("var/cache/apt/") && (name.ends_with(".deb") || name.ends_with(".bin")) {
        return Some(Leak::AptArchives);
    }
    let workdir = normalize(workdir);
    if contains_dir(path, "node_modules")
        && (workdir.is_empty() || !(path == workdir || path.starts_with(&format!("{workdir}/"))))
    {
        return Some(Leak::NodeModulesOutsideApp);
    }
    None
}

/// Whether `path` has the directory (or file) `segment` (one or more `/`-separated names) as a
/// whole component sequence.
fn contains_dir(path: &str, segment: &str) -> bool {
    path == segment
        || path.starts_with(&format!("{segment}/"))
        || path.ends_with(&format!("/{segment}"))
        || path.contains(&format!("/{segment}/"))
}

fn is_compiler(name: &str) -> bool {
    const EXACT: [&str; 8] = ["cc", "c++", "gcc", "g++", "make", "ld", "as", "clang"];
    if EXACT.contains(&name) {
        return true;
    }
    let versioned = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|v| {
            v.starts_with('-') && v[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
        })
    };
    versioned("gcc")
        || versioned("g++")
        || versioned("clang")
        || name.starts_with("x86_64-linux-gnu-gcc")
        || name.starts_with("x86_64-linux-gnu-g++")
        || name.starts_with("aarch64-linux-gnu-gcc")
        || name == "x86_64-linux-gnu-ld"
        || name == "x86_64-linux-gnu-as"
}

/// Leaks among `paths` (files the build added), counted per kind.
pub fn find<'a>(paths: impl IntoIterator<Item = &'a str>, workdir: &str) -> BTreeMap<Leak, usize> {
    let mut found = BTreeMap::new();
    for path in paths {
        if let Some(leak) = classify(path, workdir) {
            *found.entry(leak).or_insert(0) += 1;
        }
    }
    found
}

/// `none`, or `pip cache (12 files), compiler/make (3 files)`.
pub fn describe(found: &BTreeMap<Leak, usize>) -> String {
    if found.is_empty() {
        return "none".to_owned();
    }
    found
        .iter()
        .map(|(leak, n)| {
            let files = if *n == 1 { "path" } else { "paths" };
            format!("{leak} ({n} {files})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_tools() {
        for path in [
            "usr/bin/gcc",
            "./usr/bin/gcc-12",
            "usr/bin/x86_64-linux-gnu-gcc-12",
            "usr/bin/cc",
            "usr/bin/make",
            "usr/local/bin/clang-16",
        ] {
            assert_eq!(classify(path, "/app"), Some(Leak::Compiler), "{path}");
        }
        assert_eq!(classify("usr/bin/gcc-ar", "/app"), None);
        assert_eq!(
            classify("usr/lib/gcc/x86_64-linux-gnu/12/cc1", "/app"),
            None
        );
        assert_eq!(
            classify("usr/include/libpq-fe.h", "/app"),
            Some(Leak::Headers)
        );
        assert_eq!(classify("usr/include/", "/app"), None);
    }

    #[test]
    fn caches() {
        let cases = [
            ("root/.cache/pip/http-v2/a/b", Leak::PipCache),
            ("home/app/.cache/pip", Leak::PipCache),
            ("root/.npm/_cacache/index-v5/x", Leak::NpmCache),
            ("usr/local/share/.cache/yarn/v6/x", Leak::YarnPnpmCache),
            ("root/.local/share/pnpm/store/v3/x", Leak::YarnPnpmCache),
            ("usr/local/bundle/cache/rack-3.0.0.gem", Leak::GemCache),
            ("root/.cache/uv/wheels/x", Leak::UserCache),
            (
                "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
                Leak::AptLists,
            ),
            (
                "var/cache/apt/archives/curl_7.88.1_amd64.deb",
                Leak::AptArchives,
            ),
            ("var/cache/apt/pkgcache.bin", Leak::AptArchives),
        ];
        for (path, leak) in cases {
            assert_eq!(classify(path, "/app"), Some(leak), "{path}");
        }
        assert_eq!(classify("var/lib/apt/lists/lock", "/app"), None);
        assert_eq!(classify("var/lib/apt/lists/partial", "/app"), None);
        assert_eq!(classify("var/lib/apt/lists", "/app"), None);
        // A package named like a cache is not one.
        assert_eq!(
            classify("venv/lib/python3.11/site-packages/npmish/x.py", "/app"),
            None
        );
    }

    #[test]
    fn node_modules_only_outside_the_workdir() {
        assert_eq!(
            classify("app/node_modules/is-number/index.js", "/app"),
            None
        );
        assert_eq!(
            classify("usr/src/node_modules/x", "/app"),
            Some(Leak::NodeModulesOutsideApp)
        );
        assert_eq!(
            classify("application/node_modules/x", "/app"),
            Some(Leak::NodeModulesOutsideApp)
        );
        assert_eq!(
            classify("app/node_modules/x", "/"),
            Some(Leak::NodeModulesOutsideApp)
        );
    }

    #[test]
    fn counted_and_described() {
        let found = find(
            [
                "root/.cache/pip/a",
                "root/.cache/pip/b",
                "usr/bin/gcc",
                "app/x.py",
            ],
            "/app",
        );
        assert_eq!(found.get(&Leak::PipCache), Some(&2));
        assert_eq!(
            describe(&found),
            "compiler/make (1 path), pip cache (2 paths)"
        );
        assert_eq!(describe(&BTreeMap::new()), "none");
    }
}
