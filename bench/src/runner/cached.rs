//! The fully cached rebuild, measured with the sides interleaved.

use std::collections::BTreeMap;

use super::{Example, Runner, tag};
use crate::{BuildSample, ExampleResult, Scenario, Variant};

impl Runner {
    /// Replaces the fully cached rebuilds of the runs with `cached_rounds` rounds after them,
    /// each side once a round, in rotation. A fully cached rebuild takes well under a second:
    /// in a run each side builds it at another moment, so the machine's load then, not the
    /// frontend, decided the ratio (seen on a loaded machine: 1.39x one time, parity the next).
    /// Every side's copy is warmed first (the cold builds of the sides after it emptied its
    /// cache); the warm-up builds are not counted.
    pub(super) fn interleaved_cached(
        &self,
        example: &Example,
        result: &mut ExampleResult,
    ) -> anyhow::Result<()> {
        let copy = |variant: Variant| self.work_dir.join(&example.name).join(variant.slug());
        for variant in Variant::ALL {
            let tag = tag(&example.name, variant);
            let warm = self.build(
                example,
                &copy(variant),
                variant,
                Scenario::Cached,
                "warm",
                &tag,
            )?;
            self.say(&format!(
                "{}: {:<10} warmed for the cached rounds ({:.1} s)",
                example.name,
                variant.slug(),
                warm.seconds
            ));
        }
        let mut samples: BTreeMap<Variant, Vec<BuildSample>> = BTreeMap::new();
        for round in 0..self.cached_rounds {
            for variant in Variant::order(round) {
                let tag = tag(&example.name, variant);
                let name = format!("round{}", round + 1);
                let sample = self.build(
                    example,
                    &copy(variant),
                    variant,
                    Scenario::Cached,
                    &name,
                    &tag,
                )?;
                self.say(&format!(
                    "{} cached round {}/{}: {:<10} {:>7.2} s, {} steps run",
                    example.name,
                    round + 1,
                    self.cached_rounds,
                    variant.slug(),
                    sample.seconds,
                    sample.steps_run
                ));
                samples.entry(variant).or_default().push(sample);
            }
        }
        for (variant, samples) in samples {
            result.builds.insert((variant, Scenario::Cached), samples);
        }
        Ok(())
    }
}
