//! Verdicts with confidence intervals: a change is called only when the whole
//! 95% interval of the ratio lies beyond the threshold (criterion.rs's rule).
//! Repetitions of one run share the machine's state of the moment, so two runs of
//! one build differ by more than their repetitions show: the interval used for a
//! regression also carries that run-to-run noise, so drift does not fail CI.
//!
//! Quality suites are compared case by case (McNemar's exact test on the cases
//! that only one side passes), with Holm's correction across suites, so that
//! checking many suites does not multiply the false alarms.
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
    /// Names the candidate, configuration and test, e.g.
    /// "gemma-3-270m-Q4_K_M t=2 ngl=999 b=2048 fa=auto / tg128" (given by the caller).
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
    /// Why the repetitions could not be compared (the verdict is then inconclusive).
    #[serde(skip)]
    pub unusable: Option<Unusable>,
    /// The verdict in words (`wording`; empty until `compare` words it).
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct GateSettings {
    /// 0.05 = a 5% change is the smallest that counts.
    pub threshold: f64,
    /// Of the bootstrap interval; 1 - confidence is also the quality tests' alpha.
    pub confidence: f64,
    pub resamples: usize,
    /// Fewer repetitions than this on either side: inconclusive.
    pub min_reps: usize,
    pub seed: u64,
    /// Standard deviation of a run's median from run to run on the same machine
    /// (0.02 = 2%), beyond what the repetitions within a run show. 0 = trust the
    /// repetitions alone.
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
/// (NaN, NaN) when either side is empty.
pub fn bootstrap_ratio_ci(
    baseline: &[f64],
    candidate: &[f64],
    settings: &GateSettings,
) -> (f64, f64) {
    if baseline.is_empty() || candidate.is_empty() {
        return (f64::NAN, f64::NAN);
    }
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

/// The first value that is not a positive finite number: a failed measurement
/// (0 tokens/s, NaN) would otherwise pass for a huge change.
fn first_invalid(values: &[f64]) -> Option<f64> {
    values
        .iter()
        .copied()
        .find(|x| !(x.is_finite() && *x > 0.0))
}

/// Why two sets of repetitions cannot be compared at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unusable {
    TooFewReps {
        baseline: usize,
        candidate: usize,
        needed: usize,
    },
    /// A value that is not a positive finite number, on the baseline side or not.
    NotPositive {
        on_baseline: bool,
        value: f64,
    },
    NoInterval,
}

fn unusable(baseline: &[f64], candidate: &[f64], settings: &GateSettings) -> Option<Unusable> {
    // One value is the least a median needs, whatever min_reps says.
    let needed = settings.min_reps.max(1);
    if baseline.len() < needed || candidate.len() < needed {
        return Some(Unusable::TooFewReps {
            baseline: baseline.len(),
            candidate: candidate.len(),
            needed,
        });
    }
    for (on_baseline, values) in [(true, baseline), (false, candidate)] {
        if let Some(value) = first_invalid(values) {
            return Some(Unusable::NotPositive { on_baseline, value });
        }
    }
    None
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
        unusable: None,
        reason: String::new(),
    };
    result.unusable = unusable(baseline, candidate_values, settings);
    if result.unusable.is_some() {
        return result;
    }
    let (low, high) = bootstrap_ratio_ci(baseline, candidate_values, settings);
    if !(low.is_finite() && high.is_finite()) {
        result.unusable = Some(Unusable::NoInterval);
        return result;
    }
    let (gate_low, gate_high) = widen(result.ratio, low, high, settings);
    (result.ci_low, result.ci_high) = (low, high);
    (result.gate_low, result.gate_high) = (gate_low, gate_high);
    result.verdict = metric_verdict(direction, (low, high), (gate_low, gate_high), settings);
    result
}

/// A change is called only when the whole gate interval (repetitions plus
/// run-to-run noise) lies beyond the threshold; "unchanged" only when the
/// repetitions' interval lies inside it; anything between is too noisy to tell.
fn metric_verdict(
    direction: Direction,
    (low, high): (f64, f64),
    (gate_low, gate_high): (f64, f64),
    settings: &GateSettings,
) -> Verdict {
    let t = settings.threshold;
    let (worse, better) = match direction {
        Direction::HigherIsBetter => (gate_high < 1.0 - t, gate_low > 1.0 + t),
        Direction::LowerIsBetter => (gate_low > 1.0 + t, gate_high < 1.0 - t),
    };
    if worse {
        Verdict::Regressed
    } else if better {
        Verdict::Improved
    } else if low >= 1.0 - t && high <= 1.0 + t {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

/// Adds run-to-run noise to the bootstrap interval, in quadrature on the log scale:
/// each side's median carries `run_noise`, so their ratio carries sqrt(2) times it.
fn widen(ratio: f64, low: f64, high: f64, settings: &GateSettings) -> (f64, f64) {
    if settings.run_noise <= 0.0 {
        return (low, high);
    }
    let z = 1.959_964; // two-sided 95%
    let extra = z * std::f64::consts::SQRT_2 * settings.run_noise;
    let center = ratio.ln();
    let down = (center - low.ln()).max(0.0).hypot(extra);
    let up = (high.ln() - center).max(0.0).hypot(extra);
    ((center - down).exp(), (center + up).exp())
}

/// Two-sided exact McNemar test: under "no difference" each discordant case is a
/// fair coin, so p = min(1, 2 P(X <= min(b, c))) with X ~ Bin(b + c, 1/2).
/// Summed in log space so that thousands of cases neither overflow nor underflow.
pub fn mcnemar_exact_p(only_baseline_passes: u64, only_candidate_passes: u64) -> f64 {
    let n = only_baseline_passes + only_candidate_passes;
    if n == 0 {
        return 1.0;
    }
    let k = only_baseline_passes.min(only_candidate_passes);
    (2.0 * ln_half_binomial_cdf(n, k).exp()).min(1.0)
}

/// ln P(X <= k) for X ~ Bin(n, 1/2) and k <= n / 2. Below the mode every term is
/// smaller than the next, so summing down from P(X = k) relative to it cannot
/// overflow, and the loop may stop once the terms no longer change the sum.
fn ln_half_binomial_cdf(n: u64, k: u64) -> f64 {
    let ln_top = ln_choose(n, k) - n as f64 * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0_f64, 1.0_f64);
    for i in (1..=k).rev() {
        term *= i as f64 / (n - i + 1) as f64; // P(X = i - 1) / P(X = i)
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    ln_top + sum.ln()
}

/// ln C(n, k) as a sum of logs: exact enough for n in the millions, no factorials.
fn ln_choose(n: u64, k: u64) -> f64 {
    (0..k).map(|i| ((n - i) as f64 / (i + 1) as f64).ln()).sum()
}

/// Holm-Bonferroni step-down adjusted p-values, in the input order: sorted
/// ascending, adj(i) = max over j <= i of min(1, (m - j + 1) p(j)). A NaN counts
/// as 1 (nothing shown).
pub fn holm_adjust(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![1.0; m];
    let mut running_max = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        // f64::min returns the number when the other side is NaN: NaN -> 1.
        let scaled = ((m - rank) as f64 * p_values[i]).min(1.0);
        running_max = running_max.max(scaled);
        adjusted[i] = running_max;
    }
    adjusted
}

/// Fewer shared cases than this: even all of them flipping is weak evidence, and
/// the suite is probably a smoke test, not a measurement.
pub const MIN_QUALITY_CASES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityComparison {
    pub key: String,
    pub candidate: String,
    pub suite: String,
    /// Cases both runs scored.
    pub cases: usize,
    pub baseline_pass_rate: f64,
    pub candidate_pass_rate: f64,
    /// Cases only the baseline passes / only the candidate passes.
    pub only_baseline: u64,
    pub only_candidate: u64,
    /// McNemar's exact p for this suite alone.
    pub p_value: f64,
    /// After Holm's correction across suites (`apply_holm`); p_value until then.
    pub p_adjusted: f64,
    pub verdict: Verdict,
    /// The verdict in words (`wording`; empty until `compare` words it).
    pub reason: String,
}

/// Paired cases, one entry per case both runs scored: (case id, baseline passed,
/// candidate passed). Regressed when the candidate passes fewer and p_adjusted <
/// alpha (1 - settings.confidence), Improved symmetrically, Unchanged otherwise;
/// Inconclusive with fewer than `MIN_QUALITY_CASES` cases. p_adjusted starts equal
/// to p_value: the caller runs `apply_holm` over all quality comparisons.
pub fn compare_quality(
    key: &str,
    candidate: &str,
    suite: &str,
    pairs: &[(String, bool, bool)],
    settings: &GateSettings,
) -> QualityComparison {
    let count = |f: fn(&(String, bool, bool)) -> bool| pairs.iter().filter(|p| f(p)).count();
    let cases = pairs.len();
    let rate = |passes: usize| passes as f64 / cases as f64; // NaN when no cases
    let only_baseline = count(|p| p.1 && !p.2) as u64;
    let only_candidate = count(|p| !p.1 && p.2) as u64;
    let p_value = mcnemar_exact_p(only_baseline, only_candidate);
    let mut q = QualityComparison {
        key: key.into(),
        candidate: candidate.into(),
        suite: suite.into(),
        cases,
        baseline_pass_rate: rate(count(|p| p.1)),
        candidate_pass_rate: rate(count(|p| p.2)),
        only_baseline,
        only_candidate,
        p_value,
        p_adjusted: p_value,
        verdict: Verdict::Inconclusive,
        reason: String::new(),
    };
    decide_quality(&mut q, 1.0 - settings.confidence);
    q
}

/// Holm's correction over the suites that were tested (those with enough cases),
/// then every verdict and reason again from the adjusted p-values. Idempotent.
pub fn apply_holm(comparisons: &mut [QualityComparison], alpha: f64) {
    let tested: Vec<usize> = (0..comparisons.len())
        .filter(|&i| comparisons[i].cases >= MIN_QUALITY_CASES)
        .collect();
    let p: Vec<f64> = tested.iter().map(|&i| comparisons[i].p_value).collect();
    for (&i, adjusted) in tested.iter().zip(holm_adjust(&p)) {
        comparisons[i].p_adjusted = adjusted;
    }
    for q in comparisons.iter_mut() {
        decide_quality(q, alpha);
    }
}

fn decide_quality(q: &mut QualityComparison, alpha: f64) {
    if q.cases < MIN_QUALITY_CASES {
        q.verdict = Verdict::Inconclusive;
        return;
    }
    let significant = q.p_adjusted < alpha;
    q.verdict = match q.only_baseline.cmp(&q.only_candidate) {
        std::cmp::Ordering::Greater if significant => Verdict::Regressed,
        std::cmp::Ordering::Less if significant => Verdict::Improved,
        _ => Verdict::Unchanged,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::wording::{percent, word_metric, word_quality};

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

    fn compare_with(
        base: &[f64],
        cand: &[f64],
        direction: Direction,
        settings: &GateSettings,
    ) -> MetricComparison {
        let mut m = compare_metric("k", "m", "tg128", "tg_tps", direction, base, cand, settings);
        word_metric(&mut m, settings.threshold);
        m
    }

    fn verdict(base: &[f64], cand: &[f64], direction: Direction) -> MetricComparison {
        compare_with(base, cand, direction, &GateSettings::default())
    }

    fn repetitions_only() -> GateSettings {
        GateSettings {
            run_noise: 0.0,
            ..GateSettings::default()
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
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
        // Another seed may well give the very same interval: with 5 values a
        // resampled median is one of them, so the percentiles land on the same
        // ratio of two order statistics.
    }

    #[test]
    fn same_distribution_never_regresses() {
        for settings in [GateSettings::default(), repetitions_only()] {
            let mut unchanged = 0;
            for seed in 0..40 {
                let r = compare_with(
                    &noisy(100.0, 0.02, 5, seed),
                    &noisy(100.0, 0.02, 5, seed + 1000),
                    Direction::HigherIsBetter,
                    &settings,
                );
                assert_ne!(r.verdict, Verdict::Regressed, "seed {seed}: {}", r.reason);
                assert_ne!(r.verdict, Verdict::Improved, "seed {seed}: {}", r.reason);
                unchanged += usize::from(r.verdict == Verdict::Unchanged);
            }
            // Not "never regressed" by being inconclusive every time. With 5 reps
            // of 2% noise the interval is about +-4.5% wide, so roughly half of
            // the pairs reach "unchanged" at 5% (22 of these 40) and the rest are
            // too noisy to tell.
            assert!(unchanged >= 20, "only {unchanged} of 40 unchanged");
        }
    }

    #[test]
    fn a_15_percent_change_is_called_in_the_right_direction() {
        let base = noisy(100.0, 0.02, 5, 7);
        let (slower, faster) = (noisy(85.0, 0.02, 5, 8), noisy(115.0, 0.02, 5, 8));
        let r = verdict(&base, &slower, Direction::HigherIsBetter);
        assert_eq!(r.verdict, Verdict::Regressed, "{}", r.reason);
        assert!(
            r.reason.starts_with("tg_tps 1") && r.reason.contains("lower"),
            "{}",
            r.reason
        );
        assert!(r.reason.contains("beyond the 5% threshold"), "{}", r.reason);
        let r = verdict(&base, &faster, Direction::LowerIsBetter);
        assert_eq!(r.verdict, Verdict::Regressed, "latency up: {}", r.reason);
        let r = verdict(&base, &slower, Direction::LowerIsBetter);
        assert_eq!(r.verdict, Verdict::Improved, "latency down: {}", r.reason);
        let r = verdict(&base, &faster, Direction::HigherIsBetter);
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
        assert!(r.reason.contains("run-to-run noise"), "{}", r.reason);
        let r = compare_with(&base, &cand, Direction::HigherIsBetter, &repetitions_only());
        assert_eq!(r.verdict, Verdict::Regressed, "{}", r.reason);
        assert_eq!((r.gate_low, r.gate_high), (r.ci_low, r.ci_high));
    }

    #[test]
    fn few_reps_or_much_noise_are_inconclusive_not_regressions() {
        let r = verdict(&[100.0, 101.0], &[80.0, 81.0], Direction::HigherIsBetter);
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert!(r.reason.contains("at least 3"), "{}", r.reason);
        for seed in 0..10 {
            let r = verdict(
                &noisy(100.0, 0.3, 5, seed),
                &noisy(93.0, 0.3, 5, seed + 100),
                Direction::HigherIsBetter,
            );
            assert_eq!(r.verdict, Verdict::Inconclusive, "{}", r.reason);
            assert!(r.reason.contains("too noisy"), "{}", r.reason);
        }
    }

    #[test]
    fn non_positive_or_missing_values_are_inconclusive() {
        let good = [1.0, 2.0, 3.0];
        for (base, cand, side) in [
            (&[1.0, 2.0, 0.0][..], &good[..], "baseline has 0"),
            (&good[..], &[1.0, f64::NAN, 3.0][..], "candidate has NaN"),
            (&good[..], &[1.0, -2.0, 3.0][..], "candidate has -2"),
        ] {
            let r = verdict(base, cand, Direction::HigherIsBetter);
            assert_eq!(r.verdict, Verdict::Inconclusive);
            assert!(r.reason.contains(side), "{}", r.reason);
        }
        let none = GateSettings {
            min_reps: 0,
            ..GateSettings::default()
        };
        let r = compare_with(&[], &good, Direction::HigherIsBetter, &none);
        assert_eq!(r.verdict, Verdict::Inconclusive, "{}", r.reason);
    }

    #[test]
    fn thresholds_read_as_typed() {
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.025), "2.5%");
        let s = GateSettings {
            threshold: 0.025,
            ..repetitions_only()
        };
        let r = compare_with(&[100.0; 5], &[100.0; 5], Direction::HigherIsBetter, &s);
        assert_eq!(r.verdict, Verdict::Unchanged);
        assert!(
            r.reason.ends_with("within the 2.5% threshold"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn mcnemar_matches_hand_computed_values() {
        assert_eq!(mcnemar_exact_p(0, 0), 1.0);
        assert!(close(mcnemar_exact_p(10, 0), 0.001953125));
        assert!(close(mcnemar_exact_p(0, 10), 0.001953125));
        assert_eq!(mcnemar_exact_p(5, 5), 1.0);
        assert!(close(mcnemar_exact_p(3, 7), 0.34375)); // 2 * 176 / 1024
        assert!(close(mcnemar_exact_p(7, 3), 0.34375));
        assert!(close(mcnemar_exact_p(14, 2), 2.0 * 137.0 / 65536.0)); // 1 + 16 + 120
        assert!(close(mcnemar_exact_p(1, 0), 1.0));
    }

    #[test]
    fn mcnemar_stays_finite_for_thousands_of_cases() {
        let p = mcnemar_exact_p(4000, 4200);
        assert!(p.is_finite() && p > 0.0 && p < 1.0, "{p}");
        // Normal approximation with continuity correction: z = 199 / sqrt(8200).
        assert!((p - 0.028).abs() < 0.002, "{p}");
        let tiny = mcnemar_exact_p(0, 10_000);
        assert!((0.0..1e-300).contains(&tiny), "{tiny}");
        assert_eq!(mcnemar_exact_p(5000, 5000), 1.0);
    }

    #[test]
    fn holm_is_the_standard_step_down() {
        let adj = holm_adjust(&[0.01, 0.04, 0.03]);
        let want = [0.03, 0.06, 0.06];
        assert!(adj.iter().zip(want).all(|(a, w)| close(*a, w)), "{adj:?}");
        assert_eq!(holm_adjust(&[]), Vec::<f64>::new());
        assert_eq!(holm_adjust(&[0.5, 0.9]), vec![1.0, 1.0]);
        let adj = holm_adjust(&[0.2, f64::NAN, 0.001]);
        assert!(close(adj[2], 0.003) && close(adj[0], 0.4) && adj[1] == 1.0);
    }

    fn pairs(
        both: usize,
        only_base: usize,
        only_cand: usize,
        neither: usize,
    ) -> Vec<(String, bool, bool)> {
        let kinds = [
            (both, true, true),
            (only_base, true, false),
            (only_cand, false, true),
            (neither, false, false),
        ];
        kinds
            .iter()
            .flat_map(|&(n, b, c)| std::iter::repeat_n((b, c), n))
            .enumerate()
            .map(|(i, (b, c))| (format!("case-{i}"), b, c))
            .collect()
    }

    fn quality(p: &[(String, bool, bool)]) -> QualityComparison {
        let mut q = compare_quality("k", "m", "gsm8k", p, &GateSettings::default());
        word_quality(&mut q, 0.05);
        q
    }

    #[test]
    fn quality_compares_paired_cases() {
        let q = quality(&pairs(16, 14, 2, 8)); // 30/40 -> 18/40
        assert_eq!((q.cases, q.only_baseline, q.only_candidate), (40, 14, 2));
        assert!(close(q.baseline_pass_rate, 0.75) && close(q.candidate_pass_rate, 0.45));
        assert!(close(q.p_value, 2.0 * 137.0 / 65536.0) && q.p_adjusted == q.p_value);
        assert_eq!(q.verdict, Verdict::Regressed, "{}", q.reason);
        assert!(q.reason.contains("75.0% -> 45.0%"), "{}", q.reason);
        assert_eq!(quality(&pairs(16, 2, 14, 8)).verdict, Verdict::Improved);
        let even = quality(&pairs(16, 6, 6, 8));
        assert_eq!(even.verdict, Verdict::Unchanged, "{}", even.reason);
        // 3 of 3 flipping is p = 0.25: never enough on its own.
        assert_eq!(quality(&pairs(20, 3, 0, 0)).verdict, Verdict::Unchanged);
        let few = quality(&pairs(4, 5, 0, 0));
        assert_eq!(few.verdict, Verdict::Inconclusive);
        assert!(few.reason.contains("9 cases"), "{}", few.reason);
        assert_eq!(quality(&[]).verdict, Verdict::Inconclusive);
    }

    #[test]
    fn holm_over_suites_can_withdraw_a_regression() {
        let mut all = vec![
            quality(&pairs(30, 10, 0, 0)),
            quality(&pairs(30, 10, 2, 0)), // p ~ 0.039: a regression alone
            quality(&pairs(30, 3, 3, 0)),
            quality(&pairs(2, 5, 0, 0)), // too few: not part of the family
        ];
        let before: Vec<Verdict> = all.iter().map(|q| q.verdict).collect();
        assert_eq!(before[1], Verdict::Regressed, "{}", all[1].reason);
        apply_holm(&mut all, 0.05);
        all.iter_mut().for_each(|q| word_quality(q, 0.05));
        let want = holm_adjust(&[all[0].p_value, all[1].p_value, all[2].p_value]);
        let got: Vec<f64> = all[..3].iter().map(|q| q.p_adjusted).collect();
        assert_eq!(got, want);
        assert_eq!(all[0].verdict, Verdict::Regressed, "{}", all[0].reason);
        assert_eq!(all[1].verdict, Verdict::Unchanged, "{}", all[1].reason);
        assert!(all[1].reason.contains("after Holm"), "{}", all[1].reason);
        assert_eq!(all[3].verdict, Verdict::Inconclusive);
        assert_eq!(all[3].p_adjusted, all[3].p_value);
        let again = all.clone();
        apply_holm(&mut all, 0.05);
        assert_eq!(all, again, "applying twice changes nothing");
    }
}
