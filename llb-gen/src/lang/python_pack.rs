//! Packing a Python app and its dependencies into one executable file (`package` key): pex,
//! which resolves the locked dependencies as wheels, or the standard library's zipapp. Part of
//! the Python language (`python.rs`), in a file of its own for its size.

use serde_spanned::Spanned;

use super::row::{Cache, StageContext};
use super::tools::{PEX, PIP_CACHE, UV_ENV, Uv};
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::ir::{Mount, RunStep, Span};
use crate::shell::quote;
use crate::spec;

const PEX_CACHE: Cache = Cache::shared("/root/.cache/pex", "stagefile-pex");

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

/// The executable file a Python stage packs, with its default output under the workdir.
pub(super) fn package_settings(
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
                Code::UnknownValue,
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
                Code::InvalidEntry,
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

/// The locked dependencies as requirement files, for pex when pip installed: each manager's
/// `export` hook.
pub struct Export {
    /// Shell commands writing them (ending in `&& `), or nothing.
    pub script: String,
    /// The requirement files pex reads.
    pub files: Vec<String>,
}

/// What the stage installed, for packing: the virtualenv and, when pip installed it, the
/// exported lock.
pub struct Installed<'a> {
    /// The virtualenv.
    pub venv: &'a str,
    /// The locked dependencies as requirement files, which pex resolves again; `None` when uv
    /// installed them, without pip: pex then takes them from the virtualenv.
    pub export: Option<Export>,
}

/// Packs the app (the workdir) and its dependencies into one executable file.
///
/// pex packs the locked dependencies as wheels (from the virtualenv uv filled, else resolved
/// again from the exported lock), so C extensions work; zipapp zips the virtualenv's
/// pure-Python packages with the app.
pub fn package_step(
    package: &Package,
    version: &str,
    uv: &Uv,
    installed: Option<Installed>,
) -> RunStep {
    let output = &quote(&package.output);
    let entry = &quote(&package.entry);
    let mut mounts = vec![PIP_CACHE.mount()];
    let script = match package.tool {
        PackageTool::Pex => {
            mounts.extend(uv.mounts(version));
            mounts.push(PEX_CACHE.mount());
            mounts.push(Mount::Tmpfs {
                target: "/tmp".into(),
            });
            let (export_script, args) = match installed {
                Some(Installed {
                    export: Some(export),
                    ..
                }) => {
                    let args: String = export
                        .files
                        .iter()
                        .map(|f| format!(" -r {}", quote(f)))
                        .collect();
                    (export.script, args)
                }
                Some(Installed { venv, export: None }) => {
                    (String::new(), format!(" --venv-repository {}", quote(venv)))
                }
                None => (String::new(), String::new()),
            };
            format!(
                "{}{export_script}mkdir -p \"$(dirname {output})\" && PEX_ROOT=/root/.cache/pex {}{args} -D . -e {entry} --python-shebang '/usr/bin/env python3' -o {output}",
                PEX.ensure(uv),
                PEX.bin("pex")
            )
        }
        PackageTool::Zipapp => {
            mounts.push(Mount::Tmpfs {
                target: "/tmp/stagefile-zipapp".into(),
            });
            let site = if let Some(Installed { venv, .. }) = installed {
                let python = quote(&format!("{venv}/bin/python")).into_owned();
                format!(
                    "cp -r \"$({python} -c 'import sysconfig; print(sysconfig.get_paths()[\"purelib\"])')\"/. /tmp/stagefile-zipapp/ && "
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
    let step = RunStep::recipe(
        format!("{tool} -> {}", package.output),
        script,
        mounts,
        package.span.clone(),
    );
    match package.tool {
        PackageTool::Pex => step.with_env(&UV_ENV),
        PackageTool::Zipapp => step,
    }
}
