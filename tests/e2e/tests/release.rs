//! The release: what `scripts/release.sh` made when `setup.sh` ran it against the local
//! registry (the image for two platforms with attestations and OCI labels, `llb-gen` tarballs),
//! an example built through that image on a fresh docker-container builder for both platforms,
//! one version everywhere, and the GitHub workflows that run the script passing a schema check.

use std::path::{Path, PathBuf};
use std::process::Command;

use stagefile_e2e::buildkit::{
    ARCH_SPEC, Builder, PLATFORMS, REGISTRY, attestation_count, fresh_ref, index_platforms,
    inspect, provenance_llb, release_image, require_buildkit, run_platform, version,
};
use stagefile_e2e::{SETUP, Scratch, repo_root, text};

#[test]
fn the_release_image_has_both_platforms_attestations_and_labels() {
    require_buildkit();
    let image = release_image();
    let index = inspect(&image, &["--raw"]);
    assert_eq!(index_platforms(&index), ["linux/amd64", "linux/arm64"]);
    assert_eq!(
        attestation_count(&index),
        2,
        "provenance and SBOM, one attestation manifest per platform:\n{index:#}"
    );
    let (major, minor) = {
        let mut parts = version().split('.');
        (parts.next().expect("major"), parts.next().expect("minor"))
    };
    for floating in [format!("{major}.{minor}"), major.to_owned()] {
        let other = format!("{REGISTRY}/stagefile:{floating}");
        assert_eq!(inspect(&other, &["--raw"]), index, "{other} is {image}");
    }

    let configs = inspect(&image, &["--format", "{{json .Image}}"]);
    let sboms = inspect(&image, &["--format", "{{json .SBOM}}"]);
    let provenance = inspect(&image, &["--format", "{{json .Provenance}}"]);
    for (platform, uname) in [("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")] {
        let labels = &configs[platform]["config"]["Labels"];
        assert_eq!(labels["org.opencontainers.image.version"], version());
        let revision = labels["org.opencontainers.image.revision"]
            .as_str()
            .unwrap_or_default();
        assert!(is_commit(revision), "{platform}: revision {revision:?}");
        assert!(
            labels["org.opencontainers.image.source"].is_string(),
            "{labels:#}"
        );
        assert_eq!(
            labels["moby.buildkit.frontend.network.none"], "true",
            "{labels:#}"
        );
        // The SBOM scanned that platform's image: it holds the binary the script built.
        let arch = platform.trim_start_matches("linux/");
        let binary = repo_root().join("target/dist/image").join(arch);
        let sum = output(
            Command::new("sha256sum")
                .arg("stagefile-frontend")
                .current_dir(&binary),
        );
        let sum = sum.split_whitespace().next().unwrap_or_default();
        let files = sboms[platform]["SPDX"]["files"].as_array().cloned();
        let listed = files.unwrap_or_default().into_iter().find(|f| {
            f["fileName"]
                .as_str()
                .is_some_and(|n| n.ends_with("bin/stagefile-frontend"))
        });
        let listed = listed.unwrap_or_else(|| panic!("{platform}: {:#}", sboms[platform]));
        assert_eq!(listed["checksums"][0]["checksumValue"], sum, "{platform}");
        // mode=max provenance records what was solved: the copy of that binary.
        let llb = provenance_llb(&provenance[platform]["SLSA"]).to_string();
        assert!(
            llb.contains(&format!("local://frontend-build-{arch}")),
            "{platform}: {llb}"
        );
        // Each platform's binary runs (arm64 under qemu) and reports the release version.
        let out = run_platform(&image, platform, &["--version"]);
        assert_eq!(out.trim(), format!("stagefile-frontend {}", version()));
        let help = run_platform(&image, platform, &["--help"]);
        assert!(help.contains("BuildKit runs it"), "{uname}: {help}");
    }
}

#[test]
fn llb_gen_release_binaries_are_static_and_report_the_version() {
    let dist = repo_root().join("target/dist");
    let sums = dist.join("SHA256SUMS");
    assert!(
        sums.is_file(),
        "no {} from scripts/release.sh; run:\n    {SETUP}",
        sums.display()
    );
    let check = Command::new("sha256sum")
        .args(["--check", "SHA256SUMS"])
        .current_dir(&dist)
        .output()
        .expect("sha256sum runs");
    assert!(check.status.success(), "{}", text(&check.stdout));
    let unpacked = Scratch::with_files("release-dist", &[]);
    std::fs::create_dir_all(&unpacked.path).expect("scratch directory");
    for (triple, machine) in [
        ("x86_64-unknown-linux-musl", "X86-64"),
        ("aarch64-unknown-linux-musl", "AArch64"),
    ] {
        let name = format!("llb-gen-{}-{triple}", version());
        let tarball = dist.join(format!("{name}.tar.gz"));
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&unpacked.path)
            .status()
            .expect("tar runs");
        assert!(status.success(), "cannot unpack {}", tarball.display());
        let binary = unpacked.path.join(&name).join("llb-gen");
        let header = output(Command::new("readelf").arg("-hl").arg(&binary));
        assert!(header.contains(machine), "{triple}: {header}");
        assert!(!header.contains("INTERP"), "{triple} is not static");
        // The aarch64 binary runs under qemu's binfmt handler.
        let reported = output(Command::new(&binary).arg("--version"));
        assert_eq!(reported.trim(), format!("llb-gen {}", version()));
        assert!(unpacked.path.join(&name).join("CHANGELOG.md").is_file());
    }
}

#[test]
fn an_example_builds_through_the_release_image_on_a_fresh_builder_for_both_platforms() {
    require_buildkit();
    let spec = format!("# syntax={}\n{ARCH_SPEC}", release_image());
    let dir = Scratch::with_files("release-example", &[("Stagefile.toml", &spec)]);
    let builder = Builder::docker_container("fresh");
    let image = fresh_ref("release-example");
    builder
        .build(
            &dir.path,
            "Stagefile.toml",
            &["--platform", PLATFORMS, "--tag", &image, "--push"],
        )
        .expect_ok();
    assert_eq!(
        index_platforms(&inspect(&image, &["--raw"])),
        ["linux/amd64", "linux/arm64"]
    );
    assert_eq!(run_platform(&image, "linux/amd64", &[]).trim(), "x86_64");
    assert_eq!(run_platform(&image, "linux/arm64", &[]).trim(), "aarch64");
}

#[test]
fn one_version_in_cargo_the_changelog_and_both_binaries() {
    let root = repo_root();
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).expect("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("\n## [{}]", version())),
        "CHANGELOG.md has no section for {}",
        version()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (package, binary) in [
        ("llb-gen", "llb-gen"),
        ("stagefile-frontend", "stagefile-frontend"),
    ] {
        let status = Command::new(&cargo)
            .args([
                "build", "--quiet", "--locked", "-p", package, "--bin", binary,
            ])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p {package}");
        let reported =
            output(Command::new(target_dir(&root).join("debug").join(binary)).arg("--version"));
        assert_eq!(reported.trim(), format!("{binary} {}", version()));
    }
}

#[test]
fn workflows_pass_the_schema_check_offline_and_run_the_release_script() {
    let root = repo_root();
    let workflows = root.join(".github/workflows");
    let files: Vec<PathBuf> = ["release.yml", "ci.yml"]
        .iter()
        .map(|f| workflows.join(f))
        .collect();
    let checked = check_jsonschema(&files);
    assert!(checked.0, "{}", checked.1);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("workflow");
        assert!(
            text.contains("bash scripts/release.sh"),
            "{}",
            file.display()
        );
    }
    // The check can fail: a job without `runs-on` is refused.
    let release = std::fs::read_to_string(&files[0]).expect("release.yml");
    let broken = release.replace("runs-on:", "runs_on:");
    assert_ne!(broken, release);
    let dir = Scratch::with_files("workflow-broken", &[("release.yml", &broken)]);
    let refused = check_jsonschema(&[dir.path.join("release.yml")]);
    assert!(!refused.0, "a broken workflow passed:\n{}", refused.1);
    assert!(refused.1.contains("runs-on"), "{}", refused.1);
}

/// check-jsonschema with its vendored GitHub workflow schema, in a network namespace of its own
/// (no network: the schema must come with the package). Success and output.
fn check_jsonschema(files: &[PathBuf]) -> (bool, String) {
    let tool = Path::new("/opt/stagefile-tools/venv/bin/check-jsonschema");
    assert!(
        tool.is_file(),
        "no {} (PyPI's check-jsonschema); install it with:\n    {SETUP}",
        tool.display()
    );
    let out = Command::new("unshare")
        .arg("--net")
        .arg(tool)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(files)
        .output()
        .expect("unshare runs");
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// A command's stdout; panics with its output unless it succeeds.
fn output(command: &mut Command) -> String {
    let out = command.output().expect("command runs");
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Whether `revision` names a commit of this repository.
fn is_commit(revision: &str) -> bool {
    revision.len() == 40
        && Command::new("git")
            .args(["cat-file", "-e", &format!("{revision}^{{commit}}")])
            .current_dir(repo_root())
            .status()
            .is_ok_and(|s| s.success())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into)
}
