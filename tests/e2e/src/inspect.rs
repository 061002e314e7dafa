//! Looking into built images and running ones: a container serving HTTP, what a build left
//! behind (build tools, caches), a root shell, the image's size.

use std::time::Duration;

use crate::{docker, run_with, sh, text};

/// A running container serving HTTP, removed when dropped.
pub struct Server {
    name: String,
}

impl Server {
    /// Starts `image` detached with `port` published on loopback and waits until `GET path`
    /// answers; returns the server and the response body.
    pub fn start(image: &str, port: u16, path: &str) -> (Self, String) {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!(
            "stagefile-e2e-{}-{}-{n}",
            image.replace([':', '/'], "-"),
            std::process::id()
        );
        let _ = docker(&["rm", "-f", &name]);
        let publish = format!("127.0.0.1::{port}");
        let output = docker(&["run", "-d", "--name", &name, "-p", &publish, image]);
        assert!(
            output.status.success(),
            "docker run -d {image}: {}",
            text(&output.stderr)
        );
        let server = Server { name };
        let mapped = docker(&["port", &server.name, &format!("{port}/tcp")]);
        let address = text(&mapped.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        for _ in 0..80 {
            if let Some(body) = http_get(&address, path) {
                return (server, body);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let logs = docker(&["logs", &server.name]);
        panic!(
            "{image} did not answer on {address}{path}:\n{}{}",
            text(&logs.stdout),
            text(&logs.stderr)
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.name]);
    }
}

/// A plain HTTP/1.0 GET; the body of a 200 answer, or `None`.
pub fn http_get(address: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then_some(())?;
    head.split_whitespace()
        .nth(1)
        .filter(|code| *code == "200")?;
    Some(body.to_owned())
}

/// Lines of a build log that report a cached step (`#N CACHED`) with the step names.
pub fn cached_steps(log: &str) -> Vec<String> {
    let mut names = std::collections::BTreeMap::new();
    let mut cached = Vec::new();
    for line in log.lines() {
        let mut parts = line.splitn(2, ' ');
        let (Some(id), Some(rest)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !id.starts_with('#') {
            continue;
        }
        if rest == "CACHED" {
            cached.push(id.to_owned());
        } else if rest.starts_with('[') && !names.contains_key(id) {
            names.insert(id.to_owned(), rest.to_owned());
        }
    }
    cached
        .into_iter()
        .filter_map(|id| names.get(&id).cloned())
        .collect()
}

/// What a runtime image should not hold: compilers, package-manager caches, apt lists. Returns
/// the offending paths found in `image` (empty when it is clean).
pub fn build_leftovers(image: &str) -> Vec<String> {
    let script = "for p in $(command -v gcc cc c++ make 2>/dev/null) \
        /root/.cache/pip /root/.cache/uv /root/.cache/pypoetry /root/.npm /root/.bundle/cache \
        /usr/local/bundle/cache /var/cache/apt/archives/*.deb /var/lib/apt/lists/*_Packages \
        /home/*/.cache/pip; do [ -e \"$p\" ] && echo \"$p\"; done; true";
    root_sh(image, script)
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Runs a shell command in `image` as root (entrypoint overridden) and returns stdout. Checks
/// for leftovers need root: `/root` is closed to the image's own user, so a check run as that
/// user finds nothing there even when caches are.
pub fn root_sh(image: &str, script: &str) -> String {
    run_with(
        image,
        &["--user", "0", "--entrypoint", "/bin/sh"],
        &["-c", script],
    )
}

/// Installed Debian packages that only builds need: compilers and `-dev` packages.
pub fn dev_packages(image: &str) -> Vec<String> {
    let script = "dpkg -l | awk '/^ii/ {print $2}' \
        | grep -E -- '-dev(:|$)|^(gcc|g\\+\\+|cpp)(-[0-9]+)?(:|$)|^build-essential$' || true";
    sh(image, script)
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The image's size in bytes, as `docker image inspect` reports it.
pub fn image_size(image: &str) -> u64 {
    let output = docker(&["image", "inspect", "--format", "{{.Size}}", image]);
    assert!(
        output.status.success(),
        "inspect {image}: {}",
        text(&output.stderr)
    );
    text(&output.stdout).trim().parse().expect("image size")
}
