//! Python: a virtualenv built from the project's lock (uv, Poetry, pdm, Pipenv) or requirement
//! files (pip), in a layer keyed only by those files; without any of them, from the project's
//! own manifests, unpinned (`pyproject`, `python_project.rs`), and then the project itself
//! after its source. uv installs it (`python_uv.rs`) unless pip is kept (`python_choice.rs`),
//! which installs the way each tool does itself (`python_pip.rs`). Packing the app into one
//! file (`package`) is in `python_pack.rs`.

use super::detect::{self, Found};
use super::python_choice::{self, Installer, installer_setting};
use super::python_install::{Hooks, Install, PipWay, package_dirs};
use super::python_pack::{Export, Installed, package_settings, package_step};
use super::row::{
    Cache, Expansion, Input, Interpreter, LanguageDef, Manager, StageContext, in_root,
    manifest_copies,
};
use super::tools::{PIP_CACHE, UV_CACHE, Uv};
use super::{
    python_paths, python_pip, python_project, python_uv, python_version, python_workspace,
};
use crate::check::{Checker, spanned_list};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Span, Step};
use crate::spec;

pub use super::python_install::Settings;
pub use super::python_pack::PackageTool;

/// Python as data.
pub const LANGUAGE: LanguageDef = LanguageDef {
    title: "Python",
    key: "python",
    example_version: "3.11",
    image_repository: "python",
    excludes: &["**/__pycache__", "**/*.pyc", ".venv"],
    keys: &[
        "requirements",
        "venv",
        "package",
        "installer",
        "package_layers",
    ],
    // pyproject.toml, setup.py and setup.cfg alone select the `pyproject` row.
    unlocked: &[(
        "Pipfile",
        "run `pipenv lock` to create Pipfile.lock and add it",
    )],
    interpreter: Some(Interpreter {
        scan: &["/usr/local/bin", "/usr/local/lib"],
        // The executable, libpython and the standard library, without pip and setuptools,
        // build configuration, self-tests and the Tk GUI modules.
        copy: "mkdir -p \"$TO/usr/local\" && cd \"$FROM/usr/local\" && tar -cf - --exclude='bin/*-config' --exclude='lib/python3.*/site-packages' --exclude='lib/python3.*/ensurepip' --exclude='lib/python3.*/config-*' --exclude='lib/python3.*/test' --exclude='lib/python3.*/idlelib' --exclude='lib/python3.*/tkinter' --exclude='lib/python3.*/turtledemo' bin/python3 bin/python3.[0-9]* lib/libpython3* lib/python3.* | tar -C \"$TO/usr/local\" -xf -",
    }),
    install_runs: &[],
    writable: &[],
};

/// Python's package managers, in detection preference.
pub const MANAGERS: [Manager<Hooks>; 6] = [
    UV,
    Manager {
        name: "poetry",
        lockfiles: &["poetry.lock"],
        manifests: &["pyproject.toml"],
        optional: &[],
        mounted: &[],
        members: &[],
        caches: &[
            PIP_CACHE,
            UV_CACHE,
            Cache::shared("/root/.cache/pypoetry", "stagefile-poetry"),
        ],
        hooks: Hooks {
            with_uv: python_uv::poetry,
            with_pip: Some(PipWay {
                install: python_pip::poetry_install,
                export: python_pip::poetry_export,
            }),
            after_source: None,
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
            UV_CACHE,
            Cache::shared("/root/.cache/pdm", "stagefile-pdm"),
        ],
        hooks: Hooks {
            with_uv: python_uv::pdm,
            with_pip: Some(PipWay {
                install: python_pip::pdm_install,
                export: python_pip::pdm_export,
            }),
            after_source: None,
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
            UV_CACHE,
            Cache::shared("/root/.cache/pipenv", "stagefile-pipenv"),
        ],
        hooks: Hooks {
            with_uv: python_uv::pipenv,
            with_pip: Some(PipWay {
                install: python_pip::pipenv_install,
                export: python_pip::pipenv_export,
            }),
            after_source: None,
        },
    },
    PIP,
    PYPROJECT,
];

/// uv: `uv.lock`, alone or a workspace's (`python_workspace.rs`: a member below it, local
/// packages installed after the source).
const UV: Manager<Hooks> = Manager {
    name: "uv",
    lockfiles: &["uv.lock"],
    manifests: &["pyproject.toml"],
    optional: &[],
    mounted: &[],
    members: &[],
    caches: &[UV_CACHE],
    hooks: Hooks {
        with_uv: python_uv::uv_sync,
        with_pip: None,
        after_source: None,
    },
};

/// pip: requirement files are the lock (a `requirements` key names them).
const PIP: Manager<Hooks> = Manager {
    name: "pip",
    lockfiles: &["requirements.txt"],
    manifests: &[],
    optional: &[],
    mounted: &[],
    members: &[],
    caches: &[PIP_CACHE, UV_CACHE],
    hooks: Hooks {
        with_uv: python_uv::requirements,
        with_pip: Some(PipWay {
            install: python_pip::pip_install,
            export: python_pip::pip_export,
        }),
        after_source: None,
    },
};

/// A project without a lockfile: its manifests' dependencies, unpinned, then the project
/// itself. Last, so any lockfile or requirement file wins.
const PYPROJECT: Manager<Hooks> = Manager {
    name: "pyproject",
    lockfiles: &["pyproject.toml", "setup.py", "setup.cfg"],
    manifests: &[],
    optional: &["setup.py", "setup.cfg"],
    mounted: &[],
    members: &[],
    caches: &[UV_CACHE],
    hooks: Hooks {
        with_uv: python_uv::unlocked,
        with_pip: None,
        after_source: Some(python_uv::project),
    },
};

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
    let installer = stage.installer.as_ref().and_then(|value| {
        installer_setting(checker, value).map(|installer| (installer, value.span()))
    });
    Settings {
        requirements,
        requirements_span: stage.requirements.as_ref().map(|r| r.span()),
        venv,
        package,
        installer,
        package_layers: stage
            .package_layers
            .as_ref()
            .filter(|l| *l.get_ref())
            .map(|l| l.span()),
    }
}

impl Settings {
    /// Where the dependencies are declared: the requirement files, else the language key.
    pub fn deps_span(&self, language_span: &Span) -> Span {
        self.requirements_span
            .clone()
            .unwrap_or_else(|| language_span.clone())
    }

    /// The rows' files and the requirement files (possibly repeated).
    pub fn probe_paths(&self, root: &str) -> Vec<String> {
        let mut paths = detect::probe_paths(&MANAGERS, &LANGUAGE, root);
        paths.extend(self.requirements.iter().cloned());
        paths.extend(python_workspace::probe_paths(root));
        paths
    }

    /// The requirement files pip would read (their options decide whether uv may install them,
    /// and how: hashes), pyproject.toml (whether it declares its dependencies statically), the
    /// Pipfile (with pyproject.toml: the Python version the project asks for), and the uv locks
    /// and workspaces (`python_workspace.rs`). Possibly repeated.
    pub fn read_paths(&self, root: &str) -> Vec<String> {
        let versions = ["Pipfile", "pyproject.toml"].map(|file| in_root(root, file));
        let mut paths: Vec<String> = if self.requirements.is_empty() {
            let files = PIP.lockfiles.iter().map(|file| in_root(root, file));
            files.chain(python_workspace::read_paths(root)).collect()
        } else {
            self.requirements.clone()
        };
        paths.extend(versions);
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
        // A member of a uv workspace above, unless it has a lockfile of its own (its
        // pyproject.toml alone would make it an unlocked project).
        let locked = MANAGERS.iter().filter(|m| m.name != PYPROJECT.name);
        let own_locks: Vec<&str> = locked.flat_map(|m| m.lockfiles.iter().copied()).collect();
        if let Some(found) = python_workspace::member(&UV, &own_locks, input) {
            return Ok(Some(found));
        }
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
    if let Some(file) = settings
        .requirements
        .iter()
        .find(|f| strip_root(input.root, f).is_none())
    {
        return Err(Diagnostic::error(
            Code::InvalidPath,
            format!("`{file}` is outside the stage's root `{}`", input.root),
            Some(span.clone()),
        )
        .with_help(format!(
            "requirement files are copied into the workdir from under `root`: move `{file}` into `{}/`, or change `root`",
            input.root
        )));
    }
    let files = settings
        .requirements
        .iter()
        .filter_map(|path| strip_root(input.root, path))
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
    let uv = Uv::for_platform(input.platform);
    let Some(found) = find_manager(settings, input, &span)? else {
        return Ok(Expansion {
            finish: package(settings, input, &uv, None),
            ..Expansion::default()
        });
    };
    let choice = python_choice::choose(
        settings.installer.clone(),
        (found.manager.name, found.manager.hooks.with_pip.is_none()),
        &found.files,
        input,
        &span,
    )?;
    // Only the unlocked row installs the project: where its dependencies can be read.
    let unlocked = found.manager.hooks.after_source.map(|_| {
        let text = input.probe.read(&in_root(input.root, "pyproject.toml"));
        python_project::declared(&found.files, text.as_deref())
    });
    // uv: the packages of the project's own files, and the workspace member.
    let locals = if found.manager.name == UV.name {
        Some(python_workspace::locals(&found, input, &span)?)
    } else {
        None
    };
    let reaches_image = input
        .reaching_images
        .iter()
        .any(|path| crate::ir::overlap(path, &settings.venv));
    let install = Install {
        settings,
        version: input.version,
        files: &found.files,
        manager: found.manager,
        uv,
        hashes: choice.hashes,
        deps_from_source: unlocked.as_ref().is_some_and(|u| u.from_source),
        package: locals.as_ref().and_then(|l| l.package.as_deref()),
        bytecode: settings
            .package
            .as_ref()
            .is_some_and(|p| p.tool == PackageTool::Zipapp)
            || reaches_image,
        span: span.clone(),
    };
    let venv = &settings.venv;
    // What the install is keyed on: the manifests, and the directories requirements name.
    let mut manifests = manifest_copies(input, &found.files, &span);
    if found.manager.name == PIP.name {
        manifests.extend(python_paths::copies(
            &found.files,
            input,
            &span,
            LANGUAGE.excludes,
        )?);
    }
    let mut steps = Vec::new();
    let pip_way = match choice.installer {
        Installer::Pip => found.manager.hooks.with_pip.as_ref(),
        Installer::Uv => None,
    };
    let pex_alone = pip_way.is_some()
        && input.runs.is_empty()
        && matches!(&settings.package, Some(p) if p.tool == PackageTool::Pex);
    if pex_alone {
        // pex resolves the requirements itself; installing them first would do it twice.
        steps.extend(manifests);
    } else {
        if pip_way.is_some() {
            // A step of its own: a changed lock need not make the venv again.
            steps.push(Step::Run(python_pip::venv_with_pip(&install)));
        }
        match &locals {
            Some(l) if found.workspace.is_some() || !l.manifests.is_empty() => {
                steps.push(python_workspace::manifest_copy(&found, l, input, &span));
            }
            _ if !install.deps_from_source => steps.extend(manifests),
            _ => {}
        }
        let run = match pip_way {
            Some(way) => (way.install)(&install),
            None => (found.manager.hooks.with_uv)(&install),
        };
        steps.push(Step::Run(run));
        steps.push(Step::Env {
            vars: vec![
                ("VIRTUAL_ENV".into(), venv.clone()),
                ("PATH".into(), format!("{venv}/bin:$PATH")),
                ("PYTHONUNBUFFERED".into(), "1".into()),
            ],
            span: input.span.clone(),
        });
    }
    let export = pip_way.map(|way| (way.export)(&install));
    let mut after_source: Vec<Step> = found
        .manager
        .hooks
        .after_source
        .map(|f| Step::Run(f(&install)))
        .into_iter()
        .collect();
    if locals.as_ref().is_some_and(|l| l.after_source) {
        // From the workspace's directory, where the install ran.
        let mut run = python_uv::uv_project(&install);
        run.cwd = Some(input.workdir.to_owned());
        after_source.push(Step::Run(run));
    }
    let mut warnings: Vec<Diagnostic> = choice.warning.into_iter().collect();
    if unlocked.is_some() && input.named != Some(found.manager.name) {
        warnings.push(python_project::unlocked_warning(&found.files, input));
    }
    warnings.extend(python_version::warning(input));
    let (package_dirs, unused) = package_dirs(settings, !pex_alone && reaches_image);
    warnings.extend(unused);
    Ok(Expansion {
        install: steps,
        after_source,
        finish: package(settings, input, &uv, Some(export)),
        installed: if pex_alone {
            Vec::new()
        } else {
            vec![venv.clone()]
        },
        package_dirs,
        detected: Some(format!(
            "{}: {}{}{}",
            found.manager.name,
            found.why,
            unlocked.map_or(String::new(), |u| format!(", no lockfile; {}", u.why)),
            match choice.installer {
                Installer::Uv => ", installed by uv",
                Installer::Pip => ", installed by pip (kept)",
            }
        )),
        workspace: found.workspace.clone(),
        warnings,
        ..Expansion::default()
    })
}

/// The `package` step, when the stage packs one, with what the install left for it: `None`
/// without an install, else the exported lock when pip installed (`None` inside: the
/// virtualenv itself, which uv filled).
fn package(
    settings: &Settings,
    input: &Input,
    uv: &Uv,
    installed: Option<Option<Export>>,
) -> Vec<Step> {
    let Some(package) = &settings.package else {
        return Vec::new();
    };
    let installed = installed.map(|export| Installed {
        venv: &settings.venv,
        export,
    });
    vec![Step::Run(package_step(
        package,
        input.version,
        uv,
        installed,
    ))]
}

/// A context path relative to the project's root (`None` when it is not under the root).
fn strip_root(root: &str, path: &str) -> Option<String> {
    if root.is_empty() {
        return Some(path.to_owned());
    }
    path.strip_prefix(&format!("{root}/")).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlocked_project_is_the_last_resort_after_pip() {
        let names: Vec<&str> = MANAGERS.iter().rev().take(2).map(|m| m.name).collect();
        assert_eq!(names, [PYPROJECT.name, PIP.name]);
    }
}
