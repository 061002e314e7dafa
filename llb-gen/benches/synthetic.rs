//! A generated Stagefile of many stages, to see how the compiler scales.
//!
//! Shared (with `#[path]`) by the criterion bench `compile` and by the benchmark harness in
//! `bench/`, which writes it to disk to measure the `llb-gen` binary's peak memory.
//!
//! Stages cycle through four kinds: a Python stage (pip, `requirements.txt`), a Node stage (npm),
//! a Ruby stage (Bundler) and a plain Debian stage with apt packages that copies the previous
//! stage's outputs. Every stage has outputs, and the last stage, the target, copies them all, so
//! the whole spec is compiled.

/// A generated spec and the context files its detection needs.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The `Stagefile.toml` text.
    pub spec: String,
    /// Context files, as (relative path, contents).
    pub files: Vec<(String, String)>,
}

/// A spec of `stages` stages (at least 2): `stages - 1` building stages and the target.
pub fn synthetic(stages: usize) -> Synthetic {
    use std::fmt::Write as _;

    let stages = stages.max(2);
    let mut spec = String::from("# syntax=stagefile:dev\n# Generated: many stages.\n\n");
    spec.push_str("[args]\nPYTHON = \"3.11\"\nNODE = \"20\"\n");
    let mut files = Vec::new();
    let mut names = Vec::new();
    for i in 0..stages - 1 {
        let name = format!("s{i:03}");
        let _ = writeln!(spec, "\n[stage.{name}]");
        let _ = writeln!(spec, "description = \"generated stage {i}\"");
        match i % 4 {
            0 => {
                let root = format!("py{i:03}");
                let _ = writeln!(spec, "python = \"${{PYTHON}}\"\nroot = \"{root}\"");
                spec.push_str("run = [\"python -m compileall -q .\"]\noutputs = [\"/venv\"]\n");
                files.push((
                    format!("{root}/requirements.txt"),
                    "gunicorn==23.0.0\n".into(),
                ));
                files.push((format!("{root}/app.py"), "print('hi')\n".into()));
            }
            1 => {
                let root = format!("web{i:03}");
                let _ = writeln!(spec, "node = \"${{NODE}}\"\nroot = \"{root}\"");
                spec.push_str(
                    "run = [\"npm run build\", { cmd = \"npm test\", network = \"none\" }]\n\
                     outputs = [\"dist/\"]\n",
                );
                files.push((format!("{root}/package.json"), "{}\n".into()));
                files.push((format!("{root}/package-lock.json"), "{}\n".into()));
            }
            2 => {
                let root = format!("rb{i:03}");
                let _ = writeln!(spec, "ruby = \"3.1\"\nroot = \"{root}\"");
                spec.push_str("outputs = [\"/usr/local/bundle\"]\n");
                files.push((
                    format!("{root}/Gemfile"),
                    "source 'https://rubygems.org'\n".into(),
                ));
                files.push((format!("{root}/Gemfile.lock"), "GEM\n".into()));
            }
            _ => {
                let previous = names.last().cloned().unwrap_or_default();
                spec.push_str(
                    "from = \"debian:bookworm-slim\"\napt = [\"curl\", \"ca-certificates\"]\n",
                );
                spec.push_str("workdir = \"/out\"\n");
                let _ = writeln!(
                    spec,
                    "copy = [{{ from = \"{previous}\", dest = \"/in/\" }}]"
                );
                let _ = writeln!(
                    spec,
                    "run = [{{ cmd = \"ls -R /in > /out/{name}.txt\", cache = [\"/var/cache/gen\"] }}]"
                );
                spec.push_str("outputs = [\"/out\"]\n");
            }
        }
        names.push(name);
    }
    spec.push_str(
        "\n[stage.app]\nfrom = \"python:${PYTHON}-slim\"\nworkdir = \"/srv\"\ncopy = [\n",
    );
    for name in &names {
        let _ = writeln!(spec, "  {{ from = \"{name}\", dest = \"/srv/{name}/\" }},");
    }
    spec.push_str("]\nenv = { APP_STAGES = \"");
    let _ = write!(spec, "{}", names.len());
    spec.push_str("\" }\nexpose = [8000]\ncmd = [\"python\", \"-m\", \"http.server\"]\n");
    Synthetic { spec, files }
}
