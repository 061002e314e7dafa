//! Build tools Stagefile fetches for a step (uv, Poetry, pdm, Pipenv, pex for Python; Bun from
//! npm): kept in a cache mount under [`TOOLS`], so neither the tools nor their downloads reach
//! a layer, and installed the first time a build needs them. uv is pinned: BuildKit downloads
//! its wheel from PyPI and checks its digest; the other Python tools are installed by uv.

use super::row::Cache;
use crate::ir::{Mount, Sharing};
use crate::platform::Platform;

/// pip's download cache, which every tool that installs through pip shares.
pub const PIP_CACHE: Cache = Cache::shared("/root/.cache/pip", "stagefile-pip");

/// uv's download and build cache.
pub const UV_CACHE: Cache = Cache::shared("/root/.cache/uv", "stagefile-uv");

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

/// The uv release Stagefile runs.
pub const UV_VERSION: &str = "0.13.9";

/// Where the downloaded uv wheel is mounted.
const UV_WHEEL_DIR: &str = "/opt/stagefile-uv";

/// uv's wheel for one platform (its static musl binary runs on any Linux), from PyPI.
#[derive(Debug)]
struct UvWheel {
    architecture: &'static str,
    variant: Option<&'static str>,
    url: &'static str,
    sha256: &'static str,
}

const PYPI_FILES: &str = "https://files.pythonhosted.org/packages";

/// uv 0.13.9's static wheels, as PyPI lists them.
const UV_WHEELS: [UvWheel; 5] = [
    UvWheel {
        architecture: "amd64",
        variant: None,
        url: "fe/fe/794884de0efd3ac77a427cab21aa72c0483e100c55a42cd5cbb02c141b84/uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl",
        sha256: "2c45530751517d6c3bbc69a19473f6effe47cce047bede01ffd8af7ea7b36b25",
    },
    UvWheel {
        architecture: "arm64",
        variant: None,
        url: "57/15/94b6cd62ac3ff6550288328e8035288875197cbc183f51554b266a69877b/uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
        sha256: "5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe",
    },
    UvWheel {
        architecture: "arm",
        variant: Some("v7"),
        url: "23/c0/fc8cf5f3169501e3356d69c771168d8de45a823835099c75c987afb18a16/uv-0.13.9-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l.whl",
        sha256: "7ec1e1dd9b6cb335c301afdf877989df384227313981850755a59561f75e4ab8",
    },
    UvWheel {
        architecture: "386",
        variant: None,
        url: "86/ca/d5e53883246d8b1e40cbb48234a79e85cc45a0faa95913db306bc0012731/uv-0.13.9-py3-none-musllinux_1_1_i686.whl",
        sha256: "a2ee66fe8b6608e1482ab1bde5799da04705c1cb40324c7f66054ecf46ae6e40",
    },
    UvWheel {
        architecture: "riscv64",
        variant: None,
        url: "ae/01/a21cd70ccda3156aea014b43a0885c122b3d25e642230c9f61fdf71096e0/uv-0.13.9-py3-none-manylinux_2_31_riscv64.musllinux_1_1_riscv64.whl",
        sha256: "6d5114bba238adddacb32fb11904f2b3ff4e988f8e9ff0d8d3b5e9822cf836b8",
    },
];

/// uv for one build platform: its binary in the tools cache, from the pinned wheel BuildKit
/// downloads (or, on a platform without one, from PyPI with pip).
#[derive(Debug, Clone, Copy)]
pub struct Uv {
    wheel: Option<&'static UvWheel>,
}

impl Uv {
    /// uv for the platform the steps run on.
    pub fn for_platform(platform: &Platform) -> Self {
        let variant = platform.variant.as_deref();
        let wheel = UV_WHEELS.iter().find(|w| {
            w.architecture == platform.architecture && (w.variant.is_none() || w.variant == variant)
        });
        Self { wheel }
    }

    fn dir() -> String {
        format!("{TOOLS}/uv-{UV_VERSION}")
    }

    /// Whether uv comes from a downloaded wheel (quick), not from pip's install of it (slow;
    /// a platform without a wheel).
    pub fn has_wheel(&self) -> bool {
        self.wheel.is_some()
    }

    /// The path of the `uv` command.
    pub fn bin(&self) -> String {
        format!("{}/uv", Self::dir())
    }

    /// Puts uv in the tools cache unless it runs from there: the binary out of the downloaded
    /// wheel (Python's zipfile; no bytecode written into the image's standard library), or
    /// pip's install of the same release. Ends with `&& `.
    pub fn ensure(&self) -> String {
        let dir = Self::dir();
        let fetch = match self.wheel {
            Some(_) => format!(
                "mkdir -p {dir} && PYTHONDONTWRITEBYTECODE=1 python3 -c 'import sys, zipfile; w = zipfile.ZipFile(sys.argv[1]); n = [f for f in w.namelist() if f.endswith(\".data/scripts/uv\")]; open(sys.argv[2], \"wb\").write(w.read(n[0]))' {UV_WHEEL_DIR}/uv.whl {dir}/uv.part && chmod 755 {dir}/uv.part && mv {dir}/uv.part {dir}/uv"
            ),
            None => format!(
                "PYTHONDONTWRITEBYTECODE=1 python3 -m venv {dir}/venv && PYTHONDONTWRITEBYTECODE=1 {dir}/venv/bin/pip install --disable-pip-version-check -q 'uv=={UV_VERSION}' && ln -s venv/bin/uv {dir}/uv"
            ),
        };
        format!("if ! {dir}/uv --version >/dev/null 2>&1; then rm -rf {dir} && {fetch}; fi && ")
    }

    /// What a step running uv mounts: the tools cache, uv's cache and the downloaded wheel.
    pub fn mounts(&self, python_version: &str) -> Vec<Mount> {
        let mut mounts = vec![python_tools_cache(python_version), UV_CACHE.mount()];
        if let Some(wheel) = self.wheel {
            mounts.push(Mount::Download {
                target: UV_WHEEL_DIR.into(),
                url: format!("{PYPI_FILES}/{}", wheel.url),
                checksum: format!("sha256:{}", wheel.sha256),
                filename: "uv.whl".into(),
            });
        }
        mounts
    }
}

/// The environment of a step that runs uv: its cache, no interpreter downloads (the image's
/// Python is the one), and copies out of the cache (a cache mount cannot be hard-linked into a
/// layer).
pub const UV_ENV: [(&str, &str); 3] = [
    ("UV_CACHE_DIR", "/root/.cache/uv"),
    ("UV_PYTHON_DOWNLOADS", "never"),
    ("UV_LINK_MODE", "copy"),
];

/// A Python build tool, installed from PyPI into its own virtualenv in the tools cache.
pub struct PythonTool {
    /// Its name: its directory in the tools cache and its command.
    pub name: &'static str,
    /// What pip installs (the tool with its version range, and pins its dependencies need).
    pub requirements: &'static [&'static str],
}

/// Poetry, with the plugin that exports its lock (Poetry 2 no longer bundles it).
pub const POETRY: PythonTool = PythonTool {
    name: "poetry",
    requirements: &["poetry>=1.8,<3", "poetry-plugin-export>=1.8"],
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

/// Where the tools uv installs live in the tools cache: apart from the venvs earlier Stagefile
/// releases made there with pip, which a build of either may find.
const UV_TOOLS: &str = "/opt/stagefile-tools/uv-tools";

impl PythonTool {
    fn dir(&self) -> String {
        format!("{UV_TOOLS}/{}", self.name)
    }

    /// Installs the tool with uv (which [`Uv::ensure`] put there first) unless a venv holds it
    /// with these requirements (recorded beside it) and its interpreter runs (a venv made by
    /// another base image's interpreter is replaced, not trusted; starting its interpreter is
    /// much cheaper than running the tool). The step needs [`Uv::mounts`] and [`UV_ENV`].
    /// Ends with `&& `.
    pub fn ensure(&self, uv: &Uv) -> String {
        let (name, dir) = (self.name, self.dir());
        let quoted: Vec<String> = self.requirements.iter().map(|r| format!("'{r}'")).collect();
        let recorded = self.requirements.join(" ");
        let uv_bin = uv.bin();
        format!(
            "{}if ! {{ [ -x {dir}/bin/{name} ] && [ \"$(cat {dir}/requirements.txt)\" = '{recorded}' ] && {dir}/bin/python -c '' ; }} >/dev/null 2>&1; then rm -rf {dir} && {uv_bin} venv -q --python python3 {dir} && {uv_bin} pip install -q --python {dir}/bin/python {} && echo '{recorded}' > {dir}/requirements.txt; fi && ",
            uv.ensure(),
            quoted.join(" ")
        )
    }

    /// The path of one of the tool's commands (its own by default).
    pub fn bin(&self, command: &str) -> String {
        format!("{}/bin/{command}", self.dir())
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

/// The corepack cache: where corepack keeps the pnpm or Yarn release a project pins.
pub const COREPACK_CACHE: Cache = Cache::shared("/root/.cache/node/corepack", "stagefile-corepack");

/// npm's download cache (npm also fetches Bun and the pinned corepack).
pub const NPM_CACHE: Cache = Cache::shared("/root/.npm", "stagefile-npm");

/// What every corepack command gets: no prompt before a download, and, when `package.json`
/// names no `packageManager`, the release this corepack ships as its default instead of the
/// registry's latest (a new major could change the install; the same base builds the same).
pub const COREPACK_ENV: &[(&str, &str)] = &[
    ("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
    ("COREPACK_DEFAULT_TO_LATEST", "0"),
];

/// The corepack release fetched from npm for images that ship none (Node 25 and later). 0.34
/// is the last line whose `engines` include Node 25.
pub const COREPACK_VERSION: &str = "0.34.6";

/// Where the fetched corepack's shims (`pnpm`, `yarn`) are, in the tools cache.
pub fn corepack_bin_dir() -> String {
    format!("{TOOLS}/corepack@{COREPACK_VERSION}/bin")
}

/// Makes `manager`'s command (`pnpm`, `yarn`) run through corepack: the image's own (`corepack
/// enable`, as the official images up to Node 24 allow), else the pinned corepack installed with
/// npm into the tools cache unless it is there, its shims in [`corepack_bin_dir`] (which the
/// step puts on `PATH`). Either way corepack fetches the release `packageManager` pins into its
/// cache mount. First it forgets the "last known good" releases an earlier build left in the
/// shared cache mount, which corepack would otherwise prefer to its own default. Ends with `&& `.
pub fn ensure_corepack(manager: &str) -> String {
    let dir = format!("{TOOLS}/corepack@{COREPACK_VERSION}");
    let js = format!("{dir}/node_modules/corepack/dist/corepack.js");
    let cache = COREPACK_CACHE.target;
    format!(
        "rm -f {cache}/lastKnownGood.json && if command -v corepack >/dev/null 2>&1; then corepack enable {manager}; else {{ [ -f {js} ] || {{ rm -rf {dir} && npm install --prefix {dir} --no-save --no-audit --no-fund --no-update-notifier --loglevel=error corepack@{COREPACK_VERSION}; }}; }} && mkdir -p {dir}/bin && node {js} enable --install-directory {dir}/bin {manager}; fi && "
    )
}
