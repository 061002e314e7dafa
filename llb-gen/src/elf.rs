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

    #[test]
    fn elf_is_told_by_its_magic() {
        assert!(is_elf(b"\x7fELF\x02\x01"));
        assert!(!is_elf(b"#!/bin/sh"));
        assert!(!is_elf(b"\x7fEL"));
    }
}
