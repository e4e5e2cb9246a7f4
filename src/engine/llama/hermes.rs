//! Tool calls in the Hermes / Qwen format a chat template asks for:
//! `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, one tag per
//! call; without tags, the same objects alone in the answer, bare or in a
//! ```json fence (as llama.cpp's Hermes parser also reads them: small Qwen
//! models often drop the tags). Read from an in-process native answer and
//! written as the served path writes an API's `tool_calls`: a JSON array of
//! `{"name", "arguments"}`.
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use crate::checks::reasoning::strip_reasoning;

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// The answer with its calls as the checks read them, or None when it makes
/// no call (its text is then the answer). A reasoning block before the calls
/// is kept in front of them (scoring strips it); calls inside an unclosed
/// block are no answer and are left as text.
pub(super) fn calls_text(text: &str) -> Option<String> {
    let answer = strip_reasoning(text).ok()?;
    let reasoning = &text[..text.len() - answer.len()];
    let calls: Vec<Value> = match tagged_blocks(answer) {
        Some(blocks) => blocks.into_iter().map(call).collect(),
        None => untagged_calls(answer)?,
    };
    Some(format!("{reasoning}{}", Value::Array(calls)))
}

/// An answer that is nothing but call objects (one or several after one
/// another, optionally in a ``` fence); anything else in it: no call.
fn untagged_calls(answer: &str) -> Option<Vec<Value>> {
    let mut body = answer.trim();
    if let Some(fenced) = body.strip_prefix("```") {
        let after_tag = fenced.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        body = after_tag.strip_suffix("```").unwrap_or(after_tag).trim();
    }
    let objects = serde_json::Deserializer::from_str(body).into_iter::<Map<String, Value>>();
    let objects: Vec<Map<String, Value>> = objects.collect::<Result<_, _>>().ok()?;
    let named = |o: &Map<String, Value>| o.get("name").is_some_and(Value::is_string);
    if objects.is_empty() || !objects.iter().all(named) {
        return None;
    }
    Some(objects.into_iter().map(call_from_object).collect())
}

/// The contents of the tags; a last tag left open (the answer ran into
/// `max_tokens`) runs to the end.
fn tagged_blocks(text: &str) -> Option<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let end = after.find(CLOSE).unwrap_or(after.len());
        blocks.push(after[..end].trim());
        rest = &after[(end + CLOSE.len()).min(after.len())..];
    }
    (!blocks.is_empty()).then_some(blocks)
}

/// One call. A body that is not a JSON object with a name is kept whole as
/// the arguments string (with the name it seems to give), so the check says
/// the arguments do not parse; arguments given as a JSON string are read as
/// the served path reads them.
fn call(body: &str) -> Value {
    let parsed: Option<Map<String, Value>> = serde_json::from_str(body).ok();
    match parsed.filter(|o| o.get("name").is_some_and(Value::is_string)) {
        Some(object) => call_from_object(object),
        None => json!({"name": name_in(body), "arguments": body}),
    }
}

/// A call object as the served path writes it.
fn call_from_object(mut object: Map<String, Value>) -> Value {
    let name = object.remove("name").unwrap_or_default();
    // Llama 3.x-style `parameters` is the same thing.
    let arguments = match object
        .remove("arguments")
        .or_else(|| object.remove("parameters"))
    {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(text)) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Some(arguments) => arguments,
    };
    json!({"name": name, "arguments": arguments})
}

/// The `"name": "..."` of a body that is not JSON, if it has one.
fn name_in(body: &str) -> String {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""name"\s*:\s*"([^"]*)""#).expect("a valid pattern"));
    NAME.captures(body)
        .map_or_else(String::new, |c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Value {
        serde_json::from_str(&calls_text(text).expect("calls")).unwrap()
    }

    #[test]
    fn one_call_as_qwen_writes_it() {
        let text =
            "<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"minutes\": 5}}\n</tool_call>";
        assert_eq!(
            parsed(text),
            json!([{"name": "set_timer", "arguments": {"minutes": 5}}])
        );
    }

    #[test]
    fn two_calls_in_order_and_the_text_around_them_dropped() {
        let text = "Sure.\n<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"minutes\": 5}}\n</tool_call>\n\
                    <tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Zürich\\\"}\"}\n</tool_call>";
        assert_eq!(
            parsed(text),
            json!([
                {"name": "set_timer", "arguments": {"minutes": 5}},
                {"name": "get_weather", "arguments": {"city": "Zürich"}}
            ])
        );
    }

    #[test]
    fn a_call_that_is_not_json_stays_a_string_so_the_check_fails() {
        let text =
            "<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"minutes\": 5}\n</tool_call>";
        let calls = parsed(text);
        assert_eq!(calls[0]["name"], "set_timer");
        assert_eq!(
            calls[0]["arguments"],
            "{\"name\": \"set_timer\", \"arguments\": {\"minutes\": 5}"
        );
        let outcome = crate::checks::parse_tool_calls(&calls.to_string());
        assert!(outcome.is_err(), "{outcome:?}");
    }

    #[test]
    fn a_last_tag_left_open_runs_to_the_end() {
        let text = "<tool_call>\n{\"name\": \"f\", \"parameters\": {\"a\": 1}}";
        assert_eq!(parsed(text), json!([{"name": "f", "arguments": {"a": 1}}]));
    }

    #[test]
    fn text_without_calls_is_no_call() {
        assert_eq!(calls_text("No tool fits: it is sunny."), None);
        assert_eq!(calls_text("{\"city\": \"Paris\"}"), None, "no name");
        assert_eq!(
            calls_text("{\"name\": \"f\", \"arguments\": {}} and some words"),
            None
        );
        assert_eq!(calls_text(""), None);
    }

    #[test]
    fn calls_without_tags_bare_or_fenced_are_read_as_llama_cpp_reads_them() {
        let fenced = "```json\n{\"name\": \"set_timer\", \"arguments\": {\"minutes\": 5}}\n```";
        assert_eq!(
            parsed(fenced),
            json!([{"name": "set_timer", "arguments": {"minutes": 5}}])
        );
        let two =
            "{\"name\": \"a\", \"arguments\": {}}\n{\"name\": \"b\", \"arguments\": {\"x\": 1}}";
        assert_eq!(
            parsed(two),
            json!([{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"x": 1}}])
        );
    }

    #[test]
    fn reasoning_stays_in_front_and_calls_inside_an_open_block_are_text() {
        let text = "<think>Use <tool_call> tags.</think>\n<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
        assert_eq!(
            calls_text(text).unwrap(),
            "<think>Use <tool_call> tags.</think>\n[{\"arguments\":{},\"name\":\"f\"}]"
        );
        assert_eq!(
            calls_text("<think>maybe <tool_call>{\"name\": \"f\"}"),
            None
        );
    }
}
