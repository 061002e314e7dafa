//! A Python project without a lockfile (`pyproject`): chosen only when no lockfile or
//! requirement file is there, its static dependencies installed from pyproject.toml before the
//! source and the project itself after it, and a warning unless the spec names it.

mod common;

use common::{command, compile_text, copies, exec_running, execs};
use llb_gen::KnownPaths;
use llb_gen::compile::{CompileOptions, Compiled};

const PYTHON: &str = "[stage.app]\npython = \"3.12\"\ncmd = [\"greet\"]\n";
const NAMED: &str =
    "[stage.app]\npython = \"3.12\"\npackage_manager = \"pyproject\"\ncmd = [\"greet\"]\n";
const STATIC: &str = "[project]\nname = \"greeter\"\nversion = \"1\"\ndependencies = [\"six\"]\n";

/// Compiles `spec` against a context holding `files`, pyproject.toml reading `pyproject`.
fn compile(spec: &str, files: &[&str], pyproject: &str) -> Compiled {
    let probe = KnownPaths::new(files.iter().map(|f| (*f).to_owned()))
        .with_texts([("pyproject.toml".to_owned(), pyproject.to_owned())]);
    compile_text(spec, &probe, CompileOptions::default())
}

/// The position of the first exec whose command contains `needle`.
fn position(compiled: &Compiled, needle: &str) -> usize {
    let all = execs(&compiled.definition);
    all.iter()
        .position(|e| command(e).contains(needle))
        .unwrap_or_else(|| panic!("no exec runs {needle}"))
}

#[test]
fn any_lockfile_or_requirement_file_wins_over_an_unlocked_project() {
    for (lock, needle) in [
        ("uv.lock", "uv sync"),
        ("poetry.lock", "poetry export"),
        ("pdm.lock", "pdm export"),
        ("requirements.txt", "-r requirements.txt"),
    ] {
        let c = compile(PYTHON, &["pyproject.toml", "setup.py", lock], STATIC);
        exec_running(&c.definition, needle);
        assert!(
            execs(&c.definition).iter().all(|e| !command(e)
                .contains("install --python /venv/bin/python --no-deps /tmp/stagefile-project")),
            "{lock}"
        );
        assert!(c.warnings.is_empty(), "{lock}: {:?}", c.warnings);
    }
}

#[test]
fn static_dependencies_come_before_the_source_and_the_project_after_it() {
    let c = compile(PYTHON, &["pyproject.toml", "setup.cfg"], STATIC);
    let deps = position(&c, "--compile-bytecode -r pyproject.toml");
    let project = position(&c, "--no-deps /tmp/stagefile-project");
    // Only the files the project's install adds are compiled: the dependencies' `.pyc` are
    // in the layer before, and a second copy of them would land in this one.
    let project_step = command(&execs(&c.definition)[project]);
    assert!(
        !project_step.contains("--compile-bytecode"),
        "{project_step}"
    );
    assert!(
        project_step.contains("-m compileall -q -i /tmp/stagefile-py-new"),
        "{project_step}"
    );
    assert!(deps < project);
    let copied = copies(&c.definition);
    let manifests: Vec<&str> = copied.iter().map(|(_, dest)| dest.as_str()).collect();
    assert!(manifests.contains(&"/app/pyproject.toml"), "{copied:?}");
    assert!(manifests.contains(&"/app/setup.cfg"), "{copied:?}");
    let names: Vec<&str> = c.warnings.iter().map(|w| w.code).collect();
    assert_eq!(names, ["UnlockedDependencies"]);
    // Named: the same steps, without the warning.
    let named = compile(NAMED, &["pyproject.toml"], STATIC);
    assert!(named.warnings.is_empty(), "{:?}", named.warnings);
    position(&named, "--no-deps /tmp/stagefile-project");
}

#[test]
fn dependencies_only_the_source_tells_are_installed_with_the_project() {
    let dynamic = "[project]\nname = \"a\"\ndynamic = [\"version\", \"dependencies\"]\n";
    for (files, text) in [
        (&["setup.py"][..], ""),
        (&["pyproject.toml", "setup.py"][..], dynamic),
    ] {
        let c = compile(PYTHON, files, text);
        let all = execs(&c.definition);
        assert!(
            all.iter()
                .all(|e| !command(e).contains("-r pyproject.toml")),
            "{files:?}"
        );
        let project = exec_running(
            &c.definition,
            "install --python /venv/bin/python /tmp/stagefile-project",
        );
        assert!(!command(&project).contains("--no-deps"), "{files:?}");
    }
}
