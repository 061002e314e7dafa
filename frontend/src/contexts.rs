//! Named build contexts (`--build-context NAME=VALUE`, sent as `context:NAME[::PLATFORM]`),
//! turned into the compiler's [`NamedContext`]s for one platform.

use std::collections::BTreeMap;

use llb_gen::{NamedContext, Platform};

use crate::Bridge;
use crate::errors::FrontendError;
use crate::options::Options;
use crate::resolve::Resolver;

/// What a `context:` value names, before any image is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// `docker-image://REF`, normalized.
    Image(String),
    /// `local:NAME`.
    Local(String),
    /// A git repository.
    Git(String),
    /// An HTTP(S) file or tarball.
    Http(String),
}

/// Parses a `context:` value the way BuildKit's `dockerui` does.
pub fn parse_value(name: &str, value: &str) -> Result<ContextValue, FrontendError> {
    let unsupported = |what: &str| {
        FrontendError::msg(format!(
            "build context `{name}`: {what} is not supported by the Stagefile frontend"
        ))
    };
    let (scheme, rest) = value.split_once(':').ok_or_else(|| {
        FrontendError::msg(format!("invalid context specifier {value} for {name}"))
    })?;
    if scheme.starts_with("git@") || scheme == "git" {
        return Ok(ContextValue::Git(value.to_owned()));
    }
    match scheme {
        "docker-image" => {
            let reference = rest.trim_start_matches("//");
            if reference == "scratch" {
                return Err(unsupported("docker-image://scratch"));
            }
            let normalized = llb_gen::reference::normalize(reference)
                .map_err(|e| FrontendError::msg(format!("build context `{name}`: {e}")))?;
            Ok(ContextValue::Image(normalized))
        }
        "local" => Ok(ContextValue::Local(rest.to_owned())),
        "http" | "https" if is_git_url(value) => Ok(ContextValue::Git(value.to_owned())),
        "http" | "https" => Ok(ContextValue::Http(value.to_owned())),
        "ssh" => Ok(ContextValue::Git(value.to_owned())),
        "input" => Err(unsupported("a frontend input (`input:`)")),
        "oci-layout" => Err(unsupported("an OCI layout (`oci-layout://`)")),
        other => Err(FrontendError::msg(format!(
            "unsupported context source {other} for {name}"
        ))),
    }
}

/// The `context:` values that apply to `platform`: `NAME::PLATFORM` wins over `NAME`.
pub fn values_for(opts: &Options, platform: &Platform) -> BTreeMap<String, String> {
    let platform_id = platform.to_string();
    let mut out = BTreeMap::new();
    for (key, value) in &opts.named_contexts {
        if !key.contains("::") {
            out.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    for (key, value) in &opts.named_contexts {
        if let Some((name, for_platform)) = key.split_once("::")
            && for_platform == platform_id
        {
            out.insert(name.to_owned(), value.clone());
        }
    }
    out
}

/// The named contexts for one platform, images resolved and pinned.
pub async fn named_contexts(
    client: &Bridge,
    resolver: &Resolver,
    opts: &Options,
    session_id: &str,
    platform: &Platform,
) -> Result<BTreeMap<String, NamedContext>, FrontendError> {
    let mut out = BTreeMap::new();
    for (name, value) in values_for(opts, platform) {
        let context = match parse_value(&name, &value)? {
            ContextValue::Image(reference) => {
                let log_name = resolver.log_name(&reference, platform, Some(&name));
                let mut client = client.clone();
                let resolved = resolver
                    .resolve(&mut client, &reference, platform, &log_name)
                    .await?;
                NamedContext::Image {
                    reference: resolved.pinned,
                    config: Some(Box::new(resolved.config)),
                }
            }
            ContextValue::Local(local) => NamedContext::Local {
                session_id: Some(opts.session_for(&local, session_id)),
                name: local,
            },
            ContextValue::Git(url) => NamedContext::Git(url),
            ContextValue::Http(url) => NamedContext::Http(url),
        };
        out.insert(name, context);
    }
    Ok(out)
}

fn is_git_url(url: &str) -> bool {
    let path = url.split(['#', '?']).next().unwrap_or(url);
    path.ends_with(".git") || path.contains(".git/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_context_values() {
        assert_eq!(
            parse_value("base", "docker-image://alpine:3").unwrap(),
            ContextValue::Image("docker.io/library/alpine:3".into())
        );
        assert_eq!(
            parse_value("fe", "local:frontend-build").unwrap(),
            ContextValue::Local("frontend-build".into())
        );
        assert!(matches!(
            parse_value("src", "https://github.com/a/b.git#main").unwrap(),
            ContextValue::Git(_)
        ));
        assert!(matches!(
            parse_value("src", "git@github.com:a/b.git").unwrap(),
            ContextValue::Git(_)
        ));
        assert!(matches!(
            parse_value("f", "https://example.com/a.tar.gz").unwrap(),
            ContextValue::Http(_)
        ));
        assert!(parse_value("x", "input:foo").is_err());
        assert!(parse_value("x", "oci-layout://s@sha256:1").is_err());
        assert!(parse_value("x", "nonsense").is_err());
        assert!(parse_value("x", "docker-image://Bad Ref").is_err());
    }

    #[test]
    fn platform_specific_values_win() {
        let mut opts = Options::parse(BTreeMap::new()).unwrap();
        opts.named_contexts
            .insert("a".into(), "local:generic".into());
        opts.named_contexts
            .insert("a::linux/arm64".into(), "local:arm".into());
        opts.named_contexts
            .insert("b::linux/arm64".into(), "local:b".into());
        let amd = values_for(&opts, &Platform::parse("linux/amd64").unwrap());
        assert_eq!(amd.len(), 1);
        assert_eq!(amd["a"], "local:generic");
        let arm = values_for(&opts, &Platform::parse("linux/arm64").unwrap());
        assert_eq!(arm["a"], "local:arm");
        assert_eq!(arm["b"], "local:b");
    }
}
