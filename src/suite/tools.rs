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

/// The tools in the OpenAI form (`[{type: "function", function: {name,
/// description, parameters}}]`): an API's `tools` field, and the `tools` a
/// model's own Jinja chat template is rendered with.
pub fn openai_tools(tools: &[ToolSpec]) -> Value {
    let tools: Vec<Value> = tools
        .iter()
        .map(|t| {
            json!({"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": t.parameters,
            }})
        })
        .collect();
    Value::Array(tools)
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

/// The functions of a case's `bfcl` check as bfcl-eval sends them through an
/// API's `tools` field (its `convert_to_tool` with `GORILLA_TO_OPENAPI`): dots
/// in names become underscores (an OpenAI function name allows none) and
/// Gorilla's Python types (`dict`, `float`, `tuple`, `any`...) JSON Schema's,
/// floats marked as bfcl-eval marks them. Sent as written, llama-server refuses
/// the request ("JSON schema error at #: unrecognized type dict").
pub fn bfcl_native_tools(checks: &[Check]) -> Vec<ToolSpec> {
    bfcl_tools(checks)
        .into_iter()
        .map(|mut tool| {
            tool.name = tool.name.replace('.', "_");
            if let Some(parameters) = tool.parameters.as_object_mut() {
                parameters.insert("type".into(), json!("object"));
                if let Some(properties) = parameters.get_mut("properties") {
                    cast_properties(properties);
                }
            }
            tool
        })
        .collect()
}

/// bfcl-eval's `GORILLA_TO_OPENAPI`; what it does not list becomes a string.
fn openapi_type(gorilla: &str) -> &'static str {
    match gorilla {
        "integer" | "byte" | "short" | "long" | "Bigint" => "integer",
        "number" | "float" | "double" => "number",
        "boolean" | "bool" => "boolean",
        "array" | "list" | "tuple" | "ArrayList" | "Array" | "Queue" | "Stack" => "array",
        "dict" | "object" | "HashMap" | "Hashtable" => "object",
        _ => "string",
    }
}

/// bfcl-eval's `_cast_to_openai_type`: each property's type, and the types of
/// nested properties and list items.
fn cast_properties(properties: &mut Value) {
    let Some(properties) = properties.as_object_mut() else {
        return;
    };
    for property in properties.values_mut().filter_map(Value::as_object_mut) {
        let gorilla = property
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if gorilla.as_deref() == Some("float") {
            property.insert("format".into(), json!("float"));
            let said = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let described = format!("{said} This is a float type value.");
            property.insert("description".into(), json!(described));
        }
        let openapi = gorilla.as_deref().map_or("string", openapi_type);
        property.insert("type".into(), json!(openapi));
        if openapi == "array" || openapi == "object" {
            if let Some(nested) = property.get_mut("properties") {
                cast_properties(nested);
            } else if let Some(items) = property.get_mut("items") {
                cast_items(items);
            }
        }
    }
}

fn cast_items(items: &mut Value) {
    let Some(items) = items.as_object_mut() else {
        return;
    };
    let openapi = items
        .get("type")
        .and_then(Value::as_str)
        .map_or("string", openapi_type);
    items.insert("type".into(), json!(openapi));
    if openapi == "array" {
        if let Some(inner) = items.get_mut("items") {
            cast_items(inner);
        }
    } else if let Some(nested) = items.get_mut("properties") {
        cast_properties(nested);
    }
}

/// A native answer's calls with bfcl-eval's underscored names read back as the
/// dotted names of the case's functions (its checker's `underscore_to_dot`);
/// anything else is returned as it is.
pub fn dotted_bfcl_names(text: &str, checks: &[Check]) -> Option<String> {
    let dotted: Vec<String> = bfcl_tools(checks)
        .into_iter()
        .map(|t| t.name)
        .filter(|n| n.contains('.'))
        .collect();
    if dotted.is_empty() {
        return None;
    }
    let mut calls: Value = serde_json::from_str(text).ok()?;
    for call in calls
        .as_array_mut()?
        .iter_mut()
        .filter_map(Value::as_object_mut)
    {
        let called = call.get("name").and_then(Value::as_str).unwrap_or_default();
        if let Some(name) = dotted.iter().find(|n| n.replace('.', "_") == called) {
            call.insert("name".into(), json!(name));
        }
    }
    Some(calls.to_string())
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

    fn bfcl_check(functions: Value) -> Check {
        Check::Bfcl {
            category: "simple_python".into(),
            functions,
            ground_truth: json!([]),
        }
    }

    #[test]
    fn bfcl_functions_go_native_as_bfcl_eval_converts_them() {
        let check = bfcl_check(
            json!([{"name": "geo.distance", "description": "d", "parameters": {
            "type": "dict", "required": ["points"], "properties": {
                "points": {"type": "array", "items": {"type": "tuple"}, "description": "p"},
                "scale": {"type": "float", "description": "s"},
                "options": {"type": "dict", "properties": {"unit": {"type": "any"}}},
                "note": {"description": "no type"}}}}]),
        );
        let tools = bfcl_native_tools(&[check]);
        let p = &tools[0].parameters;
        assert_eq!(tools[0].name, "geo_distance");
        assert_eq!(p["type"], "object");
        assert_eq!(p["required"], json!(["points"]));
        assert_eq!(p["properties"]["points"]["type"], "array");
        assert_eq!(p["properties"]["points"]["items"]["type"], "array");
        assert_eq!(p["properties"]["scale"]["type"], "number");
        assert_eq!(p["properties"]["scale"]["format"], "float");
        assert_eq!(
            p["properties"]["scale"]["description"],
            "s This is a float type value."
        );
        assert_eq!(p["properties"]["options"]["type"], "object");
        assert_eq!(
            p["properties"]["options"]["properties"]["unit"]["type"],
            "string"
        );
        assert_eq!(p["properties"]["note"]["type"], "string");
        assert!(tools[0].validate().is_ok());
    }

    #[test]
    fn underscored_names_of_a_native_answer_read_back_dotted() {
        let checks = [bfcl_check(
            json!([{"name": "geo.distance", "parameters": {"type": "dict", "properties": {}}}]),
        )];
        let text =
            r#"[{"name":"geo_distance","arguments":{"a":1}},{"name":"other_fn","arguments":{}}]"#;
        let back: Value = serde_json::from_str(&dotted_bfcl_names(text, &checks).unwrap()).unwrap();
        assert_eq!(back[0]["name"], "geo.distance");
        assert_eq!(back[1]["name"], "other_fn");
        assert_eq!(dotted_bfcl_names("no call", &checks), None);
        let plain = [bfcl_check(
            json!([{"name": "f", "parameters": {"type": "dict", "properties": {}}}]),
        )];
        assert_eq!(dotted_bfcl_names(text, &plain), None);
    }
}
