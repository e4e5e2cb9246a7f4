//! Rows to polars DataFrames, and DataFrames to Parquet and CSV.
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::{write_atomic, QualityRow, SampleRow, SpeedRow, SummaryRow, SUMMARY_METRICS};

macro_rules! column {
    ($rows:expr, $name:literal, $get:expr) => {
        Column::new($name.into(), $rows.iter().map($get).collect::<Vec<_>>())
    };
}
pub(super) use column;

pub fn speed_frame(rows: &[SpeedRow]) -> Result<DataFrame> {
    let columns = vec![
        column!(rows, "run_id", |r: &SpeedRow| r.run_id.clone()),
        column!(rows, "unit_id", |r: &SpeedRow| r.unit_id.clone()),
        column!(rows, "candidate", |r: &SpeedRow| r.candidate.clone()),
        column!(rows, "model_file", |r: &SpeedRow| r.model_file.clone()),
        column!(rows, "model_sha256", |r: &SpeedRow| r.model_sha256.clone()),
        column!(rows, "arch", |r: &SpeedRow| r.arch.clone()),
        column!(rows, "quant", |r: &SpeedRow| r.quant.clone()),
        column!(rows, "params", |r: &SpeedRow| r.params),
        column!(rows, "size_bytes", |r: &SpeedRow| r.size_bytes),
        column!(rows, "backend", |r: &SpeedRow| r.backend.clone()),
        column!(rows, "n_threads", |r: &SpeedRow| r.n_threads),
        column!(rows, "n_gpu_layers", |r: &SpeedRow| r.n_gpu_layers),
        column!(rows, "n_ctx", |r: &SpeedRow| r.n_ctx),
        column!(rows, "n_batch", |r: &SpeedRow| r.n_batch),
        column!(rows, "n_ubatch", |r: &SpeedRow| r.n_ubatch),
        column!(rows, "flash_attn", |r: &SpeedRow| r.flash_attn.clone()),
        column!(rows, "test", |r: &SpeedRow| r.test.clone()),
        column!(rows, "mode", |r: &SpeedRow| r.mode.clone()),
        column!(rows, "rep", |r: &SpeedRow| r.rep),
        column!(rows, "n_prompt", |r: &SpeedRow| r.n_prompt),
        column!(rows, "n_gen", |r: &SpeedRow| r.n_gen),
        column!(rows, "t_prompt_ms", |r: &SpeedRow| r.t_prompt_ms),
        column!(rows, "t_gen_ms", |r: &SpeedRow| r.t_gen_ms),
        column!(rows, "pp_tps", |r: &SpeedRow| r.pp_tps),
        column!(rows, "tg_tps", |r: &SpeedRow| r.tg_tps),
        column!(rows, "ttft_ms", |r: &SpeedRow| r.ttft_ms),
        column!(rows, "latency_50_ms", |r: &SpeedRow| r.latency_50_ms),
        column!(rows, "itl_p50_ms", |r: &SpeedRow| r.itl_p50_ms),
        column!(rows, "itl_p95_ms", |r: &SpeedRow| r.itl_p95_ms),
        column!(rows, "load_ms", |r: &SpeedRow| r.load_ms),
        column!(rows, "chat_template", |r: &SpeedRow| r
            .chat_template
            .clone()),
        column!(rows, "eos_at", |r: &SpeedRow| r.eos_at),
        column!(rows, "output_text", |r: &SpeedRow| r.output_text.clone()),
        column!(rows, "status", |r: &SpeedRow| r.status.clone()),
        column!(rows, "error", |r: &SpeedRow| r.error.clone()),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

pub fn quality_frame(rows: &[QualityRow]) -> Result<DataFrame> {
    let columns = vec![
        column!(rows, "run_id", |r: &QualityRow| r.run_id.clone()),
        column!(rows, "unit_id", |r: &QualityRow| r.unit_id.clone()),
        column!(rows, "candidate", |r: &QualityRow| r.candidate.clone()),
        column!(rows, "model_sha256", |r: &QualityRow| r
            .model_sha256
            .clone()),
        column!(rows, "quant", |r: &QualityRow| r.quant.clone()),
        column!(rows, "backend", |r: &QualityRow| r.backend.clone()),
        column!(rows, "n_threads", |r: &QualityRow| r.n_threads),
        column!(rows, "n_gpu_layers", |r: &QualityRow| r.n_gpu_layers),
        column!(rows, "n_ctx", |r: &QualityRow| r.n_ctx),
        column!(rows, "n_batch", |r: &QualityRow| r.n_batch),
        column!(rows, "flash_attn", |r: &QualityRow| r.flash_attn.clone()),
        column!(rows, "suite", |r: &QualityRow| r.suite.clone()),
        column!(rows, "case_id", |r: &QualityRow| r.case_id.clone()),
        column!(rows, "category", |r: &QualityRow| r.category.clone()),
        column!(rows, "decoding", |r: &QualityRow| r.decoding.clone()),
        column!(rows, "rep", |r: &QualityRow| r.rep),
        column!(rows, "prompt_hash", |r: &QualityRow| r.prompt_hash.clone()),
        column!(rows, "chat_template", |r: &QualityRow| r
            .chat_template
            .clone()),
        column!(rows, "output_text", |r: &QualityRow| r.output_text.clone()),
        column!(rows, "n_prompt", |r: &QualityRow| r.n_prompt),
        column!(rows, "n_gen", |r: &QualityRow| r.n_gen),
        column!(rows, "ended", |r: &QualityRow| r.ended),
        column!(rows, "ttft_ms", |r: &QualityRow| r.ttft_ms),
        column!(rows, "latency_ms", |r: &QualityRow| r.latency_ms),
        column!(rows, "tg_tps", |r: &QualityRow| r.tg_tps),
        column!(rows, "seq_rep_4", |r: &QualityRow| r.seq_rep_4),
        column!(rows, "choice_scores", |r: &QualityRow| r
            .choice_scores
            .clone()),
        column!(rows, "pass", |r: &QualityRow| r.pass),
        column!(rows, "n_checks", |r: &QualityRow| r.n_checks),
        column!(rows, "n_checks_passed", |r: &QualityRow| r.n_checks_passed),
        column!(rows, "verdicts", |r: &QualityRow| r.verdicts.clone()),
        column!(rows, "failed_reasons", |r: &QualityRow| r
            .failed_reasons
            .clone()),
        column!(rows, "tool_expected", |r: &QualityRow| r.tool_expected),
        column!(rows, "tool_parsed", |r: &QualityRow| r.tool_parsed),
        column!(rows, "tool_names_ok", |r: &QualityRow| r.tool_names_ok),
        column!(rows, "tool_args_ok", |r: &QualityRow| r.tool_args_ok),
        column!(rows, "acc", |r: &QualityRow| r.acc),
        column!(rows, "acc_norm", |r: &QualityRow| r.acc_norm),
        column!(rows, "acc_tok", |r: &QualityRow| r.acc_tok),
        column!(rows, "status", |r: &QualityRow| r.status.clone()),
        column!(rows, "error", |r: &QualityRow| r.error.clone()),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

pub fn summary_frame(rows: &[SummaryRow]) -> Result<DataFrame> {
    let mut columns = vec![
        column!(rows, "run_id", |r: &SummaryRow| r.first.run_id.clone()),
        column!(rows, "unit_id", |r: &SummaryRow| r.first.unit_id.clone()),
        column!(rows, "candidate", |r: &SummaryRow| r
            .first
            .candidate
            .clone()),
        column!(rows, "model_file", |r: &SummaryRow| r
            .first
            .model_file
            .clone()),
        column!(rows, "model_sha256", |r: &SummaryRow| r
            .first
            .model_sha256
            .clone()),
        column!(rows, "arch", |r: &SummaryRow| r.first.arch.clone()),
        column!(rows, "quant", |r: &SummaryRow| r.first.quant.clone()),
        column!(rows, "params", |r: &SummaryRow| r.first.params),
        column!(rows, "size_bytes", |r: &SummaryRow| r.first.size_bytes),
        column!(rows, "backend", |r: &SummaryRow| r.first.backend.clone()),
        column!(rows, "n_threads", |r: &SummaryRow| r.first.n_threads),
        column!(rows, "n_gpu_layers", |r: &SummaryRow| r.first.n_gpu_layers),
        column!(rows, "n_ctx", |r: &SummaryRow| r.first.n_ctx),
        column!(rows, "n_batch", |r: &SummaryRow| r.first.n_batch),
        column!(rows, "flash_attn", |r: &SummaryRow| r
            .first
            .flash_attn
            .clone()),
        column!(rows, "test", |r: &SummaryRow| r.first.test.clone()),
        column!(rows, "mode", |r: &SummaryRow| r.first.mode.clone()),
        column!(rows, "chat_template", |r: &SummaryRow| r
            .first
            .chat_template
            .clone()),
        column!(rows, "n", |r: &SummaryRow| r.n as u32),
    ];
    for name in SUMMARY_METRICS {
        let spreads: Vec<_> = rows.iter().map(|r| r.spread(name)).collect();
        let stat = |suffix: &str, get: fn(&crate::stats::Spread) -> f64| {
            Column::new(
                format!("{name}_{suffix}").into(),
                spreads
                    .iter()
                    .map(|s| s.as_ref().map(get))
                    .collect::<Vec<_>>(),
            )
        };
        columns.push(stat("mean", |s| s.mean));
        columns.push(stat("median", |s| s.median));
        columns.push(stat("stddev", |s| s.stddev));
        columns.push(stat("min", |s| s.min));
        columns.push(stat("max", |s| s.max));
    }
    columns.extend([
        column!(rows, "peak_rss_mb", |r: &SummaryRow| r
            .resources
            .peak_rss_mb),
        column!(rows, "peak_ram_used_mb", |r: &SummaryRow| r
            .resources
            .peak_ram_used_mb),
        column!(rows, "peak_vram_mb", |r: &SummaryRow| r
            .resources
            .peak_vram_mb),
        column!(rows, "max_gpu_temp_c", |r: &SummaryRow| r
            .resources
            .max_gpu_temp_c),
        column!(rows, "max_cpu_temp_c", |r: &SummaryRow| r
            .resources
            .max_cpu_temp_c),
        column!(rows, "mean_power_w", |r: &SummaryRow| r
            .resources
            .mean_power_w),
        column!(rows, "energy_j", |r: &SummaryRow| r.resources.energy_j),
        column!(rows, "energy_above_idle_j", |r: &SummaryRow| r
            .resources
            .energy_above_idle_j),
        column!(rows, "joules_per_token", |r: &SummaryRow| r
            .resources
            .joules_per_token),
        column!(rows, "throttled_share", |r: &SummaryRow| r
            .resources
            .throttled_share),
        column!(rows, "unified_memory", |r: &SummaryRow| r.unified_memory),
    ]);
    columns.extend(quality_columns(rows));
    columns.push(column!(rows, "load_ms", |r: &SummaryRow| r.first.load_ms));
    columns.push(column!(rows, "status", |r: &SummaryRow| r.status.clone()));
    columns.push(column!(rows, "error", |r: &SummaryRow| r.error.clone()));
    Ok(DataFrame::new(rows.len(), columns)?)
}

/// Quality scores in summary.* (null on speed rows); docs/results.md defines each.
fn quality_columns(rows: &[SummaryRow]) -> Vec<Column> {
    use super::QualityScore;
    let text = |name: &str, get: fn(&QualityScore) -> Option<String>| {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| r.quality.as_ref().and_then(get))
                .collect::<Vec<_>>(),
        )
    };
    let number = |name: &str, get: fn(&QualityScore) -> Option<f64>| {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| r.quality.as_ref().and_then(get))
                .collect::<Vec<_>>(),
        )
    };
    let count = |name: &str, get: fn(&QualityScore) -> usize| {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| r.quality.as_ref().map(|q| get(q) as u32))
                .collect::<Vec<_>>(),
        )
    };
    vec![
        text("suite", |q| Some(q.suite.clone())),
        text("decoding", |q| Some(q.decoding.clone())),
        text("category", |q| q.category.clone()),
        count("n_cases", |q| q.n_cases),
        count("n_passed", |q| q.passed),
        number("pass_rate", |q| q.pass_rate),
        number("pass_rate_lo", |q| q.pass_rate_lo),
        number("pass_rate_hi", |q| q.pass_rate_hi),
        number("pass_all_reps", |q| q.pass_all_reps),
        number("check_pass_rate", |q| q.check_pass_rate),
        number("tool_parse_rate", |q| q.tool_parse_rate),
        number("tool_name_acc", |q| q.tool_name_acc),
        number("tool_args_acc", |q| q.tool_args_acc),
        number("irrelevance_acc", |q| q.irrelevance_acc),
        number("mc_acc", |q| q.mc_acc),
        number("mc_acc_norm", |q| q.mc_acc_norm),
        number("mc_acc_tok", |q| q.mc_acc_tok),
        number("repetitive_share", |q| q.repetitive_share),
        number("hit_max_share", |q| q.hit_max_share),
        number("empty_share", |q| q.empty_share),
        number("differs_share", |q| q.differs_share),
        count("n_failed_answers", |q| q.n_failed),
    ]
}

/// Writes `<stem>.parquet` and `<stem>.csv` in `dir`, each atomically.
pub fn write_frame(dir: &Path, stem: &str, frame: &mut DataFrame) -> Result<()> {
    write_atomic(&dir.join(format!("{stem}.parquet")), |file| {
        ParquetWriter::new(file)
            .finish(frame)
            .map_err(|e| anyhow::anyhow!("parquet: {e}"))?;
        Ok(())
    })?;
    write_atomic(&dir.join(format!("{stem}.csv")), |file| {
        CsvWriter::new(file)
            .include_header(true)
            .finish(frame)
            .map_err(|e| anyhow::anyhow!("csv: {e}"))?;
        Ok(())
    })
}

pub fn samples_frame(run_id: &str, rows: &[SampleRow]) -> Result<DataFrame> {
    let columns = vec![
        column!(rows, "run_id", |_: &SampleRow| run_id.to_string()),
        column!(rows, "t_ms", |r: &SampleRow| r.t_ms),
        column!(rows, "unix_ms", |r: &SampleRow| r.unix_ms),
        column!(rows, "unit_id", |r: &SampleRow| r.unit_id.clone()),
        column!(rows, "candidate", |r: &SampleRow| r.candidate.clone()),
        column!(rows, "test", |r: &SampleRow| r.test.clone()),
        column!(rows, "phase", |r: &SampleRow| r.phase.as_str().to_string()),
        column!(rows, "backend", |r: &SampleRow| r.backend.clone()),
        column!(rows, "metric", |r: &SampleRow| r.metric.clone()),
        column!(rows, "value", |r: &SampleRow| r.value),
        column!(rows, "throttled", |r: &SampleRow| r.throttled),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

/// Writes one Parquet file atomically.
pub fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<()> {
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .finish(frame)
            .map_err(|e| anyhow::anyhow!("parquet: {e}"))?;
        Ok(())
    })
}

/// Concatenates Parquet files of one schema (the per-unit sample files).
pub fn concat_parquet(paths: &[std::path::PathBuf]) -> Result<Option<DataFrame>> {
    let mut all: Option<DataFrame> = None;
    for path in paths {
        let file = std::fs::File::open(path)?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        all = Some(match all {
            None => frame,
            Some(mut acc) => {
                acc.vstack_mut(&frame)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                acc
            }
        });
    }
    Ok(all)
}
