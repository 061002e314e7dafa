//! Snapshots of the LLB (`llb_gen::dump::text`) and image config of every example and of the
//! specs under `tests/specs/`, and of the recipes' steps before lowering (`llb-gen --format
//! steps`), where a recipe change reads as a small diff. Review changes with `cargo insta
//! review`, or accept them with `INSTA_UPDATE=always cargo test -p llb-gen --test snapshots`.

mod common;

use std::path::Path;

use common::{compile_dir, example_dirs, name_of, spec_dirs, steps_of_dir};

fn snapshot(name: &str, dir: &Path, target: Option<&str>) {
    let compiled = compile_dir(dir, target);
    let llb = llb_gen::dump::text(&compiled.definition).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&compiled.image_config.to_json()).unwrap();
    let mut text = format!(
        "# llb\n{llb}\n# image config\n{}\n",
        serde_json::to_string_pretty(&config).unwrap()
    );
    for warning in &compiled.warnings {
        text.push_str(&format!("\n# warning: {}\n", warning.message));
    }
    insta::assert_snapshot!(name, text);
    insta::assert_snapshot!(format!("{name}--steps"), steps_of_dir(dir, target));
}

#[test]
fn examples() {
    for dir in example_dirs() {
        snapshot(&format!("example-{}", name_of(&dir)), &dir, None);
    }
}

#[test]
fn specs_with_their_default_target() {
    for dir in spec_dirs() {
        snapshot(&name_of(&dir), &dir, None);
    }
}

#[test]
fn other_targets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/multi-target");
    for target in ["worker", "test", "base"] {
        snapshot(
            &format!("multi-target--target-{target}"),
            &dir,
            Some(target),
        );
    }
}

#[test]
fn example_targets() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    snapshot(
        "example-django-assets--target-dev",
        &examples.join("django-assets"),
        Some("dev"),
    );
}

/// Every checked-in snapshot belongs to an example, a spec or a target above: insta leaves the
/// snapshot of a deleted fixture in place, so it would keep looking covered.
#[test]
fn no_snapshot_is_orphaned() {
    let mut names: Vec<String> = example_dirs()
        .iter()
        .map(|dir| format!("example-{}", name_of(dir)))
        .chain(spec_dirs().iter().map(|dir| name_of(dir)))
        .collect();
    names.extend(["worker", "test", "base"].map(|t| format!("multi-target--target-{t}")));
    names.push("example-django-assets--target-dev".to_owned());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file
            .strip_prefix("snapshots__")
            .and_then(|f| f.strip_suffix(".snap"))
            .unwrap_or(&file);
        // Each snapshot has its recipes' steps beside it.
        let name = name.strip_suffix("--steps").unwrap_or(name);
        if !names.iter().any(|n| n == name) {
            orphans.push(file);
        }
    }
    assert!(orphans.is_empty(), "snapshots of nothing: {orphans:?}");
}
