use super::super::{AnswerUnderCheck, Check, CheckVerdict};
use super::*;
use serde_json::json;

fn expected(name: &str, arguments: Value) -> ExpectedCall {
    ExpectedCall {
        name: name.into(),
        arguments: arguments.as_object().cloned().unwrap_or_default(),
        allowed: BTreeMap::new(),
        optional: Vec::new(),
    }
}

fn run(calls: Vec<ExpectedCall>, text: &str) -> CheckVerdict {
    Check::ToolCall { calls }.evaluate(&AnswerUnderCheck::text(text))
}

fn outcome(parsed: bool, names_ok: bool, args_ok: bool) -> Option<ToolOutcome> {
    Some(ToolOutcome {
        parsed,
        names_ok,
        args_ok,
    })
}

#[test]
fn parses_a_single_object() {
    let calls =
        parse_tool_calls(r#" {"name": "get_weather", "arguments": {"city": "Paris"}} "#).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments["city"], json!("Paris"));
}

#[test]
fn parses_every_documented_variant() {
    let variants = [
        r#"[{"name": "f", "arguments": {"a": 1}}]"#,
        r#"{"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}"#,
        r#"{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}"#,
        r#"{"tool_calls": [{"id": "x", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}"#,
        r#"{"name": "f", "parameters": {"a": 1}}"#,
        r#"{"name": "f", "arguments": "{\"a\": 1}"}"#,
        "```json\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n```",
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>",
        "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}}",
    ];
    for text in variants {
        let calls = parse_tool_calls(text).unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(
            calls,
            vec![ToolCall {
                name: "f".into(),
                arguments: json!({"a": 1}).as_object().cloned().unwrap()
            }],
            "{text}"
        );
    }
}

#[test]
fn several_tags_are_several_calls() {
    let text = "<tool_call>{\"name\": \"a\"}</tool_call>\n<tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>";
    let calls = parse_tool_calls(text).unwrap();
    let names: Vec<&str> = calls.iter().map(|call| call.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(calls[0].arguments.is_empty());
}

#[test]
fn parse_errors_say_what_is_wrong() {
    assert_eq!(
        parse_tool_calls("It is sunny in Paris.").unwrap_err(),
        "expected value at line 1 column 1"
    );
    assert_eq!(
        parse_tool_calls("[]").unwrap_err(),
        "the list of tool calls is empty"
    );
    assert_eq!(
        parse_tool_calls(r#"{"arguments": {}}"#).unwrap_err(),
        "call 1: no \"name\" string"
    );
    assert_eq!(
        parse_tool_calls(r#"{"name": "f", "arguments": [1]}"#).unwrap_err(),
        "call 1: arguments must be an object, got an array [1]"
    );
    assert_eq!(
        parse_tool_calls("42").unwrap_err(),
        "expected a JSON object or array, got a number 42"
    );
}

#[test]
fn matching_call_passes() {
    let verdict = run(
        vec![expected("get_weather", json!({"city": "Paris"}))],
        r#"{"name": "get_weather", "arguments": {"city": " paris "}}"#,
    );
    assert!(verdict.pass, "{}", verdict.reason);
    assert_eq!(verdict.check, "tool_call");
    assert_eq!(verdict.tool, outcome(true, true, true));
    assert_eq!(verdict.reason, "matched get_weather");
}

#[test]
fn unparsed_answer_fails() {
    let verdict = run(vec![expected("get_weather", json!({}))], "Sorry, I can't.");
    assert!(!verdict.pass);
    assert_eq!(verdict.tool, outcome(false, false, false));
    assert_eq!(
        verdict.reason,
        "no tool call parsed: expected value at line 1 column 1"
    );
}

#[test]
fn wrong_name_fails() {
    let verdict = run(
        vec![expected("get_weather", json!({"city": "Paris"}))],
        r#"{"name": "get_time", "arguments": {"city": "Paris"}}"#,
    );
    assert!(!verdict.pass);
    assert_eq!(verdict.tool, outcome(true, false, false));
    assert_eq!(verdict.reason, "expected get_weather, got get_time");
}

#[test]
fn wrong_count_fails() {
    let verdict = run(
        vec![expected("a", json!({})), expected("b", json!({}))],
        r#"{"name": "a"}"#,
    );
    assert_eq!(verdict.tool, outcome(true, false, false));
    assert_eq!(verdict.reason, "expected 2 call(s) (a, b), got 1 (a)");
}

#[test]
fn type_mismatch_fails() {
    let verdict = run(
        vec![expected("set_timer", json!({"minutes": 5}))],
        r#"{"name": "set_timer", "arguments": {"minutes": "5"}}"#,
    );
    assert!(!verdict.pass);
    assert_eq!(verdict.tool, outcome(true, true, false));
    assert_eq!(
        verdict.reason,
        r#"call 1: set_timer.minutes: expected a number, got a string "5""#
    );
}

#[test]
fn integer_matches_equal_float() {
    let calls = vec![expected("set_timer", json!({"minutes": 5}))];
    assert!(
        run(
            calls.clone(),
            r#"{"name": "set_timer", "arguments": {"minutes": 5.0}}"#
        )
        .pass
    );
    let verdict = run(
        calls,
        r#"{"name": "set_timer", "arguments": {"minutes": 6}}"#,
    );
    assert_eq!(
        verdict.reason,
        "call 1: set_timer.minutes: expected 5, got 6"
    );
}

#[test]
fn wrong_value_fails() {
    let verdict = run(
        vec![expected("get_weather", json!({"city": "Paris"}))],
        r#"{"name": "get_weather", "arguments": {"city": "London"}}"#,
    );
    assert_eq!(
        verdict.reason,
        r#"call 1: get_weather.city: expected "Paris", got "London""#
    );
}

#[test]
fn nested_values_compare_in_depth() {
    let calls = vec![expected("f", json!({"list": [1, "a"], "obj": {"k": true}}))];
    assert!(
        run(
            calls.clone(),
            r#"{"name": "f", "arguments": {"list": [1.0, "A"], "obj": {"k": true}}}"#
        )
        .pass
    );
    let verdict = run(
        calls,
        r#"{"name": "f", "arguments": {"list": [1, "b"], "obj": {"k": true}}}"#,
    );
    assert_eq!(
        verdict.reason,
        r#"call 1: f.list[1]: expected "a", got "b""#
    );
}

#[test]
fn allowed_alternatives() {
    let mut call = expected("get_weather", json!({"city": "New York"}));
    call.allowed
        .insert("city".into(), vec![json!("NYC"), json!("New York City")]);
    assert!(
        run(
            vec![call.clone()],
            r#"{"name": "get_weather", "arguments": {"city": "nyc"}}"#
        )
        .pass
    );
    assert!(
        run(
            vec![call.clone()],
            r#"{"name": "get_weather", "arguments": {"city": "New York"}}"#
        )
        .pass
    );
    let verdict = run(
        vec![call],
        r#"{"name": "get_weather", "arguments": {"city": "Boston"}}"#,
    );
    assert_eq!(
        verdict.reason,
        r#"call 1: get_weather.city: got "Boston", expected one of "New York", "NYC", "New York City""#
    );
}

#[test]
fn allowed_without_default_value_is_still_required() {
    let mut call = expected("get_weather", json!({}));
    call.allowed
        .insert("unit".into(), vec![json!("celsius"), json!("c")]);
    let verdict = run(
        vec![call.clone()],
        r#"{"name": "get_weather", "arguments": {}}"#,
    );
    assert_eq!(
        verdict.reason,
        r#"call 1: get_weather: missing argument "unit""#
    );
    call.optional.push("unit".into());
    assert!(
        run(
            vec![call.clone()],
            r#"{"name": "get_weather", "arguments": {}}"#
        )
        .pass
    );
    assert!(
        !run(
            vec![call],
            r#"{"name": "get_weather", "arguments": {"unit": "kelvin"}}"#
        )
        .pass
    );
}

#[test]
fn optional_arguments_may_be_left_out_or_sent() {
    let mut call = expected("get_weather", json!({"city": "Paris"}));
    call.optional.push("unit".into());
    assert!(
        run(
            vec![call.clone()],
            r#"{"name": "get_weather", "arguments": {"city": "Paris"}}"#
        )
        .pass
    );
    assert!(
        run(
            vec![call],
            r#"{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}"#
        )
        .pass
    );
}

#[test]
fn missing_required_argument_fails() {
    let verdict = run(
        vec![expected("get_weather", json!({"city": "Paris"}))],
        r#"{"name": "get_weather", "arguments": {}}"#,
    );
    assert_eq!(
        verdict.reason,
        r#"call 1: get_weather: missing argument "city""#
    );
}

#[test]
fn extra_argument_fails() {
    let verdict = run(
        vec![expected("get_weather", json!({"city": "Paris"}))],
        r#"{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}"#,
    );
    assert!(!verdict.pass);
    assert_eq!(verdict.tool, outcome(true, true, false));
    assert_eq!(
        verdict.reason,
        r#"call 1: get_weather: unexpected argument "days""#
    );
}

#[test]
fn parallel_calls_match_in_any_order() {
    let calls = vec![
        expected("get_weather", json!({"city": "Paris"})),
        expected("get_weather", json!({"city": "Rome"})),
        expected("set_timer", json!({"minutes": 5})),
    ];
    let text = r#"[
        {"name": "set_timer", "arguments": {"minutes": 5}},
        {"name": "get_weather", "arguments": {"city": "Rome"}},
        {"name": "get_weather", "arguments": {"city": "Paris"}}
    ]"#;
    let verdict = run(calls.clone(), text);
    assert!(verdict.pass, "{}", verdict.reason);
    assert_eq!(verdict.tool, outcome(true, true, true));

    let wrong_city = text.replace("Rome", "Milan");
    let verdict = run(calls.clone(), &wrong_city);
    assert_eq!(verdict.tool, outcome(true, true, false));
    assert_eq!(
        verdict.reason,
        r#"call 2: get_weather.city: expected "Rome", got "Milan""#
    );

    let wrong_name = text.replace("set_timer", "set_alarm");
    let verdict = run(calls, &wrong_name);
    assert_eq!(verdict.tool, outcome(true, false, false));
    assert_eq!(
        verdict.reason,
        "expected calls get_weather, get_weather, set_timer; got set_alarm, get_weather, get_weather"
    );
}

#[test]
fn no_tool_call_for_irrelevance() {
    let check = Check::NoToolCall;
    let verdict = check.evaluate(&AnswerUnderCheck::text("I can't book flights, sorry."));
    assert!(verdict.pass);
    assert_eq!(verdict.tool, outcome(false, true, true));
    let verdict = check.evaluate(&AnswerUnderCheck::text(
        r#"{"name": "get_weather", "arguments": {}}"#,
    ));
    assert!(!verdict.pass);
    assert_eq!(verdict.tool, outcome(true, false, false));
    assert_eq!(verdict.reason, "expected no tool call, got get_weather");
}

#[test]
fn validation_of_expected_calls() {
    assert!(Check::ToolCall { calls: vec![] }.validate().is_err());
    assert!(Check::ToolCall {
        calls: vec![expected(" ", json!({}))]
    }
    .validate()
    .is_err());
    let mut call = expected("f", json!({}));
    call.allowed.insert("a".into(), vec![]);
    assert_eq!(
        Check::ToolCall { calls: vec![call] }
            .validate()
            .unwrap_err(),
        "call 1: allowed.a must list at least one value"
    );
}
