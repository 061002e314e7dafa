//! Multi-platform builds and attestations, on the engine with the containerd image store
//! (`ENGINE=c8d`; the classic store refuses both). Images are pushed to the local registry,
//! where their index is read back, and each platform's image is run (arm64 under qemu).

use serde_json::Value;
use stagefile_e2e::{C8D, REGISTRY, fixture, require_registry, text};

const PLATFORMS: &str = "linux/amd64,linux/arm64";

/// Builds the multi-platform fixture on the c8d engine, pushes it as `name` and returns the ref.
fn build_and_push(name: &str, extra: &[&str]) -> String {
    require_registry();
    C8D.require();
    let image = format!("{REGISTRY}/stagefile-e2e/{name}:{}", std::process::id());
    let mut args = vec!["--platform", PLATFORMS, "--push"];
    args.extend_from_slice(extra);
    C8D.build(&fixture("multi-platform"), "Stagefile.toml", &image, &args)
        .expect_ok();
    image
}

/// `docker buildx imagetools inspect` with extra arguments, parsed as JSON.
fn inspect(image: &str, extra: &[&str]) -> Value {
    let mut args = vec!["buildx", "imagetools", "inspect"];
    args.extend_from_slice(extra);
    args.push(image);
    let out = C8D.docker(&args);
    assert!(
        out.status.success(),
        "inspect {image}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("imagetools JSON")
}

/// What `uname -m` wrote into each platform's image, as `docker run --platform` shows it.
fn arch_of(image: &str, platform: &str) -> String {
    let out = C8D.docker(&["run", "--rm", "--platform", platform, image]);
    assert!(
        out.status.success(),
        "run {image} on {platform}: {}",
        text(&out.stderr)
    );
    text(&out.stdout).trim().to_owned()
}

/// The index's manifests: (platform, attestation-manifest reference type if any).
fn manifests(index: &Value) -> Vec<(String, Option<String>)> {
    index["manifests"]
        .as_array()
        .expect("an image index")
        .iter()
        .map(|m| {
            let platform = &m["platform"];
            (
                format!(
                    "{}/{}",
                    platform["os"].as_str().unwrap_or(""),
                    platform["architecture"].as_str().unwrap_or("")
                ),
                m["annotations"]["vnd.docker.reference.type"]
                    .as_str()
                    .map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn several_platforms_give_one_index_whose_images_run() {
    let image = build_and_push("multi", &[]);
    assert_eq!(arch_of(&image, "linux/amd64"), "x86_64");
    assert_eq!(arch_of(&image, "linux/arm64"), "aarch64");
    let index = inspect(&image, &["--raw"]);
    assert_eq!(
        manifests(&index),
        [
            ("linux/amd64".to_owned(), None),
            ("linux/arm64".to_owned(), None)
        ],
        "{index:#}"
    );
}

#[test]
fn provenance_and_sbom_attestations_are_attached_per_platform() {
    C8D.require();
    let generator = "stagefile-e2e/sbom-generator";
    C8D.build(&fixture("sbom-generator"), "Dockerfile", generator, &[])
        .expect_ok();
    let sbom = format!("type=sbom,generator={generator}");
    let image = build_and_push(
        "attest",
        &["--attest", "type=provenance,mode=max", "--attest", &sbom],
    );
    let index = inspect(&image, &["--raw"]);
    let attestations = manifests(&index)
        .into_iter()
        .filter(|(_, kind)| kind.as_deref() == Some("attestation-manifest"))
        .count();
    assert_eq!(
        attestations, 2,
        "one attestation manifest per platform:\n{index:#}"
    );

    let provenance = inspect(&image, &["--format", "{{json .Provenance}}"]);
    let sboms = inspect(&image, &["--format", "{{json .SBOM}}"]);
    for (platform, arch) in [("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")] {
        // mode=max records the build definition: the spec's own step is in it.
        let llb = provenance[platform]["SLSA"]["buildConfig"]["llbDefinition"].to_string();
        assert!(
            llb.contains("uname -m > /arch"),
            "{platform}: {provenance:#}"
        );
        // The generator scanned that platform's image.
        let packages = sboms[platform]["SPDX"]["packages"].to_string();
        assert!(
            packages.contains(&format!("arch-{arch}")),
            "{platform}: {sboms:#}"
        );
    }
}
