//! Which Python installs compile the virtualenv's bytecode: those whose virtualenv reaches an
//! image (the target's, one another stage copies or builds on, one a zipapp packs), not one
//! that only feeds a pex (which packs sources) or a build whose results alone are copied.

mod common;

use common::compile_files as compile;
use common::{command, exec_running};

/// A stage `build` that packs a pex, and a runtime that copies `copies` from it.
fn pex_spec(copies: &str) -> String {
    format!(
        "[stage.build]\npython = \"3.11\"\n\
         package = {{ tool = \"pex\", entry = \"app:main\", output = \"/out/app.pex\" }}\n\n\
         [stage.runtime]\nfrom = \"python:3.11-slim\"\ncopy = [{copies}]\n\
         cmd = [\"/out/app.pex\"]\n"
    )
}

/// Whether the install from requirements.txt compiles bytecode.
fn compiles(spec: &str) -> bool {
    let c = compile(spec, &["requirements.txt"]).definition;
    command(&exec_running(&c, "pip install")).contains("--compile-bytecode")
}

#[test]
fn a_pex_stage_whose_virtualenv_stays_behind_compiles_none() {
    assert!(!compiles(&pex_spec(
        "{ from = \"build\", path = \"/out/app.pex\" }"
    )));
    // A copy of the whole output directory does not hold the virtualenv either.
    assert!(!compiles(&pex_spec(
        "{ from = \"build\", path = \"/out\" }"
    )));
}

#[test]
fn a_virtualenv_that_reaches_an_image_is_compiled() {
    // Copied out beside the pex.
    assert!(compiles(&pex_spec(
        "{ from = \"build\", path = \"/out/app.pex\" }, { from = \"build\", path = \"/venv\" }"
    )));
    // A copy of a path that holds it, or a wildcard.
    assert!(compiles(&pex_spec("{ from = \"build\", path = \"/\" }")));
    assert!(compiles(&pex_spec(
        "{ from = \"build\", src = \"/v*\", dest = \"/v\" }"
    )));
    // The target, and a stage another is built on.
    assert!(compiles(
        "[stage.app]\npython = \"3.11\"\ncmd = [\"python\"]\n"
    ));
    assert!(compiles(
        "[stage.deps]\npython = \"3.11\"\n\n[stage.app]\nfrom = \"deps\"\ncmd = [\"python\"]\n"
    ));
    // A zipapp packs the virtualenv's packages with their bytecode.
    let zipapp = "[stage.build]\npython = \"3.11\"\n\
                  package = { tool = \"zipapp\", entry = \"app\", output = \"/out/app.pyz\" }\n\n\
                  [stage.runtime]\nfrom = \"python:3.11-slim\"\n\
                  copy = [{ from = \"build\", path = \"/out/app.pyz\" }]\ncmd = [\"/out/app.pyz\"]\n";
    assert!(compiles(zipapp));
}

#[test]
fn a_relative_copy_from_the_stage_counts_as_all_of_it() {
    assert!(compiles(&pex_spec(
        "{ from = \"build\", src = \"out/app.pex\", dest = \"/out/app.pex\" }"
    )));
}
