//! stability.* (one row per step) and stability_summary.* (one row per unit).
use anyhow::Result;
use polars::prelude::*;

use super::frame::column;
use super::{StabilityRow, StabilitySummary};

pub fn stability_frame(rows: &[StabilityRow]) -> Result<DataFrame> {
    let columns = vec![
        column!(rows, "run_id", |r: &StabilityRow| r.run_id.clone()),
        column!(rows, "unit_id", |r: &StabilityRow| r.unit_id.clone()),
        column!(rows, "candidate", |r: &StabilityRow| r.candidate.clone()),
        column!(rows, "model_sha256", |r: &StabilityRow| r
            .model_sha256
            .clone()),
        column!(rows, "quant", |r: &StabilityRow| r.quant.clone()),
        column!(rows, "test", |r: &StabilityRow| r.test.clone()),
        column!(rows, "step", |r: &StabilityRow| r.step),
        column!(rows, "t_s", |r: &StabilityRow| r.t_s),
        column!(rows, "n_ctx", |r: &StabilityRow| r.n_ctx),
        column!(rows, "n_tokens", |r: &StabilityRow| r.n_tokens),
        column!(rows, "tg_tps", |r: &StabilityRow| r.tg_tps),
        column!(rows, "ttft_ms", |r: &StabilityRow| r.ttft_ms),
        column!(rows, "temp_c", |r: &StabilityRow| r.temp_c),
        column!(rows, "recall_ok", |r: &StabilityRow| r.recall_ok),
        column!(rows, "seq_rep_4", |r: &StabilityRow| r.seq_rep_4),
        column!(rows, "output_text", |r: &StabilityRow| r
            .output_text
            .clone()),
        column!(rows, "nll_sum", |r: &StabilityRow| r.nll_sum),
        column!(rows, "ppl", |r: &StabilityRow| r.ppl),
        column!(rows, "kld_mean", |r: &StabilityRow| r.kld_mean),
        column!(rows, "kld_p99", |r: &StabilityRow| r.kld_p99),
        column!(rows, "top1_agree", |r: &StabilityRow| r.top1_agree),
        column!(rows, "reference", |r: &StabilityRow| r.reference.clone()),
        column!(rows, "status", |r: &StabilityRow| r.status.clone()),
        column!(rows, "error", |r: &StabilityRow| r.error.clone()),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

pub fn stability_summary_frame(rows: &[StabilitySummary]) -> Result<DataFrame> {
    type S = StabilitySummary;
    let columns = vec![
        column!(rows, "unit_id", |r: &S| r.unit_id.clone()),
        column!(rows, "candidate", |r: &S| r.candidate.clone()),
        column!(rows, "quant", |r: &S| r.quant.clone()),
        column!(rows, "determinism_differs", |r: &S| r.determinism_differs),
        column!(rows, "tg_cv", |r: &S| r.tg_cv),
        column!(rows, "repetitive_share", |r: &S| r.repetitive_share),
        column!(rows, "hit_max_share", |r: &S| r.hit_max_share),
        column!(rows, "empty_share", |r: &S| r.empty_share),
        column!(rows, "soak_windows", |r: &S| r.soak_windows),
        column!(rows, "soak_first_min_tps", |r: &S| r.soak_first_min_tps),
        column!(rows, "soak_last_min_tps", |r: &S| r.soak_last_min_tps),
        column!(rows, "soak_drop", |r: &S| r.soak_drop),
        column!(rows, "soak_temp_first_c", |r: &S| r.soak_temp_first_c),
        column!(rows, "soak_temp_last_c", |r: &S| r.soak_temp_last_c),
        column!(rows, "thermal_throttle_suspected", |r: &S| r
            .thermal_throttle_suspected),
        column!(rows, "multi_turn_turns", |r: &S| r.multi_turn_turns),
        column!(rows, "multi_turn_ctx_reached", |r: &S| r
            .multi_turn_ctx_reached),
        column!(rows, "recall_lost_at_turn", |r: &S| r.recall_lost_at_turn),
        column!(rows, "recall_lost_at_tokens", |r: &S| r
            .recall_lost_at_tokens),
        column!(rows, "multi_turn_error", |r: &S| r.multi_turn_error.clone()),
        column!(rows, "max_ctx_ok", |r: &S| r.max_ctx_ok),
        column!(rows, "first_ctx_failed", |r: &S| r.first_ctx_failed),
        column!(rows, "ceiling_error", |r: &S| r.ceiling_error.clone()),
        column!(rows, "ppl", |r: &S| r.ppl),
        column!(rows, "reference", |r: &S| r.reference.clone()),
        column!(rows, "kld_mean", |r: &S| r.kld_mean),
        column!(rows, "kld_p99", |r: &S| r.kld_p99),
        column!(rows, "top1_agree", |r: &S| r.top1_agree),
        column!(rows, "answer_flip_share", |r: &S| r.answer_flip_share),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}
