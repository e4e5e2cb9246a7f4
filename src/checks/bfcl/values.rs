//! bfcl-eval's value checkers for strings, lists, dicts and lists of dicts, written
//! after `ast_checker.py` line by line (including what it does with odd answers).
use serde_json::{Map, Value};

use super::python::{
    has_empty_string, is_empty_string, items_of, py_in, standardize, standardize_if_string,
};

/// `string_checker`: the standardised string is one of the standardised string answers.
pub fn check_string(param: &str, got: &str, accepted: &[Value]) -> Result<(), String> {
    let wanted: Vec<Value> = accepted
        .iter()
        .filter_map(Value::as_str)
        .map(|s| Value::String(standardize(s)))
        .collect();
    if py_in(&Value::String(standardize(got)), &wanted) {
        Ok(())
    } else {
        Err(format!(
            "value_error:string: {param:?} = {got:?} is none of {}",
            listing(accepted)
        ))
    }
}

/// `list_checker`: the list (strings standardised) equals one accepted list, in order.
pub fn check_list(param: &str, got: &[Value], accepted: &[Value]) -> Result<(), String> {
    let got_std = Value::Array(got.iter().map(standardize_if_string).collect());
    let wanted: Vec<Value> = accepted
        .iter()
        .filter_map(items_of)
        .map(|items| Value::Array(items.iter().map(standardize_if_string).collect()))
        .collect();
    if py_in(&got_std, &wanted) {
        Ok(())
    } else {
        Err(format!(
            "value_error:list/tuple: {param:?} = {} is none of {}",
            Value::Array(got.to_vec()),
            listing(accepted)
        ))
    }
}

/// `dict_checker`: some accepted dict has every key the model gave, with a matching
/// value, and the model gave every key of it that is not optional.
pub fn check_dict(param: &str, got: &Map<String, Value>, accepted: &[Value]) -> Result<(), String> {
    let fits = accepted
        .iter()
        .filter(|answer| !is_empty_string(answer))
        .any(|answer| dict_fits(got, answer));
    if fits {
        Ok(())
    } else {
        Err(format!(
            "value_error:dict: {param:?} = {} is none of {}",
            Value::Object(got.clone()),
            listing(accepted)
        ))
    }
}

fn dict_fits(got: &Map<String, Value>, answer: &Value) -> bool {
    // A possible answer that is not a dict makes bfcl-eval raise; it matches nothing here.
    let Value::Object(answer) = answer else {
        return false;
    };
    let values_fit = got.iter().all(|(key, value)| {
        let Some(options) = answer.get(key).and_then(items_of) else {
            return false;
        };
        let options: Vec<Value> = options.iter().map(standardize_if_string).collect();
        py_in(&standardize_if_string(value), &options)
    });
    let keys_given = answer.iter().all(|(key, options)| {
        got.contains_key(key) || items_of(options).is_some_and(|o| has_empty_string(&o))
    });
    values_fit && keys_given
}

/// `list_dict_checker`: as many dicts as one accepted list, each fitting its
/// counterpart in order.
pub fn check_list_of_dicts(param: &str, got: &[Value], accepted: &[Value]) -> Result<(), String> {
    let fits = accepted.iter().any(|answer| {
        let Some(answer) = items_of(answer) else {
            return false;
        };
        answer.len() == got.len()
            && got.iter().zip(&answer).all(|(item, want)| match item {
                Value::Object(item) => !is_empty_string(want) && dict_fits(item, want),
                _ => false,
            })
    });
    if fits {
        Ok(())
    } else {
        Err(format!(
            "value_error:list_dict: {param:?} = {} is none of {}",
            Value::Array(got.to_vec()),
            listing(accepted)
        ))
    }
}

/// The accepted values on one line, for reasons.
pub fn listing(accepted: &[Value]) -> String {
    let text = Value::Array(accepted.to_vec()).to_string();
    if text.chars().count() > 80 {
        text.chars().take(80).chain(['…']).collect()
    } else {
        text
    }
}
