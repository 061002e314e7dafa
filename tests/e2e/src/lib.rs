//! Harness for the end-to-end tests: builds Stagefiles with `docker buildx build` through the
//! `stagefile:dev` frontend image (named by each Stagefile's `# syntax=` line), runs the
//! images and reports what happened. `STAGEFILE_FRONTEND=<image>` builds them through another
//! frontend image on the default engine (BuildKit's `BUILDKIT_SYNTAX` build arg overrides the
//! `# syntax=` line), to test a frontend built under its own tag.
//!
//! The engine and the frontend image come from `tests/e2e/setup.sh`. A test that cannot reach
//! an engine fails with that command; it never passes silently.

pub mod buildkit;
mod inspect;

pub use inspect::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The command that prepares an engine, the base images and the frontend image.
pub const SETUP: &str = "bash tests/e2e/setup.sh";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// A fixture directory under `tests/e2e/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// An example directory under `examples/`.
pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// The frontend image the Stagefiles are built with: `STAGEFILE_FRONTEND`, else the one
/// their `# syntax=` line names (`stagefile:dev`).
pub fn frontend_image() -> String {
    std::env::var("STAGEFILE_FRONTEND")
        .ok()
        .filter(|image| !image.is_empty())
        .unwrap_or_else(|| "stagefile:dev".to_owned())
}

/// Panics with the set-up command unless an engine with buildx and the frontend image answer.
pub fn require_engine() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let info = docker(&["info", "--format", "{{.ServerVersion}}"]);
        if !info.status.success() {
            return Err(format!(
                "no Docker engine answers: {}",
                text(&info.stderr).trim()
            ));
        }
        if !docker(&["buildx", "version"]).status.success() {
            return Err("`docker buildx` is not installed".into());
        }
        let frontend = frontend_image();
        if !docker(&["image", "inspect", &frontend]).status.success() {
            return Err(format!("the frontend image {frontend} does not exist"));
        }
        Ok(())
    });
    if let Err(why) = ready {
        panic!("end-to-end tests need a BuildKit engine: {why}.\nSet one up with:\n    {SETUP}");
    }
}

/// The local registry `setup.sh` starts, as image references name it.
pub const REGISTRY: &str = "localhost:5000";

/// Panics with the set-up command unless the local registry answers (without auth).
pub fn require_registry() {
    if http_get("127.0.0.1:5000", "/v2/").is_none() {
        panic!("no registry answers at {REGISTRY} (GET /v2/).\nStart it with:\n    {SETUP}");
    }
}

/// A side engine `setup.sh` starts beside the default one: `ENGINE=<name>` and its socket.
#[derive(Debug, Clone, Copy)]
pub struct SideEngine {
    /// The `ENGINE` value that sets it up.
    pub name: &'static str,
    /// Its `DOCKER_HOST`.
    pub host: &'static str,
}

/// The oldest supported engine: Docker 26.1, BuildKit 0.13.
pub const TRIXIE: SideEngine = SideEngine {
    name: "trixie",
    host: "unix:///run/stagefile-trixie/docker.sock",
};

/// The current engine with the containerd image store (multi-platform images, attestations).
pub const C8D: SideEngine = SideEngine {
    name: "c8d",
    host: "unix:///run/stagefile-c8d/docker.sock",
};

impl SideEngine {
    /// Panics with the command that starts it unless the engine and its frontend image answer.
    pub fn require(self) {
        let info = docker_on(self.host, &["info", "--format", "{{.ServerVersion}}"]);
        let why = if !info.status.success() {
            text(&info.stderr).trim().to_owned()
        } else if !docker_on(self.host, &["image", "inspect", "stagefile:dev"])
            .status
            .success()
        {
            "the frontend image stagefile:dev does not exist there".to_owned()
        } else {
            return;
        };
        panic!(
            "this test needs the {} engine at {}: {why}.\nStart it with:\n    ENGINE={} {SETUP}",
            self.name, self.host, self.name
        );
    }

    /// Like [`build_file`], on this engine (call [`SideEngine::require`] first).
    pub fn build(self, dir: &Path, file: &str, tag: &str, extra: &[&str]) -> Build {
        build_with(Some(self.host), dir, file, tag, extra)
    }

    /// Runs `docker` with arguments against this engine.
    pub fn docker(self, args: &[&str]) -> Output {
        docker_on(self.host, args)
    }

    /// Panics with the set-up command unless this engine's `stagefile:dev` holds the same
    /// frontend binary as the default engine's (`setup.sh` labels it with the binary's hash):
    /// a spec built on both must compile to the same LLB.
    pub fn require_same_frontend(self) {
        let label = |output: Output| text(&output.stdout).trim().to_owned();
        let format = "{{index .Config.Labels \"org.stagefile.frontend.sha256\"}}";
        let args = ["image", "inspect", "--format", format, "stagefile:dev"];
        let here = label(docker(&args));
        let there = label(self.docker(&args));
        assert!(
            !here.is_empty() && here == there,
            "the {} engine's stagefile:dev (binary {there:?}) is not the default engine's \
             ({here:?}).\nRebuild both from this tree with:\n    {SETUP} && ENGINE={} {SETUP}",
            self.name,
            self.name
        );
    }
}

/// Runs `docker` with arguments.
pub fn docker(args: &[&str]) -> Output {
    docker_command(args).output().expect("docker CLI runs")
}

/// Runs `docker` with arguments against the engine at `host` (a `DOCKER_HOST` value).
pub fn docker_on(host: &str, args: &[&str]) -> Output {
    docker_command(args)
        .env("DOCKER_HOST", host)
        .output()
        .expect("docker CLI runs")
}

fn docker_command(args: &[&str]) -> Command {
    let mut command = Command::new("docker");
    command
        .args(args)
        .env("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
        .stdin(Stdio::null());
    command
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The outcome of a build.
#[derive(Debug)]
pub struct Build {
    /// Whether buildx succeeded.
    pub ok: bool,
    /// buildx's progress and errors (plain progress).
    pub log: String,
    /// The image tag it was loaded as.
    pub tag: String,
}

impl Build {
    /// Panics with the build log unless the build succeeded.
    pub fn expect_ok(self) -> Self {
        assert!(self.ok, "build of {} failed:\n{}", self.tag, self.log);
        self
    }

    /// Panics unless the build failed.
    pub fn expect_failure(self) -> Self {
        assert!(
            !self.ok,
            "build of {} should have failed:\n{}",
            self.tag, self.log
        );
        self
    }
}

/// Builds `dir/Stagefile.toml` (or `file` inside `dir`) with extra buildx arguments and loads it
/// as `tag`.
pub fn build(dir: &Path, tag: &str, extra: &[&str]) -> Build {
    build_file(dir, "Stagefile.toml", tag, extra)
}

/// Like [`build`] with another spec file name.
pub fn build_file(dir: &Path, file: &str, tag: &str, extra: &[&str]) -> Build {
    require_engine();
    build_with(None, dir, file, tag, extra)
}

fn build_with(host: Option<&str>, dir: &Path, file: &str, tag: &str, extra: &[&str]) -> Build {
    let spec = dir.join(file);
    let spec = spec.to_string_lossy();
    let context = dir.to_string_lossy();
    let mut args = vec![
        "buildx",
        "build",
        "--progress=plain",
        "-f",
        &spec,
        "-t",
        tag,
    ];
    let loads = !extra
        .iter()
        .any(|a| a.starts_with("--call") || a.starts_with("--output") || *a == "--push");
    if loads {
        args.push("--load");
    }
    // Another frontend image for the Stagefiles (not for Dockerfiles) on the default engine.
    let first_line = std::fs::read_to_string(dir.join(file))
        .ok()
        .and_then(|text| text.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let syntax = format!("BUILDKIT_SYNTAX={}", frontend_image());
    if host.is_none()
        && first_line.starts_with("# syntax=stagefile:")
        && std::env::var_os("STAGEFILE_FRONTEND").is_some()
    {
        args.extend(["--build-arg", &syntax]);
    }
    args.extend_from_slice(extra);
    args.push(&context);
    let output = match host {
        Some(host) => docker_on(host, &args),
        None => docker(&args),
    };
    Build {
        ok: output.status.success(),
        log: format!("{}{}", text(&output.stdout), text(&output.stderr)),
        tag: tag.to_owned(),
    }
}

/// Runs `image` with `args` (after `docker run --rm`) and returns stdout; panics on failure.
pub fn run(image: &str, args: &[&str]) -> String {
    run_with(image, &[], args)
}

/// Runs `image` with a shell command (overriding the entrypoint) and returns stdout.
pub fn sh(image: &str, script: &str) -> String {
    run_with(image, &["--entrypoint", "/bin/sh"], &["-c", script])
}

/// The libraries that the carried CPython 3.11 of `image` (its `python3.11` and standard
/// library extension modules) links and the image lacks, one `file: ldd line` each.
pub fn unresolved_python_libraries(image: &str) -> String {
    sh(
        image,
        "for f in /usr/local/bin/python3.11 /usr/local/lib/python3.11/lib-dynload/*.so; do \
           ldd \"$f\" | sed \"s|^|$f: |\"; done | grep 'not found' || true",
    )
}

/// Runs `image` with `docker run` options and arguments; panics on failure.
pub fn run_with(image: &str, options: &[&str], args: &[&str]) -> String {
    let mut all = vec!["run", "--rm"];
    all.extend_from_slice(options);
    all.push(image);
    all.extend_from_slice(args);
    let output = docker(&all);
    assert!(
        output.status.success(),
        "docker run {all:?} failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// The image config (`docker image inspect` `.Config`) as JSON.
pub fn image_config(image: &str) -> serde_json::Value {
    let output = docker(&["image", "inspect", "--format", "{{json .Config}}", image]);
    assert!(
        output.status.success(),
        "inspect {image}: {}",
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("config JSON")
}

/// The image id (config digest).
pub fn image_id(image: &str) -> String {
    let output = docker(&["image", "inspect", "--format", "{{.Id}}", image]);
    assert!(
        output.status.success(),
        "inspect {image}: {}",
        text(&output.stderr)
    );
    text(&output.stdout).trim().to_owned()
}

/// A copy of `dir` in a fresh temporary directory (removed when dropped), for tests that edit
/// files: the repository's examples are never changed.
pub struct Scratch {
    /// The copy.
    pub path: PathBuf,
}

impl Scratch {
    /// Copies `dir` (with `cp -a`) into a new directory named after `name`.
    pub fn copy_of(dir: &Path, name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("stagefile-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        let status = Command::new("cp")
            .arg("-a")
            .arg(dir)
            .arg(&path)
            .status()
            .expect("cp");
        assert!(
            status.success(),
            "cp -a {} {}",
            dir.display(),
            path.display()
        );
        Self { path }
    }

    /// A new directory named after `name` holding `files` (relative path, content).
    pub fn with_files(name: &str, files: &[(&str, &str)]) -> Self {
        let path =
            std::env::temp_dir().join(format!("stagefile-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        for (file, content) in files {
            let file = path.join(file);
            std::fs::create_dir_all(file.parent().expect("a file has a parent")).expect("mkdir");
            std::fs::write(file, content).expect("write scratch file");
        }
        Self { path }
    }
}

/// Checks an image built from one of the Node CLI fixtures (`node-cli`, `node-pnpm`,
/// `node-yarn`): it counts the numeric args as the `app` user, runs the bundle the build step
/// wrote, and holds none of `leftovers` (paths checked as root).
pub fn check_node_cli(image: &str, leftovers: &str) {
    assert_eq!(
        run(image, &[]).trim(),
        "numbers: 1,2 (of 3 args), uid 10001"
    );
    assert!(sh(image, "head -1 dist/main.js").contains("built by npm run build"));
    // The fixtures' devDependency (left-pad) served the build only.
    let found = root_sh(
        image,
        &format!("ls -d {leftovers} /app/node_modules/left-pad 2>/dev/null || true"),
    );
    assert_eq!(
        found.trim(),
        "",
        "only the declared outputs belong in the runtime"
    );
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
