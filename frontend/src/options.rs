//! The frontend options BuildKit passes as `BUILDKIT_FRONTEND_OPT_<i>=<key>=<value>`, parsed
//! into a typed struct. Key names follow BuildKit's `frontend/dockerui` so that buildx and
//! buildctl flags mean what they mean for a Dockerfile.

use std::collections::{BTreeMap, BTreeSet};

use llb_gen::Platform;
use serde::Deserialize;

/// Spec file name when the client sends no `filename`.
pub const DEFAULT_FILENAME: &str = "Stagefile.toml";
/// Local that holds the spec file.
pub const DEFAULT_DOCKERFILE_LOCAL: &str = "dockerfile";
/// Local that holds the build context.
pub const DEFAULT_CONTEXT_LOCAL: &str = "context";

const ENV_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";

/// `image-resolve-mode`: where base image metadata comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResolveMode {
    /// The engine's default (registry, or the local image store with the docker driver).
    #[default]
    Default,
    /// Always ask the registry (`--pull`).
    Pull,
    /// Prefer the local image store.
    Local,
}

impl ResolveMode {
    /// The string BuildKit's resolvers expect.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }
}

/// One `--cache-from` entry, as buildx sends it in `cache-imports`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CacheImport {
    /// Cache backend (`registry`, `local`, `gha`, ...).
    #[serde(rename = "Type", alias = "type")]
    pub kind: String,
    /// Backend attributes.
    #[serde(rename = "Attrs", alias = "attrs", default)]
    pub attrs: BTreeMap<String, String>,
}

/// Everything the client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Spec file name inside the `dockerfile` local.
    pub filename: String,
    /// Local that holds the spec file (`dockerfilekey`).
    pub dockerfile_local: String,
    /// True when `dockerfilekey` was given: the spec is then never taken from frontend inputs.
    pub dockerfile_local_forced: bool,
    /// Local that holds the build context (`contextkey`).
    pub context_local: String,
    /// A remote main context (`context` opt: a git or HTTP URL).
    pub remote_context: Option<String>,
    /// `contextsubdir`.
    pub context_subdir: Option<String>,
    /// `target`.
    pub target: Option<String>,
    /// `build-arg:NAME`.
    pub build_args: BTreeMap<String, String>,
    /// `label:KEY`.
    pub labels: BTreeMap<String, String>,
    /// `platform`: empty means the engine's default platform.
    pub platforms: Vec<Platform>,
    /// Whether the result is a per-platform refs map (more than one platform, or `multi-platform=true`).
    pub multi_platform: bool,
    /// `no-cache`: `Some(empty)` for every stage, else the stages to rebuild.
    pub no_cache: Option<BTreeSet<String>>,
    /// `image-resolve-mode`.
    pub image_resolve_mode: ResolveMode,
    /// `cache-imports` (and the legacy `cache-from`).
    pub cache_imports: Vec<CacheImport>,
    /// `context:NAME[::PLATFORM]` values, keyed by what follows `context:`.
    pub named_contexts: BTreeMap<String, String>,
    /// `local-sessionid:NAME`: sessions serving other locals than the frontend's own.
    pub local_session_ids: BTreeMap<String, String>,
    /// `requestid`: a subrequest such as `frontend.targets`.
    pub request_id: Option<String>,
    /// `attest:KIND` (handled by BuildKit's post-processors).
    pub attests: BTreeMap<String, String>,
    /// `build-arg:SOURCE_DATE_EPOCH`, parsed.
    pub source_date_epoch: Option<i64>,
    /// Options the client set that this frontend cannot honour (reported as warnings).
    pub ignored: Vec<String>,
}

impl Options {
    /// The options of this process's environment.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(env_opts(std::env::vars_os().filter_map(|(k, v)| {
            Some((k.into_string().ok()?, v.into_string().ok()?))
        })))
    }

    /// Parses `key=value` options (as found after the `BUILDKIT_FRONTEND_OPT_<i>=` prefix).
    pub fn parse(opts: BTreeMap<String, String>) -> Result<Self, String> {
        let get = |key: &str| opts.get(key).map(String::as_str);
        let non_empty = |key: &str| get(key).filter(|v| !v.is_empty()).map(str::to_owned);

        let filename = non_empty("filename").unwrap_or_else(|| DEFAULT_FILENAME.to_owned());
        let dockerfile_key = non_empty("dockerfilekey");
        let context_key = non_empty("contextkey");
        let remote_context = get(context_key.as_deref().unwrap_or(DEFAULT_CONTEXT_LOCAL))
            .filter(|v| is_remote_url(v))
            .map(str::to_owned);

        let platforms = match non_empty("platform") {
            Some(list) => parse_platforms(&list)?,
            None => Vec::new(),
        };
        let mut multi_platform = platforms.len() > 1;
        let multi_flag =
            non_empty("build-arg:BUILDKIT_MULTI_PLATFORM").or_else(|| non_empty("multi-platform"));
        if let Some(flag) = multi_flag {
            let requested = parse_bool(&flag)
                .ok_or_else(|| format!("invalid boolean value for multi-platform: {flag}"))?;
            if !requested && multi_platform {
                return Err(
                    "conflicting config: returning multiple target platforms is not allowed".into(),
                );
            }
            multi_platform = requested;
        }

        let no_cache = get("no-cache").map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<BTreeSet<_>>()
        });

        let image_resolve_mode = match get("image-resolve-mode").unwrap_or("") {
            "" | "default" => ResolveMode::Default,
            "pull" => ResolveMode::Pull,
            "local" => ResolveMode::Local,
            other => return Err(format!("invalid image-resolve-mode: {other}")),
        };

        let mut cache_imports = match non_empty("cache-imports") {
            Some(json) => serde_json::from_str::<Option<Vec<CacheImport>>>(&json)
                .map_err(|e| format!("failed to parse cache-imports ({json:?}): {e}"))?
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if let Some(list) = non_empty("cache-from") {
            cache_imports.extend(
                list.split(',')
                    .filter(|s| !s.is_empty())
                    .map(|r| CacheImport {
                        kind: "registry".into(),
                        attrs: BTreeMap::from([("ref".to_owned(), r.to_owned())]),
                    }),
            );
        }

        let build_args = with_prefix(&opts, "build-arg:");
        let source_date_epoch = match build_args
            .get("SOURCE_DATE_EPOCH")
            .filter(|v| !v.is_empty())
        {
            Some(v) => Some(
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|e| (0..llb_gen::limits::SOURCE_DATE_EPOCH_END).contains(e))
                    .ok_or_else(|| {
                        format!(
                            "invalid SOURCE_DATE_EPOCH: {v} (expected seconds since 1970, before the year 10000)"
                        )
                    })?,
            ),
            None => None,
        };

        let ignored = [
            "add-hosts",
            "force-network-mode",
            "shm-size",
            "ulimit",
            "cgroup-parent",
            "hostname",
        ]
        .into_iter()
        .filter(|key| {
            non_empty(key).is_some_and(|v| !(*key == "force-network-mode" && v == "sandbox"))
        })
        .map(str::to_owned)
        .collect();

        Ok(Options {
            filename,
            dockerfile_local: dockerfile_key
                .clone()
                .unwrap_or_else(|| DEFAULT_DOCKERFILE_LOCAL.to_owned()),
            dockerfile_local_forced: dockerfile_key.is_some(),
            context_local: context_key.unwrap_or_else(|| DEFAULT_CONTEXT_LOCAL.to_owned()),
            remote_context,
            context_subdir: non_empty("contextsubdir"),
            target: non_empty("target"),
            labels: with_prefix(&opts, "label:"),
            platforms,
            multi_platform,
            no_cache,
            image_resolve_mode,
            cache_imports,
            named_contexts: with_prefix(&opts, "context:"),
            local_session_ids: with_prefix(&opts, "local-sessionid:"),
            request_id: non_empty("requestid"),
            attests: with_prefix(&opts, "attest:"),
            source_date_epoch,
            build_args,
            ignored,
        })
    }

    /// The session serving local `name`: its `local-sessionid:` override or the frontend's own.
    pub fn session_for(&self, name: &str, own_session: &str) -> String {
        self.local_session_ids
            .get(name)
            .cloned()
            .unwrap_or_else(|| own_session.to_owned())
    }
}

/// Picks the frontend options out of environment variables.
pub fn env_opts(vars: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    vars.into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .filter_map(|(_, value)| {
            let (key, value) = value.split_once('=')?;
            Some((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Parses a comma list of platforms, normalized as containerd does.
pub fn parse_platforms(list: &str) -> Result<Vec<Platform>, String> {
    let mut out: Vec<Platform> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let platform = normalize_platform(
            Platform::parse(item)
                .map_err(|e| format!("failed to parse target platform {item}: {e}"))?,
        );
        if !out.contains(&platform) {
            out.push(platform);
        }
    }
    Ok(out)
}

/// containerd's normalization: `arm64/v8` is `arm64`, `arm` is `arm/v7`, `amd64/v1` is `amd64`.
pub fn normalize_platform(mut platform: Platform) -> Platform {
    platform.os = platform.os.to_ascii_lowercase();
    platform.architecture = platform.architecture.to_ascii_lowercase();
    match (platform.architecture.as_str(), platform.variant.as_deref()) {
        ("arm64", Some("v8")) | ("amd64", Some("v1")) => platform.variant = None,
        ("arm", None) => platform.variant = Some("v7".into()),
        ("armhf", _) => {
            platform.architecture = "arm".into();
            platform.variant = Some("v7".into());
        }
        ("armel", _) => {
            platform.architecture = "arm".into();
            platform.variant = Some("v6".into());
        }
        _ => {}
    }
    platform
}

fn with_prefix(opts: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    opts.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_owned(), v.clone())))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn is_remote_url(value: &str) -> bool {
    ["git://", "git@", "http://", "https://", "ssh://"]
        .iter()
        .any(|p| value.starts_with(p))
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_env_prefix_and_splits_at_first_equals() {
        let env = vec![
            (
                "BUILDKIT_FRONTEND_OPT_0".to_owned(),
                "build-arg:A=x=y".to_owned(),
            ),
            (
                "BUILDKIT_FRONTEND_OPT_1".to_owned(),
                "filename=Stagefile.toml".to_owned(),
            ),
            ("BUILDKIT_SESSION_ID".to_owned(), "abc".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let map = env_opts(env);
        assert_eq!(map.len(), 2);
        assert_eq!(map["build-arg:A"], "x=y");
    }

    #[test]
    fn defaults() {
        let o = Options::parse(BTreeMap::new()).unwrap();
        assert_eq!(o.filename, "Stagefile.toml");
        assert_eq!(o.dockerfile_local, "dockerfile");
        assert!(!o.dockerfile_local_forced);
        assert_eq!(o.context_local, "context");
        assert!(o.platforms.is_empty());
        assert!(!o.multi_platform);
        assert_eq!(o.no_cache, None);
        assert_eq!(o.image_resolve_mode, ResolveMode::Default);
        assert!(o.request_id.is_none());
    }

    #[test]
    fn parses_what_buildx_sends() {
        let o = Options::parse(opts(&[
            ("filename", "app.toml"),
            ("target", "prod"),
            ("build-arg:PY", "3.12"),
            ("build-arg:SOURCE_DATE_EPOCH", "1700000000"),
            ("label:org.example", "yes"),
            ("platform", "linux/amd64,linux/arm64/v8"),
            ("no-cache", ""),
            ("image-resolve-mode", "pull"),
            (
                "cache-imports",
                r#"[{"Type":"registry","Attrs":{"ref":"r/c:1"}},{"Type":"local","Attrs":{"src":"/c"}}]"#,
            ),
            ("context:base", "docker-image://alpine:3"),
            ("context:assets::linux/arm64", "local:assets"),
            ("local-sessionid:assets", "s2"),
            ("requestid", "frontend.outline"),
            ("attest:sbom", ""),
            ("add-hosts", "a=1.2.3.4"),
        ]))
        .unwrap();
        assert_eq!(o.filename, "app.toml");
        assert_eq!(o.target.as_deref(), Some("prod"));
        assert_eq!(o.build_args["PY"], "3.12");
        assert_eq!(o.source_date_epoch, Some(1_700_000_000));
        assert_eq!(o.labels["org.example"], "yes");
        let platforms: Vec<String> = o.platforms.iter().map(ToString::to_string).collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
        assert!(o.multi_platform);
        assert_eq!(o.no_cache, Some(BTreeSet::new()));
        assert_eq!(o.image_resolve_mode, ResolveMode::Pull);
        assert_eq!(o.cache_imports.len(), 2);
        assert_eq!(o.cache_imports[0].kind, "registry");
        assert_eq!(o.cache_imports[0].attrs["ref"], "r/c:1");
        assert_eq!(o.named_contexts["base"], "docker-image://alpine:3");
        assert_eq!(o.named_contexts["assets::linux/arm64"], "local:assets");
        assert_eq!(o.session_for("assets", "own"), "s2");
        assert_eq!(o.session_for("context", "own"), "own");
        assert_eq!(o.request_id.as_deref(), Some("frontend.outline"));
        assert!(o.attests.contains_key("sbom"));
        assert_eq!(o.ignored, ["add-hosts"]);
    }

    #[test]
    fn no_cache_list_and_legacy_cache_from() {
        let o =
            Options::parse(opts(&[("no-cache", "build, app"), ("cache-from", "a/b:c")])).unwrap();
        assert_eq!(
            o.no_cache,
            Some(BTreeSet::from(["build".to_owned(), "app".to_owned()]))
        );
        assert_eq!(o.cache_imports[0].attrs["ref"], "a/b:c");
    }

    #[test]
    fn multi_platform_flag() {
        let o = Options::parse(opts(&[("multi-platform", "true")])).unwrap();
        assert!(o.multi_platform);
        let o = Options::parse(opts(&[("build-arg:BUILDKIT_MULTI_PLATFORM", "1")])).unwrap();
        assert!(o.multi_platform);
        assert!(
            Options::parse(opts(&[
                ("platform", "linux/amd64,linux/arm64"),
                ("multi-platform", "false")
            ]))
            .is_err()
        );
        assert!(Options::parse(opts(&[("multi-platform", "maybe")])).is_err());
    }

    #[test]
    fn remote_and_keyed_contexts() {
        let o = Options::parse(opts(&[("context", "https://github.com/a/b.git")])).unwrap();
        assert_eq!(
            o.remote_context.as_deref(),
            Some("https://github.com/a/b.git")
        );
        let o = Options::parse(opts(&[("contextkey", "src"), ("dockerfilekey", "def")])).unwrap();
        assert_eq!(o.context_local, "src");
        assert_eq!(o.dockerfile_local, "def");
        assert!(o.dockerfile_local_forced);
        assert!(o.remote_context.is_none());
    }

    #[test]
    fn rejects_bad_values() {
        assert!(Options::parse(opts(&[("image-resolve-mode", "sometimes")])).is_err());
        assert!(Options::parse(opts(&[("platform", "a/b/c/d")])).is_err());
        assert!(Options::parse(opts(&[("cache-imports", "{not json")])).is_err());
        for epoch in ["yesterday", "-1", "253402300800", "-9223372036854775808"] {
            let options = opts(&[("build-arg:SOURCE_DATE_EPOCH", epoch)]);
            assert!(Options::parse(options).is_err(), "{epoch}");
        }
    }

    #[test]
    fn normalizes_platforms() {
        let p = parse_platforms("arm, linux/arm64/v8, linux/amd64, amd64").unwrap();
        let p: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p, ["linux/arm/v7", "linux/arm64", "linux/amd64"]);
    }
}
