//! How sure the repetitions of a test make its median, when to stop repeating
//! (`--reps auto`), and whether the first repetition ran cold. Pure functions
//! over the values of one metric; docs/metrics.md defines each.
use super::{percentile, Spread};

/// Two-sided 95% Student t quantiles for 1..=30 degrees of freedom.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

fn t_975(df: usize) -> f64 {
    T_975.get(df.wrapping_sub(1)).copied().unwrap_or(1.960)
}

/// Half-width of the 95% interval of the median, relative to the median:
/// t(0.975, n-1) x sqrt(pi/2) x s / sqrt(n) / median. sqrt(pi/2) s / sqrt(n)
/// is the median's standard error for normally distributed repetitions
/// (order-statistic intervals need n >= 6, and auto repetitions decide from 3).
/// None below 2 values or for a zero median.
pub fn median_precision(values: &[f64]) -> Option<f64> {
    let s = Spread::of(values)?;
    if s.n < 2 || s.median == 0.0 {
        return None;
    }
    let standard_error = std::f64::consts::FRAC_PI_2.sqrt() * s.stddev / (s.n as f64).sqrt();
    Some(t_975(s.n - 1) * standard_error / s.median.abs())
}

/// When `--reps auto` stops repeating a test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopRule {
    pub min_reps: u32,
    pub max_reps: u32,
    /// Target relative half-width of the median's 95% interval (0.02 = 2%).
    pub precision: f64,
    /// Time spent on the test's repetitions after which it stops anyway.
    pub budget: Option<std::time::Duration>,
}

impl StopRule {
    /// A fixed count: `reps` repetitions, whatever they show.
    pub fn fixed(reps: u32) -> StopRule {
        StopRule {
            min_reps: reps,
            max_reps: reps,
            precision: f64::INFINITY,
            budget: None,
        }
    }

    /// Whether `n` repetitions, of which `values` have the headline figure
    /// (a reply too short for a 50-token latency has none), are enough.
    pub fn enough(&self, n: u32, values: &[f64], spent: std::time::Duration) -> bool {
        if n >= self.max_reps {
            return true;
        }
        if n < self.min_reps {
            return false;
        }
        let precise = median_precision(values).is_some_and(|p| p <= self.precision);
        precise || self.budget.is_some_and(|b| spent >= b)
    }
}

/// `--warmup auto`: the last two warm-ups agree within `precision` (the
/// later against the earlier).
pub fn warm_ups_agree(values: &[f64], precision: f64) -> bool {
    match values {
        [.., a, b] if *a != 0.0 => (b / a - 1.0).abs() <= precision,
        _ => false,
    }
}

/// The first repetition against the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FirstRep {
    /// first / median(rest) - 1.
    pub deviation: f64,
    /// Further from the rest's median than 3 scaled MADs of the rest (and 3%
    /// of it): warm-up, clocks ramping or the page cache, not noise.
    pub differs: bool,
}

/// None below 3 repetitions (the rest needs 2 to have a spread).
pub fn first_rep(values: &[f64]) -> Option<FirstRep> {
    let (&first, rest) = values.split_first()?;
    if rest.len() < 2 {
        return None;
    }
    let median = percentile(rest, 50.0);
    if median == 0.0 {
        return None;
    }
    let deviations: Vec<f64> = rest.iter().map(|v| (v - median).abs()).collect();
    let mad = 1.4826 * percentile(&deviations, 50.0);
    // The floor: quiet repetitions have a tiny MAD, and a 1-2% first run is
    // not worth a warning.
    let noise = (3.0 * mad).max(0.03 * median.abs());
    Some(FirstRep {
        deviation: first / median - 1.0,
        differs: (first - median).abs() > noise,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn precision_follows_the_formula() {
        // n = 4, median 10.5, s = sqrt(5/3): t(3) = 3.182.
        let p = median_precision(&[9.0, 10.0, 11.0, 12.0]).unwrap();
        let expected =
            3.182 * (std::f64::consts::PI / 2.0).sqrt() * (5.0f64 / 3.0).sqrt() / 2.0 / 10.5;
        assert!((p - expected).abs() < 1e-12, "{p} vs {expected}");
        assert_eq!(median_precision(&[3.0]), None);
        assert_eq!(median_precision(&[5.0, 5.0, 5.0]), Some(0.0));
    }

    #[test]
    fn auto_stops_at_the_minimum_when_quiet_and_at_the_maximum_when_noisy() {
        let rule = StopRule {
            min_reps: 3,
            max_reps: 30,
            precision: 0.02,
            budget: None,
        };
        let zero = Duration::ZERO;
        assert!(!rule.enough(2, &[100.0, 100.1], zero), "below the minimum");
        assert!(rule.enough(3, &[100.0, 100.1, 99.9], zero));
        let noisy = [80.0, 120.0, 90.0, 110.0];
        assert!(!rule.enough(4, &noisy, zero));
        assert!(rule.enough(30, &[100.0; 30], zero));
        let noisy30: Vec<f64> = (0..30).map(|i| 60.0 + 80.0 * (i % 2) as f64).collect();
        assert!(rule.enough(30, &noisy30, zero), "the maximum ends it");
        let budget = StopRule {
            budget: Some(Duration::from_secs(10)),
            ..rule
        };
        assert!(budget.enough(4, &noisy, Duration::from_secs(11)));
        assert!(
            !budget.enough(2, &noisy[..2], Duration::from_secs(11)),
            "minimum first"
        );
    }

    #[test]
    fn repetitions_without_the_figure_count_towards_a_fixed_number() {
        // Five short replies (no 50-token latency) are five repetitions.
        assert!(StopRule::fixed(5).enough(5, &[], Duration::ZERO));
        assert!(!StopRule::fixed(5).enough(4, &[], Duration::ZERO));
    }

    #[test]
    fn warm_ups_agree_when_the_last_two_are_within_the_precision() {
        assert!(!warm_ups_agree(&[100.0], 0.02), "one cannot agree");
        assert!(!warm_ups_agree(&[60.0, 90.0], 0.02));
        assert!(warm_ups_agree(&[60.0, 90.0, 91.5], 0.02));
        assert!(!warm_ups_agree(&[90.0, 88.0], 0.02), "2.2% apart");
        assert!(warm_ups_agree(&[90.0, 88.0], 0.05));
        assert!(!warm_ups_agree(&[0.0, 0.0], 0.02));
    }

    #[test]
    fn fixed_runs_exactly_its_count() {
        let rule = StopRule::fixed(5);
        assert!(!rule.enough(4, &[1.0; 4], Duration::from_secs(999)));
        assert!(rule.enough(5, &[1.0, 9.0, 1.0, 9.0, 1.0], Duration::ZERO));
    }

    #[test]
    fn a_slow_first_repetition_is_flagged_and_noise_is_not() {
        let cold = first_rep(&[70.0, 100.0, 101.0, 99.0, 100.5]).unwrap();
        assert!(cold.differs);
        assert!((cold.deviation - (70.0 / 100.25 - 1.0)).abs() < 1e-9);
        let warm = first_rep(&[99.2, 100.0, 101.0, 99.0, 100.5]).unwrap();
        assert!(!warm.differs, "{warm:?}");
        let noisy = first_rep(&[80.0, 100.0, 60.0, 120.0, 90.0]).unwrap();
        assert!(!noisy.differs, "within the rest's own spread: {noisy:?}");
        assert_eq!(first_rep(&[1.0, 2.0]), None);
    }
}
