//! summary.*'s speculative columns: a test's draft counts pooled over its
//! repetitions, and its speed-up against the baseline row of the same model,
//! configuration and test in the same run (docs/metrics.md).
use serde::{Deserialize, Serialize};

use super::speculation::SpecFigures;
use super::SpeedRow;

/// One summary row's speculation (None on rows of a configuration without it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpecSummary {
    /// Summed over the successful repetitions.
    pub draft_n: Option<u32>,
    pub draft_accepted: Option<u32>,
    /// Pooled: all accepted over all drafted, all accepted over all steps.
    pub acceptance_rate: Option<f64>,
    pub accepted_per_step: Option<f64>,
    /// Means over the repetitions.
    pub t_draft_ms: Option<f64>,
    pub t_verify_ms: Option<f64>,
    /// Every repetition's text was the target's own.
    pub spec_identical: Option<bool>,
    /// The baseline's median over this row's: tg tok/s (higher is faster),
    /// and latency to 50 tokens (baseline over speculative: above 1 is faster).
    pub tg_speedup: Option<f64>,
    pub latency_50_speedup: Option<f64>,
}

/// The speculation of a test's successful repetitions, None when they
/// carry none.
pub fn pool_spec(ok: &[&SpeedRow]) -> Option<SpecSummary> {
    let figures: Vec<_> = ok
        .iter()
        .map(|r| &r.spec)
        .filter(|s| s.draft_n.is_some())
        .collect();
    if figures.is_empty() {
        return None;
    }
    let drafted = total(&figures, |s| s.draft_n);
    let accepted = total(&figures, |s| s.draft_accepted);
    let steps = total(&figures, |s| s.spec_steps);
    let checked: Vec<bool> = figures.iter().filter_map(|s| s.spec_identical).collect();
    Some(SpecSummary {
        draft_n: Some(drafted),
        draft_accepted: Some(accepted),
        acceptance_rate: (drafted > 0).then(|| f64::from(accepted) / f64::from(drafted)),
        accepted_per_step: (steps > 0).then(|| f64::from(accepted) / f64::from(steps)),
        t_draft_ms: mean(&figures, |s| s.t_draft_ms),
        t_verify_ms: mean(&figures, |s| s.t_verify_ms),
        spec_identical: (!checked.is_empty()).then(|| checked.iter().all(|&same| same)),
        tg_speedup: None,
        latency_50_speedup: None,
    })
}

fn total(figures: &[&SpecFigures], f: impl Fn(&SpecFigures) -> Option<u32>) -> u32 {
    figures.iter().filter_map(|s| f(s)).sum()
}

fn mean(figures: &[&SpecFigures], f: impl Fn(&SpecFigures) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = figures.iter().filter_map(|s| f(s)).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// A summary row as the speed-up needs it: its first speed row (model,
/// configuration, test) and its medians.
pub struct Medians<'a> {
    pub first: &'a SpeedRow,
    pub ok: bool,
    pub tg_tps: Option<f64>,
    pub latency_50_ms: Option<f64>,
}

/// Each row's speed-up (tg, latency to 50 tokens) against its baseline: the
/// row of the same model file, test and configuration without speculation.
/// None for a row without speculation or without such a baseline; a figure
/// is None where either row lacks it.
pub fn speedups(rows: &[Medians]) -> Vec<Option<(Option<f64>, Option<f64>)>> {
    let each = rows.iter().map(|row| {
        if !row.first.config.spec.is_speculative() {
            return None;
        }
        let base = rows.iter().find(|b| is_baseline_of(b, row.first))?;
        Some((
            ratio(row.tg_tps, base.tg_tps),
            ratio(base.latency_50_ms, row.latency_50_ms),
        ))
    });
    each.collect()
}

fn is_baseline_of(base: &Medians, row: &SpeedRow) -> bool {
    let b = base.first;
    !b.config.spec.is_speculative()
        && base.ok
        && b.model_file == row.model_file
        && b.id.model_sha256 == row.id.model_sha256
        && b.test == row.test
        && b.n_depth == row.n_depth
        && b.config.label_without_spec() == row.config.label_without_spec()
}

/// `top / bottom`, None when either is missing or the bottom is not positive.
fn ratio(top: Option<f64>, bottom: Option<f64>) -> Option<f64> {
    match (top, bottom) {
        (Some(t), Some(b)) if b > 0.0 && t.is_finite() => Some(t / b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::speculation::RowSpec;
    use crate::results::{summarize, RowIdentity, Status};

    /// A tg32 repetition of unit `unit`, speculative at `dmax` when given.
    fn rep(unit: &str, dmax: Option<u32>, tg: f64, drafted: u32, accepted: u32) -> SpeedRow {
        let mut row = SpeedRow {
            id: RowIdentity {
                unit_id: unit.into(),
                model_sha256: "abc".into(),
                ..Default::default()
            },
            model_file: "target.gguf".into(),
            test: "tg32".into(),
            tg_tps: Some(tg),
            status: Status::Ok,
            ..Default::default()
        };
        if let Some(dmax) = dmax {
            row.config.spec = RowSpec {
                spec: Some("draft".into()),
                draft_model: Some("draft".into()),
                draft_max: Some(dmax),
                draft_min: Some(0),
            };
            row.spec = SpecFigures {
                draft_n: Some(drafted),
                draft_accepted: Some(accepted),
                spec_steps: Some(drafted / dmax),
                t_draft_ms: Some(10.0),
                t_verify_ms: Some(20.0),
                spec_identical: Some(true),
                ..Default::default()
            };
        }
        row
    }

    #[test]
    fn counts_pool_over_reps_and_the_speedup_is_against_the_baseline_row() {
        let rows = vec![
            rep("c0-k0", None, 10.0, 0, 0),
            rep("c0-k0", None, 12.0, 0, 0),
            rep("c0-k1", Some(4), 20.0, 16, 8),
            rep("c0-k1", Some(4), 24.0, 16, 12),
        ];
        let summary = summarize(&rows);
        assert!(summary[0].spec.is_none(), "the baseline has no speculation");
        let spec = summary[1].spec.as_ref().unwrap();
        assert_eq!((spec.draft_n, spec.draft_accepted), (Some(32), Some(20)));
        assert_eq!(spec.acceptance_rate, Some(20.0 / 32.0));
        assert_eq!(spec.accepted_per_step, Some(20.0 / 8.0));
        assert_eq!(spec.t_draft_ms, Some(10.0));
        assert_eq!(spec.spec_identical, Some(true));
        // Medians 22 over 11.
        assert_eq!(spec.tg_speedup, Some(2.0));
        assert_eq!(spec.latency_50_speedup, None, "tgN has no latency");
    }

    #[test]
    fn no_baseline_no_speedup_and_a_mismatch_marks_the_row() {
        let mut mismatched = rep("c0-k1", Some(4), 20.0, 16, 8);
        mismatched.spec.spec_identical = Some(false);
        let rows = vec![rep("c0-k1", Some(4), 20.0, 16, 8), mismatched];
        let summary = summarize(&rows);
        let spec = summary[0].spec.as_ref().unwrap();
        assert_eq!(spec.tg_speedup, None);
        assert_eq!(spec.spec_identical, Some(false));
        // Another model's baseline is not this one's.
        let mut other = rep("c1-k0", None, 5.0, 0, 0);
        other.model_file = "other.gguf".into();
        let summary = summarize(&[other, rep("c0-k1", Some(4), 20.0, 16, 8)]);
        assert_eq!(summary[1].spec.as_ref().unwrap().tg_speedup, None);
    }
}
