//! Python: a virtualenv built from the project's lock (uv, Poetry, pdm, Pipenv) or requirement
//! files (pip), in a layer keyed only by those files, with the tool's download cache as a cache
//! mount. Packing the app into one file (`package`) is in `python_pack.rs`.

use super::detect::{self, Found};
use super::python_pack::{Export, Installed, package_settings, package_step};
use super::row::{
    Cache, Expansion, Input, Interpreter, LanguageDef, Manager, StageContext, manifest_copies,
};
use super::tools::{PDM, PIP_CACHE, PIPENV, POETRY, PythonTool, UV, python_tools_cache};
use crate::check::{Checker, spanned_list};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Mount, RunStep, Span, Step};
use crate::shell::quote;
use crate::spec;

pub use super::python_pack::{Package, PackageTool};

/// Python as data.
pub const LANGUAGE: LanguageDef = LanguageDef {
    title: "Python",
    key: "python",
    example_version: "3.11",
    image_repository: "python",
    excludes: &["**/__pycache__", "**/*.pyc", ".venv"],
    keys: &["requirements", "venv", "package"],
    unlocked: &[
        (
            "pyproject.toml",
            "add requirements.txt, or lock with `uv lock`, `poetry lock` or `pdm lock`",
        ),
        (
            "Pipfile",
            "run `pipenv lock` to create Pipfile.lock and add it",
        ),
    ],
    interpreter: Some(Interpreter {
        scan: &["/usr/local/bin", "/usr/local/lib"],
        // The executable, libpython and the standard library, without pip and setuptools,
        // build configuration, self-tests and the Tk GUI modules.
        copy: "mkdir -p \"$TO/usr/local\" && cd \"$FROM/usr/local\" && tar -cf - --exclude='bin/*-config' --exclude='lib/python3.*/site-packages' --exclude='lib/python3.*/ensurepip' --exclude='lib/python3.*/config-*' --exclude='lib/python3.*/test' --exclude='lib/python3.*/idlelib' --exclude='lib/python3.*/tkinter' --exclude='lib/python3.*/turtledemo' bin/python3 bin/python3.[0-9]* lib/libpython3* lib/python3.* | tar -C \"$TO/usr/local\" -xf -",
    }),
    writable: &[],
};

const UV_CACHE: Cache = Cache::shared("/root/.cache/uv", "stagefile-uv");

/// Python's package managers, in detection preference.
pub const MANAGERS: [Manager<Hooks>; 5] = [
    Manager {
        name: "uv",
        lockfiles: &["uv.lock"],
        manifests: &["pyproject.toml"],
        optional: &[],
        mounted: &[],
        members: &[],
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
        members: &[],
        caches: &[
            PIP_CACHE,
            Cache::shared("/root/.cache/pypoetry", "stagefile-poetry"),
        ],
        hooks: Hooks {
            venv_first: true,
            install: poetry_install,
            export: poetry_export,
        },
    },
    Manager {
        name: "pdm",
        lockfiles: &["pdm.lock"],
        manifests: &["pyproject.toml"],
        optional: &[],
        mounted: &[],
        members: &[],
        caches: &[
            PIP_CACHE,
            Cache::shared("/root/.cache/pdm", "stagefile-pdm"),
        ],
        hooks: Hooks {
            venv_first: true,
            install: pdm_install,
            export: pdm_export,
        },
    },
    Manager {
        name: "pipenv",
        lockfiles: &["Pipfile.lock"],
        manifests: &["Pipfile"],
        optional: &[],
        mounted: &[],
        members: &[],
        caches: &[
            PIP_CACHE,
            Cache::shared("/root/.cache/pipenv", "stagefile-pipenv"),
        ],
        hooks: Hooks {
            venv_first: true,
            install: pipenv_install,
            export: pipenv_export,
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
    members: &[],
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

fn mounts(install: &Install, extra: impl IntoIterator<Item = Mount>) -> Vec<Mount> {
    let caches = install.manager.caches.iter().map(|c| c.mount());
    caches.chain(extra).collect()
}

/// A tool's install command into the virtualenv, with the manager's caches and the tools.
fn tool_install(install: &Install, tool: &PythonTool, display: &str, command: &str) -> RunStep {
    RunStep::recipe(
        display,
        format!("{}{} {command}", tool.ensure(), tool.bin(tool.name)),
        mounts(install, [python_tools_cache(install.version)]),
        install.span.clone(),
    )
}

fn uv_install(install: &Install) -> RunStep {
    let command = "sync --frozen --no-install-project --no-dev --no-editable";
    tool_install(install, &UV, "uv sync --frozen --no-dev", command).with_env(&[
        ("UV_PROJECT_ENVIRONMENT", &install.settings.venv),
        ("UV_PYTHON_DOWNLOADS", "never"),
        ("UV_LINK_MODE", "copy"),
        ("UV_COMPILE_BYTECODE", "1"),
    ])
}

fn poetry_install(install: &Install) -> RunStep {
    let command = "install --no-root --only main --no-interaction --no-ansi";
    tool_install(install, &POETRY, "poetry install --only main", command).with_env(&[
        ("VIRTUAL_ENV", &install.settings.venv),
        ("POETRY_VIRTUALENVS_CREATE", "false"),
    ])
}

/// `pdm install --check`: refuses a lock that no longer matches pyproject.toml (`pdm sync`
/// would install it anyway), then installs the production dependencies, not the project.
fn pdm_install(install: &Install) -> RunStep {
    let command = "install --check --prod --no-self --no-editable";
    tool_install(install, &PDM, "pdm install --check --prod", command).with_env(&[
        ("VIRTUAL_ENV", &install.settings.venv),
        ("PDM_CHECK_UPDATE", "false"),
        ("PDM_CACHE_DIR", "/root/.cache/pdm"),
    ])
}

/// `pipenv install --deploy`: refuses a Pipfile.lock that no longer matches the Pipfile, then
/// installs its default packages into the active virtualenv.
fn pipenv_install(install: &Install) -> RunStep {
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

/// `-r FILE` for each requirement file, quoted for the shell.
pub(super) fn requirement_args(files: &[String]) -> String {
    let args: Vec<String> = files.iter().map(|f| format!("-r {}", quote(f))).collect();
    args.join(" ")
}

fn pip_install(install: &Install) -> RunStep {
    let args = requirement_args(install.files);
    let pip = format!("{}/bin/pip", install.settings.venv);
    RunStep::recipe(
        format!("pip install {args}"),
        format!("{} install --disable-pip-version-check {args}", quote(&pip)),
        mounts(install, []),
        install.span.clone(),
    )
}

/// Where an exported lock is written for pex.
const EXPORTED_FOR_PEX: &str = "/tmp/stagefile-requirements.txt";

fn exported(script: String, mounts: Vec<Mount>) -> Export {
    Export {
        script,
        files: vec![EXPORTED_FOR_PEX.to_owned()],
        mounts,
    }
}

fn uv_export(_: &Install) -> Export {
    let command = format!(
        "{} export --frozen --no-dev --no-hashes --no-emit-project -o {EXPORTED_FOR_PEX} && ",
        UV.bin("uv")
    );
    exported(UV.ensure() + &command, vec![UV_CACHE.mount()])
}

fn poetry_export(_: &Install) -> Export {
    let command = format!(
        "{} install --disable-pip-version-check -q 'poetry-plugin-export>=1.8' && {} export --only main --without-hashes -o {EXPORTED_FOR_PEX} && ",
        POETRY.bin("pip"),
        POETRY.bin("poetry")
    );
    exported(POETRY.ensure() + &command, Vec::new())
}

fn pdm_export(_: &Install) -> Export {
    let command = format!(
        "PDM_CHECK_UPDATE=false {} export --prod --no-hashes -o {EXPORTED_FOR_PEX} && ",
        PDM.bin("pdm")
    );
    exported(PDM.ensure() + &command, Vec::new())
}

fn pipenv_export(_: &Install) -> Export {
    let command = format!(
        "PIPENV_VERBOSITY=-1 {} requirements > {EXPORTED_FOR_PEX} && ",
        PIPENV.bin("pipenv")
    );
    exported(PIPENV.ensure() + &command, Vec::new())
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
            Diagnostic::error(Code::RequirementsNotPip, format!("`requirements` is for pip, but the package manager is `{named}`"), span)
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

impl Settings {
    /// Where the dependencies are declared: the requirement files, else the language key.
    pub fn deps_span(&self, language_span: &Span) -> Span {
        self.requirements_span
            .clone()
            .unwrap_or_else(|| language_span.clone())
    }

    /// The rows' files and the requirement files.
    pub fn probe_paths(&self, root: &str) -> Vec<String> {
        let mut paths = detect::probe_paths(&MANAGERS, &LANGUAGE, root);
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
        return detect::detect(&MANAGERS, &LANGUAGE, input, span);
    }
    if let Some(file) = settings
        .requirements
        .iter()
        .find(|f| !input.probe.exists(f))
    {
        return Err(Diagnostic::error(
            Code::MissingFile,
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
    let why = format!("requirements = {:?}", settings.requirements);
    Ok(Some(Found {
        manager: &PIP,
        files,
        why,
        workspace: None,
    }))
}

/// Steps of a Python stage: the virtualenv and its dependencies, then the package.
pub fn expand(settings: &Settings, input: &Input) -> Result<Expansion, Diagnostic> {
    let span = settings.deps_span(&input.span);
    let Some(found) = find_manager(settings, input, &span)? else {
        return Ok(Expansion {
            finish: package(settings, input, None),
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
            let command = format!("python3 -m venv {}", quote(venv));
            steps.push(Step::Run(RunStep::recipe(
                command.clone(),
                command,
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
        finish: package(settings, input, Some(&install)),
        installed: if pex_alone {
            Vec::new()
        } else {
            vec![venv.clone()]
        },
        detected: Some(format!("{}: {}", found.manager.name, found.why)),
        ..Expansion::default()
    })
}

/// The `package` step, when the stage packs one, with what the install left for it.
fn package(settings: &Settings, input: &Input, install: Option<&Install>) -> Vec<Step> {
    let Some(package) = &settings.package else {
        return Vec::new();
    };
    let installed = install.map(|install| Installed {
        venv: &settings.venv,
        export: (install.manager.hooks.export)(install),
    });
    vec![Step::Run(package_step(package, input.version, installed))]
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
