//! The columns of every result table, in file order (docs/results.md describes
//! each; a unit test holds the docs to these lists).
use super::table::{col, opt, serde_table, sparse, usual, Col, Dtype::*, Usual};
use super::{QualityRow, SpeedRow, StabilityRow, StabilitySummary};

pub const SPEED_COLUMNS: &[Col] = &[
    col("run_id", Str),
    col("unit_id", Str),
    col("candidate", Str),
    col("model_file", Str),
    col("model_sha256", Str),
    col("arch", Str),
    col("quant", Str),
    usual("synthetic", Bool, Usual::Bool(false)),
    col("params", U64),
    col("size_bytes", U64),
    col("backend", Str),
    col("n_threads", U32),
    col("n_gpu_layers", U32),
    col("n_ctx", U32),
    col("n_batch", U32),
    col("n_ubatch", U32),
    col("flash_attn", Str),
    usual("type_k", Str, Usual::Str("f16")),
    usual("type_v", Str, Usual::Str("f16")),
    usual("use_mmap", Bool, Usual::Bool(true)),
    sparse("power_mode", Str),
    sparse("jetson_clocks", Bool),
    sparse("gpu_max_freq_mhz", F64),
    sparse("cpu_max_freq_mhz", F64),
    sparse("spec", Str),
    sparse("draft_model", Str),
    sparse("draft_max", U32),
    sparse("draft_min", U32),
    col("test", Str),
    col("mode", Str),
    opt("rep", U32),
    sparse("n_warmup", U32),
    usual("n_depth", U32, Usual::U32(0)),
    col("n_prompt", U32),
    col("n_gen", U32),
    opt("t_prompt_ms", F64),
    opt("t_gen_ms", F64),
    opt("pp_tps", F64),
    opt("tg_tps", F64),
    sparse("pg_tps", F64),
    opt("ttft_ms", F64),
    opt("latency_50_ms", F64),
    sparse("ttfat_ms", F64),
    sparse("latency_50_answer_ms", F64),
    sparse("n_reasoning_tokens", U32),
    opt("itl_p50_ms", F64),
    opt("itl_p95_ms", F64),
    sparse("ttft_p50_ms", F64),
    sparse("ttft_p95_ms", F64),
    sparse("ttft_p99_ms", F64),
    sparse("itl_p99_ms", F64),
    sparse("goodput", F64),
    sparse("goodput_lo", F64),
    sparse("goodput_hi", F64),
    sparse("goodput_n", U32),
    sparse("goodput_ttft_ms", F64),
    sparse("goodput_latency_50_ms", F64),
    sparse("server_pp_tps", F64),
    sparse("server_tg_tps", F64),
    sparse("server_n_gen", U32),
    sparse("content_chunks", U32),
    sparse("server_cached_tokens", U32),
    sparse("n_prompt_from", Str),
    sparse("cache_control", Str),
    sparse("draft_n", U32),
    sparse("draft_accepted", U32),
    sparse("acceptance_rate", F64),
    sparse("spec_steps", U32),
    sparse("accepted_per_step", F64),
    sparse("t_draft_ms", F64),
    sparse("t_verify_ms", F64),
    sparse("spec_identical", Bool),
    sparse("spec_mismatch_at", U32),
    opt("load_ms", F64),
    opt("chat_template", Str),
    opt("eos_at", U32),
    opt("output_text", Str),
    col("status", Str),
    opt("error", Str),
];

pub const QUALITY_COLUMNS: &[Col] = &[
    col("run_id", Str),
    col("unit_id", Str),
    col("candidate", Str),
    col("model_sha256", Str),
    col("quant", Str),
    usual("synthetic", Bool, Usual::Bool(false)),
    col("backend", Str),
    col("n_threads", U32),
    col("n_gpu_layers", U32),
    col("n_ctx", U32),
    col("n_batch", U32),
    col("flash_attn", Str),
    usual("type_k", Str, Usual::Str("f16")),
    usual("type_v", Str, Usual::Str("f16")),
    sparse("power_mode", Str),
    sparse("jetson_clocks", Bool),
    sparse("gpu_max_freq_mhz", F64),
    sparse("cpu_max_freq_mhz", F64),
    col("suite", Str),
    col("case_id", Str),
    col("category", Str),
    col("decoding", Str),
    sparse("tool_choice", Str),
    col("rep", U32),
    col("prompt_hash", Str),
    opt("chat_template", Str),
    col("output_text", Str),
    col("n_prompt", U32),
    col("n_gen", U32),
    sparse("n_prompt_reused", U32),
    col("ended", Bool),
    sparse("finish_reason", Str),
    sparse("max_tokens", U32),
    opt("ttft_ms", F64),
    opt("latency_ms", F64),
    opt("tg_tps", F64),
    opt("seq_rep_4", F64),
    opt("choice_scores", Str),
    opt("pass", Bool),
    sparse("pass_flexible", Bool),
    col("n_checks", U32),
    col("n_checks_passed", U32),
    col("verdicts", Str),
    opt("failed_reasons", Str),
    opt("tool_expected", Bool),
    opt("tool_parsed", Bool),
    opt("tool_names_ok", Bool),
    opt("tool_args_ok", Bool),
    opt("acc", Bool),
    opt("acc_norm", Bool),
    opt("acc_tok", Bool),
    col("status", Str),
    opt("error", Str),
];

pub const STABILITY_COLUMNS: &[Col] = &[
    col("run_id", Str),
    col("unit_id", Str),
    col("candidate", Str),
    col("model_sha256", Str),
    col("quant", Str),
    usual("synthetic", Bool, Usual::Bool(false)),
    col("test", Str),
    col("step", U32),
    opt("t_s", F64),
    opt("n_ctx", U32),
    sparse("n_ctx_from", Str),
    opt("n_tokens", U32),
    opt("tg_tps", F64),
    opt("ttft_ms", F64),
    opt("temp_c", F64),
    sparse("cpu_mhz", F64),
    sparse("gpu_mhz", F64),
    sparse("other_cpu_pct", F64),
    opt("recall_ok", Bool),
    opt("seq_rep_4", F64),
    opt("output_text", Str),
    opt("nll_sum", F64),
    opt("ppl", F64),
    opt("kld_mean", F64),
    opt("kld_p99", F64),
    opt("top1_agree", F64),
    opt("reference", Str),
    col("status", Str),
    opt("error", Str),
];

pub const STABILITY_SUMMARY_COLUMNS: &[Col] = &[
    col("unit_id", Str),
    col("candidate", Str),
    col("quant", Str),
    opt("determinism_differs", F64),
    opt("tg_cv", F64),
    opt("repetitive_share", F64),
    opt("hit_max_share", F64),
    opt("empty_share", F64),
    opt("soak_windows", U32),
    opt("soak_first_min_tps", F64),
    opt("soak_last_min_tps", F64),
    opt("soak_drop", F64),
    opt("soak_temp_first_c", F64),
    opt("soak_temp_last_c", F64),
    opt("thermal_throttle_suspected", Bool),
    sparse("soak_state", Str),
    sparse("soak_warmup_s", F64),
    sparse("soak_drift_at_s", F64),
    sparse("soak_drift_change", F64),
    sparse("soak_drift_cause", Str),
    sparse("soak_cause_before", F64),
    sparse("soak_cause_after", F64),
    opt("multi_turn_turns", U32),
    opt("multi_turn_ctx_reached", U32),
    opt("recall_lost_at_turn", U32),
    opt("recall_lost_at_tokens", U32),
    opt("multi_turn_error", Str),
    opt("max_ctx_ok", U32),
    opt("first_ctx_failed", U32),
    opt("ceiling_error", Str),
    opt("ppl", F64),
    opt("reference", Str),
    opt("kld_mean", F64),
    opt("kld_p99", F64),
    opt("top1_agree", F64),
    opt("answer_flip_share", F64),
];

/// samples.* (long format, written column by column: see `samples_frame`).
pub const SAMPLE_COLUMNS: &[Col] = &[
    col("run_id", Str),
    col("t_ms", F64),
    col("unix_ms", I64),
    opt("unit_id", Str),
    opt("candidate", Str),
    opt("test", Str),
    col("phase", Str),
    col("backend", Str),
    col("metric", Str),
    col("value", F64),
    col("throttled", Bool),
];

serde_table!(SpeedRow, "speed", SPEED_COLUMNS);
serde_table!(QualityRow, "quality", QUALITY_COLUMNS);
serde_table!(StabilityRow, "stability", STABILITY_COLUMNS);
serde_table!(
    StabilitySummary,
    "stability_summary",
    STABILITY_SUMMARY_COLUMNS
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{SummaryRow, Table};

    const DOCS: &str = include_str!("../../docs/results.md");

    /// The docs' section of a table: from `## <stem>.parquet` to the next `## `.
    fn section(stem: &str) -> &'static str {
        let start = DOCS
            .find(&format!("\n## {stem}.parquet"))
            .unwrap_or_else(|| panic!("docs/results.md has no section {stem}.parquet"));
        let rest = &DOCS[start + 1..];
        let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
        &rest[..end]
    }

    /// `name`s between backticks.
    fn ticks(text: &str) -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    fn strip_parens(text: &str) -> String {
        let mut depth = 0;
        text.chars()
            .filter(|&c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => return depth == 0,
                }
                false
            })
            .collect()
    }

    /// The columns a section lists, in order, with the type where it gives one:
    /// the first cells of its `| column | ...` table, else its prose list
    /// (parenthesised remarks left out).
    fn documented(stem: &str) -> Vec<(String, Option<String>)> {
        let (mut table, mut prose) = (Vec::new(), String::new());
        let (mut in_columns, mut typed) = (false, false);
        let mut lines = section(stem).lines().skip(1).peekable();
        while let Some(line) = lines.next() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if !line.starts_with('|') {
                // Only the prose before a table lists columns (quality's identity columns).
                if table.is_empty() && !in_columns {
                    prose.push_str(line);
                    prose.push('\n');
                }
            } else if lines.peek().is_some_and(|l| l.starts_with("|---")) {
                in_columns = cells[1] == "column";
                typed = cells.get(2) == Some(&"type");
                lines.next();
            } else if in_columns {
                for name in ticks(cells[1]) {
                    table.push((name, typed.then(|| cells[2].to_string())));
                }
            }
        }
        let listed = ticks(&strip_parens(&prose)).into_iter().map(|n| (n, None));
        listed.chain(table).collect()
    }

    fn check(stem: &str, columns: &[Col]) {
        let docs = documented(stem);
        let names: Vec<&str> = docs.iter().map(|(n, _)| n.as_str()).collect();
        let ours: Vec<&str> = columns.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(names, ours, "docs/results.md, {stem}.parquet: columns");
        for ((name, doc_type), col) in docs.iter().zip(columns) {
            if let Some(t) = doc_type {
                assert_eq!(
                    t,
                    &col.to_string(),
                    "docs/results.md: type of {stem}.{name}"
                );
            }
        }
    }

    #[test]
    fn docs_list_every_tables_columns_in_order() {
        check("speed", SPEED_COLUMNS);
        check("quality", QUALITY_COLUMNS);
        check("stability", STABILITY_COLUMNS);
        check("stability_summary", STABILITY_SUMMARY_COLUMNS);
        check("samples", SAMPLE_COLUMNS);
    }

    /// summary.* is described in prose and tables: every column must be named,
    /// the metric statistics as `<metric>` plus `_<stat>`.
    #[test]
    fn docs_name_every_summary_column() {
        let named = ticks(section("summary"));
        let has = |s: &str| named.iter().any(|n| n == s);
        for col in SummaryRow::columns() {
            let stat = crate::results::Metric::ALL.iter().find_map(|m| {
                let stat = col.name.strip_prefix(m.name())?.strip_prefix('_')?;
                Some((m.name(), stat))
            });
            let ok = match stat {
                Some((metric, stat)) => {
                    has(metric) && (has(&format!("_{stat}")) || has(&format!("<metric>_{stat}")))
                }
                None => has(&col.name),
            };
            assert!(
                ok,
                "docs/results.md does not name summary column {}",
                col.name
            );
        }
    }

    /// A default row of each table has every column (a typo in a list fails here).
    #[test]
    fn every_column_is_a_field_of_its_row() {
        use crate::results::table_frame;
        let speed = table_frame(&[SpeedRow::default()]).unwrap();
        let dense = SPEED_COLUMNS.iter().filter(|c| !c.sparse).count();
        let deep = SpeedRow {
            n_depth: 512,
            ..Default::default()
        };
        let speed_at_depth = table_frame(&[deep]).unwrap();
        assert_eq!(
            speed_at_depth.width(),
            dense + 1,
            "n_depth written once it is not 0"
        );
        assert_eq!(speed.width(), dense, "sparse columns only with values");
        let mut powered = SpeedRow::default();
        powered.config.power_mode = Some("MAXN".into());
        let speed = table_frame(&[powered]).unwrap();
        assert_eq!(speed.width(), dense + 1);
        assert!(speed.column("power_mode").is_ok());
        table_frame(&[QualityRow::default()]).unwrap();
        table_frame(&[StabilityRow::default()]).unwrap();
        table_frame(&[StabilitySummary::default()]).unwrap();
        let summary = crate::results::summarize(&[SpeedRow::default()]);
        table_frame(&summary).unwrap();
    }

    #[test]
    fn samples_frame_has_the_sample_columns() {
        let frame = crate::results::samples_frame("r", &[]).unwrap();
        let schema: Vec<(String, String)> = frame
            .schema()
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let ours: Vec<(String, String)> = SAMPLE_COLUMNS
            .iter()
            .map(|c| (c.name.to_string(), c.dtype.polars().to_string()))
            .collect();
        assert_eq!(schema, ours);
    }
}
