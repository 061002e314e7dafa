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

fn main() {
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
