//! The machine and engine a run measured, for the report's header.

use std::path::Path;
use std::process::Command;

use crate::docker;

/// What the report says about where it ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Machine {
    /// When the run started, RFC 3339 UTC.
    pub date: String,
    /// Docker engine (server) version.
    pub engine: String,
    /// The engine's storage: driver, and which image store.
    pub storage: String,
    /// BuildKit version as the builder reports it.
    pub buildkit: String,
    /// `docker buildx version`.
    pub buildx: String,
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cores: usize,
    /// Total memory in bytes.
    pub memory: u64,
    /// Kernel release.
    pub kernel: String,
    /// 1-minute load average when the run started and when it ended (the CPU may be shared).
    pub load: (String, String),
    /// The commit of the tree (`git describe --always --dirty`).
    pub commit: String,
}

impl Machine {
    /// Collects everything but the end load average.
    pub fn collect(repo: &Path) -> Self {
        let docker_or =
            |args: &[&str]| docker::output(args).unwrap_or_else(|e| format!("unknown ({e})"));
        let store =
            docker::output(&["info", "--format", "{{json .DriverStatus}}"]).unwrap_or_default();
        let driver = docker_or(&["info", "--format", "{{.Driver}}"]);
        let storage = if store.contains("io.containerd.snapshotter") {
            format!("{driver}, containerd image store")
        } else {
            format!("{driver}, classic image store (no merge ops in BuildKit)")
        };
        let buildkit = docker::output(&["buildx", "inspect"])
            .ok()
            .and_then(|text| {
                text.lines().find_map(|l| {
                    l.trim()
                        .strip_prefix("BuildKit version:")
                        .map(|v| v.trim().to_owned())
                })
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            date: llb_gen::image::rfc3339(i64::try_from(now).unwrap_or(0)),
            engine: docker_or(&["version", "--format", "{{.Server.Version}}"]),
            storage,
            buildkit,
            buildx: docker_or(&["buildx", "version"]),
            cpu: cpu_model(&cpuinfo),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory: mem_total(&meminfo),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            load: (load_average(), String::new()),
            commit: git_describe(repo),
        }
    }
}

/// The 1-minute load average.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

fn git_describe(repo: &Path) -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(repo)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The `model name` of `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
pub fn mem_total(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("MemTotal:")?;
            let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files() {
        assert_eq!(
            cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: x\n"),
            "AMD EPYC 7B13"
        );
        assert_eq!(cpu_model(""), "unknown");
        assert_eq!(
            mem_total("MemTotal:       24683656 kB\nMemFree: 1 kB\n"),
            24_683_656 * 1024
        );
    }
}
