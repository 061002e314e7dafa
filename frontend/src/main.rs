//! `stagefile-frontend`: the BuildKit gateway frontend for `Stagefile.toml`.
//!
//! BuildKit starts it with the frontend options in its environment and the LLB bridge on
//! stdin/stdout. It stays thin: options in, spec read, compiled with `llb-gen`, solved,
//! result returned. It never writes to stdout (that is the gRPC stream) and never panics: every
//! failure goes back through `Return`, and the process exits right after.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout,
        clippy::print_stderr,
        clippy::indexing_slicing,
        clippy::dbg_macro
    )
)]

/// Logs a line to stderr (the daemon's log; buildx shows it when the frontend fails). Write
/// errors are ignored: `eprintln!` would panic on them.
macro_rules! log {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "stagefile-frontend: {}", format_args!($($arg)*));
    }};
}
pub(crate) use log;

mod caps;
mod contexts;
mod elf_check;
mod errors;
mod image_config;
mod lint;
mod load;
mod localsrc;
mod options;
mod resolve;
mod run;
mod solve;
mod subrequests;
mod tabwriter;
mod transport;
mod warnings;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::ReturnRequest;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;

/// The LLB bridge client over stdio.
pub type Bridge = LlbBridgeClient<tonic::transport::Channel>;

/// The release version, the workspace's: `llb-gen --version` reports the same one.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() {
    // BuildKit starts the frontend without arguments; `--version` is for people and release checks.
    if let Some(arg) = std::env::args().nth(1) {
        std::process::exit(command_line(&arg));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            log!("cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(serve());
    // Exit with the runtime still alive: dropping it would wait forever for the blocking
    // stdin read, and BuildKit would wait for this process.
    std::process::exit(code);
}

/// Answers `--version` (and `--help`) when run by hand; the process exit code.
fn command_line(arg: &str) -> i32 {
    use std::io::Write as _;
    match arg {
        "--version" | "-V" => {
            let _ = writeln!(std::io::stdout(), "stagefile-frontend {VERSION}");
            0
        }
        "--help" | "-h" => {
            let _ = writeln!(
                std::io::stdout(),
                "stagefile-frontend {VERSION}: the BuildKit frontend for Stagefile.toml.\n\
                 BuildKit runs it (`# syntax=<this image>`); by hand it only answers --version."
            );
            0
        }
        other => {
            log!(
                "unexpected argument `{other}`: BuildKit runs this frontend without arguments (try --version)"
            );
            2
        }
    }
}

/// Connects, runs, returns the outcome to BuildKit; the process exit code.
async fn serve() -> i32 {
    let mut client = match transport::connect().await {
        Ok(client) => client,
        Err(e) => {
            log!("cannot connect to BuildKit over stdio: {e}");
            return 1;
        }
    };
    let request = match run::run(&mut client).await {
        Ok(result) => ReturnRequest {
            result: Some(result),
            error: None,
        },
        Err(error) => {
            log!("{error}");
            ReturnRequest {
                result: None,
                error: Some(error.to_status()),
            }
        }
    };
    match client.r#return(request).await {
        Ok(_) => 0,
        Err(status) => {
            log!(
                "returning the result to BuildKit failed: {}",
                status.message()
            );
            1
        }
    }
}
