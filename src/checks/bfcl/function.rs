//! bfcl-eval's `simple_function_checker` and `type_checker` (Python categories): one
//! call against one function doc and its possible answer.
use serde_json::{Map, Value};

use super::python::{has_empty_string, is_empty_string, py_in, py_type, PyType};
use super::values::{check_dict, check_list, check_list_of_dicts, check_string, listing};

/// One call the model made, as bfcl-eval decodes it: a name and its arguments.
pub struct Call<'a> {
    pub name: &'a str,
    pub arguments: &'a Map<String, Value>,
}

/// Checks one call; the error starts with bfcl-eval's error type.
/// `answer` is `{function_name: {param: [accepted values]}}`.
pub fn check_call(doc: &Value, call: &Call, answer: &Map<String, Value>) -> Result<(), String> {
    let empty = Map::new();
    let accepted = match answer.values().next() {
        Some(Value::Object(params)) => params,
        _ => &empty,
    };
    let name = doc.get("name").and_then(Value::as_str).unwrap_or_default();
    if call.name != name {
        return Err(format!(
            "simple_function_checker:wrong_func_name: expected {name}, got {}",
            call.name
        ));
    }
    let parameters = doc.get("parameters");
    let properties = parameters.and_then(|p| p.get("properties"));
    let required = parameters
        .and_then(|p| p.get("required"))
        .and_then(Value::as_array);
    for param in required.into_iter().flatten().filter_map(Value::as_str) {
        if !call.arguments.contains_key(param) {
            return Err(format!(
                "simple_function_checker:missing_required: {name}: missing {param:?}"
            ));
        }
    }
    for (param, value) in call.arguments {
        let detail = properties.and_then(|p| p.get(param));
        let (Some(detail), Some(options)) = (detail, accepted.get(param)) else {
            return Err(format!(
                "simple_function_checker:unexpected_param: {name}: unexpected {param:?}"
            ));
        };
        let options = options.as_array().map(Vec::as_slice).unwrap_or_default();
        check_param(param, value, detail, options).map_err(|e| format!("{name}: {e}"))?;
    }
    for (param, options) in accepted {
        let optional = options.as_array().is_some_and(|o| has_empty_string(o));
        if !call.arguments.contains_key(param) && !optional {
            return Err(format!(
                "simple_function_checker:missing_optional: {name}: {param:?} not given and not optional"
            ));
        }
    }
    Ok(())
}

/// One argument: its type as the doc says (or as the answer says, for a "variable"),
/// then its value with the string, list and dict rules.
fn check_param(
    param: &str,
    value: &Value,
    detail: &Value,
    options: &[Value],
) -> Result<(), String> {
    let doc_type = detail
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(expected) = PyType::from_doc(doc_type) else {
        return Err(format!("unknown_type: {param:?} has type {doc_type:?}"));
    };
    let nested = if matches!(doc_type, "array" | "tuple") {
        let item_type = detail
            .pointer("/items/type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match PyType::from_doc(item_type) {
            Some(t) => Some(t),
            None => {
                return Err(format!(
                    "unknown_type: {param:?} items have type {item_type:?}"
                ))
            }
        }
    } else {
        None
    };
    // Python lets an int stand for a float.
    let value = match (doc_type, value) {
        ("float", Value::Number(n)) if !n.is_f64() => n.as_f64().map_or(value.clone(), Value::from),
        _ => value.clone(),
    };
    let is_variable = check_type(param, &value, options, expected, nested)?;
    if !is_variable {
        match (expected, &value, nested) {
            (PyType::Dict, Value::Object(got), _) => return check_dict(param, got, options),
            (PyType::List, Value::Array(got), Some(PyType::Dict)) => {
                return check_list_of_dicts(param, got, options)
            }
            (PyType::Str, Value::String(got), _) => return check_string(param, got, options),
            (PyType::List, Value::Array(got), _) => return check_list(param, got, options),
            _ => {}
        }
    }
    if py_in(&value, options) {
        Ok(())
    } else {
        Err(format!(
            "value_error:others: {param:?} = {value} is none of {}",
            listing(options)
        ))
    }
}

/// `type_checker`: Ok(is_variable), where a "variable" is a value whose type is the
/// possible answer's rather than the doc's (bfcl-eval then compares it as is).
fn check_type(
    param: &str,
    value: &Value,
    options: &[Value],
    expected: PyType,
    nested: Option<PyType>,
) -> Result<bool, String> {
    let answer_type = options.iter().find(|o| !is_empty_string(o)).map(py_type);
    let is_variable = answer_type.is_some_and(|t| t != expected);
    let got = py_type(value);
    let mut nested_failed = false;
    if got == expected {
        let Some(inner) = nested else {
            return Ok(is_variable);
        };
        let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
        let fits = options.iter().any(|option| match option {
            Value::Array(option) => items
                .iter()
                .all(|item| check_type(param, item, option, inner, None).is_ok()),
            _ => true,
        });
        if fits {
            return Ok(is_variable);
        }
        nested_failed = true;
    }
    if answer_type == Some(got) && !nested_failed {
        return Ok(true);
    }
    if nested_failed {
        return Err(format!(
            "type_error:nested: {param:?} = {value}: items are not {}",
            nested.map_or("?", PyType::name)
        ));
    }
    Err(format!(
        "type_error:simple: {param:?} should be {}, got {} {value}",
        expected.name(),
        got.name()
    ))
}
