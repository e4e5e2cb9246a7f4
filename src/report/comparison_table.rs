//! The comparison of one run's candidates: a short table of what decides
//! (speed, latency, memory, quality, the recommendation's verdict) and the full
//! one with every figure, folded beneath it.
use super::candidates::ReportCandidate;
use super::recommend::{Assessment, Recommendation};
use crate::export::{Cell, Table};
use crate::profiles::Profile;

pub const ALL_COLUMNS: usize = FULL_HEADER.len();

const DECIDING_HEADER: [&str; 7] = [
    "candidate",
    "quant",
    "tg tok/s",
    "50-tok ms",
    "peak MiB",
    "quality",
    "verdict",
];

/// The columns the recommendation reads, and its verdict on each candidate.
pub fn deciding(
    run: &str,
    candidates: &[(usize, &ReportCandidate)],
    recommendation: &Recommendation,
) -> Table {
    let rows = candidates
        .iter()
        .map(|(index, c)| {
            vec![
                Cell::text(&c.label),
                Cell::text(&c.quant),
                match c.tg_tps {
                    Some(s) => Cell::number(Some(s.mean), |v| format!("{v:.1}")),
                    None => Cell::text("n/a"),
                },
                Cell::number(c.latency_50_ms, |v| format!("{v:.0}")),
                Cell::number(c.peak_memory_mb, |v| format!("{v:.0}")),
                quality_cell(c),
                Cell::text(verdict(*index, c, recommendation)),
            ]
        })
        .collect();
    Table {
        id: format!("comparison-{run}"),
        header: DECIDING_HEADER.to_vec(),
        rows,
    }
}

/// A base model's quality is shown, marked as not comparable.
fn quality_cell(c: &ReportCandidate) -> Cell {
    let base = c.base_model;
    Cell::number(c.quality, move |v| {
        let mark = if base { " (base model)" } else { "" };
        format!("{:.0}%{mark}", v * 100.0)
    })
}

/// "best", "meets every target", "unverified: ..." or "rejected: ..." with the numbers.
fn verdict(index: usize, c: &ReportCandidate, r: &Recommendation) -> String {
    let find = |list: &[Assessment]| list.iter().position(|a| a.index == index);
    let best = r.best().map(|a| a.index) == Some(index);
    if find(&r.verified).is_some() {
        return if best {
            "best: meets every target".into()
        } else {
            "meets every target".into()
        };
    }
    if let Some(k) = find(&r.unverified) {
        let a = &r.unverified[k];
        let prefix = if best {
            "best, unverified"
        } else {
            "unverified"
        };
        return format!("{prefix}: {}", a.open_points());
    }
    if !c.status.is_ok() {
        return format!("failed ({})", c.status.as_str());
    }
    match find(&r.rejected) {
        Some(k) => {
            let a = &r.rejected[k];
            match a.open_points() {
                open if open.is_empty() => format!("rejected: {}", a.missed().join("; ")),
                open => format!("rejected: {} ({open})", a.missed().join("; ")),
            }
        }
        None => String::new(),
    }
}

const FULL_HEADER: [&str; 19] = [
    "candidate",
    "arch",
    "quant",
    "size MiB",
    "params M",
    "config",
    "pp tok/s",
    "tg tok/s",
    "TTFT ms",
    "50-tok ms",
    "peak MiB",
    "predicted MiB",
    "rule of thumb MiB",
    "fit",
    "memory share",
    "roofline tok/s",
    "% of roofline",
    "quality",
    "status",
];

/// Every figure of every candidate: the table folded under the deciding one.
pub fn full(run: &str, candidates: &[(usize, &ReportCandidate)], profile: &Profile) -> Table {
    let mib = |b: u64| b as f64 / 1048576.0;
    let f0 = |v: f64| format!("{v:.0}");
    let f1 = |v: f64| format!("{v:.1}");
    let pct = |v: f64| format!("{:.0}%", v * 100.0);
    let rows = candidates
        .iter()
        .map(|(_, c)| {
            let rate = |s: Option<crate::stats::Spread>| match s {
                Some(s) if s.n > 1 => Cell {
                    text: format!("{:.1} ± {:.1}", s.mean, s.stddev),
                    sort: Some(s.mean),
                },
                Some(s) => Cell::number(Some(s.mean), f1),
                None => Cell::text("n/a"),
            };
            vec![
                Cell::text(&c.label),
                Cell::text(&c.arch),
                Cell::text(&c.quant),
                Cell::number(Some(mib(c.size_bytes)), f0),
                Cell::number(Some(c.params as f64 / 1e6), f1),
                Cell::text(&c.config),
                rate(c.pp_tps),
                rate(c.tg_tps),
                Cell::number(c.ttft_ms, f0),
                Cell::number(c.latency_50_ms, f0),
                Cell::number(c.peak_memory_mb, f0),
                Cell::number(c.predicted_mb(), f0),
                Cell::number(
                    c.fit.as_ref().and_then(|f| f.rule_of_thumb_bytes).map(mib),
                    f0,
                ),
                Cell::text(c.fit_verdict.map_or("n/a", |v| v.as_str())),
                Cell::number(c.memory_share(profile), pct),
                Cell::number(c.roofline_tps, f0),
                Cell::number(c.roofline_share(), pct),
                Cell::number(c.quality, pct),
                Cell::text(c.status.as_str()),
            ]
        })
        .collect();
    Table {
        id: format!("comparison-all-{run}"),
        header: FULL_HEADER.to_vec(),
        rows,
    }
}
