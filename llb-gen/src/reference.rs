//! Docker image references: `python:3.11-slim` is `docker.io/library/python:3.11-slim`.

/// Why a reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference `{reference}`: {reason}")]
pub struct InvalidReference {
    /// The reference as written.
    pub reference: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Normalizes a reference the way Docker does: default registry `docker.io`, `library/` for
/// official images, tag `latest` when neither tag nor digest is given. Validates it with
/// Docker's grammar (`distribution/reference`), so that no `;`, `$(` or other text that is not
/// part of a reference reaches BuildKit or a progress line.
pub fn normalize(reference: &str) -> Result<String, InvalidReference> {
    let invalid = |reason| InvalidReference {
        reference: reference.to_owned(),
        reason,
    };
    if reference.is_empty() {
        return Err(invalid("it is empty"));
    }
    if reference.chars().any(char::is_whitespace) {
        return Err(invalid("it contains white space"));
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((name, digest)) => {
            let hex = digest.strip_prefix("sha256:").unwrap_or("");
            let lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
            if hex.len() != 64 || !hex.chars().all(lower_hex) {
                return Err(invalid(
                    "the digest must be sha256: followed by 64 lower-case hex digits",
                ));
            }
            (name, Some(digest))
        }
        None => (reference, None),
    };
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].split_once(':') {
        Some((_, tag)) => (
            &name_and_tag[..name_and_tag.len() - tag.len() - 1],
            Some(tag),
        ),
        None => (name_and_tag, None),
    };
    if name.is_empty() || name.ends_with('/') || name.starts_with('/') {
        return Err(invalid("the repository name is empty"));
    }
    if name.len() > 255 {
        return Err(invalid("the name is longer than 255 characters"));
    }
    if let Some(tag) = tag {
        if tag.is_empty() {
            return Err(invalid("the tag is empty"));
        }
        if !is_tag(tag) {
            return Err(invalid(
                "a tag is letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`)",
            ));
        }
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            if !is_domain(first) {
                return Err(invalid(
                    "the registry is not a host name with an optional numeric port",
                ));
            }
            (first, rest.to_owned())
        }
        Some(_) => ("docker.io", name.to_owned()),
        None => ("docker.io", format!("library/{name}")),
    };
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(invalid("repository names must be lowercase"));
    }
    if !path.split('/').all(is_path_component) {
        return Err(invalid(
            "a repository name is lower-case letters and digits, separated by `.`, `_`, `__` or `-`",
        ));
    }
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    let mut out = format!("{domain}/{path}");
    match (tag, digest) {
        (Some(tag), _) => {
            out.push(':');
            out.push_str(tag);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(digest) = digest {
        out.push('@');
        out.push_str(digest);
    }
    Ok(out)
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    tag.len() <= 128
        && tag.starts_with(word)
        && tag.chars().all(|c| word(c) || c == '.' || c == '-')
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or any number of `-`.
fn is_path_component(component: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !component.starts_with(alnum) || !component.ends_with(alnum) {
        return false;
    }
    let mut separator = String::new();
    for c in component.chars() {
        if alnum(c) {
            if !matches!(separator.as_str(), "" | "." | "_" | "__")
                && !separator.chars().all(|s| s == '-')
            {
                return false;
            }
            separator.clear();
        } else if ".-_".contains(c) {
            separator.push(c);
        } else {
            return false;
        }
    }
    true
}

/// A host name (or `localhost`, or an IPv4 address) with an optional numeric port.
fn is_domain(domain: &str) -> bool {
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.starts_with(|c: char| c.is_ascii_alphanumeric())
            && l.ends_with(|c: char| c.is_ascii_alphanumeric())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    host.split('.').all(label)
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_docker() {
        assert_eq!(
            normalize("python:3.11-slim").unwrap(),
            "docker.io/library/python:3.11-slim"
        );
        assert_eq!(
            normalize("ubuntu").unwrap(),
            "docker.io/library/ubuntu:latest"
        );
        assert_eq!(normalize("foo/bar:1").unwrap(), "docker.io/foo/bar:1");
        assert_eq!(
            normalize("localhost:5000/x").unwrap(),
            "localhost:5000/x:latest"
        );
        assert_eq!(normalize("ghcr.io/a/b:c").unwrap(), "ghcr.io/a/b:c");
        let pinned = format!("python@sha256:{}", "a".repeat(64));
        assert_eq!(
            normalize(&pinned).unwrap(),
            format!("docker.io/library/python@sha256:{}", "a".repeat(64))
        );
        assert!(normalize("Python:3").is_err());
        assert!(normalize("a b").is_err());
        assert!(normalize("x@sha256:12").is_err());
    }

    #[test]
    fn refuses_what_docker_refuses() {
        for bad in [
            "busybox:1.36;rm",
            "busybox:$(id)",
            "bad..name",
            "busybox:-x",
            "busybox:a/b",
            "a/-b",
            "a__b_",
            "reg:port/x",
            "localhost:5000000/x",
            "ex ample.com/x",
            "a$b.io/x",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        assert!(normalize(&format!("busybox:{}", "1".repeat(129))).is_err());
        assert!(normalize(&format!("busybox@sha256:{}", "z".repeat(64))).is_err());
        assert!(normalize(&format!("busybox@sha256:{}", "A".repeat(64))).is_err());
        for good in [
            "my.registry:5000/team/app:1.2.3-rc_1",
            "a__b/c-d/e.f",
            "a---b",
            "127.0.0.1:5000/x",
            "busybox:Latest_1",
        ] {
            assert!(normalize(good).is_ok(), "{good}");
        }
    }
}
