//! The minimal runtime image of an example: built once through the same frontend image, its
//! size taken, and started once with the example's probe to prove it answers.

use anyhow::Context;

use super::{Example, Runner, copy_dir, with_syntax};
use crate::answer::{self, Probe};
use crate::minimal::{MinimalRuntime, minimal_spec};
use crate::{Scenario, Variant, docker};

impl Runner {
    /// Builds a copy of the example with `runtime = "minimal"` on its target stage, `--load`s
    /// it, records its size and starts it with `probe`. A failure is recorded, never skipped.
    pub(super) fn minimal_runtime(
        &self,
        example: &Example,
        probe: Option<&Probe>,
    ) -> MinimalRuntime {
        let tag = format!("stagefile-bench-{}:minimal", example.name);
        let mut result = MinimalRuntime::default();
        match self.build_minimal(example, &tag, &mut result) {
            Err(e) => result.failure = Some(format!("did not build: {e:#}")),
            Ok(()) => match probe {
                None => {
                    result.failure =
                        Some("no `first_answer` in bench/examples.toml to ask it".to_owned())
                }
                Some(probe) => match answer::measure(&tag, probe, 1) {
                    Ok(seconds) => result.first_answer = seconds.first().copied(),
                    Err(e) => result.failure = Some(format!("did not answer: {e:#}")),
                },
            },
        }
        self.say(&format!(
            "{}: minimal runtime (stage `{}`): {}{}",
            example.name,
            result.stage,
            result.size.map_or("–".to_owned(), crate::report::bytes),
            match (&result.failure, result.first_answer) {
                (Some(why), _) => format!(", {why}"),
                (None, Some(s)) => format!(", first answer in {:.0} ms", s * 1000.0),
                (None, None) => String::new(),
            }
        ));
        docker::remove_image(&tag);
        let _ = std::fs::remove_dir_all(self.work_dir.join(&example.name).join("minimal"));
        result
    }

    /// The copy, its edited spec and the build; sets the stage and the size in `result`.
    fn build_minimal(
        &self,
        example: &Example,
        tag: &str,
        result: &mut MinimalRuntime,
    ) -> anyhow::Result<()> {
        let copy = self.work_dir.join(&example.name).join("minimal");
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&example.dir, &copy)?;
        let spec = copy.join(Variant::Stagefile.file_name());
        let text = std::fs::read_to_string(&spec)?;
        let (stage, mut edited) = minimal_spec(&text).context("setting `runtime = \"minimal\"`")?;
        result.stage = stage;
        if let Some(frontend) = &self.frontend {
            edited = with_syntax(&edited, frontend);
        }
        std::fs::write(&spec, edited)?;
        docker::remove_image(tag);
        self.build(
            example,
            &copy,
            Variant::Stagefile,
            Scenario::Cold,
            "minimal",
            tag,
        )?;
        result.size = Some(docker::image_size(tag)?);
        Ok(())
    }
}
