//! Python: a virtualenv built from the project's lock (uv, Poetry) or requirement files (pip),
//! in a layer keyed only by those files, with the tool's download cache as a cache mount; and
//! packing the app into one executable file (pex, zipapp).

use serde_spanned::Spanned;

use super::detect::{self, Found};
use super::{Cache, Expansion, Input, Lang, LanguageDef, Manager, StageContext, manifest_copies};
use crate::check::{Checker, spanned_list};
use crate::diag::Diagnostic;
use crate::ir::{Mount, RunStep, Sharing, Span, Step};
use crate::spec;

/// Python as data.
pub const LANGUAGE: LanguageDef = LanguageDef {
    title: "Python",
    key: "python",
    example_version: "3.11",
    image_repository: "python",
    excludes: &["**/__pycache__", "**/*.pyc", ".venv"],
    keys: &["requirements", "venv", "package"],
    unlocked: &[(
        "pyproject.toml",
        "add requirements.txt, or lock with `uv lock` or `poetry lock`",
    )],
};

const PIP_CACHE: Cache = Cache {
    target: "/root/.cache/pip",
    id: "stagefile-pip",
};
const UV_CACHE: Cache = Cache {
    target: "/root/.cache/uv",
    id: "stagefile-uv",
};
const POETRY_CACHE: Cache = Cache {
    target: "/root/.cache/pypoetry",
    id: "stagefile-poetry",
};
const PEX_CACHE: Cache = Cache {
    target: "/root/.cache/pex",
    id: "stagefile-pex",
};

/// Python's package managers, in detection preference.
pub const MANAGERS: [Manager<Hooks>; 3] = [
    Manager {
        name: "uv",
        lockfiles: &["uv.lock"],
        manifests: &["pyproject.toml"],
        optional: &[],
        mounted: &[],
        caches: &[PIP_CACHE, UV_CACHE],
        hooks: Hooks {
            venv_first: false,
            install: uv_install,
            export: uv_export,
        },
    },
    Manager {
        name: "poetry",
        lockfiles: &["poetry.lock"],
        manifests: &["pyproject.toml"],
        optional: &[],
        mounted: &[],
        caches: &[PIP_CACHE, POETRY_CACHE],
        hooks: Hooks {
            venv_first: true,
            install: poetry_install,
            export: poetry_export,
        },
    },
    PIP,
];

/// pip: requirement files are the lock (a `requirements` key names them).
const PIP: Manager<Hooks> = Manager {
    name: "pip",
    lockfiles: &["requirements.txt"],
    manifests: &[],
    optional: &[],
    mounted: &[],
    caches: &[PIP_CACHE],
    hooks: Hooks {
        venv_first: true,
        install: pip_install,
        export: pip_export,
    },
};

/// What a Python manager adds to its row.
#[derive(Debug)]
pub struct Hooks {
    /// Whether the virtualenv is made in a step of its own before the install (uv makes its
    /// own, in no time; making one runs ensurepip, seconds a changed lock would otherwise redo).
    pub venv_first: bool,
    /// The install command.
    pub install: fn(&Install) -> RunStep,
    /// How pex gets the locked dependencies as requirement files.
    pub export: fn(&Install) -> Export,
}

/// What an install or export command is built from.
pub struct Install<'a> {
    /// The stage's settings.
    pub settings: &'a Settings,
    /// The language version (tool caches are per version).
    pub version: &'a str,
    /// The project files copied for the install (relative to the workdir).
    pub files: &'a [String],
    /// The manager's row.
    pub manager: &'static Manager<Hooks>,
    /// Where the dependencies are declared.
    pub span: Span,
}

/// The locked dependencies as requirement files, for pex.
pub struct Export {
    /// Shell commands writing them (ending in `&& `), or nothing.
    pub script: String,
    /// The requirement files pex reads.
    pub files: Vec<String>,
    /// Caches the commands use.
    pub mounts: Vec<Mount>,
}

/// A Python stage's validated keys.
#[derive(Debug, Clone)]
pub struct Settings {
    /// pip requirement files, relative to the context root.
    pub requirements: Vec<String>,
    /// Span of the `requirements` value.
    pub requirements_span: Option<Span>,
    /// The virtualenv's location.
    pub venv: String,
    /// The one-file executable to build.
    pub package: Option<Package>,
}

/// Tools that pack a Python app into one executable file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageTool {
    /// pex: resolves the locked dependencies as wheels.
    Pex,
    /// The standard library's zipapp, from the virtualenv's pure-Python packages.
    Zipapp,
}

/// The executable file a Python stage builds.
#[derive(Debug, Clone)]
pub struct Package {
    /// The tool.
    pub tool: PackageTool,
    /// `module:function` or `module`.
    pub entry: String,
    /// Absolute output path.
    pub output: String,
    /// Where it was written.
    pub span: Span,
}

/// Where build tools (Poetry, uv, pex) live: a cache mount, so they never reach a layer.
const TOOLS: &str = "/opt/stagefile-tools";

fn tools_cache(version: &str) -> Mount {
    Mount::Cache {
        target: TOOLS.into(),
        id: format!("stagefile-python{version}-tools"),
        sharing: Sharing::Locked,
    }
}

/// Installs `requirement` into its own virtualenv under the tools cache unless one whose
/// interpreter runs is there (a venv made by another base image's interpreter is replaced, not
/// trusted; starting its interpreter is much cheaper than running the tool). Without writing
/// bytecode: the interpreter's standard library is in the layer, not in the cache, and its
/// `__pycache__` files would reach the image only when the tools cache happened to be empty.
fn ensure_tool(name: &str, requirement: &str) -> String {
    format!(
        "if ! {{ [ -x {TOOLS}/{name}/bin/{name} ] && {TOOLS}/{name}/bin/python -c '' ; }} >/dev/null 2>&1; then rm -rf {TOOLS}/{name} && PYTHONDONTWRITEBYTECODE=1 python3 -m venv {TOOLS}/{name} && PYTHONDONTWRITEBYTECODE=1 {TOOLS}/{name}/bin/pip install --disable-pip-version-check '{requirement}'; fi"
    )
}

fn mounts(install: &Install, extra: impl IntoIterator<Item = Mount>) -> Vec<Mount> {
    let caches = install.manager.caches.iter().map(|c| c.mount());
    caches.chain(extra).collect()
}

fn uv_install(install: &Install) -> RunStep {
    RunStep::recipe(
        "uv sync --frozen --no-dev",
        format!(
            "{} && {TOOLS}/uv/bin/uv sync --frozen --no-install-project --no-dev --no-editable",
            ensure_tool("uv", "uv>=0.4,<1")
        ),
        mounts(install, [tools_cache(install.version)]),
        install.span.clone(),
    )
    .with_env(&[
        ("UV_PROJECT_ENVIRONMENT", &install.settings.venv),
        ("UV_PYTHON_DOWNLOADS", "never"),
        ("UV_LINK_MODE", "copy"),
        ("UV_COMPILE_BYTECODE", "1"),
    ])
}

fn poetry_install(install: &Install) -> RunStep {
    RunStep::recipe(
        "poetry install --only main",
        format!(
            "{} && {TOOLS}/poetry/bin/poetry install --no-root --only main --no-interaction --no-ansi",
            ensure_tool("poetry", "poetry>=1.8,<3")
        ),
        mounts(install, [tools_cache(install.version)]),
        install.span.clone(),
    )
    .with_env(&[
        ("VIRTUAL_ENV", &install.settings.venv),
        ("POETRY_VIRTUALENVS_CREATE", "false"),
    ])
}

fn requirement_args(files: &[String]) -> String {
    let args: Vec<String> = files.iter().map(|f| format!("-r {f}")).collect();
    args.join(" ")
}

fn pip_install(install: &Install) -> RunStep {
    let args = requirement_args(install.files);
    RunStep::recipe(
        format!("pip install {args}"),
        format!(
            "{}/bin/pip install --disable-pip-version-check {args}",
            install.settings.venv
        ),
        mounts(install, []),
        install.span.clone(),
    )
}

/// Where an exported lock is written for pex.
const EXPORTED: &str = "/tmp/stagefile-requirements.txt";

fn uv_export(_: &Install) -> Export {
    Export {
        script: format!(
            "{} && {TOOLS}/uv/bin/uv export --frozen --no-dev --no-hashes --no-emit-project -o {EXPORTED} && ",
            ensure_tool("uv", "uv>=0.4,<1")
        ),
        files: vec![EXPORTED.to_owned()],
        mounts: vec![UV_CACHE.mount()],
    }
}

fn poetry_export(_: &Install) -> Export {
    Export {
        script: format!(
            "{} && {TOOLS}/poetry/bin/pip install --disable-pip-version-check -q 'poetry-plugin-export>=1.8' && {TOOLS}/poetry/bin/poetry export --only main --without-hashes -o {EXPORTED} && ",
            ensure_tool("poetry", "poetry>=1.8,<3")
        ),
        files: vec![EXPORTED.to_owned()],
        mounts: Vec::new(),
    }
}

fn pip_export(install: &Install) -> Export {
    Export {
        script: String::new(),
        files: install.files.to_vec(),
        mounts: Vec::new(),
    }
}

/// Validates the Python keys of a stage: requirement files, the virtualenv, the package.
pub fn settings(checker: &mut Checker, stage: &spec::Stage, context: &StageContext) -> Settings {
    let requirements: Vec<String> = spanned_list(&stage.requirements)
        .iter()
        .map(|path| checker.context_path(path, "requirements"))
        .collect();
    if let Some(named) = context.named.filter(|named| *named != PIP.name)
        && !requirements.is_empty()
    {
        let span = stage.requirements.as_ref().map(|r| r.span());
        checker.error(
            Diagnostic::error(format!("`requirements` is for pip, but the package manager is `{named}`"), span)
                .with_help("remove `requirements` (the lockfile lists the dependencies) or set package_manager = \"pip\""),
        );
    }
    let venv = match &stage.venv {
        Some(venv) => checker.absolute(venv, "venv"),
        None => "/venv".to_owned(),
    };
    let package = stage
        .package
        .as_ref()
        .and_then(|package| package_settings(checker, package, context));
    Settings {
        requirements,
        requirements_span: stage.requirements.as_ref().map(|r| r.span()),
        venv,
        package,
    }
}

/// The executable file a Python stage packs, with its default output under the workdir.
fn package_settings(
    checker: &mut Checker,
    package: &Spanned<spec::Package>,
    context: &StageContext,
) -> Option<Package> {
    let p = package.get_ref();
    let tool = match p.tool.get_ref().as_str() {
        "pex" => PackageTool::Pex,
        "zipapp" => PackageTool::Zipapp,
        other => {
            let diagnostic = Diagnostic::error(
                format!("unknown packaging tool `{other}`"),
                Some(p.tool.span()),
            )
            .with_suggestion(other, ["pex", "zipapp"]);
            let diagnostic = match diagnostic.help {
                Some(_) => diagnostic,
                None => diagnostic.with_help(
                    "use \"pex\" (C extensions work) or \"zipapp\" (pure-Python dependencies only)",
                ),
            };
            checker.error(diagnostic);
            return None;
        }
    };
    let entry = checker.value(&p.entry);
    let valid_entry = !entry.is_empty()
        && entry.split(':').count() <= 2
        && entry.split([':', '.']).all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid_entry {
        checker.error(
            Diagnostic::error(
                format!("`{entry}` is not an entry point"),
                Some(p.entry.span()),
            )
            .with_help("write `module:function` (e.g. \"app.main:run\") or a module name"),
        );
    }
    let extension = match tool {
        PackageTool::Pex => "pex",
        PackageTool::Zipapp => "pyz",
    };
    let output = match &p.output {
        Some(output) => checker.absolute(output, "output"),
        None => format!(
            "{}/{}.{extension}",
            context.workdir.trim_end_matches('/'),
            context.name
        ),
    };
    Some(Package {
        tool,
        entry,
        output,
        span: package.span(),
    })
}

impl Settings {
    /// Where the dependencies are declared: the requirement files, else the language key.
    pub fn deps_span(&self, language_span: &Span) -> Span {
        self.requirements_span
            .clone()
            .unwrap_or_else(|| language_span.clone())
    }

    /// The rows' files and the requirement files.
    pub fn probe_paths(&self, root: &str) -> Vec<String> {
        let mut paths = detect::probe_paths(&MANAGERS, Lang::Python, root);
        paths.extend(self.requirements.iter().cloned());
        paths.sort();
        paths.dedup();
        paths
    }
}

/// The manager: pip with the `requirements` files when they are set (they must exist), else
/// detected from the rows.
fn find_manager(
    settings: &Settings,
    input: &Input,
    span: &Span,
) -> Result<Option<Found<Hooks>>, Diagnostic> {
    if settings.requirements.is_empty() || !input.install {
        return detect::detect(&MANAGERS, Lang::Python, input, span);
    }
    if let Some(file) = settings
        .requirements
        .iter()
        .find(|f| !input.probe.exists(f))
    {
        return Err(Diagnostic::error(
            format!("`{file}` is not in the build context, but pip needs it"),
            Some(span.clone()),
        )
        .with_help(format!(
            "add `{file}` to the context (check .dockerignore), or change the package manager"
        )));
    }
    let files = settings
        .requirements
        .iter()
        .map(|path| strip_root(input.root, path))
        .collect();
    Ok(Some(Found {
        manager: &PIP,
        files,
    }))
}

/// Steps of a Python stage: the virtualenv and its dependencies, then the package.
pub fn expand(settings: &Settings, input: &Input) -> Result<Expansion, Diagnostic> {
    let span = settings.deps_span(&input.span);
    let Some(found) = find_manager(settings, input, &span)? else {
        return Ok(Expansion {
            finish: package_steps(settings, input, None),
            ..Expansion::default()
        });
    };
    let install = Install {
        settings,
        version: input.version,
        files: &found.files,
        manager: found.manager,
        span: span.clone(),
    };
    let venv = &settings.venv;
    let mut steps = Vec::new();
    let pex_alone =
        !input.has_runs && matches!(&settings.package, Some(p) if p.tool == PackageTool::Pex);
    if pex_alone {
        // pex resolves the requirements itself; installing them first would do it twice.
        steps.extend(manifest_copies(input, &found.files, &span));
    } else {
        if found.manager.hooks.venv_first {
            steps.push(Step::Run(RunStep::recipe(
                format!("python3 -m venv {venv}"),
                format!("python3 -m venv {venv}"),
                Vec::new(),
                span.clone(),
            )));
        }
        steps.extend(manifest_copies(input, &found.files, &span));
        steps.push(Step::Run((found.manager.hooks.install)(&install)));
        steps.push(Step::Env {
            vars: vec![
                ("VIRTUAL_ENV".into(), venv.clone()),
                ("PATH".into(), format!("{venv}/bin:$PATH")),
                ("PYTHONUNBUFFERED".into(), "1".into()),
            ],
            span: input.span.clone(),
        });
    }
    Ok(Expansion {
        install: steps,
        finish: package_steps(settings, input, Some(&install)),
        ..Expansion::default()
    })
}

fn package_steps(settings: &Settings, input: &Input, install: Option<&Install>) -> Vec<Step> {
    settings
        .package
        .as_ref()
        .map(|package| Step::Run(package_step(settings, input, install, package)))
        .into_iter()
        .collect()
}

/// Packs the app (the workdir) and its dependencies into one executable file.
///
/// pex resolves the same locked dependencies as wheels (exported from the lock first), so C
/// extensions work; zipapp zips the virtualenv's pure-Python packages with the app.
fn package_step(
    settings: &Settings,
    input: &Input,
    install: Option<&Install>,
    package: &Package,
) -> RunStep {
    let venv = &settings.venv;
    let output = &package.output;
    let entry = &package.entry;
    let mut mounts = vec![PIP_CACHE.mount(), tools_cache(input.version)];
    let script = match package.tool {
        PackageTool::Pex => {
            mounts.push(PEX_CACHE.mount());
            mounts.push(Mount::Tmpfs {
                target: "/tmp".into(),
            });
            let export = install.map(|install| (install.manager.hooks.export)(install));
            let (export_script, files) = match export {
                Some(export) => {
                    mounts.extend(export.mounts);
                    (export.script, export.files)
                }
                None => (String::new(), Vec::new()),
            };
            let args: String = files.iter().map(|f| format!(" -r {f}")).collect();
            format!(
                "{} && {export_script}mkdir -p \"$(dirname {output})\" && PEX_ROOT=/root/.cache/pex {TOOLS}/pex/bin/pex{args} -D . -e {entry} --python-shebang '/usr/bin/env python3' -o {output}",
                ensure_tool("pex", "pex>=2.1,<3")
            )
        }
        PackageTool::Zipapp => {
            mounts.push(Mount::Tmpfs {
                target: "/tmp/stagefile-zipapp".into(),
            });
            let site = if install.is_some() {
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

/// A context path relative to the project's root.
fn strip_root(root: &str, path: &str) -> String {
    if root.is_empty() {
        return path.to_owned();
    }
    path.strip_prefix(&format!("{root}/"))
        .unwrap_or(path)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_is_the_last_resort() {
        assert_eq!(MANAGERS.last().map(|m| m.name), Some(PIP.name));
    }
}
