//! Installing with uv: a virtualenv without pip, setuptools or wheel, filled from uv's cache
//! mount (an unchanged package is a copy out of it) with the exact locked set, and its bytecode
//! compiled in the same step. uv.lock with `uv sync` (then, after the source, the project's
//! own packages: `python_workspace.rs`); requirement files with `uv pip install`
//! (pip's resolution, and pip's hash checking when a file pins hashes); Poetry, pdm and Pipenv
//! locks exported with their hashes by the tool itself, after its check that the lock is fresh,
//! then `uv pip sync`ed; a project without a lockfile from its `pyproject.toml` (`uv pip install
//! -r`), then itself from its source (`uv pip install --no-deps .`). Part of the Python
//! language (`python.rs`).
//!
//! Bytecode is checked-hash `.pyc` (CPython's compileall makes those when `SOURCE_DATE_EPOCH` is
//! set): valid whatever the files' timestamps, so an image whose timestamps were rewritten does
//! not recompile at start, and the same sources give the same files.

use super::python_install::{Install, mounts, removing_uv_lock, requirement_args};
use super::tools::{PDM, PIP_CACHE, PIPENV, POETRY, PythonTool, UV_ENV};
use crate::ir::{Mount, RunStep};
use crate::shell::quote;

/// The `SOURCE_DATE_EPOCH` of an install step when the build sets none: 1980-01-01, the
/// earliest a wheel (a zip file) built from an sdist can record.
pub const DEFAULT_EPOCH: &str = "315532800";

/// Where a lock exported for uv is written (a tmpfs: it never reaches the layer).
const EXPORTED: &str = "/tmp/stagefile-locked.txt";

/// Where a uv step's Python finds [`COMPILE_HOOK`], as its `sitecustomize`.
const HOOKS: &str = "/opt/stagefile-python-hooks";

/// Python code that compiles the C sources of a setuptools extension in parallel, one thread
/// per CPU (setuptools compiles them one by one): the same module, built sooner.
const COMPILE_HOOK: &str = include_str!("python_compile_hook.py");

/// A uv step: the manager's caches (but pip's), uv's mounts, a tmpfs for exports and builds,
/// and [`COMPILE_HOOK`] on the `PYTHONPATH` of the packages it builds from source.
fn uv_step(install: &Install, display: String, script: String) -> RunStep {
    let mut extra = install.uv.mounts(install.version);
    extra.push(Mount::Tmpfs {
        target: "/tmp".into(),
    });
    extra.push(Mount::File {
        target: HOOKS.into(),
        name: "sitecustomize.py".into(),
        contents: COMPILE_HOOK,
    });
    let mut all: Vec<Mount> = Vec::new();
    for mount in mounts(install, extra) {
        if mount != PIP_CACHE.mount() && !all.contains(&mount) {
            all.push(mount);
        }
    }
    let script = format!("export PYTHONPATH={HOOKS}${{PYTHONPATH:+:$PYTHONPATH}} && {script}");
    let script = removing_uv_lock(&install.settings.venv, &script);
    // No bytecode for the standard library modules uv's Python imports (they would land in
    // the layer); compileall writes the virtualenv's all the same.
    RunStep::recipe(display, script, all, install.span.clone())
        .with_env(&UV_ENV)
        .with_env(&[
            ("SOURCE_DATE_EPOCH", DEFAULT_EPOCH),
            ("PYTHONDONTWRITEBYTECODE", "1"),
        ])
}

/// Runs `install` (an install after the source copy) and, when the install compiles bytecode
/// ([`Install::bytecode`]), compiles that of the `.py` files it added to the virtualenv only.
/// uv's `--compile-bytecode` compiles the whole virtualenv, which would rewrite every
/// dependency's `.pyc` into this step's layer (a second copy of them in the image); files
/// already there were compiled by the dependency install.
/// compileall's exit status 1 (a file that does not compile, as some packages ship) is
/// accepted, as uv accepts it.
fn compiling_new_files(install: &Install, command: &str) -> String {
    if !install.bytecode {
        return command.to_owned();
    }
    let venv = quote(&install.settings.venv);
    let python = format!("{}/bin/python", install.settings.venv);
    let python = quote(&python);
    let list = format!("find {venv} -name '*.py' -type f | LC_ALL=C sort");
    format!(
        "{list} >/tmp/stagefile-py-before && {command} && {list} | LC_ALL=C comm -13 /tmp/stagefile-py-before - >/tmp/stagefile-py-new && {{ {python} -m compileall -q -i /tmp/stagefile-py-new || [ $? -eq 1 ]; }}"
    )
}

/// ` --compile-bytecode` when the install compiles the virtualenv's bytecode.
fn compile_flag(install: &Install) -> &'static str {
    if install.bytecode {
        " --compile-bytecode"
    } else {
        ""
    }
}

/// `uv venv`: the virtualenv, without seed packages, from the image's `python3`.
fn venv(install: &Install) -> String {
    format!(
        "{} venv --no-project --allow-existing --python python3 {}",
        install.uv.bin(),
        quote(&install.settings.venv)
    )
}

/// ` --package NAME`, when the project is a member of a uv workspace.
fn package_arg(install: &Install) -> String {
    install
        .package
        .map_or(String::new(), |name| format!(" --package {}", quote(name)))
}

/// `uv sync` of uv.lock: the default groups but dev, without the packages of the project's
/// own files (the project, workspace members, `path` sources: `project` installs them).
pub fn uv_sync(install: &Install) -> RunStep {
    let package = package_arg(install);
    let script = format!(
        "{}{} sync --frozen --no-install-local --no-dev --no-editable{}{package}",
        install.uv.ensure(),
        install.uv.bin(),
        compile_flag(install)
    );
    let display = format!("uv sync --frozen --no-install-local --no-dev{package}");
    uv_step(install, display, script)
        .with_env(&[("UV_PROJECT_ENVIRONMENT", &install.settings.venv)])
}

/// After the source copy, `uv sync` again: the packages of the project's own files, built
/// and installed non-editable (their console scripts land in the virtualenv's `bin`).
pub fn uv_project(install: &Install) -> RunStep {
    let package = package_arg(install);
    let sync = format!(
        "{} sync --frozen --no-dev --no-editable{package}",
        install.uv.bin()
    );
    let script = format!(
        "{}{}",
        install.uv.ensure(),
        compiling_new_files(install, &sync)
    );
    let display = format!("uv sync --frozen --no-dev --no-editable{package}");
    uv_step(install, display, script)
        .with_env(&[("UV_PROJECT_ENVIRONMENT", &install.settings.venv)])
}

/// `uv pip install -r`: resolved as pip resolves them; with `--require-hashes` when a file
/// pins hashes, as pip then requires a hash for every package.
pub fn requirements(install: &Install) -> RunStep {
    let args = requirement_args(install.files);
    let hashes = if install.hashes {
        " --require-hashes"
    } else {
        ""
    };
    let script = format!(
        "{}{} && {} pip install --python {}{}{hashes} {args}",
        install.uv.ensure(),
        venv(install),
        install.uv.bin(),
        quote(&format!("{}/bin/python", install.settings.venv)),
        compile_flag(install)
    );
    uv_step(install, format!("uv pip install {args}"), script)
}

/// A lock exported to requirements with hashes by `tool` after its freshness check, then
/// installed exactly with `uv pip sync`.
fn exported(install: &Install, tool: &PythonTool, display: &str, export: String) -> RunStep {
    let script = format!(
        "{}{export} && {} && {} pip sync --python {}{} {EXPORTED}",
        tool.ensure(&install.uv),
        venv(install),
        install.uv.bin(),
        quote(&format!("{}/bin/python", install.settings.venv)),
        compile_flag(install)
    );
    uv_step(install, display.into(), script)
}

/// `command`, or, when it fails, a last line of output that says what Stagefile refused and
/// how to fix it (the tool's own words are above it, and BuildKit shows the last lines), then
/// failure.
fn refused_unless(command: &str, advice: &str) -> String {
    let line = quote(&format!("stagefile: {advice}")).into_owned();
    format!("{{ {command} || {{ echo {line} >&2; exit 1; }}; }}")
}

/// Poetry: `poetry check --lock` refuses a stale lock; the main group, with hashes.
pub fn poetry(install: &Install) -> RunStep {
    let poetry = POETRY.bin("poetry");
    let check = refused_unless(
        &format!("{poetry} check --lock --no-ansi"),
        "Poetry refused poetry.lock (above), so it is not installed: run `poetry lock` and commit poetry.lock",
    );
    let export = format!(
        "{check} && {poetry} export --only main --no-ansi -f requirements.txt -o {EXPORTED}"
    );
    exported(
        install,
        &POETRY,
        "poetry export --only main | uv pip sync",
        export,
    )
    .with_env(&[("POETRY_VIRTUALENVS_CREATE", "false")])
}

/// Where PDM reads the project from (a copy, in the step's tmpfs).
const PDM_PROJECT: &str = "/tmp/stagefile-pdm";

/// pdm: `pdm lock --check` refuses a stale lock; the production groups, with hashes.
pub fn pdm(install: &Install) -> RunStep {
    let pdm = PDM.bin("pdm");
    // PDM works on a copy of the project's files in the step's tmpfs: the virtualenv and the
    // `.pdm-python` it makes for itself would otherwise land in the workdir's layer.
    let copy = format!(
        "mkdir -p {PDM_PROJECT} && for f in pyproject.toml pdm.lock pdm.toml .pdm.toml; do [ ! -e \"$f\" ] || cp \"$f\" {PDM_PROJECT}/; done"
    );
    let check = refused_unless(
        &format!("{pdm} lock --check -p {PDM_PROJECT}"),
        "pdm refused pdm.lock (above: stale, or written by an older PDM), so it is not installed: run `pdm lock --update-reuse -S inherit_metadata` and commit pdm.lock",
    );
    let export = refused_unless(
        &format!("{pdm} export --prod -p {PDM_PROJECT} -o {EXPORTED}"),
        "pdm cannot export pdm.lock (above), which Stagefile installs from: re-lock with `pdm lock --update-reuse -S inherit_metadata` (a lock without the inherit_metadata strategy has no markers) and commit pdm.lock",
    );
    let export = format!("{copy} && {check} && {export}");
    exported(install, &PDM, "pdm export --prod | uv pip sync", export).with_env(&[
        ("PDM_CHECK_UPDATE", "false"),
        ("PDM_CACHE_DIR", "/root/.cache/pdm"),
    ])
}

/// Pipenv: `pipenv verify` refuses a Pipfile.lock that no longer matches the Pipfile; its
/// default packages, with hashes.
pub fn pipenv(install: &Install) -> RunStep {
    let pipenv = PIPENV.bin("pipenv");
    let check = refused_unless(
        &format!("{pipenv} verify"),
        "Pipenv refused Pipfile.lock (above), so it is not installed: run `pipenv lock` and commit Pipfile.lock",
    );
    let export = format!("{check} && {pipenv} requirements --hash > {EXPORTED}");
    exported(
        install,
        &PIPENV,
        "pipenv requirements | uv pip sync",
        export,
    )
    .with_env(&[
        ("PIPENV_VERBOSITY", "-1"),
        ("PIPENV_NOSPIN", "1"),
        ("PIPENV_CACHE_DIR", "/root/.cache/pipenv"),
    ])
}

/// The dependencies a project without a lockfile declares, resolved now (nothing pins them):
/// `uv pip install -r pyproject.toml` reads its static `[project]` table. When only the source
/// can tell them (`setup.py`, dynamic `dependencies`), the virtualenv alone: [`project`]
/// installs them with the project.
pub fn unlocked(install: &Install) -> RunStep {
    if install.deps_from_source {
        return uv_step(
            install,
            "uv venv".into(),
            format!("{}{}", install.uv.ensure(), venv(install)),
        );
    }
    let script = format!(
        "{}{} && {} pip install --python {}{} -r pyproject.toml",
        install.uv.ensure(),
        venv(install),
        install.uv.bin(),
        quote(&format!("{}/bin/python", install.settings.venv)),
        compile_flag(install)
    );
    uv_step(install, "uv pip install -r pyproject.toml".into(), script)
}

/// Where the project is built from: a copy of the source in the step's tmpfs, so what a build
/// backend writes next to the source (setuptools' `build/`, `*.egg-info`) never reaches the
/// workdir's layer, and the workdir keeps the user's own files as they are.
const PROJECT_COPY: &str = "/tmp/stagefile-project";

/// The project itself from its source, built by its build backend and installed
/// non-editable (its console scripts land in the virtualenv's `bin`): `--no-deps` when
/// [`unlocked`] installed the dependencies, else with them.
pub fn project(install: &Install) -> RunStep {
    let deps = if install.deps_from_source {
        ""
    } else {
        " --no-deps"
    };
    let pip_install = format!(
        "{} pip install --python {}{deps} {PROJECT_COPY}",
        install.uv.bin(),
        quote(&format!("{}/bin/python", install.settings.venv))
    );
    let script = format!(
        "{}rm -rf {PROJECT_COPY} && cp -a . {PROJECT_COPY} && {}",
        install.uv.ensure(),
        compiling_new_files(install, &pip_install)
    );
    uv_step(install, format!("uv pip install{deps} ."), script)
}
