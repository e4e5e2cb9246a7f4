//! Speed and memory against context depth: what each candidate's engine tests
//! measured at each depth (llama-bench `-d`), against the device's budget.
use super::bars::RefLine;
use super::figures::Inputs;
use super::lines::{LineChart, LinePanel, Series};
use super::style::GREY;
use crate::results::{Metric, SummaryRow, TestKind};

/// None unless some candidate ran at more than one depth.
pub fn depth_chart(i: &Inputs) -> Option<LineChart> {
    let per_candidate: Vec<Vec<&SummaryRow>> = i
        .candidates
        .iter()
        .map(|c| {
            let run = i.runs.iter().find(|r| r.label == c.run);
            let rows = run.map_or(&[][..], |r| &r.summary[..]);
            rows.iter()
                .filter(|r| r.first.id.unit_id == c.unit_id && r.status.is_ok())
                .filter(|r| r.first.kind().is_some_and(TestKind::is_engine_bench))
                .collect()
        })
        .collect();
    let depths = |rows: &Vec<&SummaryRow>| {
        let mut d: Vec<u32> = rows.iter().map(|r| r.first.n_depth).collect();
        d.sort();
        d.dedup();
        d.len()
    };
    if !per_candidate.iter().any(|rows| depths(rows) > 1) {
        return None;
    }
    let mib = 1048576.0;
    let budget = i.profile.budget_bytes() / mib;
    let panel = |title: &str, y: &str, pick: &dyn Fn(&SummaryRow) -> Option<f64>| LinePanel {
        title: title.into(),
        x_axis: "depth (tokens already in the cache)".into(),
        y_axis: y.into(),
        series: per_candidate
            .iter()
            .map(|rows| series(rows, pick))
            .collect(),
        lines: Vec::new(),
    };
    let mut memory = panel("Peak memory at each depth", "MiB", &|r| {
        r.resources.peak_rss_mb.or(r.resources.peak_ram_used_mb)
    });
    memory.lines.push(RefLine {
        value: budget,
        name: format!("budget {budget:.0} MiB ({})", i.profile.name),
        color: GREY,
    });
    Some(LineChart {
        title: "Speed and memory against context depth".into(),
        names: i.candidates.iter().map(|c| c.label.clone()).collect(),
        panels: vec![
            panel("Prompt processing (ppN, median)", "tok/s", &|r| {
                prompt_only(r).then(|| r.spread(Metric::PpTps).map(|s| s.median))?
            }),
            panel("Generation (tgN, median)", "tok/s", &|r| {
                generation_only(r).then(|| r.spread(Metric::TgTps).map(|s| s.median))?
            }),
            memory,
        ],
    })
}

fn prompt_only(r: &SummaryRow) -> bool {
    matches!(r.first.kind(), Some(TestKind::Prompt(_)))
}

fn generation_only(r: &SummaryRow) -> bool {
    matches!(r.first.kind(), Some(TestKind::Generation(_)))
}

/// The candidate's (depth, value) points; with several tests at one depth
/// (pp64 and pp512) the first test's value.
fn series(rows: &[&SummaryRow], pick: &dyn Fn(&SummaryRow) -> Option<f64>) -> Option<Series> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    for r in rows {
        let depth = r.first.n_depth as f64;
        if let Some(v) = pick(r).filter(|_| !points.iter().any(|p| p.0 == depth)) {
            points.push((depth, v));
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    (!points.is_empty()).then_some(points)
}
