//! Tool calls: parsing them out of the model's text, and matching them against the
//! expected calls the way the Berkeley Function Calling Leaderboard's AST checker does.

use super::json::{kind, strip_code_fence};
use super::{quote, ToolOutcome};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One call a `tool_call` check expects.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Map<String, Value>,
    /// Accepted alternatives per argument, besides the value in `arguments` if any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allowed: BTreeMap<String, Vec<Value>>,
    /// Arguments the model may leave out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub optional: Vec<String>,
}

/// One call the model made.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Map<String, Value>,
}

pub(super) fn validate_expected(calls: &[ExpectedCall]) -> Result<(), String> {
    if calls.is_empty() {
        return Err("calls must not be empty (use no_tool_call for irrelevance)".to_string());
    }
    for (index, call) in calls.iter().enumerate() {
        let number = index + 1;
        if call.name.trim().is_empty() {
            return Err(format!("call {number}: name must not be empty"));
        }
        if let Some((arg, _)) = call.allowed.iter().find(|(_, values)| values.is_empty()) {
            return Err(format!(
                "call {number}: allowed.{arg} must list at least one value"
            ));
        }
        if call.optional.iter().any(|arg| arg.trim().is_empty()) {
            return Err(format!(
                "call {number}: optional argument names must not be empty"
            ));
        }
    }
    Ok(())
}

/// Reads tool calls from the answer: one object, an array, `{"tool_calls": [...]}`,
/// each call optionally wrapped as `{"function": {...}}`, `parameters` for `arguments`,
/// arguments as a JSON string; all optionally inside a ``` fence or `<tool_call>` tags.
pub fn parse_tool_calls(text: &str) -> Result<Vec<ToolCall>, String> {
    let blocks = match tagged_blocks(text) {
        Some(blocks) => blocks,
        None => vec![text],
    };
    let mut calls = Vec::new();
    for block in blocks {
        let value: Value =
            serde_json::from_str(strip_code_fence(block)).map_err(|error| error.to_string())?;
        collect_calls(value, &mut calls)?;
    }
    if calls.is_empty() {
        return Err("the list of tool calls is empty".to_string());
    }
    Ok(calls)
}

/// The contents of `<tool_call>...</tool_call>` tags (Hermes / Qwen style), if any.
/// Text around the tags is ignored; a last tag left open runs to the end.
fn tagged_blocks(text: &str) -> Option<Vec<&str>> {
    const OPEN: &str = "<tool_call>";
    const CLOSE: &str = "</tool_call>";
    let mut rest = text;
    let mut blocks = Vec::new();
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let end = after.find(CLOSE).unwrap_or(after.len());
        blocks.push(&after[..end]);
        rest = &after[(end + CLOSE.len()).min(after.len())..];
    }
    (!blocks.is_empty()).then_some(blocks)
}

fn collect_calls(value: Value, calls: &mut Vec<ToolCall>) -> Result<(), String> {
    match value {
        Value::Array(items) => {
            for item in items {
                let call = call_from(item, calls.len() + 1)?;
                calls.push(call);
            }
            Ok(())
        }
        Value::Object(mut object) if object.contains_key("tool_calls") => {
            match object.remove("tool_calls") {
                Some(list @ Value::Array(_)) => collect_calls(list, calls),
                _ => Err("\"tool_calls\" is not an array".to_string()),
            }
        }
        object @ Value::Object(_) => {
            let call = call_from(object, calls.len() + 1)?;
            calls.push(call);
            Ok(())
        }
        other => Err(format!(
            "expected a JSON object or array, got {}",
            kind_with_value(&other)
        )),
    }
}

fn call_from(value: Value, number: usize) -> Result<ToolCall, String> {
    let Value::Object(mut object) = value else {
        return Err(format!(
            "call {number}: expected an object, got {}",
            kind_with_value(&value)
        ));
    };
    // OpenAI's format nests the call: {"type": "function", "function": {...}}.
    if let Some(Value::Object(inner)) = object.remove("function") {
        object = inner;
    }
    let name = match object.remove("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name,
        _ => return Err(format!("call {number}: no \"name\" string")),
    };
    let arguments = object
        .remove("arguments")
        .or_else(|| object.remove("parameters"));
    let arguments = match arguments {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments,
        Some(Value::String(encoded)) if encoded.trim().is_empty() => Map::new(),
        Some(Value::String(encoded)) => match serde_json::from_str(&encoded) {
            Ok(Value::Object(arguments)) => arguments,
            Ok(other) => {
                return Err(format!(
                    "call {number}: arguments string holds {}, not an object",
                    kind_with_value(&other)
                ))
            }
            Err(error) => return Err(format!("call {number}: arguments string: {error}")),
        },
        Some(other) => {
            return Err(format!(
                "call {number}: arguments must be an object, got {}",
                kind_with_value(&other)
            ))
        }
    };
    Ok(ToolCall { name, arguments })
}

pub(super) fn evaluate(text: &str, expected: &[ExpectedCall]) -> (ToolOutcome, String) {
    match parse_tool_calls(text) {
        Ok(actual) => match_tool_calls(expected, &actual),
        Err(problem) => (
            ToolOutcome {
                parsed: false,
                names_ok: false,
                args_ok: false,
            },
            format!("no tool call parsed: {problem}"),
        ),
    }
}

/// Irrelevance: the right answer is plain text. `names_ok` and `args_ok` say whether the
/// model behaved correctly, so they are true exactly when nothing parsed as a call.
pub(super) fn evaluate_none(text: &str) -> (ToolOutcome, String) {
    let calls = parse_tool_calls(text);
    let parsed = calls.is_ok();
    let reason = match calls {
        Ok(calls) => format!("expected no tool call, got {}", names_of(&calls)),
        Err(_) => "no tool call, as expected".to_string(),
    };
    let outcome = ToolOutcome {
        parsed,
        names_ok: !parsed,
        args_ok: !parsed,
    };
    (outcome, reason)
}

fn names_of(calls: &[ToolCall]) -> String {
    let names: Vec<&str> = calls.iter().map(|call| call.name.as_str()).collect();
    names.join(", ")
}

/// Matches parsed calls against the expected ones, order-free: every expected call gets a
/// distinct actual call with the same name and matching arguments.
pub fn match_tool_calls(expected: &[ExpectedCall], actual: &[ToolCall]) -> (ToolOutcome, String) {
    let mut outcome = ToolOutcome {
        parsed: true,
        names_ok: false,
        args_ok: false,
    };
    let expected_names: Vec<&str> = expected.iter().map(|call| call.name.as_str()).collect();
    if expected.len() != actual.len() {
        let reason = format!(
            "expected {} call(s) ({}), got {} ({})",
            expected.len(),
            expected_names.join(", "),
            actual.len(),
            names_of(actual)
        );
        return (outcome, reason);
    }
    // args[e][a]: None when the names differ, else the argument comparison.
    let args: Vec<Vec<Option<Result<(), String>>>> = expected
        .iter()
        .map(|want| {
            actual
                .iter()
                .map(|got| (want.name == got.name).then(|| compare_arguments(want, got)))
                .collect()
        })
        .collect();
    let Some(assignment) = best_assignment(&args) else {
        let reason = if expected.len() == 1 {
            format!("expected {}, got {}", expected_names[0], actual[0].name)
        } else {
            format!(
                "expected calls {}; got {}",
                expected_names.join(", "),
                names_of(actual)
            )
        };
        return (outcome, reason);
    };
    outcome.names_ok = true;
    let first_error =
        assignment
            .iter()
            .enumerate()
            .find_map(|(want, &got)| match &args[want][got] {
                Some(Err(problem)) => Some(format!("call {}: {problem}", got + 1)),
                _ => None,
            });
    match first_error {
        Some(reason) => (outcome, reason),
        None => {
            outcome.args_ok = true;
            (outcome, format!("matched {}", expected_names.join(", ")))
        }
    }
}

/// The assignment (expected index -> actual index) whose names all match and which has
/// the most matching arguments; None when the names cannot be matched. Tries every
/// assignment, which is fine for the handful of parallel calls a case has.
fn best_assignment(args: &[Vec<Option<Result<(), String>>>]) -> Option<Vec<usize>> {
    fn search(
        args: &[Vec<Option<Result<(), String>>>],
        chosen: &mut Vec<usize>,
        score: usize,
        best: &mut Option<(usize, Vec<usize>)>,
    ) {
        let want = chosen.len();
        if want == args.len() {
            if best
                .as_ref()
                .is_none_or(|(best_score, _)| score > *best_score)
            {
                *best = Some((score, chosen.clone()));
            }
            return;
        }
        for (got, comparison) in args[want].iter().enumerate() {
            let Some(comparison) = comparison else {
                continue;
            };
            if chosen.contains(&got) {
                continue;
            }
            if best
                .as_ref()
                .is_some_and(|(best_score, _)| *best_score == args.len())
            {
                return;
            }
            chosen.push(got);
            search(args, chosen, score + usize::from(comparison.is_ok()), best);
            chosen.pop();
        }
    }
    let mut best = None;
    search(args, &mut Vec::new(), 0, &mut best);
    best.map(|(_, assignment)| assignment)
}

fn compare_arguments(want: &ExpectedCall, got: &ToolCall) -> Result<(), String> {
    let name = &want.name;
    let is_known = |arg: &str| {
        want.arguments.contains_key(arg)
            || want.allowed.contains_key(arg)
            || want.optional.iter().any(|optional| optional == arg)
    };
    if let Some(extra) = got.arguments.keys().find(|arg| !is_known(arg)) {
        return Err(format!("{name}: unexpected argument {extra:?}"));
    }
    let mut names: Vec<&String> = want.arguments.keys().collect();
    names.extend(
        want.allowed
            .keys()
            .filter(|arg| !want.arguments.contains_key(*arg)),
    );
    for arg in names {
        let accepted: Vec<&Value> = want
            .arguments
            .get(arg)
            .into_iter()
            .chain(want.allowed.get(arg).into_iter().flatten())
            .collect();
        let path = format!("{name}.{arg}");
        match got.arguments.get(arg) {
            None if want.optional.contains(arg) => {}
            None => return Err(format!("{name}: missing argument {arg:?}")),
            Some(value) => matches_any(&accepted, value, &path)?,
        }
    }
    Ok(())
}

fn matches_any(accepted: &[&Value], got: &Value, path: &str) -> Result<(), String> {
    let mut first_problem = None;
    for want in accepted {
        match values_match(want, got, path) {
            Ok(()) => return Ok(()),
            Err(problem) => {
                first_problem.get_or_insert(problem);
            }
        }
    }
    match (accepted.len(), first_problem) {
        (0, _) | (_, None) => Ok(()),
        (1, Some(problem)) => Err(problem),
        (_, Some(_)) => {
            let listed: Vec<String> = accepted.iter().map(|value| short(value)).collect();
            Err(format!(
                "{path}: got {}, expected one of {}",
                short(got),
                listed.join(", ")
            ))
        }
    }
}

/// BFCL equality: same JSON type (an integer equals a float of the same value), strings
/// trimmed and case-insensitive, lists in order, objects with the same keys.
fn values_match(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    let equal = match (want, got) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => a == b,
            _ => a.as_f64() == b.as_f64(),
        },
        (Value::String(a), Value::String(b)) => a.trim().to_lowercase() == b.trim().to_lowercase(),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) => true,
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Err(format!(
                    "{path}: expected {} items, got {}",
                    a.len(),
                    b.len()
                ));
            }
            for (index, (a, b)) in a.iter().zip(b).enumerate() {
                values_match(a, b, &format!("{path}[{index}]"))?;
            }
            true
        }
        (Value::Object(a), Value::Object(b)) => {
            if let Some(key) = a.keys().find(|key| !b.contains_key(*key)) {
                return Err(format!("{path}: missing key {key:?}"));
            }
            if let Some(key) = b.keys().find(|key| !a.contains_key(*key)) {
                return Err(format!("{path}: unexpected key {key:?}"));
            }
            for (key, a) in a {
                values_match(a, &b[key], &format!("{path}.{key}"))?;
            }
            true
        }
        _ => {
            return Err(format!(
                "{path}: expected {}, got {}",
                article(kind(want)),
                kind_with_value(got)
            ))
        }
    };
    if equal {
        Ok(())
    } else {
        Err(format!(
            "{path}: expected {}, got {}",
            short(want),
            short(got)
        ))
    }
}

fn article(kind: &str) -> String {
    match kind {
        "null" => "null".to_string(),
        "array" | "object" => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

/// `a string "5"`, `a number 5`: the type and the value, for type mismatches.
fn kind_with_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        other => format!("{} {}", article(kind(other)), short(other)),
    }
}

/// A JSON value on one short line.
fn short(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text, 40),
        other => {
            let compact = other.to_string();
            if compact.chars().count() > 40 {
                compact.chars().take(40).chain(['…']).collect()
            } else {
                compact
            }
        }
    }
}

#[cfg(test)]
#[path = "tool_call_tests.rs"]
mod tests;
