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

/// Appends `line` to the requirement file `file` in `dir`.
fn add_requirement(dir: &Path, file: &str, line: &str) {
    let path = dir.join(file);
    let mut listed = std::fs::read_to_string(&path).expect("the requirement file");
    listed.push_str(line);
    listed.push('\n');
    std::fs::write(&path, listed).expect("write the requirement file");
}

/// Builds `dir`, adds six to its `requirements.txt`, builds again, and checks that the layers
/// of `kept` (each a package of another letter range than six's) are the ones before, each its
/// own, and that six is in a new layer with werkzeug (s-z).
fn six_added_keeps(dir: &Path, name: &str, kept: &[&str]) {
    let before = format!("stagefile-e2e/{name}:before");
    let after = format!("stagefile-e2e/{name}:after");
    build(dir, &before, &[]).expect_ok();
    add_requirement(dir, "requirements.txt", "six==1.17.0");
    build(dir, &after, &[]).expect_ok();
    let imported = run(
        &after,
        &["python", "-c", "import six, flask; print('imported')"],
    );
    assert!(imported.contains("imported"), "{imported}");
    let old = layers(&before, &format!("{name}-before"));
    let new = layers(&after, &format!("{name}-after"));
    let mut seen = Vec::new();
    for package in kept {
        let file = format!("site-packages/{package}/__init__.py");
        let layer = holding(&new, &file);
        assert_eq!(layer, holding(&old, &file), "the layer of {file} changed");
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

/// A stage with `build_apt` (examples/python-venv sets `package_layers`): its image gets the
/// virtualenv from the builder.
#[test]
fn adding_a_package_keeps_the_layers_of_the_other_letters() {
    let dir = Scratch::copy_of(&example("python-venv"), "package-layers");
    six_added_keeps(
        &dir.path,
        "package-layers",
        &["flask", "itsdangerous", "psycopg2"],
    );
}

/// A stage without a builder: its install runs on a branch, and the stage gets the virtualenv
/// from there.
#[test]
fn without_a_builder_adding_a_package_keeps_the_layers_of_the_other_letters() {
    let dir = Scratch::with_files(
        "package-layers-branch",
        &[
            (
                "Stagefile.toml",
                "# syntax=stagefile:dev\n[stage.web]\npython = \"3.11\"\npackage_layers = true\ncmd = [\"gunicorn\", \"app:app\"]\n",
            ),
            ("app.py", "from flask import Flask\napp = Flask(__name__)\n"),
            ("requirements.txt", "flask==3.0.3\ngunicorn==23.0.0\n"),
        ],
    );
    six_added_keeps(
        &dir.path,
        "package-layers-branch",
        &["click", "flask", "itsdangerous"],
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
    add_requirement(&dir.path, "requirements.txt", "attrs==24.2.0");
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

/// A pex stage's image holds only the `.pex`: `package_layers` there changes nothing, and the
/// build output says so.
#[test]
fn package_layers_where_no_image_holds_the_virtualenv_is_a_warning() {
    let dir = Scratch::copy_of(&example("python-pex"), "package-layers-pex");
    let spec = dir.path.join("Stagefile.toml");
    let text = std::fs::read_to_string(&spec).expect("Stagefile.toml");
    let text = text.replacen(
        "[stage.build]\npython = \"3.11\"\n",
        "[stage.build]\npython = \"3.11\"\npackage_layers = true\n",
        1,
    );
    assert!(text.contains("package_layers = true"), "{text}");
    std::fs::write(&spec, text).expect("write Stagefile.toml");
    let log = build(&dir.path, "stagefile-e2e/package-layers-pex", &[])
        .expect_ok()
        .log;
    assert!(
        log.contains("PackageLayersUnused: no image holds this stage's virtualenv"),
        "{log}"
    );
}
