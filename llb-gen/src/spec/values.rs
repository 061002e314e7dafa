//! Values that accept a short form and a long form (`"cmd"` or `{ cmd = "...", cache = [...] }`).
//!
//! Long forms are deserialized through the TOML deserializer itself, so their unknown keys get
//! the same precise errors as any other table.

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// A single value or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany<T> {
    /// Written as one value.
    One(T),
    /// Written as an array.
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(value) => vec![value.clone()],
            OneOrMany::Many(values) => values.clone(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // A spanned string arrives as a map from the TOML deserializer.
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// A port to expose: `8000` or `"53/udp"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port(pub String);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number or a string like \"53/udp\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                Ok(Port(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                Ok(Port(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
                Ok(Port(v.to_owned()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Which context files a language stage brings in after installing its dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSetting {
    /// `source = false`: none.
    Off,
    /// `source = "dir"`: that directory, with the default excludes.
    Path(String),
    /// `source = { src = "...", include = [...], exclude = [...] }`.
    Table(SourceTable),
}

/// The long form of [`SourceSetting`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceTable {
    /// Directory in the context (default: the stage's `root`).
    pub src: Option<String>,
    /// Only these patterns.
    #[serde(default)]
    pub include: Vec<String>,
    /// Patterns to leave out, added to the default excludes.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl<'de> Deserialize<'de> for SourceSetting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SourceSetting;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("false, a directory, or a table with src/include/exclude")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<SourceSetting, E> {
                if v {
                    Ok(SourceSetting::Path(".".into()))
                } else {
                    Ok(SourceSetting::Off)
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SourceSetting, E> {
                Ok(SourceSetting::Path(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SourceSetting, A::Error> {
                SourceTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(SourceSetting::Table)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A build command: `"npm run build"` or a table with mounts.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry(pub RunTable);

/// The long form of a run step.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunTable {
    /// The command: a string runs in `/bin/sh -c`, an array runs as is (exec form). A shell
    /// script keeps `${ARG}` for the shell and gets each build arg it names as an environment
    /// variable (a value is never script text); other exec-form arguments get `${ARG}` replaced.
    pub cmd: OneOrMany<String>,
    /// Cache mounts kept between builds and never in a layer: a target path (the id is the path) or
    /// a table.
    #[serde(default)]
    pub cache: Vec<MountList<CacheMount>>,
    /// Secrets given with `--secret id=...`: an id (mounted at `/run/secrets/<id>`) or a table. Never
    /// written to a layer.
    #[serde(default)]
    pub secret: Vec<MountList<SecretMount>>,
    /// SSH agent forwarding (`--ssh default`): `true` for the default agent, or a list of ssh ids.
    /// Sets SSH_AUTH_SOCK.
    pub ssh: Option<SshSetting>,
    /// Directories mounted as tmpfs for this command.
    #[serde(default)]
    pub tmpfs: Vec<String>,
    /// Extra env for this command only.
    #[serde(default)]
    pub env: IndexMap<String, String>,
    /// Network: `default` (the sandbox's), `none`, or `host` (needs `--allow network.host`).
    pub network: Option<String>,
    /// Working directory for this command (default: the stage's).
    pub workdir: Option<String>,
    /// User for this command (default: the base image's, usually root; the stage's `user` only
    /// applies to the image).
    pub user: Option<String>,
    /// Run before the stage's source is copied (after its copies): for commands that do not read
    /// the source, so a source edit does not run them again.
    #[serde(default)]
    pub before_source: bool,
}

impl<'de> Deserialize<'de> for RunEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RunEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command string or a table with `cmd`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RunEntry, E> {
                Ok(RunEntry(RunTable::shell(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RunEntry, A::Error> {
                RunTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(RunEntry)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl RunTable {
    /// A plain shell command with no mounts.
    pub fn shell(command: &str) -> Self {
        Self {
            cmd: OneOrMany::One(command.to_owned()),
            cache: Vec::new(),
            secret: Vec::new(),
            ssh: None,
            tmpfs: Vec::new(),
            env: IndexMap::new(),
            network: None,
            workdir: None,
            user: None,
            before_source: false,
        }
    }
}

/// A mount written as a string (its short form) or as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountList<T>(pub T);

/// Types with a one-string short form.
pub trait Shorthand: Sized {
    /// The value the short form stands for.
    fn from_short(text: &str) -> Self;
}

impl<'de, T: Deserialize<'de> + Shorthand> Deserialize<'de> for MountList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Shorthand> Visitor<'de> for V<T> {
            type Value = MountList<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a table")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MountList(T::from_short(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(MountList)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// A cache mount.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheMount {
    /// Where it is mounted (absolute).
    pub target: String,
    /// Cache id shared across builds and stages (default: the target path).
    pub id: Option<String>,
    /// How concurrent builds share it.
    pub sharing: Option<String>,
}

impl Shorthand for CacheMount {
    fn from_short(text: &str) -> Self {
        Self {
            target: text.to_owned(),
            id: None,
            sharing: None,
        }
    }
}

/// A secret mount (`--secret id=...` on the command line).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretMount {
    /// Secret id, as given with `--secret id=...`.
    pub id: String,
    /// File path (default `/run/secrets/<id>` unless `env` is given).
    pub target: Option<String>,
    /// Also (or only, without `target`) expose it as this env var for the command.
    pub env: Option<String>,
    /// Fail the build when the secret is not given.
    pub required: Option<bool>,
}

impl Shorthand for SecretMount {
    fn from_short(text: &str) -> Self {
        Self {
            id: text.to_owned(),
            target: None,
            env: None,
            required: None,
        }
    }
}

/// SSH agent forwarding for a run step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshSetting {
    /// `ssh = true` or `false`.
    Default(bool),
    /// `ssh = ["id", ...]`.
    Ids(Vec<String>),
}

impl<'de> Deserialize<'de> for SshSetting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SshSetting;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, or a list of ssh ids")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<SshSetting, E> {
                Ok(SshSetting::Default(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SshSetting, E> {
                Ok(SshSetting::Ids(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<SshSetting, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(SshSetting::Ids)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Who a stage's image runs as: an existing user (`"nobody"`, `"1000:1000"`) or one to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserValue {
    /// A user the base image has: a name, `uid` or `uid:gid`.
    Existing(String),
    /// `user = { name = "svc", uid = 1000, group = "svc", gid = 1000, home = "/svc" }`.
    Create(NewUserTable),
}

/// The long form of [`UserValue`]: a user and group the stage creates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserTable {
    /// User name (lower case).
    pub name: String,
    /// User id.
    pub uid: Option<i64>,
    /// Group name (default: the user name).
    pub group: Option<String>,
    /// Group id (default: the uid).
    pub gid: Option<i64>,
    /// Home directory, created and owned by the user (default `/home/<name>`).
    pub home: Option<String>,
}

impl<'de> Deserialize<'de> for UserValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UserValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a user name, `uid:gid`, or a table with `name` to create a user")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UserValue, E> {
                Ok(UserValue::Existing(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<UserValue, A::Error> {
                NewUserTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(UserValue::Create)
            }
        }
        deserializer.deserialize_any(V)
    }
}
