//! Multi-turn, depth and soak over HTTP against the scripted server: token
//! counts from llama-server's own pages or, elsewhere, from a request's usage;
//! the history cached (or not) per request on llama-server, offered to other
//! servers' caches or kept from them by a nonce; and replies streamed back to
//! back for a soak.
use std::time::Duration;

use serde_json::json;

use super::test_server::{
    content_chunk, done, event, finish_chunk, role_chunk, usage_chunk, Reply, TestServer,
};
use super::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::engine::{
    is_unsupported, AnswerRequest, CacheControl, Engine, PrefillCount, SoakSpan, SoakWindow,
    TemplateChoice, UserPathRequest,
};
use crate::suite::{GenerationSettings, Message};

fn engine(server: &TestServer, dialect: Dialect) -> OpenAiEngine {
    let mut config = OpenAiConfig::new(&server.base_url, "smollm2");
    config.timeout = Duration::from_secs(5);
    config.dialect = dialect;
    OpenAiEngine::new(config).unwrap()
}

fn ok(body: serde_json::Value) -> Reply {
    Reply::Status(200, body.to_string())
}

fn turn(role: &str, content: &str) -> Message {
    Message {
        role: role.into(),
        content: content.into(),
    }
}

fn history() -> Vec<Message> {
    vec![turn("user", "Hi"), turn("assistant", "Hello!")]
}

fn greedy(messages: &[Message]) -> AnswerRequest<'_> {
    AnswerRequest {
        messages,
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
    }
}

/// A short reply whose last chunk says `prompt_tokens` and, as llama-server,
/// how many of them it prefilled (`timings.prompt_n`).
fn reply(prompt_tokens: u32, prefilled: u32) -> Reply {
    reply_ending_in(json!({
        "choices": [],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 2},
        "timings": {"prompt_n": prefilled, "predicted_n": 2}
    }))
}

/// Two short content chunks, then `last` (the usage chunk).
fn reply_ending_in(last: serde_json::Value) -> Reply {
    Reply::Stream {
        pieces: vec![
            (0, role_chunk()),
            (5, content_chunk("Fine")),
            (5, content_chunk(".")),
            (0, finish_chunk("length")),
            (0, event(&last.to_string())),
            (0, done()),
        ],
        complete: true,
    }
}

fn user_turn() -> UserPathRequest<'static> {
    UserPathRequest {
        prompt: "How are you?",
        n_gen: 2,
        n_ctx: 512,
        template: TemplateChoice::default(),
    }
}

#[test]
fn llama_server_counts_a_prompts_tokens_before_it_is_sent() {
    let server = TestServer::start(vec![
        ok(json!({"prompt": "<user>Hi<assistant>Hello!<user>"})),
        ok(json!({"tokens": [1, 2, 3, 4]})),
    ]);
    let mut engine = engine(&server, Dialect::LlamaServer);
    let history = history();
    let mut conversation = engine.conversation(512).unwrap();
    assert_eq!(conversation.prompt_tokens(&greedy(&history)).unwrap(), 4);
    drop(conversation);
    let requests = server.requests();
    assert!(requests[0].head.starts_with("POST /apply-template "));
    assert_eq!(requests[0].json()["messages"][1]["content"], "Hello!");
    assert!(requests[1].head.starts_with("POST /tokenize "));
    assert_eq!(
        requests[1].json()["content"],
        "<user>Hi<assistant>Hello!<user>"
    );
}

#[test]
fn a_reused_history_is_sent_untimed_first_and_kept_in_the_cache() {
    let server = TestServer::start(vec![
        ok(json!({"prompt": "P"})),
        ok(json!({"tokens": [1, 2, 3, 4, 5]})),
        reply(5, 5),
        reply(12, 7),
    ]);
    let mut engine = engine(&server, Dialect::LlamaServer);
    let timing = engine
        .user_path_after(&user_turn(), &history(), true)
        .unwrap();
    assert_eq!(timing.n_history, 5);
    assert_eq!(
        timing.n_prompt, 7,
        "what the server prefilled in the timed part"
    );
    assert_eq!(timing.token_times.len(), 2);
    let report = timing.server.as_ref().unwrap();
    assert_eq!(report.prefill_count, Some(PrefillCount::ServerTimings));
    assert_eq!(report.cache_control, Some(CacheControl::CachePrompt));
    let requests = server.requests();
    let warm = requests[2].json();
    assert_eq!(warm["max_tokens"], 1);
    assert_eq!(warm["cache_prompt"], true);
    assert_eq!(warm["messages"].as_array().unwrap().len(), 2);
    let timed = requests[3].json();
    assert_eq!(timed["cache_prompt"], true);
    assert_eq!(timed["messages"].as_array().unwrap().len(), 3);
    assert_eq!(timed["messages"][2]["content"], "How are you?");
}

#[test]
fn a_cold_turn_prefills_the_whole_conversation() {
    let server = TestServer::start(vec![
        ok(json!({"prompt": "P"})),
        ok(json!({"tokens": [1, 2, 3, 4, 5]})),
        reply(12, 12),
    ]);
    let mut engine = engine(&server, Dialect::LlamaServer);
    let timing = engine
        .user_path_after(&user_turn(), &history(), false)
        .unwrap();
    assert_eq!((timing.n_history, timing.n_prompt), (5, 12));
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "no untimed request");
    assert_eq!(requests[2].json()["cache_prompt"], false);
}

/// A short reply as other servers send it: usage only, with
/// `prompt_tokens_details.cached_tokens` when the server reports it (vLLM).
fn generic_reply(prompt_tokens: u32, cached: Option<u32>) -> Reply {
    let mut usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": 2});
    if let Some(cached) = cached {
        usage["prompt_tokens_details"] = json!({"cached_tokens": cached});
    }
    reply_ending_in(json!({"choices": [], "usage": usage}))
}

fn messages_of(request: &super::test_server::Recorded) -> Vec<serde_json::Value> {
    request.json()["messages"].as_array().unwrap().clone()
}

#[test]
fn another_server_gets_the_history_first_behind_the_turns_own_nonce() {
    let server = TestServer::start(vec![generic_reply(25, None), generic_reply(32, Some(24))]);
    let mut engine = engine(&server, Dialect::Generic);
    let timing = engine
        .user_path_after(&user_turn(), &history(), true)
        .unwrap();
    assert_eq!(timing.n_history, 25, "the untimed request's usage");
    assert_eq!(timing.n_prompt, 8, "prompt_tokens less cached_tokens");
    let report = timing.server.unwrap();
    assert_eq!(report.cached_tokens, Some(24));
    assert_eq!(report.prefill_count, Some(PrefillCount::CachedTokens));
    assert_eq!(report.cache_control, Some(CacheControl::ServerChoice));
    let requests = server.requests();
    let (warm, timed) = (messages_of(&requests[0]), messages_of(&requests[1]));
    assert_eq!(requests[0].json()["max_tokens"], 1);
    assert_eq!(warm.len(), 3, "the nonce and the history");
    assert_eq!(warm[0]["role"], "system");
    assert_eq!(timed.len(), 4);
    assert_eq!(timed[..3], warm[..], "the same prefix, nonce included");
    assert_eq!(timed[3]["content"], "How are you?");
    assert!(requests[1].json().get("cache_prompt").is_none());
}

#[test]
fn another_servers_cold_turn_gets_a_new_nonce_so_nothing_cached_matches() {
    let server = TestServer::start(vec![generic_reply(25, None), generic_reply(32, None)]);
    let mut engine = engine(&server, Dialect::Generic);
    let timing = engine
        .user_path_after(&user_turn(), &history(), false)
        .unwrap();
    assert_eq!((timing.n_history, timing.n_prompt), (25, 32));
    let report = timing.server.unwrap();
    assert_eq!(report.prefill_count, Some(PrefillCount::Usage));
    assert_eq!(report.cache_control, Some(CacheControl::Nonce));
    let requests = server.requests();
    let (counted, timed) = (messages_of(&requests[0]), messages_of(&requests[1]));
    assert_eq!(timed[0]["role"], "system");
    assert_ne!(timed[0], counted[0], "a nonce of its own");
    assert_eq!(timed[1..3], counted[1..], "the same history after it");
    // The nonces part at their first digit, where a cached prefix then ends.
    let digit = |m: &serde_json::Value| {
        m["content"].as_str().unwrap()["Request ".len()..]
            .chars()
            .next()
    };
    assert_ne!(digit(&timed[0]), digit(&counted[0]));
}

#[test]
fn without_cached_tokens_the_reused_prefill_is_derived_and_says_so() {
    let server = TestServer::start(vec![generic_reply(25, None), generic_reply(32, None)]);
    let mut engine = engine(&server, Dialect::Generic);
    let timing = engine
        .user_path_after(&user_turn(), &history(), true)
        .unwrap();
    assert_eq!(timing.n_prompt, 7, "all but the history");
    let report = timing.server.unwrap();
    assert_eq!(report.prefill_count, Some(PrefillCount::Derived));
    assert_eq!(report.cached_tokens, None, "not reported, not zero");
}

#[test]
fn another_server_counts_a_prompt_only_by_sending_it() {
    let server = TestServer::start(vec![generic_reply(21, None)]);
    let mut engine = engine(&server, Dialect::Generic);
    let history = history();
    let mut conversation = engine.conversation(512).unwrap();
    let error = conversation.prompt_tokens(&greedy(&history)).unwrap_err();
    assert!(is_unsupported(&error), "{error:#}");
    let n = conversation
        .prompt_tokens_by_request(&greedy(&history))
        .unwrap();
    assert_eq!(n, 21);
    drop(conversation);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].json();
    assert_eq!(
        (body["max_tokens"].clone(), body["temperature"].clone()),
        (json!(1), json!(0.0))
    );
    assert_eq!(body["messages"].as_array().unwrap().len(), 2, "no nonce");
}

/// Ten chunks 20 ms apart, then usage and [DONE].
fn steady_stream() -> Reply {
    let mut pieces = vec![(0, role_chunk())];
    pieces.extend((0..10).map(|i| (20, content_chunk(&format!(" w{i}")))));
    pieces.extend([
        (0, finish_chunk("length")),
        (0, usage_chunk(10, 10)),
        (0, done()),
    ]);
    Reply::Stream {
        pieces,
        complete: true,
    }
}

#[test]
fn a_soak_streams_replies_back_to_back_and_counts_per_window() {
    let server = TestServer::start((0..10).map(|_| steady_stream()).collect());
    let mut engine = engine(&server, Dialect::LlamaServer);
    let messages = [turn("user", "Tell a long story.")];
    let span = SoakSpan {
        n_ctx: 2048,
        total: Duration::from_millis(600),
        window: Duration::from_millis(200),
    };
    let mut windows: Vec<SoakWindow> = Vec::new();
    engine
        .soak(&greedy(&messages), span, &mut |w| windows.push(w))
        .unwrap();
    let indices: Vec<u32> = windows.iter().map(|w| w.index).collect();
    assert_eq!(indices, [0, 1, 2]);
    assert_eq!(windows[2].end, Duration::from_millis(600));
    let sent = server.requests().len() as u32;
    assert!(sent >= 2, "replies one after another: {sent}");
    let tokens: u32 = windows.iter().map(|w| w.tokens).sum();
    assert!(
        tokens >= 10 && tokens <= sent * 10,
        "{tokens} of {sent} replies"
    );
    assert!(windows.iter().all(|w| w.elapsed == span.window));
    let body = server.requests()[0].json();
    assert_eq!(body["ignore_eos"], serde_json::Value::Null, "as configured");
    assert_eq!(body["cache_prompt"], false);
}

#[test]
fn a_soak_that_gets_nothing_stops_with_a_reason() {
    let empty = Reply::Stream {
        pieces: vec![
            (0, role_chunk()),
            (0, finish_chunk("stop")),
            (0, usage_chunk(5, 0)),
            (0, done()),
        ],
        complete: true,
    };
    let server = TestServer::start(vec![empty]);
    let mut engine = engine(&server, Dialect::LlamaServer);
    let messages = [turn("user", "Tell a long story.")];
    let span = SoakSpan {
        n_ctx: 2048,
        total: Duration::from_secs(5),
        window: Duration::from_secs(1),
    };
    let error = engine
        .soak(&greedy(&messages), span, &mut |_| {})
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("generated nothing"),
        "{error:#}"
    );
}
