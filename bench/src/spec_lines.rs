//! Spec length: the lines of each example's `Stagefile.toml` against its hand-written
//! `Dockerfile`, without comment lines (first non-blank character `#`, the `# syntax=` line
//! included) and blank lines. A static count from the files; no build.

use std::path::Path;

use anyhow::{Context, bail};

/// The total ratio Stagefile / Dockerfile (sum over sum) at most.
pub const SPEC_LINES_TARGET: f64 = 0.45;

/// One example's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecLines {
    /// The directory name under `examples/`.
    pub name: String,
    /// Lines of `Stagefile.toml`.
    pub stagefile: usize,
    /// Lines of `Dockerfile`.
    pub dockerfile: usize,
}

impl SpecLines {
    /// Stagefile / Dockerfile, or `None` for an empty Dockerfile.
    pub fn ratio(&self) -> Option<f64> {
        crate::stats::ratio(self.stagefile as f64, self.dockerfile as f64)
    }
}

/// The lines of `text` that are neither blank nor comments.
pub fn count(text: &str) -> usize {
    text.lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count()
}

/// The counts of the examples in `examples` (directories with a `Stagefile.toml` and a
/// `Dockerfile`); fails when there is none.
pub fn from_dir(examples: &Path) -> anyhow::Result<Vec<SpecLines>> {
    let found = crate::runner::discover(examples, &[])?;
    let dirs: Vec<(String, &Path)> = found
        .examples
        .iter()
        .map(|e| (e.name.clone(), e.dir.as_path()))
        .collect();
    measure(&dirs)
}

/// The counts of the given examples (name, directory); fails when there is none or a file
/// cannot be read.
pub fn measure(examples: &[(String, &Path)]) -> anyhow::Result<Vec<SpecLines>> {
    if examples.is_empty() {
        bail!("no example with both a Stagefile.toml and a Dockerfile to count");
    }
    examples
        .iter()
        .map(|(name, dir)| {
            let read = |file: &str| {
                let path = dir.join(file);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))
            };
            Ok(SpecLines {
                name: name.clone(),
                stagefile: count(&read("Stagefile.toml")?),
                dockerfile: count(&read("Dockerfile")?),
            })
        })
        .collect()
}

/// Sum of the Stagefile lines over the sum of the Dockerfile lines.
pub fn total_ratio(all: &[SpecLines]) -> Option<f64> {
    let (ours, theirs) = totals(all);
    crate::stats::ratio(ours as f64, theirs as f64)
}

/// The sums of the Stagefile lines and the Dockerfile lines.
pub fn totals(all: &[SpecLines]) -> (usize, usize) {
    all.iter()
        .fold((0, 0), |(s, d), e| (s + e.stagefile, d + e.dockerfile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_without_comments_and_blank_lines() {
        let stagefile = "# syntax=stagefile:dev\n# A comment.\n\n[stage.web]\n  # indented \
                         comment\npython = \"3.11\"   # trailing comments count\n   \n\
                         cmd = [\"gunicorn\"]\n";
        let dockerfile = "# syntax=docker/dockerfile:1\nFROM python:3.11-slim\n\nRUN pip \
                          install \\\n    gunicorn\n\t# comment\nCMD [\"gunicorn\"]";
        assert_eq!(count(stagefile), 3);
        assert_eq!(count(dockerfile), 4);
        let lines = SpecLines {
            name: "x".into(),
            stagefile: 3,
            dockerfile: 4,
        };
        assert_eq!(lines.ratio(), Some(0.75));
        let other = SpecLines {
            name: "y".into(),
            stagefile: 1,
            dockerfile: 6,
        };
        assert_eq!(totals(&[lines.clone(), other.clone()]), (4, 10));
        assert_eq!(total_ratio(&[lines, other]), Some(0.4));
        assert_eq!(total_ratio(&[]), None);
    }

    #[test]
    fn the_repository_examples_are_counted() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let all = from_dir(&examples).expect("the examples are counted");
        assert!(!all.is_empty());
        assert!(all.iter().any(|e| e.name == "python-venv"));
        for e in &all {
            assert!(e.stagefile > 0 && e.dockerfile > 0, "{e:?}");
        }
    }

    #[test]
    fn no_examples_is_an_error() {
        let dir = std::env::temp_dir().join(format!(
            "stagefile-bench-test-{}-no-examples",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("only-a-stagefile")).expect("mkdir");
        std::fs::write(dir.join("only-a-stagefile/Stagefile.toml"), "[stage.a]\n").expect("w");
        assert!(from_dir(&dir).is_err());
        assert!(measure(&[]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
