//! Which files the library scan (`recipes/needs.sh`) reads as ELF files, for a caller that
//! checks a build context before compiling and sets [`crate::ContextSource::Local`]'s
//! `without_elf` when it finds none.

/// Directories a context check lists at most; past that the context may hold ELF files.
pub const MAX_DIRS: usize = 4096;

/// Files whose first bytes a context check reads at most; past that, the same.
pub const MAX_CANDIDATES: usize = 256;

/// Bytes to read from a candidate to tell whether it is an ELF file.
pub const HEAD_BYTES: usize = 4;

/// Whether the scan looks at a regular file named `name` with permission bits `mode`:
/// named `*.so`, `*.so.*` or `*.node`, or executable by its owner (as its `find` selects).
pub fn is_candidate(name: &str, mode: u32) -> bool {
    name.ends_with(".so") || name.contains(".so.") || name.ends_with(".node") || mode & 0o100 != 0
}

/// Whether a file that starts with `head` is an ELF file.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_what_the_scan_finds() {
        assert!(is_candidate("libx.so", 0o644));
        assert!(is_candidate("libx.so.6", 0o644));
        assert!(is_candidate("addon.node", 0o644));
        assert!(is_candidate("manage.py", 0o755));
        assert!(!is_candidate("app.py", 0o644));
        assert!(!is_candidate("notes.sonnet", 0o644));
        assert!(!is_candidate("group-readable", 0o654));
    }

    /// The scan's own `find` line, run on files of every kind of name and mode, selects
    /// exactly the files `is_candidate` names: a change to one must change the other.
    #[test]
    fn candidates_match_the_scans_find() {
        use std::os::unix::fs::PermissionsExt;
        let script = include_str!("recipes/needs.sh");
        let find = script
            .lines()
            .find(|line| line.trim_start().starts_with("find \"$root\""))
            .expect("needs.sh has its find line");
        let root = std::env::temp_dir().join(format!("stagefile-elf-{}", std::process::id()));
        let out = root.join("out");
        let files = root.join("files");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&files).unwrap();
        let names = [
            "libx.so",
            "libx.so.6",
            "libx.so.6.0.1",
            ".so",
            "x.so.",
            "addon.node",
            "notes.sonnet",
            "so",
            "x.sox",
            "app.py",
            "x.node.bak",
            "manage.py",
            "run",
            "group-only",
            "other-only",
        ];
        let modes = [0o644, 0o755, 0o654, 0o645, 0o744, 0o600];
        let mut expected = Vec::new();
        for (index, name) in names.iter().enumerate() {
            for mode in modes {
                let dir = files.join(format!("{index}-{mode:o}"));
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join(name);
                std::fs::write(&path, b"x").unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
                if is_candidate(name, mode) {
                    expected.push(path.display().to_string());
                }
            }
        }
        let status = std::process::Command::new("sh")
            .args(["-c", find])
            .env("root", &files)
            .env("out", &out)
            .status()
            .expect("sh runs");
        assert!(status.success());
        let listed = std::fs::read_to_string(out.join("files")).unwrap();
        let mut found: Vec<String> = listed.lines().map(str::to_owned).collect();
        std::fs::remove_dir_all(&root).unwrap();
        found.sort();
        expected.sort();
        assert!(!expected.is_empty());
        assert_eq!(found, expected);
    }

    #[test]
    fn elf_is_told_by_its_magic() {
        assert!(is_elf(b"\x7fELF\x02\x01"));
        assert!(!is_elf(b"#!/bin/sh"));
        assert!(!is_elf(b"\x7fEL"));
    }
}
