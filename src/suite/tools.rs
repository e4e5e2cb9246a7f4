//! Tools offered to the model in tool-calling suites: how they are shown to it
//! (a system message) and the JSON schema that constrained decoding holds calls to.
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::message::Message;
use crate::checks::Check;

/// A function the model may call, in the OpenAI function format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// JSON schema of the arguments (an object schema).
    pub parameters: Value,
}

impl ToolSpec {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.contains(char::is_whitespace) {
            return Err(format!("tool name `{}` must be one word", self.name));
        }
        if self.parameters.get("type").and_then(Value::as_str) != Some("object") {
            return Err(format!(
                "tool `{}`: parameters must be a schema with type = \"object\"",
                self.name
            ));
        }
        Ok(())
    }
}

/// The instruction every model gets, whatever its template: templates differ in
/// how (and whether) they take tools, so the tools go in the system message.
const TOOL_INSTRUCTIONS: &str = "You can call these functions:\n\n{tools}\n\n\
To call a function, reply with only a JSON object of the form \
{\"name\": \"function_name\", \"arguments\": {\"arg\": \"value\"}}. \
To call several functions, reply with only a JSON array of such objects. \
If no function fits the request, reply in plain text without JSON.";

/// Puts the tool list into the system message (after the suite's own system text).
pub fn with_tool_prompt(mut messages: Vec<Message>, tools: &[ToolSpec]) -> Vec<Message> {
    if tools.is_empty() {
        return messages;
    }
    let listing = tools
        .iter()
        .map(|t| {
            serde_json::to_string(&json!({
                "name": t.name, "description": t.description, "parameters": t.parameters
            }))
            .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let instructions = TOOL_INSTRUCTIONS.replace("{tools}", &listing);
    match messages.first_mut() {
        Some(m) if m.role == "system" => {
            m.content = format!("{}\n\n{instructions}", m.content);
        }
        _ => messages.insert(
            0,
            Message {
                role: "system".into(),
                content: instructions,
            },
        ),
    }
    messages
}

/// The functions of a case's `bfcl` check, shown to the model as BFCL wrote them.
pub fn bfcl_tools(checks: &[Check]) -> Vec<ToolSpec> {
    let functions = checks.iter().find_map(|c| match c {
        Check::Bfcl { functions, .. } => functions.as_array(),
        _ => None,
    });
    functions
        .into_iter()
        .flatten()
        .map(|f| ToolSpec {
            name: f["name"].as_str().unwrap_or_default().to_string(),
            description: f["description"].as_str().unwrap_or_default().to_string(),
            parameters: f["parameters"].clone(),
        })
        .collect()
}

/// One call, or a list of calls, of the suite's tools (for grammar-constrained decoding).
pub fn call_schema(tools: &[ToolSpec]) -> Value {
    let one_call = json!({
        "anyOf": tools.iter().map(|t| json!({
            "type": "object",
            "properties": { "name": { "const": t.name }, "arguments": t.parameters },
            "required": ["name", "arguments"],
            "additionalProperties": false
        })).collect::<Vec<_>>()
    });
    json!({ "anyOf": [one_call, { "type": "array", "items": one_call, "minItems": 1 }] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer() -> ToolSpec {
        ToolSpec {
            name: "set_timer".into(),
            description: "Start a timer".into(),
            parameters: json!({"type": "object", "properties": {"minutes": {"type": "integer"}}, "required": ["minutes"]}),
        }
    }

    #[test]
    fn tools_join_an_existing_system_message() {
        let messages = vec![
            Message {
                role: "system".into(),
                content: "Be brief.".into(),
            },
            Message {
                role: "user".into(),
                content: "Timer 5 min".into(),
            },
        ];
        let out = with_tool_prompt(messages, &[timer()]);
        assert_eq!(out.len(), 2);
        assert!(out[0].content.starts_with("Be brief.\n\nYou can call"));
        assert!(out[0].content.contains("\"name\":\"set_timer\""));
    }

    #[test]
    fn call_schema_names_every_tool() {
        let schema = call_schema(&[timer()]);
        let text = schema.to_string();
        assert!(text.contains("\"const\":\"set_timer\"") && text.contains("minItems"));
    }

    #[test]
    fn a_tool_without_an_object_schema_is_refused() {
        let mut t = timer();
        t.parameters = json!({"type": "string"});
        assert!(t.validate().unwrap_err().contains("set_timer"));
    }
}
