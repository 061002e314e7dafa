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
/// official images, tag `latest` when neither tag nor digest is given.
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
            if !digest.starts_with("sha256:") || digest.len() != 71 {
                return Err(invalid(
                    "the digest must be sha256: followed by 64 hex digits",
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
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(invalid("repository names must be lowercase"));
    }
    if tag.is_some_and(|t| t.is_empty()) {
        return Err(invalid("the tag is empty"));
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (first, rest.to_owned())
        }
        Some(_) => ("docker.io", name.to_owned()),
        None => ("docker.io", format!("library/{name}")),
    };
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
}
