//! Who installs a Python stage's dependencies, and what that leaves in the image: uv, into a
//! virtualenv without pip, setuptools or wheel, with checked-hash bytecode that survives
//! rewritten timestamps; pip when a requirement file needs it, said in the build output; the
//! locks Poetry, pdm and Pipenv refuse as stale, refused still; and local paths in requirement
//! files, installed from their directories or refused when outside the root.

use stagefile_e2e::{
    Scratch, build, build_leftovers, cached_steps, fixture, root_sh, run_with, sh,
};

const SPEC: &str = "# syntax=stagefile:dev\n\
    [stage.app]\n\
    python = \"3.11\"\n\
    requirements = \"requirements.txt\"\n\
    cmd = [\"python\", \"-c\", \"import six; print(six.__version__)\"]\n";

/// Counts `.pyc` files under the venv's site-packages by their flags word (3: checked hash).
const PYC_FLAGS: &str = "import collections, glob\n\
    flags = collections.Counter()\n\
    for path in glob.glob('/venv/lib/python3*/site-packages/**/*.pyc', recursive=True):\n\
    \x20   flags[int.from_bytes(open(path, 'rb').read(8)[4:8], 'little')] += 1\n\
    print(dict(flags))";

#[test]
fn uv_installs_requirements_without_pip_and_with_checked_hash_bytecode() {
    let dir = fixture("python-web");
    let built = build(&dir, "stagefile-e2e/python-uv", &[]).expect_ok();
    assert!(
        built.log.contains("uv pip install -r requirements.txt"),
        "{}",
        built.log
    );
    assert!(!built.log.contains("PipKept"), "{}", built.log);
    let image = built.tag;
    let venv = sh(
        &image,
        "ls /venv/bin; ls /venv/lib/python3.11/site-packages",
    );
    for tool in ["pip", "setuptools", "wheel", "_distutils_hack"] {
        assert!(
            !venv
                .lines()
                .any(|l| l == tool || l.starts_with(&format!("{tool}-"))),
            "{tool} is in the virtualenv:\n{venv}"
        );
    }
    assert!(venv.lines().any(|l| l == "gunicorn"), "{venv}");
    let flags = sh(&image, &format!("python - <<'EOF'\n{PYC_FLAGS}\nEOF"));
    assert!(
        flags.trim().starts_with("{3: ") && !flags.contains(','),
        "bytecode that is not checked-hash: {flags}"
    );
    // Timestamps no longer match (as after SOURCE_DATE_EPOCH's rewrite): the bytecode is
    // still used, not recompiled.
    let verbose = root_sh(
        &image,
        "find /venv -name '*.py' -exec touch -d 2001-01-01 {} + && python -v -c 'import gunicorn.app.wsgiapp' 2>&1",
    );
    assert!(
        verbose.contains(
            "# code object from '/venv/lib/python3.11/site-packages/gunicorn/__pycache__/"
        ),
        "{verbose}"
    );
    assert!(!verbose.contains("bytecode is stale"), "{verbose}");
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
}

#[test]
fn a_requirement_file_only_pip_reads_keeps_pip_and_the_build_says_so() {
    let dir = Scratch::with_files(
        "python-pip-kept",
        &[
            ("Stagefile.toml", SPEC),
            ("requirements.txt", "--prefer-binary\nsix==1.17.0\n"),
        ],
    );
    let built = build(&dir.path, "stagefile-e2e/python-pip-kept", &[]).expect_ok();
    assert!(built.log.contains("PipKept"), "{}", built.log);
    assert!(
        built
            .log
            .contains("requirements.txt uses `--prefer-binary`"),
        "{}",
        built.log
    );
    assert!(
        built.log.contains("pip install -r requirements.txt"),
        "{}",
        built.log
    );
    assert!(!built.log.contains("uv pip install"), "{}", built.log);
    assert_eq!(run_with(&built.tag, &[], &[]).trim(), "1.17.0");
    // The venv holds what `python3 -m venv` gives (ensurepip's wheels, installed by uv).
    assert!(
        built.log.contains("ensurepip's wheels, installed by uv"),
        "{}",
        built.log
    );
    let bin = sh(&built.tag, "ls /venv/bin");
    for script in ["pip", "pip3", "pip3.11"] {
        assert!(bin.lines().any(|l| l == script), "no {script} in {bin}");
    }
    let pip = sh(&built.tag, "/venv/bin/pip --version");
    assert!(
        pip.contains("from /venv/lib/python3.11/site-packages/pip (python 3.11)"),
        "{pip}"
    );

    // The same file without the option: uv, and no warning.
    let plain = Scratch::with_files(
        "python-uv-plain",
        &[
            ("Stagefile.toml", SPEC),
            ("requirements.txt", "six==1.17.0\n"),
        ],
    );
    let built = build(&plain.path, "stagefile-e2e/python-uv-plain", &[]).expect_ok();
    assert!(!built.log.contains("PipKept"), "{}", built.log);
    assert!(built.log.contains("uv pip install"), "{}", built.log);
    assert_eq!(run_with(&built.tag, &[], &[]).trim(), "1.17.0");
}

#[test]
fn hashes_in_a_requirement_file_are_checked() {
    // A wrong hash fails the install, as pip's hash-checking mode does.
    let wrong = "six==1.17.0 --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n";
    let dir = Scratch::with_files(
        "python-uv-hashes",
        &[("Stagefile.toml", SPEC), ("requirements.txt", wrong)],
    );
    let built = build(&dir.path, "stagefile-e2e/python-uv-hashes", &[]).expect_failure();
    assert!(built.log.contains("--require-hashes"), "{}", built.log);
    assert!(built.log.to_lowercase().contains("hash"), "{}", built.log);
}

/// Builds a copy of the fixture `name` after `edit` made its lock stale, and returns the log.
fn stale_lock_refused(name: &str, edit: impl FnOnce(&std::path::Path)) -> String {
    let dir = Scratch::copy_of(&fixture(name), &format!("{name}-stale"));
    edit(&dir.path);
    build(&dir.path, &format!("stagefile-e2e/{name}-stale"), &[])
        .expect_failure()
        .log
}

fn add_dependency(path: &std::path::Path) {
    let file = path.join("pyproject.toml");
    let text = std::fs::read_to_string(&file).expect("pyproject.toml");
    let text = text.replace("dependencies = [", "dependencies = [\"six==1.17.0\", ");
    std::fs::write(file, text).expect("write pyproject.toml");
}

/// Whether a build step printed a line starting with `text`: BuildKit puts the time before each
/// line of output, while the step's script, which BuildKit quotes in its error, holds the same
/// text after `echo '`.
fn printed(log: &str, text: &str) -> bool {
    log.lines().any(|line| {
        let line = match line.strip_prefix('#') {
            Some(rest) => rest.split_once(' ').map_or(rest, |(_, after)| after),
            None => line,
        };
        line.split_once(' ')
            .is_some_and(|(time, rest)| time.parse::<f64>().is_ok() && rest.starts_with(text))
    })
}

#[test]
fn stale_poetry_pdm_and_pipenv_locks_are_refused() {
    // Each tool's own verdict, before anything is exported or installed.
    let poetry = stale_lock_refused("python-poetry", add_dependency);
    assert!(
        poetry
            .contains("pyproject.toml changed significantly since poetry.lock was last generated"),
        "{poetry}"
    );
    let pdm = stale_lock_refused("python-pdm", add_dependency);
    assert!(
        pdm.contains("Lockfile doesn't satisfy the project requirements"),
        "{pdm}"
    );
    let pipenv = stale_lock_refused("python-pipenv", |path| {
        let file = path.join("Pipfile");
        let text = std::fs::read_to_string(&file).expect("Pipfile");
        let text = text.replace("[packages]\n", "[packages]\nsix = \"==1.17.0\"\n");
        std::fs::write(file, text).expect("write Pipfile");
    });
    assert!(pipenv.contains("Pipfile.lock is out-of-date"), "{pipenv}");
    for log in [&poetry, &pdm, &pipenv] {
        assert!(!log.contains("Installed "), "{log}");
    }
    // Then Stagefile's own last line: what it refused, and the command that refreshes the lock.
    assert!(
        printed(
            &poetry,
            "stagefile: Poetry refused poetry.lock (above), so it is not installed: run `poetry lock`"
        ),
        "{poetry}"
    );
    assert!(
        printed(
            &pdm,
            "stagefile: pdm refused pdm.lock (above: stale, or written by an older PDM), so it is not installed: run `pdm lock --update-reuse -S inherit_metadata`"
        ),
        "{pdm}"
    );
    assert!(
        printed(
            &pipenv,
            "stagefile: Pipenv refused Pipfile.lock (above), so it is not installed: run `pipenv lock`"
        ),
        "{pipenv}"
    );
}

#[test]
fn a_pdm_lock_without_markers_is_refused_with_the_command_that_fixes_it() {
    // Locks written by PDM before 2.11 (its `cross_platform` strategy, and `pdm lock` keeps a
    // lock's strategy) pass `pdm lock --check` but cannot be exported; the build says how to
    // re-lock instead of ending at pdm's usage error.
    let dir = Scratch::copy_of(&fixture("python-pdm"), "python-pdm-no-markers");
    let file = dir.path.join("pdm.lock");
    let text = std::fs::read_to_string(&file).expect("pdm.lock");
    assert!(text.contains("strategy = [\"inherit_metadata\"]"), "{text}");
    let text = text.replace(
        "strategy = [\"inherit_metadata\"]",
        "strategy = [\"cross_platform\"]",
    );
    std::fs::write(file, text).expect("write pdm.lock");
    let log = build(&dir.path, "stagefile-e2e/python-pdm-no-markers", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("Can't export a lock file without environment markers"),
        "{log}"
    );
    assert!(
        printed(
            &log,
            "stagefile: pdm cannot export pdm.lock (above), which Stagefile installs from: re-lock with `pdm lock --update-reuse -S inherit_metadata`"
        ),
        "{log}"
    );
    assert!(!printed(&log, "stagefile: pdm refused"), "{log}");
    assert!(!log.contains("Installed "), "{log}");
}

/// A Pipfile locked for Python 3.10 on a 3.11 stage: installed (its wheels fit 3.11), with a
/// warning at the stage's `python` line where `pipenv install --deploy` would refuse; the same
/// project locked for 3.11 gets no warning.
#[test]
fn a_lock_for_another_python_installs_with_a_warning() {
    let built = build(
        &fixture("python-pipenv-py310"),
        "stagefile-e2e/python-pipenv-py310",
        &[],
    )
    .expect_ok();
    assert!(
        built.log.contains(
            "PythonVersionMismatch: the stage runs Python 3.11, but `Pipfile` asks for python_version = \"3.10\""
        ),
        "{}",
        built.log
    );
    assert_eq!(
        run_with(&built.tag, &[], &[]).trim(),
        "pipenv: hello-stagefile-world, uid 10001"
    );
    let same = build(
        &fixture("python-pipenv"),
        "stagefile-e2e/python-pipenv-same-python",
        &[],
    )
    .expect_ok();
    assert!(!same.log.contains("PythonVersionMismatch"), "{}", same.log);
}

/// A requirement file installing a local package by path: the package's directory is copied
/// for the install (which stays keyed on it and the file, not on the rest of the source).
const LOCAL_SPEC: &str = "# syntax=stagefile:dev\n\
    [stage.app]\n\
    python = \"3.11\"\n\
    cmd = [\"python\", \"app.py\"]\n";

const LOCAL_PYPROJECT: &str = "[project]\nname = \"greet\"\nversion = \"0.1.0\"\n\
    [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n";

#[test]
fn a_local_path_in_a_requirement_file_is_installed_and_the_source_edit_keeps_the_install() {
    let dir = Scratch::with_files(
        "python-req-local",
        &[
            ("Stagefile.toml", LOCAL_SPEC),
            ("requirements.txt", "six==1.17.0\n-e ./libs/greet\n"),
            ("libs/greet/pyproject.toml", LOCAL_PYPROJECT),
            (
                "libs/greet/src/greet/__init__.py",
                "def greet():\n    return 'greet'\n",
            ),
            (
                "app.py",
                "import os, six, greet\nprint(greet.greet(), six.__version__, os.getuid())\n",
            ),
        ],
    );
    let tag = "stagefile-e2e/python-req-local";
    build(&dir.path, tag, &[]).expect_ok();
    assert_eq!(run_with(tag, &[], &[]).trim(), "greet 1.17.0 10001");

    let app = dir.path.join("app.py");
    let source = std::fs::read_to_string(&app).expect("app.py");
    // New each run: an install keyed on this file could not be a cache hit of an earlier run.
    let word = format!("edited{}", std::process::id());
    let edited = source.replace("greet.greet(),", &format!("'{word}',"));
    std::fs::write(&app, edited).expect("edit app.py");
    let log = build(&dir.path, tag, &[]).expect_ok().log;
    assert!(
        cached_steps(&log)
            .iter()
            .any(|s| s.contains("uv pip install -r requirements.txt")),
        "the install was not CACHED:\n{log}"
    );
    assert_eq!(
        run_with(tag, &[], &[]).trim(),
        format!("{word} 1.17.0 10001")
    );
}

#[test]
fn a_local_path_outside_the_root_is_an_error_naming_the_file() {
    let spec = "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\nroot = \"app\"\ncmd = [\"python\"]\n";
    let dir = Scratch::with_files(
        "python-req-outside",
        &[
            ("Stagefile.toml", spec),
            ("app/requirements.txt", "-e ../shared\n"),
            ("shared/pyproject.toml", LOCAL_PYPROJECT),
        ],
    );
    let log = build(&dir.path, "stagefile-e2e/python-req-outside", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("`app/requirements.txt` installs `../shared`, outside `app`"),
        "{log}"
    );
    assert!(log.contains(">>> python = \"3.11\""), "{log}");
}
