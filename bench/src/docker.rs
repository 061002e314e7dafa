//! The Docker CLI: builds, image facts, cache pruning.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

/// A `docker` command with the environment every call uses.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new("docker");
    command
        .args(args)
        // Provenance attestations are off for both frontends: the classic image store refuses
        // them, and they would add the same export work to both sides anyway.
        .env("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
        .stdin(Stdio::null());
    command
}

/// Runs `docker args` and returns its trimmed stdout; fails with its stderr.
pub fn output(args: &[&str]) -> anyhow::Result<String> {
    let out: Output = command(args)
        .output()
        .with_context(|| format!("cannot run docker {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "docker {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One timed build.
#[derive(Debug)]
pub struct Timed {
    /// When the client was started, in seconds since the Unix epoch.
    pub launched: f64,
    /// Wall-clock seconds of the whole `docker buildx build` command.
    pub seconds: f64,
    /// Whether it succeeded.
    pub ok: bool,
}

/// `docker buildx build --progress=rawjson --load -t tag -f file context`, timed; the progress
/// goes to `log`.
pub fn build(file: &Path, context: &Path, tag: &str, log: &Path) -> anyhow::Result<Timed> {
    let sink = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let err = sink.try_clone()?;
    let file = file.to_string_lossy();
    let context = context.to_string_lossy();
    let args = [
        "buildx",
        "build",
        "--progress=rawjson",
        "--load",
        "-t",
        tag,
        "-f",
        &file,
        &context,
    ];
    let launched = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let start = Instant::now();
    let status = command(&args)
        .stdout(sink)
        .stderr(err)
        .status()
        .context("cannot run docker buildx build")?;
    Ok(Timed {
        launched,
        seconds: start.elapsed().as_secs_f64(),
        ok: status.success(),
    })
}

/// Empties BuildKit's cache: layers, cache mounts, frontend and internal records.
pub fn prune_build_cache() -> anyhow::Result<()> {
    output(&["buildx", "prune", "--all", "--force"]).map(drop)
}

/// Removes an image tag if it exists.
pub fn remove_image(reference: &str) {
    let _ = command(&["image", "rm", "--force", reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// An image's id, or `None` if there is no such image.
pub fn image_id(reference: &str) -> Option<String> {
    output(&["image", "inspect", "--format", "{{.Id}}", reference]).ok()
}

/// Size in bytes, as `docker image inspect` reports it.
pub fn image_size(reference: &str) -> anyhow::Result<u64> {
    let text = output(&["image", "inspect", "--format", "{{.Size}}", reference])?;
    text.parse()
        .with_context(|| format!("size of {reference}: `{text}`"))
}

/// The diff ids of the image's layers, bottom first.
pub fn layers(reference: &str) -> anyhow::Result<Vec<String>> {
    let text = output(&[
        "image",
        "inspect",
        "--format",
        "{{json .RootFS.Layers}}",
        reference,
    ])?;
    Ok(serde_json::from_str::<Option<Vec<String>>>(&text)
        .with_context(|| format!("layers of {reference}"))?
        .unwrap_or_default())
}

/// The size in bytes of each of the image's layers, by diff id (`sha256:<hex>`): `docker save`
/// lists them as `blobs/sha256/<hex>`, uncompressed, named by that digest.
pub fn layer_sizes(reference: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut save = command(&["save", reference])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run docker save")?;
    let stdout = save.stdout.take().context("docker save stdout")?;
    let tar = Command::new("tar")
        .args(["-t", "-v", "-f", "-"])
        .stdin(stdout)
        .output()
        .context("cannot run tar")?;
    if !save.wait()?.success() || !tar.status.success() {
        bail!(
            "listing the layers of {reference} failed: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&tar.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let hex = fields.last()?.strip_prefix("blobs/sha256/")?;
            Some((format!("sha256:{hex}"), fields.get(2)?.parse().ok()?))
        })
        .collect())
}

/// Bytes of the layers `reference` has and `before` (diff ids) had not: what a registry push
/// or pull after the change moves (uncompressed).
pub fn new_layer_bytes(reference: &str, before: &[String]) -> anyhow::Result<u64> {
    let sizes = layer_sizes(reference)?;
    let layers = layers(reference)?;
    let mut bytes = 0;
    for layer in layers.iter().filter(|l| !before.contains(l)) {
        bytes += sizes
            .get(layer)
            .with_context(|| format!("docker save {reference} has no blob for layer {layer}"))?;
    }
    Ok(bytes)
}

/// The image's working directory (`/` when unset).
pub fn workdir(reference: &str) -> anyhow::Result<String> {
    let dir = output(&[
        "image",
        "inspect",
        "--format",
        "{{.Config.WorkingDir}}",
        reference,
    ])?;
    Ok(if dir.is_empty() { "/".to_owned() } else { dir })
}

/// Every path in the image's filesystem with its size in bytes (0 for what is not a regular
/// file), normalized: `docker create` + `docker export`, read as a tar stream; nothing runs.
pub fn files(reference: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    // A command is given so that images without one (scratch) can be created too.
    let id = output(&["create", reference, "stagefile-bench-never-runs"])?;
    let listed = (|| {
        let mut export = command(&["export", &id])
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot run docker export")?;
        let stdout = export.stdout.take().context("docker export stdout")?;
        let mut files = BTreeMap::new();
        let mut archive = tar::Archive::new(stdout);
        for entry in archive.entries().context("reading docker export")? {
            let entry = entry.context("reading docker export")?;
            let path = entry.path().context("a path in docker export")?;
            let path = crate::leaks::normalize(&path.to_string_lossy()).to_owned();
            let size = match entry.header().entry_type() {
                tar::EntryType::Regular => entry.header().size().unwrap_or(0),
                _ => 0,
            };
            if !path.is_empty() {
                files.insert(path, size);
            }
        }
        if !export.wait()?.success() {
            bail!("docker export of {reference} failed");
        }
        Ok(files)
    })();
    let _ = output(&["rm", "--force", &id]);
    listed
}
