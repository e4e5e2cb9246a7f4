//! Answers scored one by one, outside a run: what `edgebench __score-answers` prints
//! for scripts/bfcl-agreement.sh and scripts/ifeval-agreement.sh, which score the same
//! answers with bfcl-eval and lm-evaluation-harness (`checks`: each check's verdict).
use serde_json::{json, Map, Value};

use crate::checks::{parse_tool_calls, AnswerUnderCheck};
use crate::suite::tools::dotted_bfcl_names;
use crate::suite::QualitySuite;

/// The case's verdict on `text`, with the tool calls edgebench read from it
/// (`calls` is null when none parsed), in BFCL's `[{name: {arg: value}}]` form.
/// A `native` answer (the API's tool calls) has its names read back dotted,
/// as a run scores it.
pub fn scored_answer(
    suite: &QualitySuite,
    case_id: &str,
    text: &str,
    native: bool,
) -> Result<Value, String> {
    let case = suite
        .case(case_id)
        .ok_or_else(|| format!("suite `{}` has no case `{case_id}`", suite.name))?;
    let dotted = native
        .then(|| dotted_bfcl_names(text, &case.checks))
        .flatten();
    let text = dotted.as_deref().unwrap_or(text);
    let verdicts: Vec<_> = case
        .checks
        .iter()
        .map(|c| c.evaluate(&AnswerUnderCheck::text(text)))
        .collect();
    let calls = parse_tool_calls(text).ok().map(|calls| {
        calls
            .into_iter()
            .map(|c| {
                let mut call = Map::new();
                call.insert(c.name, Value::Object(c.arguments));
                Value::Object(call)
            })
            .collect::<Vec<_>>()
    });
    let reasons: Vec<&str> = verdicts.iter().map(|v| v.reason.as_str()).collect();
    let checks: Vec<Value> = verdicts
        .iter()
        .map(|v| json!({"pass": v.pass, "reason": v.reason}))
        .collect();
    Ok(json!({
        "case_id": case_id,
        "category": case.category,
        "pass": verdicts.iter().all(|v| v.pass),
        "reason": reasons.join("; "),
        "calls": calls,
        "checks": checks,
    }))
}
