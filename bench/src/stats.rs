//! Medians, ratios and the verdicts against the product's targets.

/// The median of `values` (the mean of the two middle ones for an even count); `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// The index of the value closest to the median (the first one on ties): the run to show when
/// one run's details stand for all of them.
pub fn median_index(values: &[f64]) -> Option<usize> {
    let m = median(values)?;
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .min_by(|(_, a), (_, b)| (*a - m).abs().total_cmp(&(*b - m).abs()))
        .map(|(i, _)| i)
}

/// Smallest and largest value; `None` if empty.
pub fn range(values: &[f64]) -> Option<(f64, f64)> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let min = finite.clone().min_by(f64::total_cmp)?;
    let max = finite.max_by(f64::total_cmp)?;
    Some((min, max))
}

/// `ours / theirs`, or `None` when it is not a number (a zero or missing denominator).
pub fn ratio(ours: f64, theirs: f64) -> Option<f64> {
    let r = ours / theirs;
    (r.is_finite() && theirs > 0.0).then_some(r)
}

/// A target for a ratio Stagefile / Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The ratio the product aims for (at most this).
    pub at_most: f64,
    /// Extra allowance for measurement noise, added to `at_most`.
    pub noise: f64,
}

impl Target {
    /// Whether a ratio meets the target.
    pub fn verdict(&self, ratio: f64) -> Verdict {
        if ratio <= self.at_most + self.noise {
            Verdict::Pass
        } else {
            Verdict::Miss
        }
    }

    /// How the target reads in the table: `≤ 1.20`, or `≤ 1.00 (+0.05 noise)`.
    pub fn describe(&self) -> String {
        if self.noise > 0.0 {
            format!("≤ {:.2} (+{:.2} noise)", self.at_most, self.noise)
        } else {
            format!("≤ {:.2}", self.at_most)
        }
    }
}

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It does.
    Pass,
    /// It does not: docs/benchmarks.md must say why.
    Miss,
}

impl Verdict {
    /// `pass` or `**miss**`, for Markdown.
    pub fn markdown(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Miss => "**miss**",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.5]), Some(7.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 1.0]), Some(1.0));
    }

    #[test]
    fn median_index_is_the_closest_run() {
        assert_eq!(median_index(&[10.0, 30.0, 20.0]), Some(2));
        // Median 2.5 of an even count: the first of the two closest.
        assert_eq!(median_index(&[1.0, 2.0, 3.0, 4.0]), Some(1));
        assert_eq!(median_index(&[]), None);
    }

    #[test]
    fn range_and_ratio() {
        assert_eq!(range(&[2.0, 5.0, 1.0]), Some((1.0, 5.0)));
        assert_eq!(range(&[]), None);
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(1.0, 0.0), None);
    }

    #[test]
    fn verdicts_include_the_noise_margin() {
        let t = Target {
            at_most: 1.0,
            noise: 0.05,
        };
        assert_eq!(t.verdict(1.05), Verdict::Pass);
        assert_eq!(t.verdict(1.051), Verdict::Miss);
        assert_eq!(t.describe(), "≤ 1.00 (+0.05 noise)");
        let strict = Target {
            at_most: 1.2,
            noise: 0.0,
        };
        assert_eq!(strict.verdict(1.2), Verdict::Pass);
        assert_eq!(strict.describe(), "≤ 1.20");
        assert_eq!(Verdict::Miss.markdown(), "**miss**");
    }
}
