//! `llb-gen` compiles a declarative `Stagefile.toml` into a BuildKit LLB [`pb::Definition`].
//!
//! The pipeline, one module per phase:
//!
//! 1. [`spec`]: serde types with spans, read from TOML (no logic).
//! 2. [`plan`]: validation into a typed plan; every error is collected with its TOML span.
//! 3. [`recipes`]: per-language knowledge (python, node, ruby, apt, user) that expands each
//!    stage into plain build steps. Recipes never touch BuildKit types.
//! 4. [`lower`]: turns build steps into LLB states with the generic [`llb`] builder.
//! 5. [`llb`]: a small LLB builder over `bollard-buildkit-proto` that knows nothing of specs, and
//!    the deterministic marshaller that produces the `Definition`.
//!
//! [`Compiler`] strings the phases together for the CLI and the gateway frontend.

pub mod check;
pub mod compile;
pub mod diag;
pub mod dump;
pub mod ignore;
pub mod image;
pub mod interp;
pub mod ir;
pub mod lang;
pub mod llb;
pub mod lower;
pub mod options;
pub mod plan;
pub mod platform;
pub mod probe;
pub mod recipes;
pub mod reference;
pub mod spec;

pub use bollard_buildkit_proto::pb;
pub use compile::{CompileOptions, Compiled, ContextSource, NamedContext, Prepared, ResolvedImage};
pub use diag::{Diagnostic, Diagnostics, SourceFile};
pub use platform::Platform;
pub use probe::{ContextProbe, KnownPaths, LocalDirProbe};
