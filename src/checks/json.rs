//! JSON checks: the answer is JSON, optionally valid against a JSON Schema.

use serde_json::Value;

/// The answer trimmed, without a surrounding Markdown code fence (```json ... ```),
/// which chat models add even when told to reply with JSON only.
pub fn strip_code_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(after_open) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let Some(body) = after_open.strip_suffix("```") else {
        return trimmed;
    };
    // The opening line may carry a language tag (`json`); the body starts after it.
    match body.split_once('\n') {
        Some((tag, rest)) if !tag.trim_start().starts_with(['{', '[']) => rest.trim(),
        _ => body.trim(),
    }
}

pub(super) fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str(strip_code_fence(text)).map_err(|error| error.to_string())
}

/// A JSON value's type name, for reasons.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn is_json(text: &str) -> (bool, String) {
    match parse(text) {
        Ok(value) => (true, format!("valid JSON ({})", kind(&value))),
        Err(problem) => (false, format!("not valid JSON: {problem}")),
    }
}

pub(super) fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::validator_for(schema).map_err(|error| format!("bad JSON Schema: {error}"))
}

pub(super) fn matches_schema(text: &str, schema: &Value) -> (bool, String) {
    let validator = match compile_schema(schema) {
        Ok(validator) => validator,
        Err(problem) => return (false, format!("invalid check: {problem}")),
    };
    let value = match parse(text) {
        Ok(value) => value,
        Err(problem) => return (false, format!("not valid JSON: {problem}")),
    };
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|error| {
            let path = error.instance_path().to_string();
            let at = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            format!("at {at}: {error}")
        })
        .collect();
    match errors.split_first() {
        None => (true, "valid against the schema".to_string()),
        Some((first, [])) => (false, first.clone()),
        Some((first, rest)) => (false, format!("{first} (and {} more errors)", rest.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AnswerUnderCheck, Check};
    use super::*;
    use serde_json::json;

    fn run(check: Check, text: &str) -> (bool, String) {
        let verdict = check.evaluate(&AnswerUnderCheck::text(text));
        (verdict.pass, verdict.reason)
    }

    #[test]
    fn fences_are_removed() {
        assert_eq!(strip_code_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_code_fence("  ```\n[1]\n```  "), "[1]");
        assert_eq!(strip_code_fence("```{\"a\": 1}```"), "{\"a\": 1}");
        assert_eq!(strip_code_fence("{\"a\": 1}"), "{\"a\": 1}");
        assert_eq!(strip_code_fence("```json\n{}"), "```json\n{}");
    }

    #[test]
    fn json_check() {
        assert_eq!(
            run(Check::Json, " {\"a\": [1, 2]} "),
            (true, "valid JSON (object)".into())
        );
        assert!(run(Check::Json, "```json\n[1, 2]\n```").0);
        assert_eq!(
            run(Check::Json, "Sure! {\"a\": 1}"),
            (
                false,
                "not valid JSON: expected value at line 1 column 1".into()
            )
        );
    }

    fn person_schema() -> Check {
        Check::JsonSchema {
            schema: json!({
                "type": "object",
                "required": ["name", "age"],
                "properties": { "name": { "type": "string" }, "age": { "type": "integer" } },
                "additionalProperties": false
            }),
        }
    }

    #[test]
    fn schema_passes_and_fails() {
        let check = person_schema();
        check.validate().unwrap();
        assert_eq!(
            run(check.clone(), r#"{"name": "Ada", "age": 36}"#),
            (true, "valid against the schema".into())
        );
        let (pass, reason) = run(check.clone(), r#"{"name": "Ada", "age": "36"}"#);
        assert!(!pass);
        assert!(reason.starts_with("at /age: "), "{reason}");
        assert!(reason.contains("integer"), "{reason}");
        let (pass, reason) = run(check.clone(), r#"{"age": 1.5, "x": 1}"#);
        assert!(!pass);
        assert!(reason.contains("more errors"), "{reason}");
        let (pass, reason) = run(check, "not json");
        assert!(!pass);
        assert!(reason.starts_with("not valid JSON: "), "{reason}");
    }

    #[test]
    fn bad_schema_fails_validation() {
        let bad = Check::JsonSchema {
            schema: json!({ "type": "strin" }),
        };
        let problem = bad.validate().unwrap_err();
        assert!(problem.starts_with("bad JSON Schema: "), "{problem}");
        let bad_pattern = Check::JsonSchema {
            schema: json!({ "pattern": "(" }),
        };
        assert!(bad_pattern.validate().is_err());
    }
}
