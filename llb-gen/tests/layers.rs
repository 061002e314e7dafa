//! The compiler's modules depend downward only, and no two files import each other, directly or
//! not. The phases in order: leaves (the LLB builder, limits, the source file, shell quoting,
//! diagnostics, interpolation, references, platforms, image config, `.dockerignore`, the context
//! probe, the ELF check) < the shared vocabulary and options < `spec` < `check` < `lang` < `plan` < `recipes` < `lower` < `compile`, the only
//! module that uses every phase.
//!
//! The edges are read from the source: every `crate::` and `super::` path (in `use` and in
//! code, test modules left out), resolved to the file that defines the item, following
//! `pub use` re-exports. A new edge that goes up a phase, or closes a cycle, fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module's phase; a module may use its own phase and the ones below.
const LAYERS: [(&str, u8); 24] = [
    ("llb", 0),
    ("limits", 0),
    ("source", 0),
    ("shell", 0),
    ("diag", 0),
    ("interp", 0),
    ("reference", 0),
    ("platform", 0),
    ("image", 0),
    ("ignore", 0),
    ("probe", 0),
    ("dump", 0),
    ("elf", 0),
    ("ir", 1),
    ("options", 1),
    ("spec", 2),
    ("check", 3),
    ("lang", 4),
    ("plan", 5),
    ("recipes", 6),
    ("lower", 7),
    ("compile", 8),
    ("lib", 9),
    ("pb", 0),
];

/// A source file as a module: its path segments (`["lang", "python"]`) and text without tests.
struct Module {
    path: Vec<String>,
    text: String,
}

fn modules() -> BTreeMap<PathBuf, Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("src dir") {
            let file = entry.expect("entry").path();
            if file.is_dir() {
                pending.push(file);
                continue;
            }
            let relative = file.strip_prefix(&src).expect("under src");
            if relative == Path::new("main.rs") {
                continue; // the CLI binary: above every phase
            }
            let mut path: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if path.last().is_some_and(|s| s == "mod" || s == "lib") {
                path.pop();
            }
            let text = fs::read_to_string(&file).expect("source");
            let code = match text.find("#[cfg(test)]") {
                Some(at) => &text[..at],
                None => &text,
            };
            // Comments (doc links included) are not dependencies.
            let text: String = code
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(|line| format!("{line}\n"))
                .collect();
            found.insert(relative.to_path_buf(), Module { path, text });
        }
    }
    assert!(found.len() > 30, "the source tree went missing");
    found
}

/// Every path a module names through `crate::` or `super::`, with `use` braces expanded.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut code = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let boundary = at == 0 || !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if boundary {
            code.push_str(&rest[..at]);
            expand_use(
                "",
                &after[..end].replace(char::is_whitespace, ""),
                &mut paths,
            );
        } else {
            code.push_str(&rest[..at + 4 + end]);
        }
        rest = &after[end..];
    }
    code.push_str(rest);
    // Paths in code: `crate::x`, `super::x` and `child::x` (a child module, which `resolve`
    // tells apart from types and other crates).
    for (at, _) in code.match_indices("::") {
        let start = code[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        let path: String = code[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        if !code[..start].ends_with("::") {
            paths.push(path.trim_end_matches(':').to_owned());
        }
    }
    paths.retain(|p| p.contains("::"));
    paths.sort();
    paths.dedup();
    paths
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e` (with `prefix` in front).
fn expand_use(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree
        .trim_start_matches("pub(crate)")
        .trim_start_matches("pub(super)");
    match tree.find('{') {
        Some(open) if tree.ends_with('}') => {
            let head = format!("{prefix}{}", &tree[..open]);
            let inner = &tree[open + 1..tree.len() - 1];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand_use(&head, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand_use(&head, &inner[start..], out);
        }
        _ if !tree.is_empty() => {
            let item = tree.split(" as ").next().unwrap_or(tree);
            out.push(
                format!("{prefix}{item}")
                    .trim_end_matches("::self")
                    .to_owned(),
            );
        }
        _ => {}
    }
}

/// The file that defines what `path` names, seen from module `from`.
fn resolve(modules: &BTreeMap<PathBuf, Module>, from: &[String], path: &str) -> Option<PathBuf> {
    let mut segments: Vec<String> = path.split("::").map(str::to_owned).collect();
    let mut at: Vec<String> = from.to_vec();
    match segments.first().map(String::as_str) {
        Some("crate") => at.clear(),
        Some("super") => {}
        Some(child) => {
            let mut module = from.to_vec();
            module.push(child.to_owned());
            file_of(modules, &module)?;
        }
        None => return None,
    }
    if segments[0] == "crate" {
        segments.remove(0);
    }
    while segments.first().is_some_and(|s| s == "super") {
        at.pop();
        segments.remove(0);
    }
    resolve_from(modules, at, &segments, 0)
}

fn file_of(modules: &BTreeMap<PathBuf, Module>, path: &[String]) -> Option<PathBuf> {
    modules
        .iter()
        .find(|(_, m)| m.path == path)
        .map(|(file, _)| file.clone())
}

/// Walks `segments` down from module `at`; an item the module re-exports is followed.
fn resolve_from(
    modules: &BTreeMap<PathBuf, Module>,
    mut at: Vec<String>,
    segments: &[String],
    depth: usize,
) -> Option<PathBuf> {
    let mut rest = segments;
    while let Some((first, tail)) = rest.split_first() {
        let mut next = at.clone();
        next.push(first.clone());
        if file_of(modules, &next).is_none() {
            break;
        }
        at = next;
        rest = tail;
    }
    let file = file_of(modules, &at)?;
    let Some(item) = rest.first() else {
        return Some(file);
    };
    if depth > 8 {
        return Some(file);
    }
    for target in reexports(&modules[&file].text) {
        if target.rsplit("::").next() != Some(item.as_str()) {
            continue;
        }
        let mut parts: Vec<String> = target.split("::").map(str::to_owned).collect();
        let mut child = at.clone();
        child.push(parts[0].clone());
        let local = ["crate", "super", "self"].contains(&parts[0].as_str());
        if !local && file_of(modules, &child).is_none() {
            return None; // another crate's item (`pub use bollard_buildkit_proto::pb`)
        }
        let mut base = at.clone();
        if parts[0] == "crate" {
            base.clear();
            parts.remove(0);
        }
        while parts.first().is_some_and(|p| p == "super") {
            base.pop();
            parts.remove(0);
        }
        return resolve_from(modules, base, &parts, depth + 1);
    }
    Some(file)
}

/// The paths a module re-exports with `pub use`, braces expanded.
fn reexports(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for rest in text.split("pub use ").skip(1) {
        let statement = &rest[..rest.find(';').unwrap_or(rest.len())];
        expand_use("", &statement.replace(char::is_whitespace, ""), &mut paths);
    }
    paths
}

fn layer(module: &Module) -> u8 {
    let top = module.path.first().map_or("lib", String::as_str);
    LAYERS
        .iter()
        .find(|(name, _)| *name == top)
        .unwrap_or_else(|| panic!("add the module `{top}` to LAYERS in tests/layers.rs"))
        .1
}

fn edges(modules: &BTreeMap<PathBuf, Module>) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut edges = BTreeMap::new();
    for (file, module) in modules {
        let targets: BTreeSet<PathBuf> = named_paths(&module.text)
            .iter()
            .filter_map(|path| resolve(modules, &module.path, path))
            .filter(|target| target != file)
            .collect();
        edges.insert(file.clone(), targets);
    }
    edges
}

#[test]
fn phases_depend_downward_only() {
    let modules = modules();
    let mut upward = Vec::new();
    for (file, targets) in edges(&modules) {
        for target in targets {
            if layer(&modules[&target]) > layer(&modules[&file]) {
                upward.push(format!("{} -> {}", file.display(), target.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that go up a phase:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_file_imports_itself_through_others() {
    let modules = modules();
    let edges = edges(&modules);
    let reaches = |from: &PathBuf, to: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut pending = vec![from];
        while let Some(file) = pending.pop() {
            if file == to {
                return true;
            }
            if seen.insert(file) {
                pending.extend(&edges[file]);
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for (file, targets) in &edges {
        for target in targets {
            if reaches(target, file) {
                cycles.push(format!("{} -> {}", file.display(), target.display()));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "imports on a cycle (each leads back to where it starts):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_check_sees_edges() {
    // The analysis itself must find what is plainly there, or it would pass on anything.
    let modules = modules();
    let edges = edges(&modules);
    let compile = &edges[Path::new("compile.rs")];
    for phase in ["plan/mod.rs", "recipes/mod.rs", "lower/mod.rs"] {
        assert!(
            compile.contains(Path::new(phase)),
            "compile.rs -> {phase} not found: {compile:?}"
        );
    }
    assert!(edges[Path::new("lang/python.rs")].contains(Path::new("lang/row.rs")));
}
