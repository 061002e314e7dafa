//! `bench/examples.toml`: per example, which edit is "a one-line source change" and which is
//! "one package added". Edits are applied to a copy of the example, never to the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The whole file: one table per example name.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Config {
    /// By example name.
    pub examples: BTreeMap<String, ExampleConfig>,
}

/// One example's edits.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleConfig {
    /// The one-line source change; default: a comment appended to the first source file.
    pub source_change: Option<EditSpec>,
    /// The dependency change; without it the scenario is skipped (there is no safe default:
    /// a lockfile must change with its manifest).
    pub dependency_change: Option<EditSpec>,
    /// Where the image's server answers; without it, time to first answer is not measured.
    pub first_answer: Option<crate::answer::Probe>,
    /// Targets of this example other than the defaults.
    #[serde(default)]
    pub targets: crate::Targets,
    /// Also build the Stagefile with `runtime = "minimal"` on its target stage, once, and
    /// start it with `first_answer` (required then); see [`crate::minimal`].
    #[serde(default)]
    pub minimal: bool,
}

/// An edit: append a line to a file; put prepared files in place (paths relative to `bench/`);
/// or run a command in a container on the example copy, e.g. the package manager adding a
/// package to the manifest and the lockfile (`uv add`, `npm install --package-lock-only`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditSpec {
    /// File to append to, relative to the example directory.
    pub file: Option<String>,
    /// The line to append.
    pub append: Option<String>,
    /// Example-relative destination = `bench/`-relative prepared file.
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
    /// A shell command run with `sh -c` in `image`, in the example copy mounted at `/work`.
    pub run: Option<String>,
    /// The image `run` runs in (a local base image).
    pub image: Option<String>,
    /// What the edit means, for the report (default: made up from the edit).
    pub note: Option<String>,
}

impl Config {
    /// Reads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).with_context(|| format!("in {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Parses the TOML text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Config = toml::from_str(text)?;
        for (name, example) in &config.examples {
            for (what, edit) in [
                ("source_change", &example.source_change),
                ("dependency_change", &example.dependency_change),
            ] {
                if let Some(edit) = edit {
                    edit.check().with_context(|| format!("[{name}] {what}"))?;
                }
            }
            if example.minimal && example.first_answer.is_none() {
                bail!(
                    "[{name}] `minimal = true` needs a `first_answer` to prove the image answers"
                );
            }
        }
        Ok(config)
    }
}

impl EditSpec {
    fn check(&self) -> anyhow::Result<()> {
        let append = self.file.is_some() || self.append.is_some();
        let run = self.run.is_some() || self.image.is_some();
        let copy = !self.copy.is_empty();
        if usize::from(append) + usize::from(run) + usize::from(copy) != 1 {
            bail!("give one of: `file` and `append`; `copy`; `run` and `image`");
        }
        if append
            && (self.file.is_none() || self.append.as_deref().is_none_or(|l| l.contains('\n')))
        {
            bail!("`append` needs a `file`, and is one line");
        }
        if run && (self.run.is_none() || self.image.is_none()) {
            bail!("`run` needs an `image` to run in");
        }
        Ok(())
    }

    /// The report's description of the edit.
    pub fn describe(&self) -> String {
        if let Some(note) = &self.note {
            return note.clone();
        }
        if let (Some(command), Some(image)) = (&self.run, &self.image) {
            return format!("runs `{command}` in `{image}`");
        }
        match (&self.file, &self.append) {
            (Some(file), Some(line)) => format!("appends `{line}` to `{file}`"),
            _ => format!(
                "replaces {}",
                self.copy
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Applies the edit to the example copy in `dir`; prepared files come from `bench_dir`.
    pub fn apply(&self, dir: &Path, bench_dir: &Path) -> anyhow::Result<()> {
        if let (Some(file), Some(line)) = (&self.file, &self.append) {
            let path = inside(dir, file)?;
            let mut text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(line);
            text.push('\n');
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if let (Some(command), Some(image)) = (&self.run, &self.image) {
            let mount = format!("{}:/work", dir.display());
            crate::docker::output(&[
                "run",
                "--rm",
                "--volume",
                &mount,
                "--workdir",
                "/work",
                "--entrypoint",
                "/bin/sh",
                image,
                "-c",
                command,
            ])
            .with_context(|| format!("running `{command}` in {image}"))?;
        }
        for (dest, src) in &self.copy {
            let from = inside(bench_dir, src)?;
            let to = inside(dir, dest)?;
            std::fs::copy(&from, &to)
                .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        }
        Ok(())
    }
}

/// `root/relative`, refusing absolute paths and `..`.
fn inside(root: &Path, relative: &str) -> anyhow::Result<PathBuf> {
    let rel = Path::new(relative);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        bail!("`{relative}` must be a relative path without `..`");
    }
    Ok(root.join(rel))
}

/// The default source change of an example without one: a comment line appended to its first
/// source file (`.py`, `.js`, `.mjs`, `.ts`, `.rb`, in path order; dependency and VCS directories
/// skipped).
pub fn default_source_change(dir: &Path) -> Option<EditSpec> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files);
    files.sort();
    files.into_iter().find_map(|rel| {
        let comment = match rel.rsplit_once('.')?.1 {
            "py" | "rb" => "#",
            "js" | "mjs" | "ts" => "//",
            _ => return None,
        };
        Some(EditSpec {
            file: Some(rel.clone()),
            append: Some(format!("{comment} bench: a one-line source change")),
            copy: BTreeMap::new(),
            run: None,
            image: None,
            note: Some(format!("appends a comment line to `{rel}` (default)")),
        })
    })
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    const SKIP: [&str; 7] = [
        ".git",
        "node_modules",
        "vendor",
        "__pycache__",
        ".venv",
        "dist",
        "build",
    ];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIP.contains(&name.as_str()) {
                collect_files(root, &path, out);
            }
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "stagefile-bench-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn parses_and_checks_edits() {
        let config = Config::parse(
            r##"
[python-node]
source_change = { file = "app/server.py", append = "# x" }
dependency_change = { copy = { "assets/package.json" = "fixtures/p.json" }, note = "adds is-odd" }
"##,
        )
        .expect("valid");
        let example = &config.examples["python-node"];
        assert_eq!(
            example
                .source_change
                .as_ref()
                .map(EditSpec::describe)
                .as_deref(),
            Some("appends `# x` to `app/server.py`")
        );
        assert_eq!(
            example
                .dependency_change
                .as_ref()
                .map(EditSpec::describe)
                .as_deref(),
            Some("adds is-odd")
        );
        assert!(Config::parse("[a]\nsource_change = { file = \"x\" }").is_err());
        assert!(
            Config::parse("[a]\nsource_change = { file = \"x\", append = \"a\\nb\" }").is_err()
        );
        assert!(Config::parse("[a]\nsourcechange = { file = \"x\", append = \"y\" }").is_err());
        assert!(Config::parse("[a]\nsource_change = { run = \"true\" }").is_err());
        assert!(Config::parse("[a]\nminimal = true").is_err());
        let minimal =
            Config::parse("[a]\nminimal = true\nfirst_answer = { port = 8000, path = \"/\" }")
                .expect("valid");
        assert!(minimal.examples["a"].minimal);
        assert!(
            Config::parse("[a]\nsource_change = { run = \"true\", image = \"x\", file = \"f\" }")
                .is_err()
        );
        let run = Config::parse(
            "[a]\ndependency_change = { run = \"uv add six\", image = \"python:3.11-slim\" }",
        )
        .expect("valid");
        assert_eq!(
            run.examples["a"]
                .dependency_change
                .as_ref()
                .map(EditSpec::describe)
                .as_deref(),
            Some("runs `uv add six` in `python:3.11-slim`")
        );
    }

    #[test]
    fn the_repository_config_names_existing_examples_and_files() {
        let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config =
            Config::load(&bench.join("examples.toml")).expect("bench/examples.toml is valid");
        for (name, example) in &config.examples {
            let dir = bench.join("../examples").join(name);
            assert!(
                dir.join("Stagefile.toml").is_file(),
                "[{name}]: no examples/{name}"
            );
            for edit in [&example.source_change, &example.dependency_change]
                .into_iter()
                .flatten()
            {
                if let Some(file) = &edit.file {
                    assert!(
                        dir.join(file).is_file(),
                        "[{name}]: no {file} in examples/{name}"
                    );
                }
                for src in edit.copy.values() {
                    assert!(bench.join(src).is_file(), "[{name}]: no bench/{src}");
                }
            }
        }
    }

    #[test]
    fn applies_edits_to_a_copy() {
        let dir = temp_dir("apply");
        let bench = temp_dir("apply-bench");
        std::fs::write(dir.join("requirements.txt"), "gunicorn==23.0.0").expect("write");
        std::fs::write(bench.join("lock.json"), "{\"new\": true}").expect("write");
        std::fs::write(dir.join("lock.json"), "{}").expect("write");
        let append = EditSpec {
            file: Some("requirements.txt".into()),
            append: Some("six==1.16.0".into()),
            copy: BTreeMap::new(),
            run: None,
            image: None,
            note: None,
        };
        append.apply(&dir, &bench).expect("applies");
        assert_eq!(
            std::fs::read_to_string(dir.join("requirements.txt")).expect("read"),
            "gunicorn==23.0.0\nsix==1.16.0\n"
        );
        let copy = EditSpec {
            file: None,
            append: None,
            copy: BTreeMap::from([("lock.json".into(), "lock.json".into())]),
            run: None,
            image: None,
            note: None,
        };
        copy.apply(&dir, &bench).expect("applies");
        assert_eq!(
            std::fs::read_to_string(dir.join("lock.json")).expect("read"),
            "{\"new\": true}"
        );
        let escape = EditSpec {
            file: Some("../x".into()),
            ..append
        };
        assert!(escape.apply(&dir, &bench).is_err());
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&bench);
    }

    #[test]
    fn default_source_change_picks_the_first_source_file() {
        let dir = temp_dir("default");
        std::fs::create_dir_all(dir.join("node_modules/x")).expect("mkdir");
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(dir.join("node_modules/x/a.js"), "").expect("write");
        std::fs::write(dir.join("src/main.py"), "").expect("write");
        std::fs::write(dir.join("README.md"), "").expect("write");
        let edit = default_source_change(&dir).expect("found");
        assert_eq!(edit.file.as_deref(), Some("src/main.py"));
        assert_eq!(
            edit.append.as_deref(),
            Some("# bench: a one-line source change")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
