//! Build tools Stagefile fetches for a step (uv, Poetry, pdm, Pipenv, pex from PyPI; Bun from
//! npm): kept in a cache mount under [`TOOLS`], so neither the tools nor their downloads reach
//! a layer, and installed the first time a build needs them.

use super::row::Cache;
use crate::ir::{Mount, Sharing};

/// pip's download cache, which every tool that installs through pip shares.
pub const PIP_CACHE: Cache = Cache::shared("/root/.cache/pip", "stagefile-pip");

/// Where the tools live, in a cache mount.
pub const TOOLS: &str = "/opt/stagefile-tools";

/// The tools cache of a Python version (a tool's venv runs only with the interpreter it was
/// made by).
pub fn python_tools_cache(version: &str) -> Mount {
    Mount::Cache {
        target: TOOLS.into(),
        id: format!("stagefile-python{version}-tools"),
        sharing: Sharing::Locked,
    }
}

/// A Python build tool, installed from PyPI into its own virtualenv in the tools cache.
pub struct PythonTool {
    /// Its name: its directory in the tools cache and its command.
    pub name: &'static str,
    /// What pip installs (the tool with its version range, and pins its dependencies need).
    pub requirements: &'static [&'static str],
}

/// uv.
pub const UV: PythonTool = PythonTool {
    name: "uv",
    requirements: &["uv>=0.4,<1"],
};
/// Poetry.
pub const POETRY: PythonTool = PythonTool {
    name: "poetry",
    requirements: &["poetry>=1.8,<3"],
};
/// pdm.
pub const PDM: PythonTool = PythonTool {
    name: "pdm",
    // hishel 2 removed what pdm 2.29 imports; pdm does not bound it.
    requirements: &["pdm>=2.12,<3", "hishel<2"],
};
/// Pipenv.
pub const PIPENV: PythonTool = PythonTool {
    name: "pipenv",
    requirements: &["pipenv>=2023.10.3"],
};
/// pex, which `package = { tool = "pex" }` runs.
pub const PEX: PythonTool = PythonTool {
    name: "pex",
    requirements: &["pex>=2.1,<3"],
};

impl PythonTool {
    /// Installs the tool unless a venv whose interpreter runs holds it (a venv made by another
    /// base image's interpreter is replaced, not trusted; starting its interpreter is much
    /// cheaper than running the tool). Without writing bytecode: the interpreter's standard
    /// library is in the layer, not in the cache, and its `__pycache__` files would reach the
    /// image only when the tools cache happened to be empty. Ends with `&& `.
    pub fn ensure(&self) -> String {
        let name = self.name;
        let requirements: Vec<String> =
            self.requirements.iter().map(|r| format!("'{r}'")).collect();
        format!(
            "if ! {{ [ -x {TOOLS}/{name}/bin/{name} ] && {TOOLS}/{name}/bin/python -c '' ; }} >/dev/null 2>&1; then rm -rf {TOOLS}/{name} && PYTHONDONTWRITEBYTECODE=1 python3 -m venv {TOOLS}/{name} && PYTHONDONTWRITEBYTECODE=1 {TOOLS}/{name}/bin/pip install --disable-pip-version-check {}; fi && ",
            requirements.join(" ")
        )
    }

    /// The path of one of the tool's commands (its own by default).
    pub fn bin(&self, command: &str) -> String {
        format!("{TOOLS}/{}/bin/{command}", self.name)
    }
}

/// The tools cache of Node tools (Bun: its binary does not depend on Node's version).
pub fn node_tools_cache() -> Mount {
    Mount::Cache {
        target: TOOLS.into(),
        id: "stagefile-node-tools".into(),
        sharing: Sharing::Locked,
    }
}

/// Installs the Bun release package.json pins in `packageManager` (the latest 1.x without a
/// pin) with npm into `bun@<version>` unless it is there, and links `bun` to it. The pin is
/// read by node, never by the shell, and must look like a version. Ends with `&& `.
pub fn ensure_bun() -> String {
    let pin = r#"node -p 'const m=/^bun@([0-9][0-9A-Za-z.-]*)(\+.*)?$/.exec(require("./package.json").packageManager||"");m?m[1]:"1"'"#;
    format!(
        "v=$({pin}) && t={TOOLS}/bun@$v && {{ [ -x \"$t/node_modules/.bin/bun\" ] || {{ rm -rf \"$t\" && npm install --prefix \"$t\" --no-save --no-audit --no-fund --loglevel=error \"bun@$v\"; }}; }} && ln -sfn \"bun@$v\" {TOOLS}/bun && "
    )
}

/// Where the `bun` command of the last install is.
pub fn bun_bin_dir() -> String {
    format!("{TOOLS}/bun/node_modules/.bin")
}
