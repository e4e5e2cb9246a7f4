//! What goes over the wire: the chat-completion request bodies and the parts
//! of the replies that are read (chunks, usage, llama-server's timings, error
//! bodies in the shapes servers send them).
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::engine::ServerTimings;
use crate::suite::Message;

/// How one request is sampled.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sampling {
    pub temperature: f32,
    pub top_p: Option<f32>,
    pub seed: u32,
}

/// A streamed chat completion that reports its usage at the end;
/// `extra` adds server-specific fields (llama-server's `cache_prompt`...).
pub(super) fn chat_body(
    model: &str,
    messages: &[Message],
    max_tokens: u32,
    sampling: Sampling,
    extra: Map<String, Value>,
) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": max_tokens,
        "temperature": sampling.temperature,
        "seed": sampling.seed,
    });
    if let (Some(top_p), Some(map)) = (sampling.top_p, body.as_object_mut()) {
        map.insert("top_p".into(), json!(top_p));
    }
    if let Some(map) = body.as_object_mut() {
        map.extend(extra);
    }
    body
}

/// The OpenAI form of a JSON schema for constrained decoding.
pub(super) fn response_format(schema: &Value) -> Value {
    json!({
        "type": "json_schema",
        "json_schema": {"name": "answer", "strict": true, "schema": schema},
    })
}

/// One `data:` event of a streamed chat completion.
#[derive(Debug, Deserialize)]
pub(super) struct Chunk {
    pub choices: Option<Vec<ChunkChoice>>,
    pub usage: Option<Usage>,
    /// llama-server only; read apart (`timings`) so that an odd one is
    /// dropped rather than failing the chunk.
    pub timings: Option<Value>,
    /// A server that fails mid-stream may send its error as a chunk.
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ChunkChoice {
    pub delta: Option<Delta>,
    pub finish_reason: Option<String>,
    /// vLLM: the stop string (or token id) that ended the reply.
    pub stop_reason: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Delta {
    pub content: Option<String>,
    /// Reasoning models' thinking (llama-server, vLLM): generated tokens too.
    pub reasoning_content: Option<String>,
    pub reasoning: Option<String>,
    /// Pieces of tool calls (native tools): a call's name, then its
    /// arguments as a JSON string cut anywhere.
    pub tool_calls: Option<Vec<ToolCallPart>>,
}

/// A tool call, or a piece of one in a stream (`index` says which call).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ToolCallPart {
    pub index: Option<usize>,
    pub function: Option<FunctionPart>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct FunctionPart {
    pub name: Option<String>,
    /// A JSON string (OpenAI), or an object (some servers, unstreamed).
    pub arguments: Option<Value>,
}

/// A chat completion that was not streamed: a server that does not stream
/// this request (some do not with tools) sends the whole reply as one JSON.
#[derive(Debug, Deserialize)]
pub(super) struct Completion {
    pub choices: Vec<CompletionChoice>,
    pub usage: Option<Usage>,
    pub timings: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CompletionChoice {
    /// The same fields as a stream's delta, whole.
    pub message: Option<Delta>,
    pub finish_reason: Option<String>,
    pub stop_reason: Option<Value>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// vLLM (with `--enable-prompt-tokens-details`), llama-server, OpenAI.
    pub prompt_tokens_details: Option<PromptTokensDetails>,
}

impl Usage {
    /// Prompt tokens the server says it took from its cache.
    pub fn cached_tokens(&self) -> Option<u32> {
        self.prompt_tokens_details?.cached_tokens
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct PromptTokensDetails {
    pub cached_tokens: Option<u32>,
}

/// llama-server's timings, when they have the expected shape.
pub(super) fn timings(value: Value) -> Option<ServerTimings> {
    serde_json::from_value(value).ok()
}

/// The message of an error body: `{"error": {"message": ...}}` (OpenAI,
/// llama-server, Ollama), `{"error": "..."}`, `{"message": ...}` (older vLLM).
pub(super) fn error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    error_text(&value)
}

/// The message inside an error value, in any of the shapes above.
pub(super) fn error_text(value: &Value) -> Option<String> {
    let inner = value.get("error").unwrap_or(value);
    match inner {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map.get("message").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

/// `text` on one line (whitespace runs become one space, other control
/// characters shown escaped), cut to `max` chars.
pub(super) fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let joined = crate::error::printable_line(&joined);
    match joined.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last chunk of a stream from llama-server (llama.cpp b6 `tools/server`,
    /// `server_slot_stats::to_json`), as recorded: usage and timings, no choices.
    const LLAMA_SERVER_LAST_CHUNK: &str = r#"{"choices":[],"created":1764012345,"id":"chatcmpl-Xq3vYb2kPz","model":"smollm2","system_fingerprint":"b6970-6a7b3c1d","object":"chat.completion.chunk","usage":{"completion_tokens":64,"prompt_tokens":36,"total_tokens":100,"prompt_tokens_details":{"cached_tokens":0}},"timings":{"cache_n":0,"prompt_n":36,"prompt_ms":31.478,"prompt_per_token_ms":0.8743888888888889,"prompt_per_second":1143.6559,"predicted_n":64,"predicted_ms":611.207,"predicted_per_token_ms":9.550109375,"predicted_per_second":104.7108}}"#;

    #[test]
    fn a_recorded_llama_server_chunk_gives_usage_and_timings() {
        let chunk: Chunk = serde_json::from_str(LLAMA_SERVER_LAST_CHUNK).unwrap();
        let usage = chunk.usage.unwrap();
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (36, 64));
        assert_eq!(usage.cached_tokens(), Some(0));
        let t = timings(chunk.timings.unwrap()).unwrap();
        assert_eq!(t.prompt_per_second, Some(1143.6559));
        assert_eq!(t.predicted_per_second, Some(104.7108));
        assert_eq!(t.prompt_n, Some(36));
        assert_eq!(t.predicted_n, Some(64));
        assert_eq!(t.predicted_ms, Some(611.207));
        assert_eq!(t.cache_n, Some(0));
        assert_eq!(t.draft_n, None, "no draft model, no count");
    }

    /// llama-server with `-md`: `server_slot::get_timings` adds the draft counts.
    #[test]
    fn a_draft_servers_timings_carry_its_counts() {
        let t = timings(json!({"predicted_n": 64, "draft_n": 48, "draft_n_accepted": 36})).unwrap();
        assert_eq!((t.draft_n, t.draft_n_accepted), (Some(48), Some(36)));
    }

    #[test]
    fn missing_timings_fields_stay_none_and_a_bad_shape_is_dropped() {
        let t = timings(json!({"predicted_per_second": 50.0})).unwrap();
        assert_eq!(t.predicted_per_second, Some(50.0));
        assert_eq!(t.prompt_per_second, None, "missing is None, never zero");
        assert_eq!(timings(json!({"prompt_n": "many"})), None);
        assert_eq!(timings(json!([1, 2])), None);
    }
}
