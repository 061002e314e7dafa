//! Which Python stages get their virtualenv in layers by package (recipes/layers.rs): those
//! that ask (`package_layers = true`) and whose virtualenv an image holds, with the install on
//! a branch unless a builder has it.

mod common;

use common::compile_files as compile;
use common::copies;

/// The copies of `/venv` onto itself, and whether the workdir is copied back after them.
fn venv_copies(spec: &str) -> (usize, bool) {
    let c = compile(spec, &["requirements.txt"]).definition;
    let all = copies(&c);
    let venv = all
        .iter()
        .filter(|(src, dest)| src == "/venv" && dest == "/venv")
        .count();
    let workdir = all
        .iter()
        .any(|(src, dest)| src == "/app" && dest == "/app");
    (venv, workdir)
}

/// The text of `spec` that the one `PackageLayersUnused` warning points at.
fn unused_at(spec: &str) -> &str {
    let warnings = compile(spec, &["requirements.txt"]).warnings;
    let unused: Vec<_> = warnings
        .iter()
        .filter(|w| w.code == "PackageLayersUnused")
        .collect();
    assert_eq!(unused.len(), 1, "{warnings:?}");
    &spec[unused[0].span.clone().expect("a span")]
}

#[test]
fn an_image_that_holds_the_virtualenv_gets_six_copies_of_it() {
    // Five letter ranges and the rest; without a builder, the workdir comes back too.
    assert_eq!(
        venv_copies("[stage.app]\npython = \"3.11\"\npackage_layers = true\ncmd = [\"python\"]\n"),
        (6, true)
    );
    assert_eq!(
        venv_copies(
            "[stage.app]\npython = \"3.11\"\nbuild_apt = [\"gcc\"]\npackage_layers = true\n\
             cmd = [\"python\"]\n"
        ),
        (6, true)
    );
}

#[test]
fn a_virtualenv_no_image_holds_is_installed_in_place() {
    let pex = "[stage.build]\npython = \"3.11\"\npackage_layers = true\n\
               package = { tool = \"pex\", entry = \"app:main\", output = \"/out/app.pex\" }\n\n\
               [stage.runtime]\nfrom = \"python:3.11-slim\"\n\
               copy = [{ from = \"build\", path = \"/out/app.pex\" }]\ncmd = [\"/out/app.pex\"]\n";
    assert_eq!(venv_copies(pex), (0, false));
    // Asked for and unused: said so, at the key.
    assert_eq!(unused_at(pex), "true");
}

#[test]
fn a_virtualenv_at_the_workdir_is_installed_in_place() {
    // Copied back, the workdir would hold it whole: no ranges, and no branch to lose it in.
    let spec = "[stage.app]\npython = \"3.11\"\nworkdir = \"/venv\"\nvenv = \"/venv\"\n\
                package_layers = true\n\
                cmd = [\"python\"]\n";
    assert_eq!(venv_copies(spec), (0, false));
}

#[test]
fn without_package_layers_the_install_stays_in_place() {
    assert_eq!(
        venv_copies("[stage.app]\npython = \"3.11\"\ncmd = [\"python\"]\n"),
        (0, false)
    );
    // A builder's image copies the virtualenv once.
    assert_eq!(
        venv_copies("[stage.app]\npython = \"3.11\"\nbuild_apt = [\"gcc\"]\ncmd = [\"python\"]\n"),
        (1, true)
    );
}

#[test]
fn package_layers_with_a_minimal_runtime_is_a_warning() {
    let spec = "[stage.app]\npython = \"3.11\"\npackage_layers = true\nruntime = \"minimal\"\n\
                cmd = [\"python\"]\n";
    assert_eq!(unused_at(spec), "\"minimal\"");
}
