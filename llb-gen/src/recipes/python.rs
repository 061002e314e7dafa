//! Python: a virtualenv built from requirement files (pip), poetry.lock (Poetry) or uv.lock (uv),
//! in a layer keyed only by those files, with the tool's download cache as a cache mount.

use super::{RunStep, Step, manifest_copies};
use crate::plan::{LanguagePlan, Manager, MountPlan, Sharing, StagePlan};
use crate::probe::ContextProbe;

/// Where build tools (Poetry, uv) live: a cache mount, so they never reach a layer.
const TOOLS: &str = "/opt/stagefile-tools";

fn cache(target: &str, id: &str) -> MountPlan {
    MountPlan::Cache {
        target: target.into(),
        id: id.into(),
        sharing: Sharing::Shared,
    }
}

fn tools_cache(language: &LanguagePlan) -> MountPlan {
    MountPlan::Cache {
        target: TOOLS.into(),
        id: format!("stagefile-python{}-tools", language.version),
        sharing: Sharing::Locked,
    }
}

/// Installs `requirement` into its own virtualenv under the tools cache unless it is there.
fn ensure_tool(name: &str, requirement: &str) -> String {
    format!(
        "if [ ! -x {TOOLS}/{name}/bin/{name} ]; then python3 -m venv {TOOLS}/{name} && {TOOLS}/{name}/bin/pip install --disable-pip-version-check '{requirement}'; fi"
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
                    "{} && python3 -m venv {venv} && {TOOLS}/poetry/bin/poetry install --no-root --only main --no-interaction --no-ansi",
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
                    format!("python3 -m venv {venv} && {venv}/bin/pip install --disable-pip-version-check {args}"),
                    vec![pip_cache],
                    span.clone(),
                ),
            )
        }
    };
    let mut steps = manifest_copies(stage, &files, &span);
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

fn strip_root(stage: &StagePlan, path: &str) -> String {
    if stage.root.is_empty() {
        return path.to_owned();
    }
    path.strip_prefix(&format!("{}/", stage.root))
        .unwrap_or(path)
        .to_owned()
}
