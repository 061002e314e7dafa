//! Bounds on what a spec, its build args and its options can make the compiler do, so that
//! no input (a few MB of hostile TOML, a huge `--build-arg`) costs more than about 100 MB of
//! memory or a second. Each limit is far above what a real build needs, and crossing one is
//! a located `LimitExceeded` error (made in `diag`; this module is a leaf).

/// The largest spec file read: parsing TOML takes up to a hundred bytes of memory per byte of
/// text (a file of `[1,1,1,...]`), and real specs are a few kilobytes.
pub const MAX_SPEC_BYTES: usize = 512 * 1024;

/// The most values (strings, numbers, tables, arrays) a spec may hold: as typed data each
/// costs a hundred bytes or more, and a real spec has a few hundred.
pub const MAX_VALUES: usize = 50_000;

/// The most stages a spec may define.
pub const MAX_STAGES: usize = 1_000;

/// The most build steps (run steps and copies) the stages of one target may have in all.
pub const MAX_STEPS: usize = 5_000;

/// The most path and git gems (`PATH` and `GIT` sections of `Gemfile.lock`) a Ruby stage
/// may have: each path gem is a copy, and a real project has a handful.
pub const MAX_LOCKED_SOURCES: usize = 1_000;

/// The most local packages (uv's workspace members and `path` sources) whose `pyproject.toml`
/// is copied by name for a uv install: past it, every `pyproject.toml` under the lock's
/// directory is copied by one pattern instead of a list that grows with the lock.
pub const MAX_LOCAL_MANIFESTS: usize = 1_000;

/// How much `${ARG}` and env `$NAME` expansion may add to the spec's values in all, counting
/// each copy (a build arg set in the environment of ten steps counts ten times).
pub const MAX_EXPANSION_BYTES: usize = 4 * 1024 * 1024;

/// The most errors reported for one spec: past it, finding and rendering more (each with
/// its "did you mean") would cost more than it tells.
pub const MAX_ERRORS: usize = 50;

/// The largest build definition produced (encoded): BuildKit's gateway takes messages of
/// 16 MiB, and the request around the definition needs some room.
pub const MAX_DEFINITION_BYTES: usize = 15 * 1024 * 1024;

/// The first unsigned `SOURCE_DATE_EPOCH` that is not a year-9999 date (RFC 3339 has four
/// digits for the year).
pub const SOURCE_DATE_EPOCH_END: i64 = 253_402_300_800;

/// What expansion may still add to the spec's values.
#[derive(Debug, Clone)]
pub struct Budget {
    left: usize,
    reported: bool,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            left: MAX_EXPANSION_BYTES,
            reported: false,
        }
    }
}

impl Budget {
    /// The longest result an expansion of a text of `len` bytes may produce.
    pub fn max_len(&self, len: usize) -> usize {
        len.saturating_add(self.left)
    }

    /// Spends `bytes`; false when they are more than what is left.
    pub fn charge(&mut self, bytes: usize) -> bool {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                true
            }
            None => {
                self.left = 0;
                false
            }
        }
    }

    /// Whether this is the first time the budget was found exceeded: the error is reported
    /// once, since every later expansion fails as well.
    pub fn first_excess(&mut self) -> bool {
        !std::mem::replace(&mut self.reported, true)
    }
}

/// `4 MiB`, `1,000`: a limit as the user reads it.
pub fn size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// A count with thousands separators.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_once_and_reported_once() {
        let mut budget = Budget::default();
        assert_eq!(budget.max_len(10), 10 + MAX_EXPANSION_BYTES);
        assert!(budget.charge(MAX_EXPANSION_BYTES - 1));
        assert!(!budget.charge(2));
        assert_eq!(budget.max_len(10), 10);
        assert!(budget.first_excess());
        assert!(!budget.first_excess());
        assert_eq!(count(5_000), "5,000");
        assert_eq!(count(999), "999");
        assert_eq!(size(MAX_SPEC_BYTES), "512 KiB");
        assert_eq!(size(MAX_EXPANSION_BYTES), "4 MiB");
    }
}
