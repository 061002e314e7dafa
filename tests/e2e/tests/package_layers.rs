//! A virtualenv reaches the image in layers by the packages' first letters: adding a package
//! re-ships the layer of its letters (and the ones after it), not the whole virtualenv.

use std::path::Path;
use std::process::Command;

use stagefile_e2e::buildkit::{buildctl_gateway, require_buildkit};
use stagefile_e2e::{Scratch, build, docker, example, run, text};

/// The layers of `image` (as `docker save` names them, in order), each with its file list.
fn layers(image: &str, name: &str) -> Vec<(String, Vec<String>)> {
    let dir = Scratch::with_files(name, &[]);
    std::fs::create_dir_all(&dir.path).expect("mkdir");
    let tar = dir.path.join("image.tar");
    let saved = docker(&["save", "-o", tar.to_str().expect("utf-8 path"), image]);
    assert!(
        saved.status.success(),
        "docker save {image}: {}",
        text(&saved.stderr)
    );
    archive_layers(&tar, &dir.path)
}

/// The layers of the image in an archive of `docker save` or of an OCI layout, unpacked in
/// `dir`: their blob paths, in order, each with its file list.
fn archive_layers(archive: &Path, dir: &Path) -> Vec<(String, Vec<String>)> {
    untar(archive, dir, &[]);
    let json = |path: &str| -> serde_json::Value {
        let bytes = std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_slice(&bytes).expect("JSON")
    };
    let paths: Vec<String> = if dir.join("manifest.json").is_file() {
        let manifest = json("manifest.json");
        let layers = manifest[0]["Layers"].as_array().expect("Layers");
        layers
            .iter()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect()
    } else {
        let index = json("index.json");
        let digest = index["manifests"][0]["digest"]
            .as_str()
            .expect("a manifest");
        let manifest = json(&blob(digest));
        let layers = manifest["layers"].as_array().expect("layers");
        layers
            .iter()
            .filter_map(|l| l["digest"].as_str().map(blob))
            .collect()
    };
    assert!(!paths.is_empty(), "{} has no layers", archive.display());
    paths
        .into_iter()
        .map(|layer| {
            let listed = untar(&dir.join(&layer), dir, &["-t"]);
            (layer, listed.lines().map(str::to_owned).collect())
        })
        .collect()
}

/// A blob's path in an OCI layout.
fn blob(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

/// Runs `tar -xf file` in `dir`, or lists it with `-t`.
fn untar(file: &Path, dir: &Path, list: &[&str]) -> String {
    let mode = if list.is_empty() { "-x" } else { "-t" };
    let output = Command::new("tar")
        .arg(mode)
        .arg("-f")
        .arg(file)
        .current_dir(dir)
        .output()
        .expect("tar");
    assert!(output.status.success(), "tar {mode} {}", file.display());
    text(&output.stdout)
}

/// The layer holding a file whose path ends with `suffix`.
fn holding<'l>(layers: &'l [(String, Vec<String>)], suffix: &str) -> &'l str {
    let found: Vec<&str> = layers
        .iter()
        .filter(|(_, files)| files.iter().any(|f| f.ends_with(suffix)))
        .map(|(layer, _)| layer.as_str())
        .collect();
    assert_eq!(found.len(), 1, "layers holding {suffix}: {found:?}");
    found[0]
}

#[test]
fn adding_a_package_keeps_the_layers_of_the_other_letters() {
    let dir = Scratch::copy_of(&example("python-venv"), "package-layers");
    let before = "stagefile-e2e/package-layers:before";
    let after = "stagefile-e2e/package-layers:after";
    build(&dir.path, before, &[]).expect_ok();
    let requirements = dir.path.join("requirements.txt");
    let mut listed = std::fs::read_to_string(&requirements).expect("requirements.txt");
    listed.push_str("six==1.17.0\n");
    std::fs::write(&requirements, listed).expect("write requirements.txt");
    build(&dir.path, after, &[]).expect_ok();
    assert!(
        run(
            after,
            &[
                "python",
                "-c",
                "import six, flask, psycopg2; print('imported')"
            ]
        )
        .contains("imported")
    );

    let old = layers(before, "package-layers-before");
    let new = layers(after, "package-layers-after");
    // flask (d-h), itsdangerous (i-o) and psycopg2 (p-r) are in layers of their own, left as
    // they were; six joins werkzeug's (s-z), which is new.
    let kept = [
        "site-packages/flask/__init__.py",
        "site-packages/itsdangerous/__init__.py",
        "site-packages/psycopg2/__init__.py",
    ];
    let mut seen = Vec::new();
    for file in kept {
        let layer = holding(&new, file);
        assert_eq!(layer, holding(&old, file), "the layer of {file} changed");
        assert!(!seen.contains(&layer), "{file} shares a layer: {seen:?}");
        seen.push(layer);
    }
    let six = holding(&new, "site-packages/six.py");
    assert_eq!(six, holding(&new, "site-packages/werkzeug/__init__.py"));
    assert!(
        old.iter().all(|(layer, _)| layer != six),
        "six's layer is not new"
    );
}

/// On an engine with merge ops (the standalone BuildKit) every letters' layer is its own:
/// adding attrs (a-c, the first) leaves all the others as they were.
#[test]
fn with_merge_ops_adding_a_package_keeps_every_other_letters_layer() {
    require_buildkit();
    let dir = Scratch::copy_of(&example("python-venv"), "package-layers-merged");
    let build_to = |name: &str| {
        let archive = dir.path.join(format!("{name}.tar"));
        let output = format!("type=oci,dest={}", archive.display());
        buildctl_gateway(&dir.path, &["--output", &output]).expect_ok();
        let unpacked = dir.path.join(name);
        std::fs::create_dir_all(&unpacked).expect("mkdir");
        archive_layers(&archive, &unpacked)
    };
    let old = build_to("before");
    let requirements = dir.path.join("requirements.txt");
    let mut listed = std::fs::read_to_string(&requirements).expect("requirements.txt");
    listed.push_str("attrs==24.2.0\n");
    std::fs::write(&requirements, listed).expect("write requirements.txt");
    let new = build_to("after");
    let attrs = holding(&new, "site-packages/attrs/__init__.py");
    assert_eq!(attrs, holding(&new, "site-packages/click/__init__.py"));
    assert!(
        old.iter().all(|(layer, _)| *layer != attrs),
        "attrs' layer is not new"
    );
    for file in [
        "site-packages/flask/__init__.py",
        "site-packages/itsdangerous/__init__.py",
        "site-packages/psycopg2/__init__.py",
        "site-packages/werkzeug/__init__.py",
        "bin/gunicorn",
    ] {
        assert_eq!(
            holding(&new, file),
            holding(&old, file),
            "the layer of {file} changed"
        );
    }
}
