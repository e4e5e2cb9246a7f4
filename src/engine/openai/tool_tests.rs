//! Native tool calls against the scripted server: the tools go in the API's
//! `tools` field (with a `tool_choice` when one is set), the reply's
//! `tool_calls` (streamed in pieces, or sent whole) come back as the text the
//! checks read.
use std::time::Duration;

use serde_json::{json, Value};

use super::test_server::{done, event, finish_chunk, role_chunk, usage_chunk, Reply, TestServer};
use super::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::checks::parse_tool_calls;
use crate::engine::{AnswerRequest, Engine, TemplateChoice};
use crate::suite::tools::ToolSpec;
use crate::suite::{GenerationSettings, Message};

fn engine(server: &TestServer, tool_choice: Option<&'static str>) -> OpenAiEngine {
    let mut config = OpenAiConfig::new(&server.base_url, "smollm2");
    config.timeout = Duration::from_secs(5);
    config.dialect = Dialect::LlamaServer;
    config.tool_choice = tool_choice;
    OpenAiEngine::new(config).unwrap()
}

fn timer() -> ToolSpec {
    ToolSpec {
        name: "set_timer".into(),
        description: "Start a countdown timer.".into(),
        parameters: json!({"type": "object", "properties": {"duration_seconds": {"type": "integer"}}}),
    }
}

fn ask(server: &TestServer, tools: &[ToolSpec]) -> anyhow::Result<crate::engine::Answer> {
    ask_choosing(server, tools, None)
}

fn ask_choosing(
    server: &TestServer,
    tools: &[ToolSpec],
    tool_choice: Option<&'static str>,
) -> anyhow::Result<crate::engine::Answer> {
    let mut engine = engine(server, tool_choice);
    let messages = [Message {
        role: "user".into(),
        content: "Timer for 5 minutes".into(),
    }];
    let request = AnswerRequest {
        messages: &messages,
        use_chat_template: true,
        max_tokens: 32,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 42,
        },
        json_schema: None,
        template: TemplateChoice::default(),
        tools,
    };
    let mut conversation = engine.conversation(512)?;
    conversation.answer(&request)
}

/// A chunk with one piece of a tool call, as llama-server and vLLM send them.
fn call_piece(index: u32, name: Option<&str>, arguments: &str) -> String {
    let mut function = json!({"arguments": arguments});
    if let Some(name) = name {
        function["name"] = json!(name);
    }
    let mut call = json!({"index": index, "function": function});
    if name.is_some() {
        call["id"] = json!(format!("call_{index}"));
        call["type"] = json!("function");
    }
    let chunk =
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]});
    event(&chunk.to_string())
}

#[test]
fn tools_go_in_the_tools_field_and_streamed_calls_are_put_together() {
    let server = TestServer::start(vec![Reply::Stream {
        pieces: vec![
            (0, role_chunk()),
            (20, call_piece(0, Some("set_timer"), "")),
            (5, call_piece(0, None, "{\"duration_")),
            (5, call_piece(0, None, "seconds\": 300}")),
            (0, finish_chunk("tool_calls")),
            (0, usage_chunk(80, 12)),
            (0, done()),
        ],
        complete: true,
    }]);
    let answer = ask(&server, &[timer()]).unwrap();
    let calls = parse_tool_calls(&answer.text).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "set_timer");
    assert_eq!(calls[0].arguments["duration_seconds"], 300);
    assert!(
        answer.ttft >= Duration::from_millis(20),
        "the first call piece is the first token"
    );
    assert_eq!(answer.server.as_ref().unwrap().content_chunks, 3);
    assert_eq!(answer.server.unwrap().completion_tokens, Some(12));
    assert!(
        answer.ended,
        "finish_reason tool_calls: the model ended the reply"
    );
    let body = server.requests()[0].json();
    let tools = body["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["type"], "function");
    assert_eq!(tools[0]["function"]["name"], "set_timer");
    assert_eq!(tools[0]["function"]["parameters"]["type"], "object");
    assert!(body.get("response_format").is_none());
    assert!(
        body.get("tool_choice").is_none(),
        "not set: the server's default"
    );
}

/// A plain answer, as a model that calls no tool gives it.
fn plain_answer() -> Reply {
    Reply::Stream {
        pieces: vec![
            (0, role_chunk()),
            (0, super::test_server::content_chunk("No tool fits.")),
            (0, finish_chunk("stop")),
            (0, usage_chunk(10, 4)),
            (0, done()),
        ],
        complete: true,
    }
}

#[test]
fn a_tool_choice_goes_with_the_tools_and_only_with_them() {
    let server = TestServer::start(vec![plain_answer(), plain_answer()]);
    ask_choosing(&server, &[timer()], Some("required")).unwrap();
    ask_choosing(&server, &[], Some("required")).unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].json()["tool_choice"], "required");
    let without_tools = requests[1].json();
    assert!(without_tools.get("tool_choice").is_none() && without_tools.get("tools").is_none());
}

#[test]
fn no_tools_no_tools_field_and_a_plain_answer_stays_text() {
    let server = TestServer::start(vec![plain_answer()]);
    let answer = ask(&server, &[]).unwrap();
    assert_eq!(answer.text, "No tool fits.");
    assert!(server.requests()[0].json().get("tools").is_none());
}

#[test]
fn a_reply_sent_whole_is_read_with_its_tool_calls() {
    let completion = json!({
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "set_timer", "arguments": "{\"duration_seconds\":60}"}},
                {"id": "b", "type": "function", "function": {"name": "set_timer", "arguments": {"duration_seconds": 120}}}
            ]}}],
        "usage": {"prompt_tokens": 70, "completion_tokens": 20, "total_tokens": 90},
        "timings": {"predicted_per_second": 50.0}
    });
    let server = TestServer::start(vec![Reply::Status(200, completion.to_string())]);
    let answer = ask(&server, &[timer()]).unwrap();
    let calls: Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(
        calls,
        json!([
            {"name": "set_timer", "arguments": {"duration_seconds": 60}},
            {"name": "set_timer", "arguments": {"duration_seconds": 120}}
        ])
    );
    assert_eq!(answer.n_prompt, 70);
    assert_eq!(answer.ttft, answer.total, "unstreamed: one time for all");
    let report = answer.server.unwrap();
    assert_eq!(report.completion_tokens, Some(20));
    assert_eq!(report.timings.unwrap().predicted_per_second, Some(50.0));
}

#[test]
fn a_whole_reply_that_is_not_a_completion_is_one_line() {
    let server = TestServer::start(vec![Reply::Status(200, "{\"choices\": 3}".into())]);
    let message = format!("{:#}", ask(&server, &[timer()]).unwrap_err());
    assert!(
        message.contains("malformed chat completion") && !message.contains('\n'),
        "{message}"
    );
}

/// An event of four ~1 MiB pieces of tool calls, on one `data:` line each
/// (a line may hold 1 MiB, an event 4 MiB).
pub(super) fn huge_tool_event() -> String {
    let piece = "x".repeat(1000 << 10);
    let mut event = String::from("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[\n");
    for index in 0..4 {
        let comma = if index < 3 { "," } else { "" };
        event.push_str(&format!(
            "data: {{\"index\":{index},\"function\":{{\"name\":\"f\",\"arguments\":\"{piece}\"}}}}{comma}\n"
        ));
    }
    event.push_str("data: ]}}]}\n\n");
    event
}

#[test]
fn a_reply_past_the_cap_is_that_requests_failure_in_one_line() {
    // Three 4 MiB events: 12 MiB, for 32 tokens.
    let mut pieces = vec![(0, role_chunk())];
    pieces.extend((0..3).map(|_| (0, huge_tool_event())));
    pieces.extend([(0, usage_chunk(10, 3)), (0, done())]);
    let server = TestServer::start(vec![Reply::Stream {
        pieces,
        complete: true,
    }]);
    let error = ask(&server, &[timer()]).unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("went past 8 MiB"), "{message:.300}");
    assert!(
        !message.contains('\n') && message.len() < 300,
        "{message:.300}"
    );
}
