//! What each summary chart shows: the candidates' figures, the targets the
//! recommendation judges them by, and what to say when there is nothing to draw.
use super::super::candidates::ReportCandidate;
use super::super::load::RunData;
use super::super::recommend::Targets;
use super::super::trends::Trends;
use super::bars::{Bar, BarChart, BarPanel, RefLine};
use super::heatmap::{Cell, Heatmap};
use super::pareto::{Pareto, Point};
use super::style::{tick, GREY, RED};
use crate::profiles::Profile;

/// Everything the charts are chosen from.
pub struct Inputs<'a> {
    pub candidates: &'a [ReportCandidate],
    pub runs: &'a [RunData],
    pub profile: &'a Profile,
    pub targets: &'a Targets,
    /// Runs of different dates: the trend chart.
    pub trends: Option<&'a Trends>,
}

/// Why a chart of `what` has nothing to draw, in words.
pub fn nothing_to_draw(candidates: &[ReportCandidate], what: &str) -> String {
    if candidates.is_empty() {
        return "no candidate in these runs".into();
    }
    if candidates.iter().all(|c| !c.status.is_ok()) {
        return format!("{what}: none, every candidate failed to run (see Failures)");
    }
    format!("{what}: not measured in these runs")
}

fn has_any(bars: &[Bar]) -> bool {
    bars.iter().any(|b| b.value.is_some_and(f64::is_finite))
}

/// None when no candidate has a value: the caller says why instead.
pub fn tg_chart(i: &Inputs) -> Option<BarChart> {
    let bars: Vec<Bar> = i
        .candidates
        .iter()
        .map(|c| Bar {
            label: c.label.clone(),
            value: c.tg_tps.map(|s| s.mean),
            text: c
                .tg_tps
                .map_or(String::new(), |s| format!("{:.1} tok/s", s.mean)),
            low: c.tg_tps.filter(|s| s.n > 1).map(|s| s.mean - s.stddev),
            high: c.tg_tps.filter(|s| s.n > 1).map(|s| s.mean + s.stddev),
            ..Default::default()
        })
        .collect();
    has_any(&bars).then(|| BarChart {
        panels: vec![BarPanel {
            title: "Generation tok/s (mean ± sd over repetitions)".into(),
            axis: "tg tok/s".into(),
            bars,
            lines: i
                .targets
                .min_tg_tps
                .map(|t| target(t, format!("target ≥ {} tok/s", tick(&t))))
                .into_iter()
                .collect(),
            ..Default::default()
        }],
    })
}

pub fn target(value: f64, name: String) -> RefLine {
    RefLine {
        value,
        name,
        color: RED,
    }
}

fn ms_bars(candidates: &[ReportCandidate], get: fn(&ReportCandidate) -> Option<f64>) -> Vec<Bar> {
    candidates
        .iter()
        .map(|c| Bar {
            label: c.label.clone(),
            value: get(c),
            text: get(c).map_or(String::new(), |v| format!("{v:.0} ms")),
            ..Default::default()
        })
        .collect()
}

pub fn latency_chart(i: &Inputs) -> Option<BarChart> {
    let ttft = ms_bars(i.candidates, |c| c.ttft_ms);
    let latency = ms_bars(i.candidates, |c| c.latency_50_ms);
    (has_any(&ttft) || has_any(&latency)).then(|| BarChart {
        panels: vec![
            BarPanel {
                title: "Time to first token (median)".into(),
                axis: "ms".into(),
                bars: ttft,
                ..Default::default()
            },
            BarPanel {
                title: "Latency to the 50th token (median)".into(),
                axis: "ms".into(),
                bars: latency,
                lines: i
                    .targets
                    .max_latency_50_ms
                    .map(|t| target(t, format!("target ≤ {} ms", tick(&t))))
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
        ],
    })
}

pub fn pareto_chart(i: &Inputs) -> Pareto {
    Pareto {
        points: i
            .candidates
            .iter()
            .filter_map(|c| {
                Some(Point {
                    label: c.label.clone(),
                    tg_tps: c.tg_tps?.mean,
                    quality: c.quality?,
                })
            })
            .collect(),
        min_tg_tps: i.targets.min_tg_tps,
        min_quality: i.targets.min_quality,
        why_empty: quality_missing(i),
    }
}

/// Measured (bars) and predicted (crosses) peak memory, zoomed on them; the
/// budget and the target share stay in the legend, drawn when on the scale.
pub fn memory_chart(i: &Inputs) -> Option<BarChart> {
    let mib = 1048576.0;
    let budget = i.profile.budget_bytes() / mib;
    let bars: Vec<Bar> = i
        .candidates
        .iter()
        .map(|c| Bar {
            label: c.label.clone(),
            value: c.peak_memory_mb,
            text: c.peak_memory_mb.map_or(String::new(), |v| {
                format!("{v:.0} MiB ({:.1}% of budget)", v / budget * 100.0)
            }),
            marker: c.predicted_mb(),
            ..Default::default()
        })
        .collect();
    if !has_any(&bars) {
        return None;
    }
    let mut lines = vec![RefLine {
        value: budget,
        name: format!("budget {budget:.0} MiB"),
        color: GREY,
    }];
    if let Some(share) = i.targets.max_memory_share {
        let at = share * budget;
        lines.push(target(
            at,
            format!("target ≤ {:.0}% = {at:.0} MiB", share * 100.0),
        ));
    }
    let highest = bars
        .iter()
        .flat_map(|b| [b.value, b.marker])
        .flatten()
        .fold(0.0f64, f64::max);
    // Lines far past the bars would squeeze them to slivers: zoom on the bars.
    let zoom = lines.iter().any(|l| l.value > highest * 3.0);
    Some(BarChart {
        panels: vec![BarPanel {
            title: format!("Peak memory, budget of {}", i.profile.name),
            axis: "MiB".into(),
            bars,
            lines,
            marker_name: Some("predicted (GGUF)".into()),
            x_max: zoom.then_some(highest * 1.6),
        }],
    })
}

/// Why there are no quality figures: no suite asked for, or asked for and failed.
fn quality_missing(i: &Inputs) -> String {
    let mut failed: Vec<String> = i
        .candidates
        .iter()
        .flat_map(|c| &c.failures)
        .filter_map(|f| f.test.strip_prefix(super::super::load::QUALITY_PREFIX))
        .map(|s| s.split('/').next().unwrap_or(s).to_string())
        .collect();
    failed.sort();
    failed.dedup();
    let requested: Vec<&str> = i
        .runs
        .iter()
        .filter_map(|r| r.manifest.as_ref())
        .flat_map(|m| m.sweep.suites.iter().map(String::as_str))
        .collect();
    let all_failed = !i.candidates.is_empty() && i.candidates.iter().all(|c| !c.status.is_ok());
    if !failed.is_empty() {
        format!(
            "quality: {} requested but failed to run (see Failures)",
            failed.join(", ")
        )
    } else if all_failed && !requested.is_empty() {
        format!(
            "quality: none, every candidate failed before its suites ran ({} requested; see Failures)",
            requested.join(", ")
        )
    } else {
        "quality: n/a (no quality suite in these runs)".into()
    }
}

/// One row per suite (its overall rate) and per category, one column per candidate.
pub fn quality_chart(i: &Inputs) -> Heatmap {
    let mut rows: Vec<(String, Vec<Option<Cell>>)> = Vec::new();
    let columns = i.candidates.len();
    for (col, c) in i.candidates.iter().enumerate() {
        for q in &c.quality_rows {
            let name = match &q.category {
                Some(category) => format!("{} / {category}", q.suite),
                None => format!("{} (all)", q.suite),
            };
            let at = match rows.iter().position(|r| r.0 == name) {
                Some(at) => at,
                None => {
                    rows.push((name, vec![None; columns]));
                    rows.len() - 1
                }
            };
            rows[at].1[col] = Some(Cell {
                rate: q.pass_rate,
                low: q.pass_rate_lo,
                high: q.pass_rate_hi,
            });
        }
    }
    // Each suite's overall row first, then its categories in name order.
    rows.sort_by_key(|a| sort_key(&a.0));
    Heatmap {
        title: "Pass rate per category (95% interval)".into(),
        columns: i.candidates.iter().map(|c| c.label.clone()).collect(),
        rows,
        why_empty: quality_missing(i),
    }
}

fn sort_key(row: &str) -> (String, bool, String) {
    match row.split_once(" / ") {
        Some((suite, category)) => (suite.to_string(), true, category.to_string()),
        None => (
            row.trim_end_matches(" (all)").to_string(),
            false,
            String::new(),
        ),
    }
}
