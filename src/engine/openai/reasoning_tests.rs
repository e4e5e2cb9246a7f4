//! Reasoning streamed by a scripted server: in `reasoning_content` (llama-server,
//! vLLM), in `reasoning` (Ollama, OpenRouter), or inline in the content
//! between `<think>` markers; the first answer chunk found in each, and the
//! answer stored with its reasoning marked so that scoring strips it.
use std::time::Duration;

use super::test_server::{
    content_chunk, done, event, finish_chunk, role_chunk, usage_chunk, Reply, TestServer,
};
use super::{OpenAiConfig, OpenAiEngine};
use crate::checks::reasoning::strip_reasoning;
use crate::engine::{AnswerRequest, Engine, TemplateChoice, UserPathRequest};
use crate::suite::{GenerationSettings, Message};

fn engine(server: &TestServer) -> OpenAiEngine {
    let mut config = OpenAiConfig::new(&server.base_url, "qwen3");
    config.timeout = Duration::from_secs(5);
    OpenAiEngine::new(config).unwrap()
}

fn reasoning_chunk(field: &str, text: &str) -> String {
    let chunk = serde_json::json!({
        "choices": [{"index": 0, "delta": {field: text}, "finish_reason": null}]
    });
    event(&chunk.to_string())
}

/// Three reasoning chunks 20 ms apart, then two answer chunks, then the end.
fn reasoning_stream(field: &str, finish: &str) -> Reply {
    let mut pieces = vec![(0, role_chunk())];
    for text in ["Let me", " think", " hard"] {
        pieces.push((20, reasoning_chunk(field, text)));
    }
    pieces.push((40, content_chunk("Paris")));
    pieces.push((10, content_chunk(".")));
    pieces.push((0, finish_chunk(finish)));
    pieces.push((0, usage_chunk(12, 5)));
    pieces.push((0, done()));
    Reply::Stream {
        pieces,
        complete: true,
    }
}

fn user_path_request() -> UserPathRequest<'static> {
    UserPathRequest {
        prompt: "Capital of France?",
        n_gen: 5,
        n_ctx: 512,
        template: TemplateChoice::default(),
    }
}

#[test]
fn reasoning_deltas_are_timed_and_the_first_content_chunk_is_the_first_answer() {
    for field in ["reasoning_content", "reasoning"] {
        let server = TestServer::start(vec![reasoning_stream(field, "stop")]);
        let t = engine(&server).user_path(&user_path_request()).unwrap();
        assert_eq!(t.token_times.len(), 5, "{field}: every chunk is timed");
        let start = t.answer_start.expect("the server's reply is split");
        assert_eq!(start.first_answer, Some(3), "{field}");
        assert_eq!(start.n_reasoning, 3);
        assert!(!start.unclosed);
        // The answer came at least 40 ms after the first reasoning chunk.
        let wait = t.token_times[3] - t.token_times[0];
        assert!(wait >= Duration::from_millis(80), "{wait:?}");
        assert_eq!(t.text, "Paris.", "the content alone");
    }
}

#[test]
fn a_think_block_inside_the_content_is_tracked_too() {
    let pieces = vec![
        (0, role_chunk()),
        (10, content_chunk("<think>")),
        (10, content_chunk("hmm")),
        (10, content_chunk("</think>")),
        (10, content_chunk("\n\n")),
        (10, content_chunk("Paris")),
        (0, finish_chunk("stop")),
        (0, usage_chunk(12, 5)),
        (0, done()),
    ];
    let server = TestServer::start(vec![Reply::Stream {
        pieces,
        complete: true,
    }]);
    let t = engine(&server).user_path(&user_path_request()).unwrap();
    let start = t.answer_start.unwrap();
    assert_eq!((start.n_reasoning, start.first_answer), (3, Some(4)));
}

fn ask(server: &TestServer) -> crate::engine::Answer {
    let messages = [Message {
        role: "user".into(),
        content: "Capital of France?".into(),
    }];
    let request = AnswerRequest {
        messages: &messages,
        use_chat_template: true,
        max_tokens: 5,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        json_schema: None,
        template: TemplateChoice::default(),
        tools: &[],
    };
    let mut engine = engine(server);
    let mut conversation = engine.conversation(512).unwrap();
    conversation.answer(&request).unwrap()
}

#[test]
fn an_answer_keeps_its_reasoning_marked_and_scoring_strips_it() {
    let server = TestServer::start(vec![reasoning_stream("reasoning_content", "stop")]);
    let answer = ask(&server);
    assert_eq!(answer.text, "<think>Let me think hard</think>Paris.");
    assert_eq!(strip_reasoning(&answer.text), Ok("Paris."));
}

#[test]
fn a_reply_cut_while_reasoning_is_an_open_block() {
    let mut pieces = vec![(0, role_chunk())];
    for text in ["Let me", " think", " more"] {
        pieces.push((5, reasoning_chunk("reasoning_content", text)));
    }
    pieces.extend([
        (0, finish_chunk("length")),
        (0, usage_chunk(12, 3)),
        (0, done()),
    ]);
    let server = TestServer::start(vec![Reply::Stream {
        pieces,
        complete: true,
    }]);
    let answer = ask(&server);
    assert_eq!(answer.text, "<think>Let me think more");
    assert!(strip_reasoning(&answer.text).is_err());
}
