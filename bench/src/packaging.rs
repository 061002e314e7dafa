//! Python's packaging tools in a final image: pip, setuptools and wheel, which a runtime does
//! not need (issue 15: what leaving them out saves, per example).
//!
//! Only files the build added count (the caller leaves out the base image's own, so the
//! interpreter's bundled pip in `python:*-slim` is not held against either side).

/// The top-level names in a `site-packages` directory that belong to pip, setuptools or wheel.
const PACKAGES: [&str; 6] = [
    "pip",
    "setuptools",
    "wheel",
    "pkg_resources",
    "_distutils_hack",
    "distutils-precedence.pth",
];

/// Their distributions' metadata directories start with these.
const DISTRIBUTIONS: [&str; 3] = ["pip-", "setuptools-", "wheel-"];

/// Whether `path` (normalized, as [`crate::leaks::normalize`] makes it) is part of pip,
/// setuptools or wheel: under a `site-packages` (or Debian's `dist-packages`), or their
/// commands in a `bin` directory.
pub fn is_packaging_tool(path: &str) -> bool {
    let components: Vec<&str> = path.split('/').collect();
    let in_packages = components
        .iter()
        .position(|c| *c == "site-packages" || *c == "dist-packages")
        .and_then(|at| components.get(at + 1));
    if let Some(top) = in_packages {
        return PACKAGES.contains(top)
            || DISTRIBUTIONS.iter().any(|prefix| {
                top.strip_prefix(prefix).is_some_and(|rest| {
                    rest.starts_with(|c: char| c.is_ascii_digit())
                        && (rest.ends_with(".dist-info") || rest.ends_with(".egg-info"))
                })
            });
    }
    match components.as_slice() {
        [.., "bin", name] => {
            *name == "wheel"
                || name
                    .strip_prefix("pip")
                    .is_some_and(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'))
        }
        _ => false,
    }
}

/// Bytes of pip, setuptools and wheel among `files` (path, size).
pub fn bytes<'a>(files: impl IntoIterator<Item = (&'a str, u64)>) -> u64 {
    files
        .into_iter()
        .filter(|(path, _)| is_packaging_tool(path))
        .map(|(_, size)| size)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_setuptools_and_wheel_in_any_virtualenv_count() {
        for path in [
            "venv/lib/python3.11/site-packages/pip/__init__.py",
            "app/.venv/lib/python3.12/site-packages/setuptools/dist.py",
            "venv/lib/python3.11/site-packages/pip-24.0.dist-info/RECORD",
            "venv/lib/python3.11/site-packages/setuptools-65.5.0.dist-info",
            "venv/lib/python3.11/site-packages/wheel-0.43.0.dist-info/METADATA",
            "venv/lib/python3.11/site-packages/pkg_resources/__init__.py",
            "venv/lib/python3.11/site-packages/_distutils_hack/__init__.py",
            "venv/lib/python3.11/site-packages/distutils-precedence.pth",
            "usr/lib/python3/dist-packages/pip/__main__.py",
            "venv/bin/pip",
            "venv/bin/pip3",
            "venv/bin/pip3.11",
            "venv/bin/wheel",
        ] {
            assert!(is_packaging_tool(path), "{path}");
        }
    }

    #[test]
    fn packages_that_only_look_alike_do_not() {
        for path in [
            "venv/lib/python3.11/site-packages/pipx/__init__.py",
            "venv/lib/python3.11/site-packages/pip_audit/__init__.py",
            "venv/lib/python3.11/site-packages/setuptools_scm/__init__.py",
            "venv/lib/python3.11/site-packages/setuptools_scm-8.0.dist-info/RECORD",
            "venv/lib/python3.11/site-packages/wheelhouse/x.py",
            "venv/lib/python3.11/site-packages/flask/pip.py",
            "venv/bin/pipenv",
            "venv/bin/gunicorn",
            "app/pip/notes.txt",
            "venv/lib/python3.11/site-packages",
        ] {
            assert!(!is_packaging_tool(path), "{path}");
        }
    }

    #[test]
    fn bytes_sum_the_tools_files_only() {
        let files = [
            ("venv/lib/python3.11/site-packages/pip/__init__.py", 100),
            ("venv/lib/python3.11/site-packages/flask/app.py", 5_000),
            ("venv/bin/pip", 20),
        ];
        assert_eq!(bytes(files), 120);
        assert_eq!(bytes([]), 0);
    }
}
