//! The BuildKit daemons CI systems and build platforms run, as `setup.sh` makes them
//! (`tests/e2e/setup-buildkit.sh`): a standalone `buildkitd` v0.32.2 built from the vendored
//! source, reached with `buildctl` or a buildx remote-driver builder; docker-container builders
//! on a local `moby/buildkit` image (what GitHub Actions' setup-buildx-action starts); and the
//! release image `scripts/release.sh` pushed to the local registry.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Build, SETUP, docker, text};

/// A spec for several platforms, without a `# syntax=` line: a build stage writes `uname -m`
/// to its output and the image prints the copy.
pub const ARCH_SPEC: &str = "\
[stage.build]
from = \"stagefile-e2e/busybox:multi\"
workdir = \"/out\"
run = [\"uname -m > /out/arch\"]
outputs = [\"arch\"]

[stage.app]
from = \"stagefile-e2e/busybox:multi\"
copy = [{ from = \"build\", dest = \"/srv/\" }]
cmd = [\"cat\", \"/srv/arch\"]
";

/// `buildctl`, built from the vendored BuildKit source.
pub const BUILDCTL: &str = "/opt/stagefile-buildkit/bin/buildctl";
/// The standalone daemon's address.
pub const BUILDKITD: &str = "unix:///run/stagefile-buildkit/buildkitd.sock";
/// The BuildKit version built from the vendored source.
pub const BUILDKIT_VERSION: &str = "v0.32.2";
/// The buildkitd config for builders: docker.io mirrored by the local registry.
pub const BUILDER_CONFIG: &str = "/var/lib/stagefile-buildkit/builder.toml";
/// The `moby/buildkit` image for the docker-container driver, in the local registry.
pub const BUILDKIT_IMAGE: &str = "127.0.0.1:5000/moby/buildkit:v0.32.2-local";
/// The local registry as the daemons' config names it (plain HTTP).
pub const REGISTRY: &str = "127.0.0.1:5000";
/// The two platforms of the release image and of the multi-platform builds.
pub const PLATFORMS: &str = "linux/amd64,linux/arm64";

/// The release version: the workspace's, which this crate shares.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The release image `scripts/release.sh` pushed to the local registry for this version.
pub fn release_image() -> String {
    format!("{REGISTRY}/stagefile:{}", version())
}

/// A registry reference no earlier run used: `127.0.0.1:5000/stagefile-e2e/NAME:<pid>-<nanos>`.
pub fn fresh_ref(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!(
        "{REGISTRY}/stagefile-e2e/{name}:{}-{nanos}",
        std::process::id()
    )
}

/// Panics with the set-up command unless buildkitd answers with the vendored version and the
/// release image is in the local registry.
pub fn require_buildkit() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        if !Path::new(BUILDCTL).is_file() {
            return Err(format!("{BUILDCTL} does not exist"));
        }
        let info = buildctl(&["debug", "info"]);
        if !info.status.success() || !text(&info.stdout).contains(BUILDKIT_VERSION) {
            return Err(format!(
                "no buildkitd {BUILDKIT_VERSION} answers at {BUILDKITD}: {}{}",
                text(&info.stdout).trim(),
                text(&info.stderr).trim()
            ));
        }
        let image = release_image();
        if !docker(&["buildx", "imagetools", "inspect", &image])
            .status
            .success()
        {
            return Err(format!("the release image {image} is not in the registry"));
        }
        Ok(())
    });
    if let Err(why) = ready {
        panic!("this test needs the standalone BuildKit: {why}.\nSet it up with:\n    {SETUP}");
    }
}

/// Runs `buildctl --addr <buildkitd>` with arguments.
pub fn buildctl(args: &[&str]) -> Output {
    buildctl_command(args).output().expect("buildctl runs")
}

/// `buildctl --addr <buildkitd>` with arguments, not started yet (stdin is null).
pub fn buildctl_command(args: &[&str]) -> Command {
    let mut command = Command::new(BUILDCTL);
    command
        .arg("--addr")
        .arg(BUILDKITD)
        .args(args)
        .stdin(Stdio::null());
    command
}

/// The outcome of a command as a [`Build`] (its output is the log).
pub fn outcome(output: &Output, what: &str) -> Build {
    Build {
        ok: output.status.success(),
        log: format!("{}{}", text(&output.stdout), text(&output.stderr)),
        tag: what.to_owned(),
    }
}

/// `buildctl build` of `dir/Stagefile.toml` through the release image (gateway.v0), with extra
/// arguments (outputs, `--opt`s).
pub fn buildctl_gateway(dir: &Path, extra: &[&str]) -> Build {
    let dir = dir.to_string_lossy();
    let source = format!("source={}", release_image());
    let context = format!("context={dir}");
    let dockerfile = format!("dockerfile={dir}");
    let mut args = vec![
        "build",
        "--progress=plain",
        "--frontend",
        "gateway.v0",
        "--opt",
        &source,
        "--opt",
        "filename=Stagefile.toml",
        "--local",
        &context,
        "--local",
        &dockerfile,
    ];
    args.extend_from_slice(extra);
    outcome(&buildctl(&args), &format!("buildctl build {dir}"))
}

/// A buildx builder this test made, removed (with its state) when dropped.
pub struct Builder {
    /// Its name (`--builder`).
    pub name: String,
}

impl Builder {
    /// A new docker-container builder on the local `moby/buildkit` image with the registry
    /// mirror config, started: as `docker/setup-buildx-action` makes one, with an empty cache.
    pub fn docker_container(label: &str) -> Self {
        let opt = format!("image={BUILDKIT_IMAGE},network=host");
        Self::create(
            label,
            &[
                "--driver",
                "docker-container",
                "--driver-opt",
                &opt,
                "--buildkitd-config",
                BUILDER_CONFIG,
            ],
        )
    }

    /// A new remote-driver builder connected to the standalone buildkitd.
    pub fn remote(label: &str) -> Self {
        Self::create(label, &["--driver", "remote", BUILDKITD])
    }

    fn create(label: &str, driver: &[&str]) -> Self {
        let name = format!("stagefile-e2e-{label}-{}", std::process::id());
        let _ = docker(&["buildx", "rm", "--force", &name]);
        let mut args = vec!["buildx", "create", "--name", &name, "--bootstrap"];
        args.extend_from_slice(driver);
        let out = docker(&args);
        assert!(
            out.status.success(),
            "docker buildx create {driver:?} failed (is the set-up done? {SETUP}):\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        Self { name }
    }

    /// `docker buildx build --builder <this>` of `dir/file` with extra arguments (give an
    /// output: `--load`, `--push` or `--output`).
    pub fn build(&self, dir: &Path, file: &str, extra: &[&str]) -> Build {
        let spec = dir.join(file);
        let spec = spec.to_string_lossy();
        let context = dir.to_string_lossy();
        let mut args = vec![
            "buildx",
            "build",
            "--builder",
            &self.name,
            "--progress=plain",
            "-f",
            &spec,
        ];
        args.extend_from_slice(extra);
        args.push(&context);
        outcome(&docker(&args), &format!("{spec} on {}", self.name))
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        let _ = docker(&["buildx", "rm", "--force", &self.name]);
    }
}

/// `docker buildx imagetools inspect` with extra arguments, parsed as JSON.
pub fn inspect(image: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["buildx", "imagetools", "inspect"];
    args.extend_from_slice(extra);
    args.push(image);
    let out = docker(&args);
    assert!(
        out.status.success(),
        "imagetools inspect {image}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("imagetools JSON")
}

/// The platforms (`os/architecture`) of an index's image manifests, attestations left out.
pub fn index_platforms(index: &serde_json::Value) -> Vec<String> {
    index["manifests"]
        .as_array()
        .expect("an image index")
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.type"].is_null())
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap_or(""),
                m["platform"]["architecture"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// How many attestation manifests an index holds.
pub fn attestation_count(index: &serde_json::Value) -> usize {
    index["manifests"]
        .as_array()
        .expect("an image index")
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .count()
}

/// Runs `image` (pulled from the registry) for `platform` with `docker run` arguments after
/// the image; returns stdout, panics on failure.
pub fn run_platform(image: &str, platform: &str, args: &[&str]) -> String {
    crate::run_with(image, &["--pull", "always", "--platform", platform], args)
}

/// The LLB definition a `mode=max` provenance attestation records (SLSA v1 as BuildKit v0.32
/// writes it, or v0.2 as older engines do); `Null` when there is none.
pub fn provenance_llb(slsa: &serde_json::Value) -> &serde_json::Value {
    let v1 = &slsa["buildDefinition"]["internalParameters"]["buildConfig"]["llbDefinition"];
    if v1.is_null() {
        &slsa["buildConfig"]["llbDefinition"]
    } else {
        v1
    }
}

/// Whether an LLB definition, as provenance records it, has a merge op.
pub fn has_merge_op(llb: &serde_json::Value) -> bool {
    llb.as_array()
        .is_some_and(|ops| ops.iter().any(|op| op["op"]["Op"]["merge"].is_object()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_ops_are_found_in_either_provenance_version() {
        let ops = json!([
            {"op": {"Op": {"source": {"identifier": "local://context"}}}},
            {"op": {"Op": {"merge": {"inputs": [{"input": 0}, {"input": 1}]}}}},
        ]);
        let v1 = json!({"buildDefinition": {"internalParameters": {"buildConfig": {"llbDefinition": ops}}}});
        let v02 = json!({"buildConfig": {"llbDefinition": ops}});
        assert!(has_merge_op(provenance_llb(&v1)));
        assert!(has_merge_op(provenance_llb(&v02)));
        let chained = json!([{"op": {"Op": {"file": {"actions": []}}}, "merge": "not an op"}]);
        assert!(!has_merge_op(&chained));
        assert!(!has_merge_op(provenance_llb(&json!({}))));
    }

    #[test]
    fn index_platforms_leave_out_attestations() {
        let index = json!({"manifests": [
            {"platform": {"os": "linux", "architecture": "amd64"}},
            {"platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
            {"platform": {"os": "linux", "architecture": "arm64"}},
        ]});
        assert_eq!(index_platforms(&index), ["linux/amd64", "linux/arm64"]);
        assert_eq!(attestation_count(&index), 1);
    }
}
