//! summary.* as a table: the candidate and configuration columns of speed.*,
//! the spread of every metric, the resource figures and the quality scores.
use serde_json::Value;

use super::columns::SPEED_COLUMNS;
use super::plan::DEFAULT_UBATCH;
use super::table::{
    col, from_serde, opt, serde_record, sparse, usual, Col, Dtype::*, Record, Table, Usual,
};
use super::{Metric, MetricSpread, QualityScore, SummaryRow};
use crate::stats::repetitions::FirstRep;
use crate::stats::Spread;

/// The speed.* columns summary.* opens with (types as in speed.*).
const FROM_SPEED: [&str; 32] = [
    "run_id",
    "unit_id",
    "candidate",
    "model_file",
    "model_sha256",
    "arch",
    "quant",
    "synthetic",
    "params",
    "size_bytes",
    "backend",
    "n_threads",
    "n_gpu_layers",
    "n_ctx",
    "n_batch",
    "n_ubatch",
    "flash_attn",
    "type_k",
    "type_v",
    "use_mmap",
    "power_mode",
    "jetson_clocks",
    "gpu_max_freq_mhz",
    "cpu_max_freq_mhz",
    "spec",
    "draft_model",
    "draft_max",
    "draft_min",
    "test",
    "mode",
    "n_depth",
    "chat_template",
];

/// Statistics of each metric: column `<metric>_<stat>`.
pub const SPREAD_STATS: [&str; 5] = ["mean", "median", "stddev", "min", "max"];

const RESOURCE_COLUMNS: &[Col] = &[
    opt("peak_rss_mb", F64),
    opt("peak_ram_used_mb", F64),
    opt("peak_vram_mb", F64),
    opt("max_gpu_temp_c", F64),
    opt("max_cpu_temp_c", F64),
    opt("mean_power_w", F64),
    opt("energy_j", F64),
    opt("energy_above_idle_j", F64),
    opt("joules_per_token", F64),
    sparse("joules_per_prefill_token", F64),
    sparse("joules_per_gen_token", F64),
    sparse("energy_source", Str),
    opt("throttled_share", F64),
    col("unified_memory", Bool),
];

/// `QualityScore`'s columns, null on speed rows.
const QUALITY_SCORE_COLUMNS: &[Col] = &[
    opt("suite", Str),
    opt("decoding", Str),
    opt("category", Str),
    opt("n_cases", U32),
    opt("n_passed", U32),
    opt("pass_rate", F64),
    opt("pass_rate_lo", F64),
    opt("pass_rate_hi", F64),
    sparse("pass_rate_flexible", F64),
    sparse("pass_rate_flexible_lo", F64),
    sparse("pass_rate_flexible_hi", F64),
    opt("pass_all_reps", F64),
    opt("check_pass_rate", F64),
    opt("tool_parse_rate", F64),
    opt("tool_name_acc", F64),
    opt("tool_args_acc", F64),
    opt("irrelevance_acc", F64),
    opt("mc_acc", F64),
    opt("mc_acc_norm", F64),
    opt("mc_acc_tok", F64),
    opt("repetitive_share", F64),
    opt("hit_max_share", F64),
    sparse("n_length_below_max", U32),
    opt("empty_share", F64),
    opt("differs_share", F64),
    opt("n_failed_answers", U32),
    sparse("answers_per_min", F64),
];

/// How far the repetitions can be trusted (docs/metrics.md).
const REPETITION_COLUMNS: &[Col] = &[
    sparse("precision", F64),
    sparse("first_rep_deviation", F64),
    sparse("first_rep_differs", Bool),
];

/// `SpecSummary`'s columns: a speculative configuration's rows only.
const SPEC_COLUMNS: &[Col] = &[
    sparse("draft_n", U32),
    sparse("draft_accepted", U32),
    sparse("acceptance_rate", F64),
    sparse("accepted_per_step", F64),
    sparse("t_draft_ms", F64),
    sparse("t_verify_ms", F64),
    sparse("spec_identical", Bool),
    sparse("tg_speedup", F64),
    sparse("latency_50_speedup", F64),
];

const CLOSING_COLUMNS: &[Col] = &[opt("load_ms", F64), col("status", Str), opt("error", Str)];

fn stat_column(metric: &str, stat: &str) -> String {
    format!("{metric}_{stat}")
}

fn spread_stat(spread: &Spread, stat: &str) -> f64 {
    match stat {
        "mean" => spread.mean,
        "median" => spread.median,
        "stddev" => spread.stddev,
        "min" => spread.min,
        _ => spread.max,
    }
}

impl Table for SummaryRow {
    const STEM: &'static str = "summary";
    const REQUIRED: &'static [&'static str] = &["candidate", "test"];

    fn columns() -> Vec<Col> {
        let mut columns: Vec<Col> = FROM_SPEED
            .iter()
            .map(|name| {
                let c = SPEED_COLUMNS.iter().find(|c| c.name == *name);
                c.expect("a speed column").clone()
            })
            .map(|c| match c.name.as_ref() {
                // Summaries before the ubatch axis lack it: written when not 512.
                "n_ubatch" => usual("n_ubatch", U32, Usual::U32(DEFAULT_UBATCH)),
                _ => c,
            })
            .collect();
        columns.push(col("n", U32));
        columns.extend_from_slice(REPETITION_COLUMNS);
        for m in Metric::ALL {
            for stat in SPREAD_STATS {
                // ppN+tgM is a test few sweeps ask for: its columns only then.
                let mut c = match m {
                    Metric::PgTps => sparse("", F64),
                    _ => opt("", F64),
                };
                c.name = stat_column(m.name(), stat).into();
                columns.push(c);
            }
        }
        columns.extend_from_slice(RESOURCE_COLUMNS);
        columns.extend_from_slice(QUALITY_SCORE_COLUMNS);
        columns.extend_from_slice(SPEC_COLUMNS);
        columns.extend_from_slice(CLOSING_COLUMNS);
        columns
    }

    fn to_record(&self) -> anyhow::Result<Record> {
        let mut record = serde_record(&self.first)?;
        record.insert("n".into(), self.n.into());
        record.insert("precision".into(), self.precision.into());
        let first = self.first_rep.as_ref();
        record.insert(
            "first_rep_deviation".into(),
            first.map(|f| f.deviation).into(),
        );
        record.insert("first_rep_differs".into(), first.map(|f| f.differs).into());
        for m in &self.metrics {
            for stat in SPREAD_STATS {
                let value = m.spread.as_ref().map(|s| spread_stat(s, stat));
                record.insert(stat_column(m.metric.name(), stat), value.into());
            }
        }
        record.extend(serde_record(&self.resources)?);
        for c in RESOURCE_COLUMNS.iter().filter(|c| c.sparse) {
            record.entry(c.name.to_string()).or_insert(Value::Null);
        }
        record.insert("unified_memory".into(), self.unified_memory.into());
        match &self.quality {
            Some(q) => record.extend(serde_record(q)?),
            None => {
                for c in QUALITY_SCORE_COLUMNS {
                    record.insert(c.name.to_string(), Value::Null);
                }
            }
        }
        // Every spec column, null on rows without speculation (the speed
        // row's own per-repetition figures are not the summary's).
        let spec = serde_record(&self.spec.clone().unwrap_or_default())?;
        record.extend(spec);
        record.insert("status".into(), self.status.as_str().into());
        record.insert("error".into(), self.error.clone().into());
        Ok(record)
    }

    fn from_record(record: Record) -> anyhow::Result<Self> {
        let number = |name: &str| record.get(name).and_then(Value::as_f64);
        let n = number("n").unwrap_or(0.0) as usize;
        let metrics = Metric::ALL
            .into_iter()
            .map(|metric| {
                let stat = |s: &str| number(&stat_column(metric.name(), s));
                MetricSpread {
                    metric,
                    spread: stat("mean").map(|mean| Spread {
                        n,
                        mean,
                        median: stat("median").unwrap_or(mean),
                        stddev: stat("stddev").unwrap_or(0.0),
                        min: stat("min").unwrap_or(mean),
                        max: stat("max").unwrap_or(mean),
                    }),
                }
            })
            .collect();
        let quality = match record.contains_key("suite") {
            true => Some(QualityScore {
                n,
                ..from_serde(record.clone())?
            }),
            false => None,
        };
        let mut first: super::SpeedRow = from_serde(record.clone())?;
        if first.config.n_ubatch == 0 {
            // A summary from before the column: llama.cpp's physical batch then.
            first.config.n_ubatch = first.config.n_batch.min(DEFAULT_UBATCH);
        }
        let first_rep = number("first_rep_deviation").map(|deviation| FirstRep {
            deviation,
            differs: record.get("first_rep_differs") == Some(&Value::Bool(true)),
        });
        Ok(SummaryRow {
            n,
            metrics,
            precision: number("precision"),
            first_rep,
            status: first.status,
            error: first.error.clone(),
            resources: from_serde(record.clone())?,
            unified_memory: record.get("unified_memory") == Some(&Value::Bool(true)),
            quality,
            spec: match record.get("draft_n").is_some_and(|v| !v.is_null()) {
                true => Some(from_serde(record.clone())?),
                false => None,
            },
            first,
        })
    }
}
