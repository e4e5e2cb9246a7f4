//! bfcl-eval's `ast_checker`: which calls must match which possible answers, by
//! category (simple: one call; multiple: one call among several docs; parallel:
//! several calls in any order, matched greedily as bfcl-eval does).
use serde_json::{Map, Value};

use super::function::{check_call, Call};

/// Checks the model's calls against `ground_truth` (a list of `{name: {param: [..]}}`).
pub fn check_calls(
    category: &str,
    functions: &[Value],
    calls: &[Call],
    ground_truth: &[Value],
) -> Result<(), String> {
    let answers: Vec<&Map<String, Value>> =
        ground_truth.iter().filter_map(Value::as_object).collect();
    if calls.len() != answers.len() {
        return Err(format!(
            "wrong_count: expected {} call(s), got {}",
            answers.len(),
            calls.len()
        ));
    }
    if category.contains("parallel") {
        return check_any_order(functions, calls, &answers);
    }
    let (Some(call), Some(answer)) = (calls.first(), answers.first()) else {
        return Ok(());
    };
    let doc = if category.contains("multiple") {
        doc_for(functions, answer)?
    } else {
        functions.first().ok_or("the case has no function doc")?
    };
    check_call(doc, call, answer)
}

/// `parallel_function_checker_no_order`: each possible answer, in order, takes the
/// first call not yet taken that matches it.
fn check_any_order(
    functions: &[Value],
    calls: &[Call],
    answers: &[&Map<String, Value>],
) -> Result<(), String> {
    let mut taken = vec![false; calls.len()];
    for (index, answer) in answers.iter().enumerate() {
        let doc = doc_for(functions, answer)?;
        let mut last_error = None;
        for (call_index, call) in calls.iter().enumerate() {
            if taken[call_index] {
                continue;
            }
            match check_call(doc, call, answer) {
                Ok(()) => {
                    taken[call_index] = true;
                    last_error = None;
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        if let Some(e) = last_error {
            return Err(format!(
                "cannot_find_match: no call matches expected call {}: {e}",
                index + 1
            ));
        }
    }
    Ok(())
}

/// `find_description`: the doc of the function a possible answer calls.
fn doc_for<'a>(functions: &'a [Value], answer: &Map<String, Value>) -> Result<&'a Value, String> {
    let name = answer.keys().next().map(String::as_str).unwrap_or_default();
    functions
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
        .ok_or_else(|| format!("no function doc named {name:?}"))
}
