//! `llb-gen` compiles a declarative `Stagefile.toml` into a BuildKit LLB [`pb::Definition`].
//!
//! The pipeline, one module per phase, each depending only on the ones before it (a test,
//! `tests/layers.rs`, keeps it so):
//!
//! 1. [`spec`]: serde types with spans, read from TOML (no logic).
//! 2. [`lang`]: what each language is (one file each) and its package managers (one row each).
//! 3. [`plan`]: validation into a typed plan for one target; every error is collected with its
//!    TOML span and a [`diag::Code`].
//! 4. [`recipes`]: each stage as plain build steps ([`ir::Step`]), the language's install and
//!    build steps placed among the stage's own. Recipes never touch BuildKit types.
//! 5. [`lower`]: turns build steps into LLB states with the generic [`llb`] builder.
//! 6. [`llb`]: a small LLB builder over `bollard-buildkit-proto` that knows nothing of specs, and
//!    the deterministic marshaller that produces the `Definition`.
//!
//! [`Prepared`] strings the phases together for the CLI and the gateway frontend; the invocation
//! ([`options`]), the shared step vocabulary ([`ir`]) and the diagnostic sink ([`check`]) sit
//! below every phase. `docs/architecture.md` is the map for contributors.

pub mod check;
pub mod compile;
pub mod diag;
pub mod dump;
pub mod elf;
pub mod ignore;
pub mod image;
pub mod interp;
pub mod ir;
pub mod lang;
pub mod limits;
pub mod llb;
pub mod lower;
pub mod options;
pub mod plan;
pub mod platform;
pub mod probe;
pub mod recipes;
pub mod reference;
pub mod shell;
pub mod source;
pub mod spec;

pub use bollard_buildkit_proto::pb;
pub use compile::{CompileOptions, Compiled, ContextSource, NamedContext, Prepared, ResolvedImage};
pub use diag::{Diagnostic, Diagnostics, SourceFile};
pub use platform::Platform;
pub use probe::{ContextProbe, KnownPaths, LocalDirProbe};
