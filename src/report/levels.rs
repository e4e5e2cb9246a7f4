//! The concurrency levels of a run (`concN` rows of speed.parquet): read from
//! the per-repetition file because summary.* keeps only the spread columns.
use std::path::Path;

use anyhow::Result;

use crate::results::{Columns, TestKind};

/// One `concN` row: a candidate at N streams.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelRow {
    pub unit_id: String,
    pub streams: u32,
    /// Aggregate output tok/s (all replies' tokens over the level's wall time).
    pub tg_tps: Option<f64>,
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p95_ms: Option<f64>,
    pub itl_p50_ms: Option<f64>,
    pub goodput: Option<f64>,
    pub goodput_lo: Option<f64>,
    pub goodput_hi: Option<f64>,
    pub goodput_n: Option<f64>,
    /// `ok`, or how the level failed (some request failed).
    pub status: String,
}

/// Every `concN` aggregate row of speed.parquet; none when the file is absent
/// or older than the concurrency test.
pub fn read_levels(path: &Path) -> Result<Vec<LevelRow>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let c = Columns::read(path)?;
    let test = c.text("test");
    let unit = c.text("unit_id");
    let status = c.text("status");
    let number = |name: &str| c.number(name);
    let (tg, p50, p95, itl) = (
        number("tg_tps"),
        number("ttft_p50_ms"),
        number("ttft_p95_ms"),
        number("itl_p50_ms"),
    );
    let (good, lo, hi, n) = (
        number("goodput"),
        number("goodput_lo"),
        number("goodput_hi"),
        number("goodput_n"),
    );
    let mut rows = Vec::new();
    for i in 0..c.height() {
        let Some(name) = test[i].as_deref() else {
            continue;
        };
        // The level's own row, not one of its replies (`concN:<prompt>`).
        let Some(TestKind::Concurrent(streams)) =
            TestKind::of(name).filter(|_| !name.contains(':'))
        else {
            continue;
        };
        rows.push(LevelRow {
            unit_id: unit[i].clone().unwrap_or_default(),
            streams,
            tg_tps: tg[i],
            ttft_p50_ms: p50[i],
            ttft_p95_ms: p95[i],
            itl_p50_ms: itl[i],
            goodput: good[i],
            goodput_lo: lo[i],
            goodput_hi: hi[i],
            goodput_n: n[i],
            status: status[i].clone().unwrap_or_default(),
        });
    }
    rows.sort_by_key(|r| (r.unit_id.clone(), r.streams));
    Ok(rows)
}
