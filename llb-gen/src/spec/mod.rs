//! Phase 1: the `Stagefile.toml` as written, as serde types with spans. No logic lives here.
//!
//! Every table refuses unknown keys; [`parse`] turns serde's refusal into a diagnostic with a
//! "did you mean" suggestion taken from the keys the table accepts.

mod parse;
mod tables;
mod tree;
mod values;

pub use parse::parse;
pub use tables::{CopyTable, Healthcheck, Package, Spec, Stage};
pub use values::{
    CacheMount, MountList, NewUserTable, OneOrMany, Port, RunEntry, RunTable, SecretMount,
    SourceSetting, SourceTable, SshSetting, UserValue,
};
