//! The minimal runtime: a copy of an example's Stagefile with `runtime = "minimal"` on its
//! target stage (the stage with `default = true`, else the last one; the harness builds without
//! `--target`), built and started once per harness run, its size against the slim Stagefile
//! image's.

use anyhow::{Context, bail};

/// The minimal image's size at most this ratio of the Stagefile image on the slim base.
pub const MINIMAL_TARGET: f64 = 0.60;

/// What the minimal image of one example gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MinimalRuntime {
    /// The stage set to `runtime = "minimal"` (empty when the spec could not be edited).
    pub stage: String,
    /// Its size in bytes, when it built.
    pub size: Option<u64>,
    /// Seconds from its container's start to the first answer, when it answered.
    pub first_answer: Option<f64>,
    /// Why it did not build or answer.
    pub failure: Option<String>,
}

/// The target stage of a parsed spec: the one with `default = true`, else the last.
pub fn target_stage(spec: &toml::Table) -> anyhow::Result<String> {
    let stages = spec
        .get("stage")
        .and_then(toml::Value::as_table)
        .context("the spec has no `[stage.*]` table")?;
    let default = stages
        .iter()
        .find(|(_, stage)| stage.get("default").and_then(toml::Value::as_bool) == Some(true));
    default
        .or_else(|| stages.iter().next_back())
        .map(|(name, _)| name.clone())
        .context("the spec has no stage")
}

/// The spec `text` with `runtime = "minimal"` on its target stage (replacing a `runtime` it
/// set), and that stage's name. Comments are not kept, except a first `# syntax=` line.
pub fn minimal_spec(text: &str) -> anyhow::Result<(String, String)> {
    let mut spec: toml::Table = toml::from_str(text).context("the Stagefile does not parse")?;
    let stage = target_stage(&spec)?;
    let table = spec
        .get_mut("stage")
        .and_then(toml::Value::as_table_mut)
        .and_then(|stages| stages.get_mut(&stage))
        .and_then(toml::Value::as_table_mut)
        .with_context(|| format!("`stage.{stage}` is not a table"))?;
    if !table.contains_key("python") && !table.contains_key("node") {
        bail!(
            "the target stage `{stage}` is neither a Python nor a Node stage: `runtime` needs one"
        );
    }
    table.insert("runtime".into(), toml::Value::String("minimal".into()));
    let body = toml::to_string(&spec).context("writing the edited Stagefile")?;
    let syntax = text
        .lines()
        .next()
        .map(str::trim)
        .filter(|line| line.starts_with("# syntax="));
    Ok(match syntax {
        Some(line) => (stage, format!("{line}\n{body}")),
        None => (stage, body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reparsed(text: &str) -> toml::Table {
        toml::from_str(text).expect("the edited spec parses")
    }

    #[test]
    fn sets_minimal_on_the_last_stage() {
        let text = "# syntax=stagefile:dev\n# A comment.\n[stage.assets]\nnode = \"20\"\n\
                    outputs = [\"static/\"]\n\n[stage.app]\npython = \"3.11\"\n\
                    copy = [{ from = \"assets\" }]\nenv = { PATH = \"/venv/bin:$PATH\" }\n\
                    cmd = [\"gunicorn\", \"app:app\"]\n";
        let (stage, edited) = minimal_spec(text).expect("edits");
        assert_eq!(stage, "app");
        assert!(edited.starts_with("# syntax=stagefile:dev\n"), "{edited}");
        let mut expected = reparsed(text);
        expected["stage"]["app"]
            .as_table_mut()
            .expect("table")
            .insert("runtime".into(), "minimal".into());
        assert_eq!(reparsed(&edited), expected);
        // The stages keep their order (the last stage is the default target).
        let spec = reparsed(&edited);
        let order: Vec<&String> = spec["stage"].as_table().expect("t").keys().collect();
        assert_eq!(order, ["assets", "app"]);
        assert!(spec["stage"]["assets"].get("runtime").is_none());
    }

    #[test]
    fn the_default_stage_is_the_target_and_runtime_is_overridden() {
        let text = "[stage.app]\ndefault = true\npython = \"3.11\"\nruntime = \"base\"\n\n\
                    [stage.dev]\nfrom = \"app\"\n";
        let (stage, edited) = minimal_spec(text).expect("edits");
        assert_eq!(stage, "app");
        let spec = reparsed(&edited);
        assert_eq!(spec["stage"]["app"]["runtime"].as_str(), Some("minimal"));
        assert!(spec["stage"]["dev"].get("runtime").is_none());
        assert!(!edited.contains("syntax"));
    }

    #[test]
    fn refuses_what_cannot_be_minimal() {
        for text in [
            "[stage.app]\nfrom = \"scratch\"\n",
            "[args]\nX = \"1\"\n",
            "[stage]\n",
            "not toml =",
        ] {
            assert!(minimal_spec(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_configured_examples_get_a_minimal_target() {
        let bench = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = crate::config::Config::load(&bench.join("examples.toml")).expect("config");
        let minimal: Vec<&String> = config
            .examples
            .iter()
            .filter(|(_, e)| e.minimal)
            .map(|(name, _)| name)
            .collect();
        for name in ["python-venv", "python-node", "django-assets"] {
            assert!(minimal.iter().any(|m| *m == name), "{name} is not minimal");
        }
        for name in minimal {
            let dir = bench.join("../examples").join(name);
            let text = std::fs::read_to_string(dir.join("Stagefile.toml")).expect("read");
            let (stage, edited) = minimal_spec(&text).expect("edits");
            assert!(edited.starts_with("# syntax="), "{name}");
            // The compiler takes the edited spec, agrees on the target stage and assembles a
            // minimal runtime (the original spec does not).
            let steps = |text: &str| {
                let file = llb_gen::SourceFile::new("Stagefile.toml", text);
                let prepared = llb_gen::Prepared::new(file, llb_gen::CompileOptions::default())
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
                let target = prepared.targets().into_iter().find(|t| t.default);
                assert_eq!(target.map(|t| t.name), Some(stage.clone()), "{name}");
                prepared
                    .steps_text(&llb_gen::LocalDirProbe::new(&dir))
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"))
            };
            assert!(steps(&edited).contains("minimal runtime:"), "{name}");
            assert!(!steps(&text).contains("minimal runtime:"), "{name}");
        }
    }
}
