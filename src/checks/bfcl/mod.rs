//! The `bfcl` check: a Berkeley Function Calling Leaderboard case scored as
//! bfcl-eval's AST checker scores it (Python categories), so an imported BFCL suite
//! gives the figures its leaderboard would. The function docs and possible answers
//! are BFCL's own JSON, kept as JSON text in the suite file (TOML has no null).
mod calls;
mod function;
mod python;
mod values;

use serde_json::Value;

use super::tool_call::{parse_tool_calls, ToolCall};
use super::ToolOutcome;
use function::Call;

/// The single-turn categories whose calls are checked against possible answers.
pub const AST_CATEGORIES: [&str; 8] = [
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
];
/// Categories where the right answer is no call at all.
pub const IRRELEVANCE_CATEGORIES: [&str; 2] = ["irrelevance", "live_irrelevance"];
/// The category where any call is right (the question can be answered with the tools).
pub const RELEVANCE_CATEGORY: &str = "live_relevance";

pub fn is_category(name: &str) -> bool {
    AST_CATEGORIES.contains(&name)
        || IRRELEVANCE_CATEGORIES.contains(&name)
        || name == RELEVANCE_CATEGORY
}

/// Whether a case of this category should be answered with a call.
pub fn expects_call(category: &str) -> bool {
    !IRRELEVANCE_CATEGORIES.contains(&category)
}

pub fn validate(category: &str, functions: &Value, ground_truth: &Value) -> Result<(), String> {
    if !is_category(category) {
        return Err(format!("unknown BFCL category `{category}`"));
    }
    let docs = functions
        .as_array()
        .ok_or("functions must be a JSON array")?;
    let needs_answers = AST_CATEGORIES.contains(&category);
    if needs_answers && docs.is_empty() {
        return Err("functions must list at least one function".into());
    }
    for doc in docs {
        if doc.get("name").and_then(Value::as_str).is_none() || doc.get("parameters").is_none() {
            return Err("each function needs a name and parameters".into());
        }
    }
    let answers = ground_truth
        .as_array()
        .ok_or("ground_truth must be a JSON array")?;
    if needs_answers && answers.is_empty() {
        return Err(format!("category `{category}` needs a ground truth"));
    }
    if answers
        .iter()
        .any(|a| a.as_object().is_none_or(|o| o.len() != 1))
    {
        return Err("each ground truth entry is {\"function\": {\"param\": [values]}}".into());
    }
    Ok(())
}

/// Scores one answer; pass is the returned outcome's `args_ok`.
pub fn evaluate(
    category: &str,
    functions: &Value,
    ground_truth: &Value,
    text: &str,
) -> (ToolOutcome, String) {
    let parsed = parse_tool_calls(text);
    if IRRELEVANCE_CATEGORIES.contains(&category) || category == RELEVANCE_CATEGORY {
        let wants_call = category == RELEVANCE_CATEGORY;
        let right = parsed.is_ok() == wants_call;
        let reason = match (&parsed, wants_call) {
            (Ok(calls), false) => format!("expected no call, got {}", names(calls)),
            (Ok(calls), true) => format!("called {}", names(calls)),
            (Err(_), false) => "no call, as expected".to_string(),
            (Err(e), true) => format!("expected a call: {e}"),
        };
        let outcome = ToolOutcome {
            parsed: parsed.is_ok(),
            names_ok: right,
            args_ok: right,
        };
        return (outcome, reason);
    }
    let calls = match parsed {
        Ok(calls) => calls,
        Err(e) => {
            let outcome = ToolOutcome {
                parsed: false,
                names_ok: false,
                args_ok: false,
            };
            return (outcome, format!("ast_decoder:decoder_failed: {e}"));
        }
    };
    let docs = functions.as_array().map(Vec::as_slice).unwrap_or_default();
    let answers = ground_truth
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let as_calls: Vec<Call> = calls
        .iter()
        .map(|c| Call {
            name: &c.name,
            arguments: &c.arguments,
        })
        .collect();
    let result = calls::check_calls(category, docs, &as_calls, answers);
    let outcome = ToolOutcome {
        parsed: true,
        names_ok: same_names(&calls, answers),
        args_ok: result.is_ok(),
    };
    let reason = result
        .err()
        .unwrap_or_else(|| format!("matched {}", names(&calls)));
    (outcome, reason)
}

fn names(calls: &[ToolCall]) -> String {
    let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    names.join(", ")
}

/// The model called the expected functions (as a multiset), whatever the arguments.
fn same_names(calls: &[ToolCall], answers: &[Value]) -> bool {
    let mut got: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    let mut want: Vec<&str> = answers
        .iter()
        .filter_map(|a| a.as_object()?.keys().next().map(String::as_str))
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    got == want
}

/// Serde for a JSON value written as JSON text (the suite file keeps BFCL's JSON as is).
pub mod json_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        let text = String::deserialize(deserializer)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
