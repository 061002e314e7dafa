//! A small, generic LLB builder over `bollard-buildkit-proto`'s `pb` types.
//!
//! A [`State`] is an immutable handle on a filesystem result: every operation returns a new
//! state and leaves its inputs untouched, as in BuildKit's Go client. [`marshal`] walks the
//! graph and produces a deterministic [`crate::pb::Definition`]. Nothing here knows about Stagefiles.

mod encode;
mod exec;
mod file;
mod marshal;
mod source;
mod state;

pub use encode::encode_op;
pub use exec::{Exec, ExecMount, SecretEnv};
pub use file::{CopyOptions, FileAction};
pub use marshal::{SourceInfo, digest_bytes, marshal};
pub use source::LocalOptions;
pub use state::{OpMeta, State};
