//! The concurrency levels per candidate, and as a table: per candidate and N, the aggregate
//! output rate, per-request latencies and goodput.
use super::candidates::ReportCandidate;
use super::levels::LevelRow;
use super::load::RunData;
use crate::export::{Cell, Table};

const HEADER: [&str; 8] = [
    "candidate",
    "streams",
    "aggregate tok/s",
    "TTFT p50 ms",
    "TTFT p95 ms",
    "ITL p50 ms",
    "goodput (95% interval)",
    "status",
];

pub fn levels_table(candidates: &[CandidateLevels]) -> Table {
    let ms = |v: Option<f64>| Cell::number(v, |v| format!("{v:.0}"));
    let mut rows = Vec::new();
    for c in candidates {
        for l in &c.levels {
            let goodput = Cell::number(l.goodput, |g| match (l.goodput_lo, l.goodput_hi) {
                (Some(lo), Some(hi)) => format!(
                    "{:.0}% [{:.0}–{:.0}] of {}",
                    g * 100.0,
                    lo * 100.0,
                    hi * 100.0,
                    l.goodput_n.unwrap_or(0.0)
                ),
                _ => format!("{:.0}%", g * 100.0),
            });
            rows.push(vec![
                Cell::text(c.label.clone()),
                Cell::number(Some(f64::from(l.streams)), |n| format!("{n:.0}")),
                Cell::number(l.tg_tps, |v| format!("{v:.1}")),
                ms(l.ttft_p50_ms),
                ms(l.ttft_p95_ms),
                Cell::number(l.itl_p50_ms, |v| format!("{v:.1}")),
                goodput,
                Cell::text(l.status.clone()),
            ]);
        }
    }
    Table {
        id: "concurrency".into(),
        header: HEADER.to_vec(),
        rows,
    }
}

/// A candidate's levels, in stream order, named as the report names it.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateLevels {
    pub label: String,
    pub levels: Vec<LevelRow>,
}

/// The candidates that ran concurrency levels, in report order.
pub fn by_candidate(runs: &[RunData], candidates: &[ReportCandidate]) -> Vec<CandidateLevels> {
    candidates
        .iter()
        .filter_map(|c| {
            let run = runs.iter().find(|r| r.label == c.run)?;
            let levels: Vec<LevelRow> = run
                .levels
                .iter()
                .filter(|l| l.unit_id == c.unit_id)
                .cloned()
                .collect();
            (!levels.is_empty()).then(|| CandidateLevels {
                label: c.label.clone(),
                levels,
            })
        })
        .collect()
}
