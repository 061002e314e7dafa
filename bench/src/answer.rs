//! Time to first answer: from a container's start (the engine's `State.StartedAt`) to the first
//! `200` answer of an HTTP request to the image's server, asked every few milliseconds at the
//! container's own address (no port publishing, so no proxy in between). Every start is a new
//! container of the freshly built image, as a deployment starts one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::{docker, progress};

/// Where an example's server answers, from `bench/examples.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// The port the server listens on in the container.
    pub port: u16,
    /// The path to ask for (must answer `200`).
    pub path: String,
}

/// Containers started per image and run (each start is one sample).
pub const STARTS: usize = 3;

/// How long a server may take to answer before the measurement fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// Seconds from start to first answer of `starts` containers of `image`, one after the other.
pub fn measure(image: &str, probe: &Probe, starts: usize) -> anyhow::Result<Vec<f64>> {
    (0..starts).map(|n| once(image, probe, n)).collect()
}

fn once(image: &str, probe: &Probe, n: usize) -> anyhow::Result<f64> {
    let name = format!("stagefile-bench-answer-{}-{n}", std::process::id());
    let _ = docker::output(&["rm", "-f", &name]);
    docker::output(&["run", "-d", "--name", &name, image])
        .with_context(|| format!("starting {image}"))?;
    let answered = wait_for_answer(&name, probe);
    let started = docker::output(&["inspect", "--format", "{{.State.StartedAt}}", &name]);
    let logs = answered
        .is_err()
        .then(|| docker::output(&["logs", &name]).unwrap_or_default());
    let _ = docker::output(&["rm", "-f", &name]);
    let answered = answered.with_context(|| format!("{image}: {}", logs.unwrap_or_default()))?;
    let started = progress::timestamp(&started?)?;
    Ok(answered - started)
}

/// When (seconds since the Unix epoch) the container first answered.
fn wait_for_answer(name: &str, probe: &Probe) -> anyhow::Result<f64> {
    let address = docker::output(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        name,
    ])?;
    if address.is_empty() {
        bail!("the container has no IP address");
    }
    let target = format!("{address}:{}", probe.port);
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if answers(&target, &probe.path) {
            return Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    bail!(
        "no 200 answer from {target}{} within {}s",
        probe.path,
        PATIENCE.as_secs()
    )
}

/// Whether `GET path` at `address` answers with status 200.
fn answers(address: &str, path: &str) -> bool {
    let Ok(address) = address.parse() else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && status_is_ok(&head)
}

/// Whether a response starts with an HTTP/1.x status line of 200.
fn status_is_ok(head: &[u8]) -> bool {
    head.starts_with(b"HTTP/1.") && head.get(9..12) == Some(b"200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_200_status_line_is_an_answer() {
        assert!(status_is_ok(b"HTTP/1.1 200 OK"));
        assert!(status_is_ok(b"HTTP/1.0 200"));
        assert!(!status_is_ok(b"HTTP/1.1 502 Bad"));
        assert!(!status_is_ok(b"SSH-2.0-Open"));
    }
}
