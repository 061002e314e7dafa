//! `apt` and `build_apt` entries: Debian package names, after interpolation, and nothing
//! `apt-get install` would read as something else.

use serde_spanned::Spanned;

use crate::check::Checker;
use crate::diag::{Code, Diagnostic};

/// Debian package names, interpolated and checked.
pub(super) fn apt_packages(checker: &mut Checker, written: &[Spanned<String>]) -> Vec<String> {
    let packages: Vec<String> = written.iter().map(|p| checker.value(p)).collect();
    for (package, written) in packages.iter().zip(written) {
        if is_apt_package(package) {
            continue;
        }
        let words = package.split_whitespace();
        let help = if words.clone().count() > 1 && words.clone().all(is_apt_package) {
            "write one package per string, e.g. apt = [\"libpq5\", \"curl\"]"
        } else {
            "a package is lower-case letters, digits, `+`, `-` and `.`, starting with a letter or digit, optionally followed by `:arch`, `=version` or `/release` (e.g. \"curl=7.88.1-10\", \"git/bookworm-backports\"); options and patterns are not accepted"
        };
        checker.error(
            Diagnostic::error(
                Code::InvalidPackage,
                format!("`{package}` is not a Debian package name"),
                Some(written.span()),
            )
            .with_help(help),
        );
    }
    packages
}

/// A Debian package as `apt-get install` takes it, and nothing else it would read as an
/// option (`-o...`), a pattern (`*`, `?`, `[`) or a removal (a trailing `-`): a name (Debian
/// policy: `[a-z0-9][a-z0-9+.-]+`), an optional `:arch`, then an optional `=version` (starting
/// with a digit) or `/release`.
pub(super) fn is_apt_package(text: &str) -> bool {
    let (rest, version) = match text.split_once('=') {
        Some((name, version)) => (name, Some(version)),
        None => (text, None),
    };
    let (rest, release) = match (version, rest.split_once('/')) {
        (None, Some((name, release))) => (name, Some(release)),
        _ => (rest, None),
    };
    let (name, arch) = match rest.split_once(':') {
        Some((name, arch)) => (name, Some(arch)),
        None => (rest, None),
    };
    let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let name_ok = name.len() >= 2
        && name.starts_with(lower_alnum)
        && !name.ends_with('-')
        && name.chars().all(|c| lower_alnum(c) || "+-.".contains(c));
    let arch_ok =
        arch.is_none_or(|a| !a.is_empty() && a.chars().all(|c| lower_alnum(c) || c == '-'));
    let version_ok = version.is_none_or(|v| {
        v.starts_with(|c: char| c.is_ascii_digit())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
    });
    let release_ok = release.is_none_or(|r| {
        r.starts_with(|c: char| c.is_ascii_alphanumeric())
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
    });
    name_ok && arch_ok && version_ok && release_ok
}

#[cfg(test)]
mod tests {
    use super::is_apt_package;

    #[test]
    fn apt_packages_are_names_with_an_optional_arch_version_or_release() {
        for good in [
            "libpq5",
            "g++",
            "python3.11",
            "libc6:i386",
            "curl=7.88.1-10+deb12u5",
            "tzdata=1:2024a-0",
            "git/bookworm-backports",
            "libstdc++6:amd64=12.2.0-14",
        ] {
            assert!(is_apt_package(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "-oDPkg::Pre-Invoke::=touch /pwned",
            "--allow-unauthenticated",
            "*",
            "lib*",
            "python3.?",
            "curl-",
            "Curl",
            "curl; touch /pwned",
            "curl=*",
            "curl=latest",
            "curl/../x",
            "curl:",
            "$(id)",
            "curl\nvim",
        ] {
            assert!(!is_apt_package(bad), "{bad:?}");
        }
    }
}
