//! Why a served answer ended: the server's `finish_reason` (and vLLM's
//! `stop_reason`) as the answer's `finish_reason`, a timeout as `timeout`.
use std::time::Duration;

use serde_json::json;

use super::test_server::{content_chunk, done, event, role_chunk, usage_chunk, Reply, TestServer};
use super::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::engine::{is_timed_out, AnswerRequest, Engine, TemplateChoice};
use crate::results::FinishReason;
use crate::suite::{GenerationSettings, Message};

fn engine(server: &TestServer, timeout: Duration) -> OpenAiEngine {
    let mut config = OpenAiConfig::new(&server.base_url, "smollm2");
    config.timeout = timeout;
    config.dialect = Dialect::Generic;
    OpenAiEngine::new(config).unwrap()
}

/// A reply of two tokens whose last choice chunk says `finish` (the fields
/// of the choice: `finish_reason`, and `stop_reason` where a test wants it).
fn reply_ending(finish: serde_json::Value) -> Reply {
    let mut choice = json!({"index": 0, "delta": {}});
    choice
        .as_object_mut()
        .unwrap()
        .extend(finish.as_object().unwrap().clone());
    Reply::Stream {
        pieces: vec![
            (0, role_chunk()),
            (0, content_chunk("Fine")),
            (0, content_chunk(".")),
            (0, event(&json!({ "choices": [choice] }).to_string())),
            (0, usage_chunk(5, 2)),
            (0, done()),
        ],
        complete: true,
    }
}

fn ask(engine: &mut OpenAiEngine) -> anyhow::Result<crate::engine::Answer> {
    let messages = [Message {
        role: "user".into(),
        content: "Hi".into(),
    }];
    let request = AnswerRequest {
        messages: &messages,
        use_chat_template: true,
        max_tokens: 8,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        json_schema: None,
        template: TemplateChoice::default(),
        tools: &[],
    };
    engine.conversation(2048)?.answer(&request)
}

#[test]
fn each_servers_reason_is_recorded_as_ours_or_as_given() {
    let cases = [
        (json!({"finish_reason": "stop"}), "stop", true),
        (json!({"finish_reason": "length"}), "length", false),
        (json!({"finish_reason": "tool_calls"}), "tool_call", true),
        (
            json!({"finish_reason": "stop", "stop_reason": "\n\n"}),
            "stop_sequence",
            true,
        ),
        // vLLM's stop token id: the model's own end.
        (
            json!({"finish_reason": "stop", "stop_reason": 2}),
            "stop",
            true,
        ),
        (
            json!({"finish_reason": "content_filter"}),
            "content_filter",
            false,
        ),
        (json!({"finish_reason": "Stopped <b>"}), "other", false),
        (json!({"finish_reason": null}), "other", false),
    ];
    let server = TestServer::start(
        cases
            .iter()
            .map(|(f, _, _)| reply_ending(f.clone()))
            .collect(),
    );
    let mut engine = engine(&server, Duration::from_secs(5));
    for (finish, want, ended) in cases {
        let answer = ask(&mut engine).unwrap();
        let got = answer
            .finish_reason
            .expect("a generated answer says why it ended");
        assert_eq!((got.as_str(), answer.ended), (want, ended), "{finish}");
    }
}

#[test]
fn a_reply_past_the_timeout_is_a_timeout() {
    let server = TestServer::start(vec![Reply::Silent(Duration::from_millis(1500))]);
    let mut engine = engine(&server, Duration::from_millis(300));
    let error = ask(&mut engine).unwrap_err();
    assert!(is_timed_out(&error), "{error:#}");
    assert!(
        format!("{error:#}").contains("no complete answer within 0.3 s"),
        "{error:#}"
    );
    // Any other failure is not one.
    let refused = TestServer::start(vec![Reply::Status(500, "{}".into())]);
    let error = ask(&mut engine_at(&refused)).unwrap_err();
    assert!(!is_timed_out(&error), "{error:#}");
    assert_eq!(FinishReason::parse(Some("timeout")), FinishReason::Timeout);
}

fn engine_at(server: &TestServer) -> OpenAiEngine {
    engine(server, Duration::from_secs(5))
}
