//! One side's measurements of one run.

use crate::{BuildSample, ExampleResult, ImageFacts, Scenario, Variant};

/// One side's measurements of one run, kept only if its base images did not change meanwhile.
#[derive(Debug, Default)]
pub(super) struct Side {
    pub(super) builds: Vec<(Scenario, BuildSample)>,
    pub(super) image: Option<ImageFacts>,
    /// Seconds to first answer of the cold build's image (empty where not measured).
    pub(super) answers: Vec<f64>,
}

impl Side {
    /// Whether another build on the engine got in the way: a cold build found steps in the
    /// cache, a fully cached one ran steps, or a build shared steps another build had started.
    pub(super) fn disturbed(&self) -> bool {
        self.builds.iter().any(|(scenario, sample)| {
            sample.steps_shared > 0
                || (*scenario == Scenario::Cold && sample.steps_cached > 0)
                || (*scenario == Scenario::Cached && sample.steps_run > 0)
        })
    }

    pub(super) fn commit(self, variant: Variant, result: &mut ExampleResult) {
        for (scenario, sample) in self.builds {
            result
                .builds
                .entry((variant, scenario))
                .or_default()
                .push(sample);
        }
        if let Some(image) = self.image {
            result.images.entry(variant).or_default().push(image);
        }
        if !self.answers.is_empty() {
            result
                .first_answers
                .entry(variant)
                .or_default()
                .extend(self.answers);
        }
    }
}
