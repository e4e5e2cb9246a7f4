//! Scoring quality answers: the case's checks applied to what the model said
//! (in the parent, so `rescore` reuses exactly this code without a model), and
//! the per-suite and per-category scores of summary.*.
mod aggregate;
mod answer;
mod bfcl_aggregate;
mod goodput;
#[cfg(test)]
mod reasoning_tests;
mod rescore;
mod stability;
mod summary_rows;
mod verdicts;

pub use aggregate::quality_summary;
pub use answer::AnswerMessage;
pub use goodput::{goodput, level_figures, Goodput, ItlPercentiles, RequestFigures};
pub use rescore::{rescore_records, Rescored};
pub use stability::stability_summaries;
// The rows scoring fills in are results' types (summary.*, stability_summary.*).
pub use crate::results::{QualityScore, StabilitySummary};
pub use summary_rows::{quality_summary_rows, quality_test_name};
pub use verdicts::scored_answer;

use sha2::{Digest, Sha256};

use crate::checks::reasoning::strip_reasoning;
use crate::checks::{
    bfcl_expects_call, choice_picks, AnswerUnderCheck, Check, CheckVerdict, OptionScore,
};
use crate::results::{QualityRow, Status};
use crate::suite::tools::dotted_bfcl_names;
use crate::suite::{Case, Decoding};

/// A quality row from the child's answer, with the case's checks applied.
pub fn score_answer(base: &QualityRow, case: &Case, answer: &AnswerMessage) -> QualityRow {
    let mut row = QualityRow {
        suite: answer.suite.clone(),
        case_id: answer.case_id.clone(),
        category: case.category.clone(),
        decoding: answer.decoding.map_or("free", |d| d.as_str()).to_string(),
        rep: answer.rep,
        prompt_hash: prompt_hash(case, answer.decoding.unwrap_or(Decoding::Free)),
        chat_template: answer.chat_template.clone(),
        output_text: answer.output_text.clone(),
        n_prompt: answer.n_prompt,
        n_prompt_reused: answer.n_prompt_reused,
        n_gen: answer.n_gen,
        ended: answer.ended,
        finish_reason: answer.finish_reason.clone(),
        max_tokens: answer.max_tokens,
        ttft_ms: answer.ttft_ms,
        latency_ms: answer.latency_ms,
        tg_tps: answer.tg_tps,
        seq_rep_4: answer.seq_rep_4,
        choice_scores: answer
            .choice_scores
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok()),
        status: match (answer.unsupported, &answer.error) {
            (true, _) => Status::Unsupported,
            (false, Some(_)) => Status::Failed,
            (false, None) => Status::Ok,
        },
        error: answer.error.clone(),
        ..base.clone()
    };
    apply_checks(&mut row, case);
    row
}

/// (Re)applies the case's checks to the stored answer of `row`.
pub fn apply_checks(row: &mut QualityRow, case: &Case) {
    row.category = case.category.clone();
    row.n_checks = case.checks.len() as u32;
    row.tool_expected = tool_expectation(&case.checks);
    if !row.status.is_ok() {
        row.pass = None;
        row.pass_flexible = None;
        row.n_checks_passed = 0;
        row.verdicts = "[]".into();
        row.failed_reasons = None;
        return;
    }
    let scores: Option<Vec<OptionScore>> = row
        .choice_scores
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    // The checks read the answer, not the reasoning before it.
    let text = match strip_reasoning(&row.output_text) {
        Ok(answer) => answer.to_string(),
        Err(markers) => return unclosed_reasoning(row, markers.close),
    };
    // bfcl-eval checks a native answer's underscored names against the dotted ones.
    let dotted = (row.decoding == "native")
        .then(|| dotted_bfcl_names(&text, &case.checks))
        .flatten();
    let answer = AnswerUnderCheck {
        text: dotted.as_deref().unwrap_or(&text),
        choice_scores: scores.as_deref(),
    };
    let verdicts: Vec<CheckVerdict> = case.checks.iter().map(|c| c.evaluate(&answer)).collect();
    let passed = verdicts.iter().filter(|v| v.pass).count();
    row.n_checks_passed = passed as u32;
    row.pass = Some(passed == verdicts.len());
    let has_flexible = verdicts.iter().any(|v| v.flexible.is_some());
    row.pass_flexible = has_flexible.then(|| verdicts.iter().all(CheckVerdict::flexible_pass));
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.pass)
        .map(|v| format!("{}: {}", v.check, v.reason))
        .collect();
    row.failed_reasons = (!failed.is_empty()).then(|| failed.join("; "));
    let tool = verdicts.iter().find_map(|v| v.tool);
    row.tool_parsed = tool.map(|t| t.parsed);
    row.tool_names_ok = tool.map(|t| t.names_ok);
    row.tool_args_ok = tool.map(|t| t.args_ok);
    let answer_index = case.checks.iter().find_map(|c| match c {
        Check::Choice { answer } => Some(*answer),
        _ => None,
    });
    let picks = scores.as_deref().and_then(choice_picks);
    (row.acc, row.acc_norm, row.acc_tok) = match (picks, answer_index) {
        (Some(p), Some(a)) => (
            Some(p.acc == a),
            Some(p.acc_norm == a),
            Some(p.acc_tok == a),
        ),
        _ => (None, None, None),
    };
    row.verdicts = serde_json::to_string(&verdicts).unwrap_or_default();
}

/// A reasoning block that never ended leaves no answer to check: the row
/// fails with one verdict that says so, never a check run on the reasoning.
fn unclosed_reasoning(row: &mut QualityRow, close: &str) {
    let verdict = CheckVerdict {
        check: "reasoning".into(),
        pass: false,
        reason: format!("the reasoning never ended (no {close}): no answer to check"),
        tool: None,
        flexible: None,
    };
    row.n_checks_passed = 0;
    row.pass = Some(false);
    row.pass_flexible = None;
    row.failed_reasons = Some(format!("{}: {}", verdict.check, verdict.reason));
    (row.tool_parsed, row.tool_names_ok, row.tool_args_ok) = (None, None, None);
    (row.acc, row.acc_norm, row.acc_tok) = (None, None, None);
    row.verdicts = serde_json::to_string(&[verdict]).unwrap_or_default();
}

/// Some(true): the case expects a tool call; Some(false): it expects none.
fn tool_expectation(checks: &[Check]) -> Option<bool> {
    checks.iter().find_map(|c| match c {
        Check::ToolCall { .. } => Some(true),
        Check::NoToolCall => Some(false),
        Check::Bfcl { category, .. } => Some(bfcl_expects_call(category)),
        _ => None,
    })
}

/// What the model was asked, hashed: a changed prompt gives a different id.
/// With the tools through the API (`native`) the tools are hashed beside the
/// turns, which then do not list them.
pub fn prompt_hash(case: &Case, decoding: Decoding) -> String {
    let asked = match decoding {
        Decoding::Native => serde_json::json!({
            "messages": case.native_messages, "tools": case.tools, "choices": case.choices,
        }),
        Decoding::Free | Decoding::Constrained => {
            serde_json::json!({ "messages": case.messages, "choices": case.choices })
        }
    };
    let digest = Sha256::digest(asked.to_string().as_bytes());
    format!("{digest:x}")[..12].to_string()
}
