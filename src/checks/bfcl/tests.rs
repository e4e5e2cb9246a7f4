//! bfcl-eval's rules, one per test, on hand-written answers (no model).
use serde_json::{json, Value};

use super::evaluate;

fn area_doc() -> Value {
    json!([{
        "name": "calc_area",
        "description": "Area of a shape",
        "parameters": {"type": "dict", "required": ["base", "height"], "properties": {
            "base": {"type": "integer"},
            "height": {"type": "float"},
            "unit": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "opts": {"type": "dict"},
            "exact": {"type": "boolean"}
        }}
    }])
}

fn area_truth() -> Value {
    json!([{"calc_area": {
        "base": [10], "height": [5.0], "unit": ["cm", ""],
        "tags": [["Red", "big"], ""], "opts": [{"mode": ["fast"]}, ""], "exact": ["", true]
    }}])
}

fn verdict(category: &str, docs: &Value, truth: &Value, answer: &str) -> (bool, String) {
    let (outcome, reason) = evaluate(category, docs, truth, answer);
    (outcome.args_ok, reason)
}

fn simple(answer: &str) -> (bool, String) {
    verdict("simple_python", &area_doc(), &area_truth(), answer)
}

fn call(args: Value) -> String {
    json!({"name": "calc_area", "arguments": args}).to_string()
}

#[test]
fn exact_answer_passes_and_optional_params_may_be_left_out() {
    let (pass, reason) = simple(&call(json!({"base": 10, "height": 5.0})));
    assert!(pass, "{reason}");
}

#[test]
fn an_int_stands_for_a_float_but_a_float_not_for_an_int() {
    assert!(simple(&call(json!({"base": 10, "height": 5}))).0);
    let (pass, reason) = simple(&call(json!({"base": 10.0, "height": 5.0})));
    assert!(!pass && reason.contains("type_error:simple"), "{reason}");
}

#[test]
fn wrong_type_fails_even_when_the_value_reads_the_same() {
    let (pass, reason) = simple(&call(json!({"base": "10", "height": 5.0})));
    assert!(
        !pass && reason.contains("type_error") && reason.contains("base"),
        "{reason}"
    );
    let (pass, reason) = simple(&call(json!({"base": 10, "height": 5.0, "exact": 1})));
    assert!(
        !pass && reason.contains("exact"),
        "a number is not a boolean: {reason}"
    );
}

#[test]
fn missing_required_and_non_optional_params_fail() {
    let (pass, reason) = simple(&call(json!({"base": 10})));
    assert!(!pass && reason.contains("missing_required"), "{reason}");
    let truth = json!([{"calc_area": {"base": [10], "height": [5.0], "unit": ["cm"]}}]);
    let (pass, reason) = verdict(
        "simple_python",
        &area_doc(),
        &truth,
        &call(json!({"base": 10, "height": 5.0})),
    );
    assert!(!pass && reason.contains("missing_optional"), "{reason}");
}

#[test]
fn an_extra_argument_fails() {
    let (pass, reason) = simple(&call(json!({"base": 10, "height": 5.0, "colour": "red"})));
    assert!(
        !pass && reason.contains("unexpected_param") && reason.contains("colour"),
        "{reason}"
    );
}

#[test]
fn strings_are_compared_standardised() {
    assert!(simple(&call(json!({"base": 10, "height": 5.0, "unit": " C.M "}))).0);
    let (pass, reason) = simple(&call(json!({"base": 10, "height": 5.0, "unit": "mm"})));
    assert!(!pass && reason.contains("value_error:string"), "{reason}");
}

#[test]
fn lists_keep_their_order_and_standardise_their_strings() {
    assert!(
        simple(&call(
            json!({"base": 10, "height": 5.0, "tags": ["red", "BIG"]})
        ))
        .0
    );
    let (pass, reason) = simple(&call(
        json!({"base": 10, "height": 5.0, "tags": ["big", "red"]}),
    ));
    assert!(!pass && reason.contains("value_error:list"), "{reason}");
}

#[test]
fn dicts_match_key_by_key() {
    assert!(
        simple(&call(
            json!({"base": 10, "height": 5.0, "opts": {"mode": "Fast"}})
        ))
        .0
    );
    let (pass, reason) = simple(&call(
        json!({"base": 10, "height": 5.0, "opts": {"mode": "slow"}}),
    ));
    assert!(!pass && reason.contains("value_error:dict"), "{reason}");
}

#[test]
fn a_wrong_function_name_fails() {
    let answer = json!({"name": "calc_volume", "arguments": {"base": 10, "height": 5.0}});
    let (pass, reason) = simple(&answer.to_string());
    assert!(!pass && reason.contains("wrong_func_name"), "{reason}");
}

fn play_docs() -> Value {
    json!([{"name": "play", "parameters": {"type": "dict", "required": ["artist"], "properties": {
        "artist": {"type": "string"}, "minutes": {"type": "integer"}}}}])
}

fn play_truth() -> Value {
    json!([{"play": {"artist": ["Taylor Swift"], "minutes": [20]}},
           {"play": {"artist": ["Maroon 5"], "minutes": [15]}}])
}

#[test]
fn parallel_calls_match_in_any_order_but_all_must_be_there() {
    let swapped = r#"[{"name": "play", "arguments": {"artist": "Maroon 5", "minutes": 15}},
                      {"name": "play", "arguments": {"artist": "taylor swift", "minutes": 20}}]"#;
    let (pass, reason) = verdict("parallel", &play_docs(), &play_truth(), swapped);
    assert!(pass, "{reason}");
    let one = r#"{"name": "play", "arguments": {"artist": "Maroon 5", "minutes": 15}}"#;
    let (pass, reason) = verdict("parallel", &play_docs(), &play_truth(), one);
    assert!(!pass && reason.contains("wrong_count"), "{reason}");
    let wrong = swapped.replace("15", "16");
    let (pass, reason) = verdict("live_parallel", &play_docs(), &play_truth(), &wrong);
    assert!(!pass && reason.contains("cannot_find_match"), "{reason}");
}

#[test]
fn multiple_finds_the_doc_of_the_expected_function() {
    let mut docs = area_doc();
    docs.as_array_mut()
        .unwrap()
        .extend(play_docs().as_array().unwrap().clone());
    let truth = json!([{"play": {"artist": ["Adele"], "minutes": ["", 5]}}]);
    let answer = r#"{"name": "play", "arguments": {"artist": "adele"}}"#;
    assert!(verdict("multiple", &docs, &truth, answer).0);
    let (pass, reason) = verdict(
        "live_multiple",
        &docs,
        &truth,
        &call(json!({"base": 1, "height": 1.0})),
    );
    assert!(!pass && reason.contains("wrong_func_name"), "{reason}");
}

#[test]
fn irrelevance_passes_without_a_call_and_relevance_needs_one() {
    let docs = play_docs();
    let none = json!([]);
    let answer = r#"{"name": "play", "arguments": {"artist": "x"}}"#;
    assert!(verdict("irrelevance", &docs, &none, "I cannot help with that.").0);
    assert!(
        verdict("live_irrelevance", &docs, &none, "[]").0,
        "an empty list is no call"
    );
    assert!(!verdict("irrelevance", &docs, &none, answer).0);
    assert!(verdict("live_relevance", &docs, &none, answer).0);
    assert!(!verdict("live_relevance", &docs, &none, "Sure!").0);
}

#[test]
fn text_that_is_no_call_fails_an_ast_case() {
    let (outcome, reason) = evaluate(
        "simple_python",
        &area_doc(),
        &area_truth(),
        "The area is 25.",
    );
    assert!(!outcome.parsed && !outcome.args_ok, "{reason}");
    assert!(reason.starts_with("ast_decoder:decoder_failed"), "{reason}");
}

#[test]
fn a_string_for_a_number_is_a_variable_when_the_answer_is_a_string() {
    // bfcl-eval's "variable" rule: the possible answer's type wins over the doc's.
    let truth = json!([{"calc_area": {"base": ["side_length"], "height": [5.0]}}]);
    let answer = call(json!({"base": "side_length", "height": 5.0}));
    assert!(verdict("simple_python", &area_doc(), &truth, &answer).0);
}
