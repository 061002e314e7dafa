//! The gRPC channel to BuildKit: HTTP/2 with prior knowledge over this process's stdin and
//! stdout, which BuildKit connects to its LLB bridge.

use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::io::{Join, Stdin, Stdout};
use tonic::transport::{Channel, Endpoint, Uri};

use crate::Bridge;

/// Largest message either way (BuildKit's own limit; tonic decodes only 4 MiB by default).
pub const MAX_MESSAGE_SIZE: usize = 16 << 20;

type Stdio = TokioIo<Join<Stdin, Stdout>>;

/// Connects to the LLB bridge on stdio. The stream is handed out once: stdio cannot be reopened,
/// so a reconnect attempt fails instead of reading a half-used stream.
pub async fn connect() -> Result<Bridge, tonic::transport::Error> {
    let slot: Arc<Mutex<Option<Stdio>>> = Arc::new(Mutex::new(Some(TokioIo::new(
        tokio::io::join(tokio::io::stdin(), tokio::io::stdout()),
    ))));
    let connector = tower::service_fn(move |_: Uri| {
        let stream = slot.lock().ok().and_then(|mut s| s.take());
        async move {
            stream.ok_or_else(|| std::io::Error::other("the stdio connection to BuildKit was lost"))
        }
    });
    let channel: Channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await?;
    Ok(Bridge::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE))
}
