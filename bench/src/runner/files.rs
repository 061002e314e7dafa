//! File work on the example copies: copying a tree, and the `# syntax=` line.

use std::path::Path;

use anyhow::Context;

/// A build file with `# syntax=<frontend>` as its first line (replacing one it had).
pub fn with_syntax(text: &str, frontend: &str) -> String {
    let body = match text.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with("# syntax=") => rest,
        None if text.trim_start().starts_with("# syntax=") => "",
        _ => text,
    };
    format!("# syntax={frontend}\n{body}")
}

/// Copies a directory tree (files, directories and symlinks), skipping `.git`.
pub fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let (src, dest) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&src, &dest)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dest)?;
        } else {
            std::fs::copy(&src, &dest).with_context(|| format!("cannot copy {}", src.display()))?;
        }
    }
    Ok(())
}
