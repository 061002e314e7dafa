//! Python: a virtualenv built from requirement files (pip), poetry.lock (Poetry) or uv.lock (uv),
//! in a layer keyed only by those files, with the tool's download cache as a cache mount.

use super::manifest_copies;
use crate::ir::{Mount, RunStep, Sharing, Step};
use crate::plan::{LanguagePlan, Manager, PackagePlan, PackageTool, StagePlan};
use crate::probe::ContextProbe;

/// Where build tools (Poetry, uv) live: a cache mount, so they never reach a layer.
const TOOLS: &str = "/opt/stagefile-tools";

fn cache(target: &str, id: &str) -> Mount {
    Mount::Cache {
        target: target.into(),
        id: id.into(),
        sharing: Sharing::Shared,
    }
}

fn tools_cache(language: &LanguagePlan) -> Mount {
    Mount::Cache {
        target: TOOLS.into(),
        id: format!("stagefile-python{}-tools", language.version),
        sharing: Sharing::Locked,
    }
}

/// Installs `requirement` into its own virtualenv under the tools cache unless one whose
/// interpreter runs is there (a venv made by another base image's interpreter is replaced, not
/// trusted; starting its interpreter checks that in ~30 ms, where `tool --version` took
/// 0.5 s for pex on every build). Without
/// writing bytecode: the interpreter's standard library is in the layer, not in the cache, and
/// its `__pycache__` files (about 400 kB for venv and pip) would reach the image only when the
/// tools cache happened to be empty.
fn ensure_tool(name: &str, requirement: &str) -> String {
    format!(
        "if ! {{ [ -x {TOOLS}/{name}/bin/{name} ] && {TOOLS}/{name}/bin/python -c '' ; }} >/dev/null 2>&1; then rm -rf {TOOLS}/{name} && PYTHONDONTWRITEBYTECODE=1 python3 -m venv {TOOLS}/{name} && PYTHONDONTWRITEBYTECODE=1 {TOOLS}/{name}/bin/pip install --disable-pip-version-check '{requirement}'; fi"
    )
}

/// Steps of a Python stage: dependencies into the virtualenv, then its env.
pub fn steps(
    stage: &StagePlan,
    language: &LanguagePlan,
    manager: Option<Manager>,
    _probe: &dyn ContextProbe,
) -> Vec<Step> {
    let Some(manager) = manager else {
        return Vec::new();
    };
    let venv = &language.venv;
    let span = language.deps_span.clone();
    let pip_cache = cache("/root/.cache/pip", "stagefile-pip");
    let (files, install) = match manager {
        Manager::Uv => (
            vec!["pyproject.toml".to_owned(), "uv.lock".to_owned()],
            RunStep::recipe(
                "uv sync --frozen --no-dev",
                format!("{} && {TOOLS}/uv/bin/uv sync --frozen --no-install-project --no-dev --no-editable", ensure_tool("uv", "uv>=0.4,<1")),
                vec![pip_cache, cache("/root/.cache/uv", "stagefile-uv"), tools_cache(language)],
                span.clone(),
            )
            .with_env(&[
                ("UV_PROJECT_ENVIRONMENT", venv),
                ("UV_PYTHON_DOWNLOADS", "never"),
                ("UV_LINK_MODE", "copy"),
                ("UV_COMPILE_BYTECODE", "1"),
            ]),
        ),
        Manager::Poetry => (
            vec!["pyproject.toml".to_owned(), "poetry.lock".to_owned()],
            RunStep::recipe(
                "poetry install --only main",
                format!(
                    "{} && {TOOLS}/poetry/bin/poetry install --no-root --only main --no-interaction --no-ansi",
                    ensure_tool("poetry", "poetry>=1.8,<3")
                ),
                vec![pip_cache, cache("/root/.cache/pypoetry", "stagefile-poetry"), tools_cache(language)],
                span.clone(),
            )
            .with_env(&[("VIRTUAL_ENV", venv), ("POETRY_VIRTUALENVS_CREATE", "false")]),
        ),
        _ => {
            let files = if language.requirements.is_empty() {
                vec!["requirements.txt".to_owned()]
            } else {
                language.requirements.iter().map(|r| strip_root(stage, r)).collect()
            };
            let args: Vec<String> = files.iter().map(|f| format!("-r {f}")).collect();
            let args = args.join(" ");
            (
                files,
                RunStep::recipe(
                    format!("pip install {args}"),
                    format!("{venv}/bin/pip install --disable-pip-version-check {args}"),
                    vec![pip_cache],
                    span.clone(),
                ),
            )
        }
    };
    // pip and Poetry install into a virtualenv made first, in its own layer: creating one runs
    // ensurepip, seconds of work that a changed requirement file would otherwise redo (uv makes
    // its own, in no time).
    let mut steps = Vec::new();
    if pex_resolves_alone(stage) {
        // pex resolves the requirements itself; installing them first would do it twice.
        steps.extend(manifest_copies(stage, &files, &span));
        return steps;
    }
    if manager != Manager::Uv {
        steps.push(Step::Run(RunStep::recipe(
            format!("python3 -m venv {venv}"),
            format!("python3 -m venv {venv}"),
            Vec::new(),
            span.clone(),
        )));
    }
    steps.extend(manifest_copies(stage, &files, &span));
    steps.push(Step::Run(install));
    steps.push(Step::Env {
        vars: vec![
            ("VIRTUAL_ENV".into(), venv.clone()),
            ("PATH".into(), format!("{venv}/bin:$PATH")),
            ("PYTHONUNBUFFERED".into(), "1".into()),
        ],
        span: language.span.clone(),
    });
    steps
}

/// Whether the stage only packs a pex: without `run` steps nothing uses an installed virtualenv.
fn pex_resolves_alone(stage: &StagePlan) -> bool {
    let pex = |language: &LanguagePlan| matches!(&language.package, Some(p) if p.tool == PackageTool::Pex);
    stage.runs.is_empty() && stage.language.as_ref().is_some_and(pex)
}

/// Packs the app (the workdir) and its dependencies into one executable file.
///
/// pex resolves the same locked dependencies as wheels (exported from uv.lock or poetry.lock
/// first), so C extensions work; zipapp zips the virtualenv's pure-Python packages with the app.
pub fn package(
    stage: &StagePlan,
    language: &LanguagePlan,
    manager: Option<Manager>,
    package: &PackagePlan,
) -> RunStep {
    let venv = &language.venv;
    let output = &package.output;
    let entry = &package.entry;
    let exported = "/tmp/stagefile-requirements.txt";
    let mut mounts = vec![
        cache("/root/.cache/pip", "stagefile-pip"),
        tools_cache(language),
    ];
    let script = match package.tool {
        PackageTool::Pex => {
            mounts.push(cache("/root/.cache/pex", "stagefile-pex"));
            mounts.push(Mount::Tmpfs {
                target: "/tmp".into(),
            });
            let export = match manager {
                Some(Manager::Uv) => {
                    mounts.push(cache("/root/.cache/uv", "stagefile-uv"));
                    format!(
                        "{} && {TOOLS}/uv/bin/uv export --frozen --no-dev --no-hashes --no-emit-project -o {exported} && ",
                        ensure_tool("uv", "uv>=0.4,<1")
                    )
                }
                Some(Manager::Poetry) => format!(
                    "{} && {TOOLS}/poetry/bin/pip install --disable-pip-version-check -q 'poetry-plugin-export>=1.8' && {TOOLS}/poetry/bin/poetry export --only main --without-hashes -o {exported} && ",
                    ensure_tool("poetry", "poetry>=1.8,<3")
                ),
                _ => String::new(),
            };
            let files: Vec<String> = match manager {
                Some(Manager::Uv | Manager::Poetry) => vec![exported.to_owned()],
                Some(Manager::Pip) if language.requirements.is_empty() => {
                    vec!["requirements.txt".to_owned()]
                }
                Some(Manager::Pip) => language
                    .requirements
                    .iter()
                    .map(|r| strip_root(stage, r))
                    .collect(),
                _ => Vec::new(),
            };
            let args: String = files.iter().map(|f| format!(" -r {f}")).collect();
            format!(
                "{} && {export}mkdir -p \"$(dirname {output})\" && PEX_ROOT=/root/.cache/pex {TOOLS}/pex/bin/pex{args} -D . -e {entry} --python-shebang '/usr/bin/env python3' -o {output}",
                ensure_tool("pex", "pex>=2.1,<3")
            )
        }
        PackageTool::Zipapp => {
            mounts.push(Mount::Tmpfs {
                target: "/tmp/stagefile-zipapp".into(),
            });
            let site = if manager.is_some() {
                format!(
                    "cp -r \"$({venv}/bin/python -c 'import sysconfig; print(sysconfig.get_paths()[\"purelib\"])')\"/. /tmp/stagefile-zipapp/ && "
                )
            } else {
                String::new()
            };
            format!(
                "{site}cp -r . /tmp/stagefile-zipapp/ && mkdir -p \"$(dirname {output})\" && python3 -m zipapp /tmp/stagefile-zipapp -m {entry} -p '/usr/bin/env python3' -o {output}"
            )
        }
    };
    let tool = match package.tool {
        PackageTool::Pex => "pex",
        PackageTool::Zipapp => "zipapp",
    };
    RunStep::recipe(
        format!("{tool} -> {output}"),
        script,
        mounts,
        package.span.clone(),
    )
}

fn strip_root(stage: &StagePlan, path: &str) -> String {
    if stage.root.is_empty() {
        return path.to_owned();
    }
    path.strip_prefix(&format!("{}/", stage.root))
        .unwrap_or(path)
        .to_owned()
}
