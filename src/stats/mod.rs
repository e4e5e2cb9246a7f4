//! Descriptive statistics over repetitions. Pure functions: no I/O, no formatting.
pub mod repetitions;
pub mod steady;

/// Summary of one metric over the repetitions of a test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    /// Sample standard deviation (n - 1 denominator, as llama-bench reports); 0 for n = 1.
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// Returns None when there is no finite value to summarise.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        Some(Spread {
            n,
            mean,
            median: percentile_sorted(&sorted, 50.0),
            stddev: sample_stddev(&sorted, mean),
            min: sorted[0],
            max: sorted[n - 1],
        })
    }

    /// Coefficient of variation (stddev / mean); None when the mean is zero.
    pub fn cv(&self) -> Option<f64> {
        (self.mean != 0.0).then(|| self.stddev / self.mean)
    }
}

fn sample_stddev(values: &[f64], mean: f64) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// Percentile with linear interpolation between closest ranks (numpy's default),
/// over values already sorted ascending. `p` is in 0..=100.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = rank.ceil() as usize;
            sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
        }
    }
}

/// Percentile of unsorted values (sorts a copy).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile_sorted(&sorted, p)
}

/// 95% Wilson score interval of a proportion k/n (well-behaved at 0, n and small n,
/// unlike the normal approximation). None for n = 0.
pub fn wilson_interval(k: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n) + z * z / (4.0 * n * n)).sqrt() / denom;
    // At k = 0 and k = n the bound is exactly 0 (1); the arithmetic leaves ~1e-17.
    let lo = if k == 0.0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (center + half).min(1.0)
    };
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn spread_matches_hand_computed_values() {
        let s = Spread::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert!(close(s.mean, 5.0));
        assert!(close(s.median, 4.5));
        // sum of squares 32, n - 1 = 7
        assert!(close(s.stddev, (32.0f64 / 7.0).sqrt()));
        assert!(close(s.min, 2.0) && close(s.max, 9.0));
        assert!(close(s.cv().unwrap(), (32.0f64 / 7.0).sqrt() / 5.0));
    }

    #[test]
    fn single_value_has_zero_spread() {
        let s = Spread::of(&[3.5]).unwrap();
        assert_eq!((s.n, s.mean, s.median, s.stddev), (1, 3.5, 3.5, 0.0));
    }

    #[test]
    fn non_finite_values_are_ignored_and_empty_is_none() {
        assert!(Spread::of(&[]).is_none());
        assert!(Spread::of(&[f64::NAN]).is_none());
        let s = Spread::of(&[1.0, f64::NAN, 3.0, f64::INFINITY]).unwrap();
        assert_eq!(s.n, 2);
        assert!(close(s.mean, 2.0));
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [15.0, 20.0, 35.0, 40.0, 50.0];
        assert!(close(percentile(&v, 50.0), 35.0));
        assert!(close(percentile(&v, 95.0), 48.0)); // numpy.percentile(v, 95) = 48.0
        assert!(close(percentile(&v, 0.0), 15.0));
        assert!(close(percentile(&v, 100.0), 50.0));
        assert!(close(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.5));
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn wilson_interval_matches_published_values() {
        // Wilson (1927) / Newcombe (1998) example: 81 of 263 -> 0.2553..0.3662.
        let (lo, hi) = wilson_interval(81, 263).unwrap();
        assert!(
            (lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_interval(0, 10).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 5e-4, "{hi}");
        assert!(wilson_interval(0, 0).is_none());
    }
}
