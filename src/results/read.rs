//! Reading stored result files back: summary.parquet into the rows it was
//! written from, and typed column access that tolerates columns an older (or
//! newer) edgebench did not write.
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::{MetricSpread, ResourceSummary, SpeedRow, SummaryRow, SUMMARY_METRICS};
use crate::error::UsageError;
use crate::stats::Spread;

/// A Parquet file's columns, each cast once to the type asked for.
pub struct Columns {
    frame: DataFrame,
}

impl Columns {
    pub fn read(path: &Path) -> Result<Columns> {
        let file = std::fs::File::open(path)
            .map_err(|e| UsageError::new(format!("{}: cannot open: {e}", path.display())))?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
        Ok(Columns { frame })
    }

    pub fn height(&self) -> usize {
        self.frame.height()
    }

    pub fn has(&self, name: &str) -> bool {
        self.frame.column(name).is_ok()
    }

    /// Strings (None for nulls); all None when the column is missing.
    pub fn text(&self, name: &str) -> Vec<Option<String>> {
        let Some(c) = self.cast(name, &DataType::String) else {
            return vec![None; self.height()];
        };
        let ca = c.str().expect("cast to string");
        (0..ca.len())
            .map(|i| ca.get(i).map(str::to_string))
            .collect()
    }

    /// Numbers as f64 (None for nulls); all None when the column is missing.
    pub fn number(&self, name: &str) -> Vec<Option<f64>> {
        let Some(c) = self.cast(name, &DataType::Float64) else {
            return vec![None; self.height()];
        };
        let ca = c.f64().expect("cast to f64");
        (0..ca.len()).map(|i| ca.get(i)).collect()
    }

    fn cast(&self, name: &str, to: &DataType) -> Option<Column> {
        self.frame.column(name).ok()?.cast(to).ok()
    }
}

/// summary.parquet as `SummaryRow`s, in file order. Quality rows and any other
/// extra columns are left to their readers.
pub fn read_summary(path: &Path) -> Result<Vec<SummaryRow>> {
    let c = Columns::read(path)?;
    if !c.has("candidate") || !c.has("test") {
        return Err(UsageError::new(format!(
            "{}: not an edgebench summary (no candidate or test column)",
            path.display()
        ))
        .into());
    }
    let s = |name: &str| c.text(name);
    let (run_id, unit_id, candidate, model_file, sha, arch, quant) = (
        s("run_id"),
        s("unit_id"),
        s("candidate"),
        s("model_file"),
        s("model_sha256"),
        s("arch"),
        s("quant"),
    );
    let (backend, flash_attn, test, mode, template, status, error) = (
        s("backend"),
        s("flash_attn"),
        s("test"),
        s("mode"),
        s("chat_template"),
        s("status"),
        s("error"),
    );
    let n = |name: &str| c.number(name);
    let (params, size, threads, ngl, ctx, batch, reps, load) = (
        n("params"),
        n("size_bytes"),
        n("n_threads"),
        n("n_gpu_layers"),
        n("n_ctx"),
        n("n_batch"),
        n("n"),
        n("load_ms"),
    );
    let stats: Vec<[Vec<Option<f64>>; 5]> = SUMMARY_METRICS
        .iter()
        .map(|m| ["mean", "median", "stddev", "min", "max"].map(|s| n(&format!("{m}_{s}"))))
        .collect();
    let resource_names = [
        "peak_rss_mb",
        "peak_ram_used_mb",
        "peak_vram_mb",
        "max_gpu_temp_c",
        "max_cpu_temp_c",
        "mean_power_w",
        "energy_j",
        "energy_above_idle_j",
        "joules_per_token",
        "throttled_share",
    ];
    let resources: Vec<Vec<Option<f64>>> = resource_names.iter().map(|r| n(r)).collect();
    let unified = n("unified_memory");
    let text = |v: &[Option<String>], i: usize| v[i].clone().unwrap_or_default();
    let int = |v: &[Option<f64>], i: usize| v[i].unwrap_or(0.0) as u64;
    let rows = (0..c.height())
        .map(|i| {
            let first = SpeedRow {
                run_id: text(&run_id, i),
                unit_id: text(&unit_id, i),
                candidate: text(&candidate, i),
                model_file: text(&model_file, i),
                model_sha256: text(&sha, i),
                arch: text(&arch, i),
                quant: text(&quant, i),
                params: int(&params, i),
                size_bytes: int(&size, i),
                backend: text(&backend, i),
                n_threads: int(&threads, i) as u32,
                n_gpu_layers: int(&ngl, i) as u32,
                n_ctx: int(&ctx, i) as u32,
                n_batch: int(&batch, i) as u32,
                flash_attn: text(&flash_attn, i),
                test: text(&test, i),
                mode: text(&mode, i),
                chat_template: template[i].clone(),
                load_ms: load[i],
                status: text(&status, i),
                error: error[i].clone(),
                ..Default::default()
            };
            let count = int(&reps, i) as usize;
            let metrics = SUMMARY_METRICS
                .iter()
                .zip(&stats)
                .map(|(&name, [mean, median, sd, min, max])| MetricSpread {
                    name,
                    spread: mean[i].map(|mean| Spread {
                        n: count,
                        mean,
                        median: median[i].unwrap_or(mean),
                        stddev: sd[i].unwrap_or(0.0),
                        min: min[i].unwrap_or(mean),
                        max: max[i].unwrap_or(mean),
                    }),
                })
                .collect();
            let r = |k: usize| resources[k][i];
            SummaryRow {
                n: count,
                metrics,
                status: first.status.clone(),
                error: first.error.clone(),
                resources: ResourceSummary {
                    peak_rss_mb: r(0),
                    peak_ram_used_mb: r(1),
                    peak_vram_mb: r(2),
                    max_gpu_temp_c: r(3),
                    max_cpu_temp_c: r(4),
                    mean_power_w: r(5),
                    energy_j: r(6),
                    energy_above_idle_j: r(7),
                    joules_per_token: r(8),
                    throttled_share: r(9),
                },
                unified_memory: unified[i].is_some_and(|u| u != 0.0),
                // Quality scores are read by the report itself (report::load).
                quality: None,
                first,
            }
        })
        .collect();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{summarize, summary_frame, write_parquet};

    #[test]
    fn summary_round_trips_through_parquet() {
        let rows: Vec<SpeedRow> = [10.0, 12.0]
            .iter()
            .map(|&tg| SpeedRow {
                unit_id: "c0-k0".into(),
                candidate: "gemma".into(),
                quant: "Q4_K_M".into(),
                params: 268_000_000,
                test: "tg8".into(),
                mode: "engine".into(),
                tg_tps: Some(tg),
                status: "ok".into(),
                ..Default::default()
            })
            .collect();
        let mut summary = summarize(&rows);
        summary[0].resources.peak_rss_mb = Some(321.0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.parquet");
        write_parquet(&path, &mut summary_frame(&summary).unwrap()).unwrap();
        let back = read_summary(&path).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].first.candidate, "gemma");
        assert_eq!(back[0].first.params, 268_000_000);
        assert_eq!(back[0].n, 2);
        assert_eq!(back[0].spread("tg_tps"), summary[0].spread("tg_tps"));
        assert_eq!(back[0].resources.peak_rss_mb, Some(321.0));
        assert!(back[0].spread("pp_tps").is_none());
    }
}
