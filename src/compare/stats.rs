//! Verdicts with confidence intervals: a change is called only when the whole
//! 95% interval of the ratio lies beyond the threshold (criterion.rs's rule).
//! Repetitions of one run share the machine's state of the moment, so two runs of
//! one build differ by more than their repetitions show: the interval used for a
//! regression also carries that run-to-run noise, so drift does not fail CI.
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::stats::percentile_sorted;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    Regressed,
    Unchanged,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricComparison {
    pub key: String,
    pub candidate: String,
    pub test: String,
    pub metric: String,
    pub direction: Direction,
    pub baseline_n: usize,
    pub candidate_n: usize,
    pub baseline_median: f64,
    pub candidate_median: f64,
    /// candidate median / baseline median
    pub ratio: f64,
    /// 95% confidence interval of the ratio from the repetitions (percentile bootstrap).
    pub ci_low: f64,
    pub ci_high: f64,
    /// The same interval widened by run-to-run noise: what a regression must clear.
    pub gate_low: f64,
    pub gate_high: f64,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct GateSettings {
    /// 0.05 = a 5% change is the smallest that counts.
    pub threshold: f64,
    pub confidence: f64,
    pub resamples: usize,
    /// Fewer repetitions than this on either side: inconclusive.
    pub min_reps: usize,
    pub seed: u64,
    /// Standard deviation of a run's median from run to run on the same machine
    /// (0.02 = 2%), beyond what the repetitions within a run show.
    pub run_noise: f64,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            threshold: 0.05,
            confidence: 0.95,
            resamples: 10_000,
            min_reps: 3,
            seed: 0xed9e,
            run_noise: 0.02,
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile_sorted(&v, 50.0)
}

/// Percentile bootstrap of median(candidate) / median(baseline), each side resampled
/// with replacement; seeded, so the same data always gives the same interval.
pub fn bootstrap_ratio_ci(
    baseline: &[f64],
    candidate: &[f64],
    settings: &GateSettings,
) -> (f64, f64) {
    let mut rng = SmallRng::seed_from_u64(settings.seed);
    let mut resample = |values: &[f64], buf: &mut Vec<f64>| {
        buf.clear();
        buf.extend((0..values.len()).map(|_| values[rng.random_range(0..values.len())]));
        median(buf)
    };
    let (mut b, mut c) = (Vec::new(), Vec::new());
    let mut ratios: Vec<f64> = (0..settings.resamples)
        .map(|_| resample(candidate, &mut c) / resample(baseline, &mut b))
        .filter(|r| r.is_finite())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - settings.confidence) / 2.0 * 100.0;
    (
        percentile_sorted(&ratios, tail),
        percentile_sorted(&ratios, 100.0 - tail),
    )
}

/// "15.2% lower" / "1.0% higher" for a ratio.
fn change(ratio: f64) -> String {
    let pct = (ratio - 1.0) * 100.0;
    if pct < 0.0 {
        format!("{:.1}% lower", -pct)
    } else {
        format!("{pct:.1}% higher")
    }
}

#[allow(clippy::too_many_arguments)] // the fields of one comparison
pub fn compare_metric(
    key: &str,
    candidate: &str,
    test: &str,
    metric: &str,
    direction: Direction,
    baseline: &[f64],
    candidate_values: &[f64],
    settings: &GateSettings,
) -> MetricComparison {
    let (base_median, cand_median) = (median(baseline), median(candidate_values));
    let mut result = MetricComparison {
        key: key.into(),
        candidate: candidate.into(),
        test: test.into(),
        metric: metric.into(),
        direction,
        baseline_n: baseline.len(),
        candidate_n: candidate_values.len(),
        baseline_median: base_median,
        candidate_median: cand_median,
        ratio: cand_median / base_median,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        gate_low: f64::NAN,
        gate_high: f64::NAN,
        verdict: Verdict::Inconclusive,
        reason: String::new(),
    };
    let valid = |v: &[f64]| v.iter().all(|x| x.is_finite() && *x > 0.0);
    if baseline.len() < settings.min_reps || candidate_values.len() < settings.min_reps {
        result.reason = format!(
            "{metric}: {} vs {} repetitions, at least {} each are needed to tell noise from change",
            baseline.len(),
            candidate_values.len(),
            settings.min_reps
        );
        return result;
    }
    if !valid(baseline) || !valid(candidate_values) {
        result.reason =
            format!("{metric}: values that are not positive numbers cannot be compared");
        return result;
    }
    let (low, high) = bootstrap_ratio_ci(baseline, candidate_values, settings);
    result.ci_low = low;
    result.ci_high = high;
    let (gate_low, gate_high) = widen(result.ratio, low, high, settings);
    result.gate_low = gate_low;
    result.gate_high = gate_high;
    let t = settings.threshold;
    let (worse, better) = match direction {
        Direction::HigherIsBetter => (gate_high < 1.0 - t, gate_low > 1.0 + t),
        Direction::LowerIsBetter => (gate_low > 1.0 + t, gate_high < 1.0 - t),
    };
    let inside = low >= 1.0 - t && high <= 1.0 + t;
    result.verdict = if worse {
        Verdict::Regressed
    } else if better {
        Verdict::Improved
    } else if inside {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    };
    let what = match result.verdict {
        Verdict::Regressed | Verdict::Improved => format!("beyond the {:.0}% threshold", t * 100.0),
        Verdict::Unchanged => format!("within the {:.0}% threshold", t * 100.0),
        Verdict::Inconclusive => format!(
            "with run-to-run noise ({}..{}) it crosses the {:.0}% threshold: too noisy to tell",
            change(gate_low),
            change(gate_high),
            t * 100.0
        ),
    };
    result.reason = format!(
        "{metric} {} (95% CI {}..{}): {what}",
        change(result.ratio),
        change(low),
        change(high)
    );
    result
}

/// Adds run-to-run noise to the bootstrap interval, in quadrature on the log scale:
/// each side's median carries `run_noise`, so their ratio carries sqrt(2) times it.
fn widen(ratio: f64, low: f64, high: f64, settings: &GateSettings) -> (f64, f64) {
    let z = 1.959_964; // two-sided 95%
    let extra = z * std::f64::consts::SQRT_2 * settings.run_noise;
    let center = ratio.ln();
    let down = (center - low.ln()).max(0.0).hypot(extra);
    let up = (high.ln() - center).max(0.0).hypot(extra);
    ((center - down).exp(), (center + up).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Repeatable noise: `n` values around `mean` spread by `spread` (a fraction).
    fn noisy(mean: f64, spread: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                // sum of 4 uniforms: roughly normal, sd ~ spread
                let z: f64 = (0..4).map(|_| rng.random::<f64>() - 0.5).sum::<f64>() * 1.73;
                mean * (1.0 + spread * z)
            })
            .collect()
    }

    fn verdict(base: &[f64], cand: &[f64], direction: Direction) -> MetricComparison {
        compare_metric(
            "k",
            "m",
            "tg128",
            "tg_tps",
            direction,
            base,
            cand,
            &GateSettings::default(),
        )
    }

    #[test]
    fn bootstrap_is_repeatable() {
        let (b, c) = (noisy(100.0, 0.02, 5, 1), noisy(100.0, 0.02, 5, 2));
        let s = GateSettings::default();
        assert_eq!(
            bootstrap_ratio_ci(&b, &c, &s),
            bootstrap_ratio_ci(&b, &c, &s)
        );
        let (lo, hi) = bootstrap_ratio_ci(&b, &c, &s);
        assert!(lo <= median(&c) / median(&b) && median(&c) / median(&b) <= hi);
    }

    #[test]
    fn same_distribution_never_regresses() {
        for seed in 0..40 {
            let r = verdict(
                &noisy(100.0, 0.02, 5, seed),
                &noisy(100.0, 0.02, 5, seed + 1000),
                Direction::HigherIsBetter,
            );
            assert_ne!(r.verdict, Verdict::Regressed, "seed {seed}: {}", r.reason);
            assert_ne!(r.verdict, Verdict::Improved, "seed {seed}: {}", r.reason);
        }
    }

    #[test]
    fn a_15_percent_change_is_called_in_the_right_direction() {
        let base = noisy(100.0, 0.02, 5, 7);
        let r = verdict(&base, &noisy(85.0, 0.02, 5, 8), Direction::HigherIsBetter);
        assert_eq!(r.verdict, Verdict::Regressed, "{}", r.reason);
        assert!(
            r.reason.contains("lower") && r.reason.contains("beyond the 5% threshold"),
            "{}",
            r.reason
        );
        let r = verdict(&base, &noisy(115.0, 0.02, 5, 8), Direction::LowerIsBetter);
        assert_eq!(
            r.verdict,
            Verdict::Regressed,
            "latency up is bad: {}",
            r.reason
        );
        let r = verdict(&base, &noisy(115.0, 0.02, 5, 8), Direction::HigherIsBetter);
        assert_eq!(r.verdict, Verdict::Improved, "{}", r.reason);
    }

    /// Seen on this machine: two runs of one build, tight repetitions, medians 6% apart.
    #[test]
    fn run_to_run_drift_is_not_a_regression() {
        let base = [211.2, 211.6, 212.3, 210.9, 211.8];
        let cand = [198.1, 198.7, 199.5, 197.9, 200.3];
        let r = verdict(&base, &cand, Direction::HigherIsBetter);
        assert!(
            r.ci_high < 0.95,
            "the repetitions alone would call it: {}",
            r.reason
        );
        assert_eq!(r.verdict, Verdict::Inconclusive, "{}", r.reason);
    }

    #[test]
    fn few_reps_or_much_noise_are_inconclusive_not_regressions() {
        let r = verdict(&[100.0, 101.0], &[80.0, 81.0], Direction::HigherIsBetter);
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert!(r.reason.contains("at least 3"), "{}", r.reason);
        let r = verdict(
            &noisy(100.0, 0.3, 5, 3),
            &noisy(93.0, 0.3, 5, 4),
            Direction::HigherIsBetter,
        );
        assert_eq!(r.verdict, Verdict::Inconclusive, "{}", r.reason);
        let r = verdict(
            &[1.0, 2.0, 0.0],
            &[1.0, 2.0, 3.0],
            Direction::HigherIsBetter,
        );
        assert_eq!(r.verdict, Verdict::Inconclusive);
    }
}
