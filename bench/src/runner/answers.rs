//! Time to first answer of a side's freshly built image.

use anyhow::Context;

use super::{Example, Runner};
use crate::Variant;
use crate::answer::{self, Probe};

impl Runner {
    /// Seconds to first answer of [`answer::STARTS`] new containers of the cold build's image
    /// `tag`, with a progress line.
    pub(super) fn first_answers(
        &self,
        example: &Example,
        variant: Variant,
        run: usize,
        tag: &str,
        probe: &Probe,
    ) -> anyhow::Result<Vec<f64>> {
        let answers =
            answer::measure(tag, probe, answer::STARTS).context("time to first answer")?;
        self.say(&format!(
            "{} run {}/{}: {:<10} first answer in {}",
            example.name,
            run + 1,
            self.runs,
            variant.slug(),
            answers
                .iter()
                .map(|s| format!("{:.0} ms", s * 1000.0))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(answers)
    }
}
