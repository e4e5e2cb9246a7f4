//! Native tool calls in a reply (`tool_calls`, streamed in pieces or whole),
//! put together and written as the text the quality checks read: a JSON array
//! of `{"name", "arguments"}`, the form the prompt asks an in-process model for.
use serde_json::{json, Value};

use super::wire::ToolCallPart;

/// One call as it came: its name and its arguments' JSON text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct CallParts {
    pub name: String,
    pub arguments: String,
}

/// The calls of one reply, in the order of their `index`.
#[derive(Debug, Default)]
pub(super) struct ToolCalls {
    calls: Vec<CallParts>,
}

/// The most calls one reply may make (an index past it is refused, so a bad
/// index cannot make the client allocate without bound).
const MAX_CALLS: usize = 64;

impl ToolCalls {
    /// Adds the pieces of one chunk (or the whole calls of an unstreamed reply).
    pub(super) fn take(&mut self, parts: Vec<ToolCallPart>) -> Result<(), String> {
        for part in parts {
            // Without an index (unstreamed replies, some servers), a piece
            // with a name opens a call and one without goes on the last.
            let function = part.function.unwrap_or_default();
            let index = match part.index {
                Some(i) => i,
                None if function.name.is_some() || self.calls.is_empty() => self.calls.len(),
                None => self.calls.len() - 1,
            };
            if index >= MAX_CALLS {
                return Err(format!(
                    "tool call index {index} (at most {MAX_CALLS} calls)"
                ));
            }
            if self.calls.len() <= index {
                self.calls.resize(index + 1, CallParts::default());
            }
            let call = &mut self.calls[index];
            if let Some(name) = function.name {
                call.name.push_str(&name);
            }
            match function.arguments {
                Some(Value::String(piece)) => call.arguments.push_str(&piece),
                Some(Value::Null) | None => {}
                Some(object) => call.arguments.push_str(&object.to_string()),
            }
        }
        Ok(())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The calls as the checks read them. Arguments that are not JSON are
    /// kept as the string they were (the check then says they do not parse);
    /// no arguments at all are `{}`.
    pub(super) fn text(&self) -> String {
        let calls: Vec<Value> = self
            .calls
            .iter()
            .map(|c| {
                let arguments = match c.arguments.trim() {
                    "" => json!({}),
                    text => {
                        serde_json::from_str(text).unwrap_or(Value::String(c.arguments.clone()))
                    }
                };
                json!({"name": c.name, "arguments": arguments})
            })
            .collect();
        Value::Array(calls).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(index: Option<usize>, name: Option<&str>, arguments: Option<Value>) -> ToolCallPart {
        serde_json::from_value(json!({
            "index": index, "function": {"name": name, "arguments": arguments}
        }))
        .unwrap()
    }

    #[test]
    fn streamed_pieces_join_per_index() {
        let mut calls = ToolCalls::default();
        let s = |t: &str| Some(Value::String(t.into()));
        calls
            .take(vec![part(Some(0), Some("set_timer"), s(""))])
            .unwrap();
        calls
            .take(vec![part(Some(0), None, s("{\"duration_"))])
            .unwrap();
        calls
            .take(vec![part(Some(1), Some("get_weather"), s("{\"city\":"))])
            .unwrap();
        calls
            .take(vec![part(Some(0), None, s("seconds\": 300}"))])
            .unwrap();
        calls
            .take(vec![part(Some(1), None, s("\"Paris\"}"))])
            .unwrap();
        let text: Value = serde_json::from_str(&calls.text()).unwrap();
        assert_eq!(
            text,
            json!([
                {"name": "set_timer", "arguments": {"duration_seconds": 300}},
                {"name": "get_weather", "arguments": {"city": "Paris"}}
            ])
        );
    }

    #[test]
    fn whole_calls_without_index_and_object_arguments() {
        let mut calls = ToolCalls::default();
        calls
            .take(vec![
                part(None, Some("a"), Some(json!({"x": 1}))),
                part(None, Some("b"), None),
            ])
            .unwrap();
        assert_eq!(
            calls.text(),
            r#"[{"arguments":{"x":1},"name":"a"},{"arguments":{},"name":"b"}]"#
        );
    }

    #[test]
    fn bad_arguments_stay_a_string_and_a_wild_index_is_refused() {
        let mut calls = ToolCalls::default();
        calls
            .take(vec![part(
                Some(0),
                Some("a"),
                Some(Value::String("{oops".into())),
            )])
            .unwrap();
        assert!(
            calls.text().contains(r#""arguments":"{oops""#),
            "{}",
            calls.text()
        );
        let e = calls
            .take(vec![part(Some(1 << 40), None, None)])
            .unwrap_err();
        assert!(e.contains("index"), "{e}");
    }
}
