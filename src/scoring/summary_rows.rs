//! Quality scores as rows of summary.*, beside the speed tests: test is
//! `quality:<suite>` (`+grammar` for constrained decoding, `+native` for tools
//! through a server's API, `/<category>` per category).
use super::bfcl_aggregate::bfcl_summaries;
use super::{quality_summary, QualityScore};
use crate::results::{Metric, MetricSpread, SpeedRow, Status, SummaryRow, UnitRecord};
use crate::stats::Spread;

/// The summary test name of a score.
pub fn quality_test_name(score: &QualityScore) -> String {
    let mut name = format!("quality:{}", score.suite);
    match score.decoding.as_str() {
        "constrained" => name.push_str("+grammar"),
        // Tools through the API: never scored as one with the prompt's way.
        "native" => name.push_str("+native"),
        _ => {}
    }
    if let Some(category) = &score.category {
        name.push('/');
        name.push_str(category);
    }
    name
}

pub fn quality_summary_rows(records: &[UnitRecord]) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    for record in records.iter().filter(|r| !r.quality.is_empty()) {
        let base = record.base.clone().unwrap_or_else(|| base_from(record));
        let mut scores: Vec<QualityScore> = quality_summary(&record.quality)
            .into_iter()
            .map(|(_, score)| score)
            .collect();
        scores.extend(bfcl_rows(&scores));
        for score in scores {
            let members: Vec<_> = record
                .quality
                .iter()
                .filter(|r| r.suite == score.suite && r.decoding == score.decoding)
                .filter(|r| score.category.as_ref().is_none_or(|c| &r.category == c))
                .filter(|r| r.status.is_ok())
                .collect();
            // Answers carry a generation rate and a first-token time, nothing else.
            let metric = |metric: Metric| -> Option<Spread> {
                let values: Vec<f64> = members
                    .iter()
                    .filter_map(|r| match metric {
                        Metric::TgTps => r.tg_tps,
                        Metric::TtftMs => r.ttft_ms,
                        _ => None,
                    })
                    .collect();
                Spread::of(&values)
            };
            let first_error = record
                .quality
                .iter()
                .filter(|r| r.suite == score.suite)
                .find_map(|r| r.error.clone());
            out.push(SummaryRow {
                first: SpeedRow {
                    test: quality_test_name(&score),
                    mode: "quality".into(),
                    chat_template: members.first().and_then(|r| r.chat_template.clone()),
                    ..base.clone()
                },
                n: score.n,
                metrics: Metric::ALL
                    .into_iter()
                    .map(|m| MetricSpread {
                        metric: m,
                        spread: metric(m),
                    })
                    .collect(),
                precision: None,
                first_rep: None,
                status: if score.n == 0 {
                    Status::Failed
                } else {
                    Status::Ok
                },
                error: (score.n_failed > 0).then(|| {
                    format!(
                        "{} answers failed; first: {}",
                        score.n_failed,
                        first_error.unwrap_or_default()
                    )
                }),
                resources: Default::default(),
                unified_memory: false,
                quality: Some(score),
                spec: None,
            });
        }
    }
    out
}

/// BFCL's summary scores for each suite x decoding whose categories are BFCL's.
fn bfcl_rows(scores: &[QualityScore]) -> Vec<QualityScore> {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for s in scores.iter().filter(|s| s.category.is_some()) {
        if !groups.contains(&(s.suite.as_str(), s.decoding.as_str())) {
            groups.push((s.suite.as_str(), s.decoding.as_str()));
        }
    }
    groups
        .into_iter()
        .flat_map(|(suite, decoding)| {
            let members: Vec<&QualityScore> = scores
                .iter()
                .filter(|s| s.suite == suite && s.decoding == decoding && s.category.is_some())
                .collect();
            bfcl_summaries(&members)
        })
        .collect()
}

/// A unit's identity columns when no speed row was stored for it.
fn base_from(record: &UnitRecord) -> SpeedRow {
    let q = &record.quality[0];
    SpeedRow {
        id: q.id.clone(),
        config: q.config.clone(),
        status: Status::Ok,
        ..Default::default()
    }
}
