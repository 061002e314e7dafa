//! Source ops: images, local directories, git repositories and HTTP files.

use std::collections::{BTreeMap, BTreeSet};

use super::state::{Node, OpMeta, State};
use crate::pb;

/// Options of a local source (`local://NAME`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalOptions {
    /// Session serving the directory.
    pub session_id: Option<String>,
    /// Only transfer these patterns.
    pub include_patterns: Vec<String>,
    /// Skip these patterns.
    pub exclude_patterns: Vec<String>,
    /// Only these paths (and what they link to).
    pub follow_paths: Vec<String>,
    /// Key that lets transfers of the same directory share state.
    pub shared_key_hint: Option<String>,
    /// `local.differ` (e.g. `none` to always resend).
    pub differ: Option<String>,
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

impl State {
    fn source(
        identifier: String,
        attrs: BTreeMap<String, String>,
        platform: Option<pb::Platform>,
        meta: OpMeta,
        caps: BTreeSet<&'static str>,
    ) -> State {
        State::from_node(Node {
            op: pb::op::Op::Source(pb::SourceOp { identifier, attrs }),
            inputs: Vec::new(),
            platform,
            meta,
            caps,
        })
    }

    /// An image (`docker-image://REF`), normalized and ideally pinned by digest. With `pull`,
    /// the engine checks the registry even when it has the image (`--pull`).
    pub fn image(reference: &str, platform: &pb::Platform, pull: bool, meta: OpMeta) -> State {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeSet::from(["source.image"]);
        if pull {
            attrs.insert("image.resolvemode".into(), "pull".into());
            caps.insert("source.image.resolvemode");
        }
        State::source(
            format!("docker-image://{reference}"),
            attrs,
            Some(platform.clone()),
            meta,
            caps,
        )
    }

    /// A directory sent by the client (`local://NAME`).
    pub fn local(name: &str, options: &LocalOptions, meta: OpMeta) -> State {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeSet::from(["source.local", "source.local.unique"]);
        if let Some(session) = &options.session_id {
            attrs.insert("local.session".into(), session.clone());
            caps.insert("source.local.sessionid");
        }
        if !options.include_patterns.is_empty() {
            attrs.insert(
                "local.includepattern".into(),
                json_list(&options.include_patterns),
            );
            caps.insert("source.local.includepatterns");
        }
        if !options.exclude_patterns.is_empty() {
            attrs.insert(
                "local.excludepatterns".into(),
                json_list(&options.exclude_patterns),
            );
            caps.insert("source.local.excludepatterns");
        }
        if !options.follow_paths.is_empty() {
            attrs.insert("local.followpaths".into(), json_list(&options.follow_paths));
            caps.insert("source.local.followpaths");
        }
        if let Some(hint) = &options.shared_key_hint {
            attrs.insert("local.sharedkeyhint".into(), hint.clone());
            caps.insert("source.local.sharedkeyhint");
        }
        if let Some(differ) = &options.differ {
            attrs.insert("local.differ".into(), differ.clone());
            caps.insert("source.local.differ");
        }
        State::source(format!("local://{name}"), attrs, None, meta, caps)
    }

    /// A git repository (`https://host/repo.git#ref`).
    pub fn git(url: &str, keep_git_dir: bool, meta: OpMeta) -> State {
        let identifier = match url.split_once("://") {
            Some((_, rest)) => format!("git://{rest}"),
            None => format!("git://{url}"),
        };
        let mut attrs = BTreeMap::from([("git.fullurl".to_owned(), url.to_owned())]);
        if keep_git_dir {
            attrs.insert("git.keepgitdir".into(), "true".into());
        }
        State::source(
            identifier,
            attrs,
            None,
            meta,
            BTreeSet::from(["source.git", "source.git.fullurl"]),
        )
    }

    /// A file over HTTP(S); `filename` names it in the result, `checksum` (`sha256:<hex>`)
    /// makes BuildKit refuse any other content.
    pub fn http(url: &str, filename: Option<&str>, checksum: Option<&str>, meta: OpMeta) -> State {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeSet::from(["source.http"]);
        if let Some(name) = filename {
            attrs.insert("http.filename".into(), name.to_owned());
        }
        if let Some(checksum) = checksum {
            attrs.insert("http.checksum".into(), checksum.to_owned());
            caps.insert("source.http.checksum");
        }
        State::source(url.to_owned(), attrs, None, meta, caps)
    }
}
