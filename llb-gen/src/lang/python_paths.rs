//! Local paths in requirement files (`-e ./lib`, `./libs/foo`, `-e .`, `name @ file:...`):
//! the install reads them before the source copy, so their directories are copied with the
//! requirement files (the install is then keyed on their files too). A path outside the
//! stage's `root`, which the build does not copy, is an error naming the file, never an image
//! without it. Paths are relative to the working directory, as pip and uv read them. Part of
//! the Python language (`python.rs`).

use super::python_workspace::inside;
use super::row::{Input, context_copy, in_root};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Span, Step};

/// The local path a requirement line installs, as written, if it installs one.
fn local_path(line: &str) -> Option<&str> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let first = *words.first()?;
    let target = if first == "-e" || first == "--editable" {
        *words.get(1)?
    } else if let Some(rest) = first.strip_prefix("--editable=") {
        rest
    } else if let Some(rest) = first.strip_prefix("-e") {
        rest
    } else if first.starts_with('-') {
        return None;
    } else if let Some(at) = line.find(" @ ") {
        line[at + 3..].split_whitespace().next()?
    } else {
        first
    };
    let target = target.split(['#', ';']).next()?;
    let target = match target.find("file:") {
        Some(0) => target.trim_start_matches("file:").trim_start_matches("//"),
        _ if target.contains("://") => return None,
        _ => target,
    };
    // Extras (`./lib[extra]`) are not part of the path.
    let target = target.split('[').next()?;
    let path_like = target.starts_with('.') || target.starts_with('/') || target.contains('/');
    path_like.then_some(target)
}

/// The local paths of a requirement file's text: comments and continuation lines read as
/// pip reads them.
pub fn local_paths(text: &str) -> Vec<String> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let lines = joined.lines().map(|line| {
        let line = line.split(" #").next().unwrap_or(line);
        line.split("\t#").next().unwrap_or(line)
    });
    let lines = lines.filter(|line| !line.trim_start().starts_with('#'));
    lines.filter_map(local_path).map(str::to_owned).collect()
}

/// The copies that give the install the directories its requirement files (`files`, relative
/// to the project's root) install from: each, from under `root` to the same place under the
/// workdir, without `excludes` (what the language's tools make). An error for a path outside
/// `root`.
pub fn copies(
    files: &[String],
    input: &Input,
    span: &Span,
    excludes: &[&str],
) -> Result<Vec<Step>, Diagnostic> {
    let mut dirs: Vec<String> = Vec::new();
    for file in files {
        let Some(text) = input.probe.read(&in_root(input.root, file)) else {
            continue;
        };
        for path in local_paths(&text) {
            let Some(dir) = inside(&path) else {
                return Err(outside(&in_root(input.root, file), &path, input.root, span));
            };
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    // The project's whole directory holds every other one.
    if dirs.iter().any(String::is_empty) {
        dirs.retain(String::is_empty);
    }
    let workdir = input.workdir.trim_end_matches('/');
    let copies = dirs.into_iter().map(|dir| {
        let dest = if dir.is_empty() {
            workdir.to_owned()
        } else {
            format!("{workdir}/{dir}")
        };
        context_copy(
            in_root(input.root, &dir).trim_end_matches('/'),
            dest,
            Vec::new(),
            excludes.iter().map(|e| (*e).to_owned()).collect(),
            span,
        )
    });
    Ok(copies.collect())
}

fn outside(file: &str, path: &str, root: &str, span: &Span) -> Diagnostic {
    let tree = if root.is_empty() { "." } else { root };
    Diagnostic::error(
        Code::InvalidPath,
        format!("`{file}` installs `{path}`, outside `{tree}`, the directory the build copies"),
        Some(span.clone()),
    )
    .with_help(format!(
        "the install sees only what is under `{tree}`: move `{path}` there, or set `root` to a directory that holds both (and write the requirement relative to it)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_found_in_their_spellings() {
        let text = "six==1.17.0\n-e ./libs/util  # local\n--editable=../shared\n-e.\n\
                    ./pkg[extra]\nname @ file:///opt/x\nname @ file:./vendored/y#egg=y\n\
                    git+https://example.org/x.git#egg=x\nhttps://example.org/x.whl\n\
                    -r base.txt\n# -e ./commented\nlibs/z ; python_version > '3'\n";
        assert_eq!(
            local_paths(text),
            [
                "./libs/util",
                "../shared",
                ".",
                "./pkg",
                "/opt/x",
                "./vendored/y",
                "libs/z"
            ]
        );
        assert_eq!(
            local_paths("flask==3.0\n-i https://x/simple\n"),
            Vec::<String>::new()
        );
    }
}
