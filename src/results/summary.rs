//! summary.*: one row per candidate x configuration x test, with the spread of
//! every rate and latency over the repetitions.
use super::spec_summary::{pool_spec, speedups, Medians, SpecSummary};
use super::{Metric, ResourceSummary, SpeedRow, Status, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::stats::repetitions::{first_rep, median_precision, FirstRep};
use crate::stats::Spread;

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpread {
    pub metric: Metric,
    pub spread: Option<Spread>,
}

#[derive(Debug, Clone)]
pub struct SummaryRow {
    /// The first row of the group carries the candidate and configuration columns.
    pub first: SpeedRow,
    /// Repetitions that succeeded.
    pub n: usize,
    pub metrics: Vec<MetricSpread>,
    /// The test's headline metric (Metric::headline): half-width of its
    /// median's 95% interval relative to the median, and its first
    /// repetition against the rest (docs/metrics.md).
    pub precision: Option<f64>,
    pub first_rep: Option<FirstRep>,
    pub status: Status,
    pub error: Option<String>,
    /// What the samplers saw during this test.
    pub resources: ResourceSummary,
    /// GPU memory is system RAM (Jetson, integrated GPUs): peak RAM is the one budget.
    pub unified_memory: bool,
    /// Quality rows (test `quality:...`): the suite's scores.
    pub quality: Option<QualityScore>,
    /// A speculative configuration's draft counts and speed-up.
    pub spec: Option<SpecSummary>,
}

/// The quality columns of a summary row (test `quality:...`), computed by `scoring`.
/// Serialised with the summary's column names (`n` is the row's own column).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityScore {
    pub suite: String,
    pub decoding: String,
    /// None: every category of the suite.
    pub category: Option<String>,
    /// Answers checked (cases x reps), and how many passed every check.
    #[serde(skip)]
    pub n: usize,
    #[serde(rename = "n_passed")]
    pub passed: usize,
    pub pass_rate: Option<f64>,
    pub pass_rate_lo: Option<f64>,
    pub pass_rate_hi: Option<f64>,
    /// The pass rate with `number` checks read flexibly (the last number, as
    /// lm-evaluation-harness's flexible-extract); None when no case has one.
    pub pass_rate_flexible: Option<f64>,
    pub pass_rate_flexible_lo: Option<f64>,
    pub pass_rate_flexible_hi: Option<f64>,
    pub n_cases: usize,
    /// Share of cases that passed in every rep (only with reps > 1).
    pub pass_all_reps: Option<f64>,
    /// Share of individual checks passed (IFEval's instruction-level score).
    pub check_pass_rate: Option<f64>,
    pub tool_parse_rate: Option<f64>,
    pub tool_name_acc: Option<f64>,
    pub tool_args_acc: Option<f64>,
    pub irrelevance_acc: Option<f64>,
    pub mc_acc: Option<f64>,
    pub mc_acc_norm: Option<f64>,
    pub mc_acc_tok: Option<f64>,
    /// Generated answers with seq-rep-4 > 0.5, cut at max_tokens, or empty.
    pub repetitive_share: Option<f64>,
    pub hit_max_share: Option<f64>,
    /// Answers a server cut (`length`) before max_tokens (None: none was).
    pub n_length_below_max: Option<u32>,
    pub empty_share: Option<f64>,
    /// Cases (x decoding) whose text differs between reps (only with reps > 1).
    pub differs_share: Option<f64>,
    /// Answers the model could not give (errors), not counted in n.
    #[serde(rename = "n_failed_answers")]
    pub n_failed: usize,
    /// Answers given per minute of answering (the sum of their latencies):
    /// how long a suite takes on this candidate, setup and scoring aside.
    pub answers_per_min: Option<f64>,
}

impl SummaryRow {
    pub fn spread(&self, metric: Metric) -> Option<Spread> {
        self.metrics
            .iter()
            .find(|m| m.metric == metric)
            .and_then(|m| m.spread)
    }
}

/// Groups rows by (unit, test) in first-seen order and summarises each group.
pub fn summarize(rows: &[SpeedRow]) -> Vec<SummaryRow> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for row in rows {
        let key = (row.id.unit_id.as_str(), row.test.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut summary: Vec<SummaryRow> = keys
        .into_iter()
        .map(|(unit, test)| {
            let group: Vec<&SpeedRow> = rows
                .iter()
                .filter(|r| r.id.unit_id == unit && r.test == test)
                .collect();
            let ok: Vec<&SpeedRow> = group.iter().copied().filter(|r| r.status.is_ok()).collect();
            let failure = group.iter().find(|r| !r.status.is_ok());
            let headline: Vec<f64> = match group[0].kind().and_then(Metric::headline) {
                Some(metric) => ok.iter().filter_map(|r| metric.of(r)).collect(),
                None => Vec::new(),
            };
            SummaryRow {
                first: group[0].clone(),
                n: ok.len(),
                metrics: Metric::ALL
                    .into_iter()
                    .map(|metric| MetricSpread {
                        metric,
                        spread: Spread::of(
                            &ok.iter().filter_map(|r| metric.of(r)).collect::<Vec<_>>(),
                        ),
                    })
                    .collect(),
                precision: median_precision(&headline),
                first_rep: first_rep(&headline),
                status: failure.map_or(Status::Ok, |r| r.status),
                error: failure.and_then(|r| r.error.clone()),
                resources: ResourceSummary::default(),
                unified_memory: false,
                quality: None,
                spec: pool_spec(&ok),
            }
        })
        .collect();
    attach_speedups(&mut summary);
    summary
}

/// Each speculative row's speed-up against its baseline row (spec_summary.rs).
fn attach_speedups(summary: &mut [SummaryRow]) {
    let median = |row: &SummaryRow, m: Metric| row.spread(m).map(|s| s.median);
    let medians: Vec<Medians> = summary
        .iter()
        .map(|row| Medians {
            first: &row.first,
            ok: row.status.is_ok(),
            tg_tps: median(row, Metric::TgTps),
            latency_50_ms: median(row, Metric::Latency50Ms),
        })
        .collect();
    let found = speedups(&medians);
    for (row, found) in summary.iter_mut().zip(found) {
        if let Some((tg, latency)) = found {
            let spec = row.spec.get_or_insert_with(SpecSummary::default);
            spec.tg_speedup = tg;
            spec.latency_50_speedup = latency;
        }
    }
}

/// Fills each summary row's resource figures from its unit's record.
pub fn attach_resources(summary: &mut [SummaryRow], records: &[UnitRecord], unified_memory: bool) {
    for row in summary {
        row.unified_memory = unified_memory;
        let record = records.iter().find(|r| r.unit_id == row.first.id.unit_id);
        if let Some(resources) = record.and_then(|r| r.resources.get(&row.first.test)) {
            row.resources = resources.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, test: &str, tg: Option<f64>, status: Status) -> SpeedRow {
        SpeedRow {
            id: crate::results::RowIdentity {
                unit_id: unit.into(),
                ..Default::default()
            },
            test: test.into(),
            tg_tps: tg,
            status,
            ..Default::default()
        }
    }

    #[test]
    fn groups_by_unit_and_test_and_summarises_ok_reps() {
        let rows = vec![
            row("c0-k0", "tg8", Some(10.0), Status::Ok),
            row("c0-k0", "tg8", Some(12.0), Status::Ok),
            row("c1-k0", "tg8", Some(30.0), Status::Ok),
            row("c0-k0", "tg8", None, Status::Failed),
        ];
        let summary = summarize(&rows);
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].first.id.unit_id, "c0-k0");
        assert_eq!(summary[0].n, 2);
        let tg = summary[0].spread(Metric::TgTps).unwrap();
        assert_eq!((tg.mean, tg.min, tg.max), (11.0, 10.0, 12.0));
        assert_eq!(summary[0].status, Status::Failed);
        assert!(summary[0].spread(Metric::PpTps).is_none());
        assert_eq!(summary[1].status, Status::Ok);
        assert_eq!(summary[1].spread(Metric::TgTps).unwrap().n, 1);
    }
}
