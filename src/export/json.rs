//! JSON: data as it is, pretty-printed with a final newline (a CI script reads it).
use serde::Serialize;

/// Non-finite numbers come out as null (serde_json's rule for f64).
pub fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}
