//! Installing the way each Python package manager does itself, when pip is kept (`installer =
//! "pip"`, or a file or step that needs pip): pip for requirement files, `poetry install`, `pdm
//! install --check`, `pipenv install --deploy`, into a virtualenv made by `python3 -m venv`;
//! and the locked dependencies as requirement files for pex. The tools come from the tools
//! cache (`tools.rs`). Part of the Python language (`python.rs`).

use super::python_install::{Install, mounts, removing_uv_lock, requirement_args};
use super::python_pack::Export;
use super::tools::{PDM, PIPENV, POETRY, PythonTool, UV_CACHE, UV_ENV};
use crate::ir::{Mount, RunStep};
use crate::shell::quote;

/// The row's caches but uv's (pip does not read it), then `extra`.
fn pip_mounts(install: &Install, extra: Vec<Mount>) -> Vec<Mount> {
    let mut all: Vec<Mount> = mounts(install, [])
        .into_iter()
        .filter(|m| *m != UV_CACHE.mount())
        .collect();
    all.extend(
        extra
            .into_iter()
            .filter(|m| !all.contains(m))
            .collect::<Vec<_>>(),
    );
    all
}

/// A tool's install command into the virtualenv, with the manager's caches and the tools.
fn tool_install(install: &Install, tool: &PythonTool, display: &str, command: &str) -> RunStep {
    RunStep::recipe(
        display,
        format!(
            "{}{} {command}",
            tool.ensure(&install.uv),
            tool.bin(tool.name)
        ),
        pip_mounts(install, install.uv.mounts(install.version)),
        install.span.clone(),
    )
    .with_env(&UV_ENV)
}

/// Makes the virtualenv pip installs into, with what `python3 -m venv` puts there: the
/// wheels bundled with ensurepip (pip, and setuptools before Python 3.12). uv installs them
/// into a venv made without pip (under a second; ensurepip runs pip to install them, three
/// and more); an interpreter without those wheels, or a platform without uv's wheel, gets
/// `python3 -m venv`.
pub fn venv_with_pip(install: &Install) -> RunStep {
    let venv = quote(&install.settings.venv);
    let plain = format!("python3 -m venv {venv}");
    if !install.uv.has_wheel() {
        return RunStep::recipe(plain.clone(), plain, Vec::new(), install.span.clone());
    }
    let python = format!("{}/bin/python", install.settings.venv);
    let python = quote(&python);
    let script = format!(
        "{ensure}bundled=$(python3 -B -c 'import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), \"_bundled\"))' 2>/dev/null) || bundled=''\n\
         if [ -n \"$bundled\" ] && ls \"$bundled\"/*.whl >/dev/null 2>&1; then\n\
         \x20 python3 -m venv --without-pip {venv} && {uv} pip install -q --python {python} --no-index --no-deps \"$bundled\"/*.whl\n\
         else\n\
         \x20 {plain}\n\
         fi",
        ensure = install.uv.ensure(),
        uv = install.uv.bin(),
    );
    RunStep::recipe(
        format!("{plain} (ensurepip's wheels, installed by uv)"),
        removing_uv_lock(&install.settings.venv, &script),
        install.uv.mounts(install.version),
        install.span.clone(),
    )
    .with_env(&UV_ENV)
}

/// `poetry install`: the main group, not the project.
pub fn poetry_install(install: &Install) -> RunStep {
    let command = "install --no-root --only main --no-interaction --no-ansi";
    tool_install(install, &POETRY, "poetry install --only main", command).with_env(&[
        ("VIRTUAL_ENV", &install.settings.venv),
        ("POETRY_VIRTUALENVS_CREATE", "false"),
    ])
}

/// `pdm install --check`: refuses a lock that no longer matches pyproject.toml (`pdm sync`
/// would install it anyway), then installs the production dependencies, not the project.
pub fn pdm_install(install: &Install) -> RunStep {
    let command = "install --check --prod --no-self --no-editable";
    tool_install(install, &PDM, "pdm install --check --prod", command).with_env(&[
        ("VIRTUAL_ENV", &install.settings.venv),
        ("PDM_CHECK_UPDATE", "false"),
        ("PDM_CACHE_DIR", "/root/.cache/pdm"),
    ])
}

/// `pipenv install --deploy`: refuses a Pipfile.lock that no longer matches the Pipfile, then
/// installs its default packages into the active virtualenv.
pub fn pipenv_install(install: &Install) -> RunStep {
    tool_install(
        install,
        &PIPENV,
        "pipenv install --deploy",
        "install --deploy",
    )
    .with_env(&[
        ("VIRTUAL_ENV", &install.settings.venv),
        ("PIPENV_VERBOSITY", "-1"),
        ("PIPENV_NOSPIN", "1"),
        ("PIPENV_CACHE_DIR", "/root/.cache/pipenv"),
    ])
}

/// The virtualenv's pip on the requirement files (without compiling bytecode that no image
/// reads: see [`Install::bytecode`]).
pub fn pip_install(install: &Install) -> RunStep {
    let args = requirement_args(install.files);
    let compile = if install.bytecode {
        ""
    } else {
        " --no-compile"
    };
    RunStep::recipe(
        format!("pip install {args}"),
        format!(
            "{} install --disable-pip-version-check{compile} {args}",
            quote(&format!("{}/bin/pip", install.settings.venv))
        ),
        pip_mounts(install, Vec::new()),
        install.span.clone(),
    )
}

/// Where an exported lock is written for pex.
const EXPORTED_FOR_PEX: &str = "/tmp/stagefile-requirements.txt";

/// The pex step mounts the tools and sets uv's env ([`super::python_pack::package_step`]).
fn exported(install: &Install, tool: &PythonTool, command: String) -> Export {
    Export {
        script: tool.ensure(&install.uv) + &command,
        files: vec![EXPORTED_FOR_PEX.to_owned()],
    }
}

/// Poetry's lock as requirements for pex.
pub fn poetry_export(install: &Install) -> Export {
    let command = format!(
        "{} export --only main --without-hashes -o {EXPORTED_FOR_PEX} && ",
        POETRY.bin("poetry")
    );
    exported(install, &POETRY, command)
}

/// pdm's lock as requirements for pex.
pub fn pdm_export(install: &Install) -> Export {
    let command = format!(
        "PDM_CHECK_UPDATE=false {} export --prod --no-hashes -o {EXPORTED_FOR_PEX} && ",
        PDM.bin("pdm")
    );
    exported(install, &PDM, command)
}

/// Pipenv's lock as requirements for pex.
pub fn pipenv_export(install: &Install) -> Export {
    let command = format!(
        "PIPENV_VERBOSITY=-1 {} requirements > {EXPORTED_FOR_PEX} && ",
        PIPENV.bin("pipenv")
    );
    exported(install, &PIPENV, command)
}

/// Requirement files are what pex reads.
pub fn pip_export(install: &Install) -> Export {
    Export {
        script: String::new(),
        files: install.files.to_vec(),
    }
}
