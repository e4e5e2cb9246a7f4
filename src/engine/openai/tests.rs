//! The engine against a scripted server (test_server.rs): good streams and
//! every misbehaviour the issue lists, each error one line with its reason.
use std::io::Read;
use std::time::{Duration, Instant};

use super::sse::{SseError, SseReader};
use super::test_server::{
    content_chunk, done, event, finish_chunk, role_chunk, usage_chunk, Reply, TestServer,
};
use super::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::engine::{
    is_unsupported, AnswerRequest, Engine, TemplateChoice, UserPathRequest, UserPathTiming,
};
use crate::suite::{GenerationSettings, Message};

fn engine(server: &TestServer) -> OpenAiEngine {
    engine_with(server, |_| {})
}

fn engine_with(server: &TestServer, tweak: impl FnOnce(&mut OpenAiConfig)) -> OpenAiEngine {
    let mut config = OpenAiConfig::new(&server.base_url, "smollm2");
    config.timeout = Duration::from_secs(5);
    tweak(&mut config);
    OpenAiEngine::new(config).unwrap()
}

fn request(n_gen: u32) -> UserPathRequest<'static> {
    UserPathRequest {
        prompt: "Say hello.",
        n_gen,
        n_ctx: 512,
        template: TemplateChoice::default(),
    }
}

fn user_path(engine: &mut OpenAiEngine, n_gen: u32) -> anyhow::Result<UserPathTiming> {
    engine.user_path(&request(n_gen))
}

/// The error's message, which must be one line.
fn one_line_error<T: std::fmt::Debug>(result: anyhow::Result<T>) -> String {
    let message = format!("{:#}", result.unwrap_err());
    assert!(!message.contains('\n'), "more than one line: {message}");
    message
}

fn stream(pieces: Vec<(u64, String)>) -> Reply {
    Reply::Stream {
        pieces,
        complete: true,
    }
}

/// Role chunk at once, then "Hello", " world", "!" 60, 30, 30 ms apart.
fn good_stream() -> Reply {
    stream(vec![
        (0, role_chunk()),
        (60, content_chunk("Hello")),
        (30, content_chunk(" world")),
        (30, content_chunk("!")),
        (0, finish_chunk("length")),
        (0, usage_chunk(12, 3)),
        (0, done()),
    ])
}

#[test]
fn a_good_stream_is_timed_per_content_chunk() {
    let server = TestServer::start(vec![good_stream()]);
    let mut engine = engine(&server);
    let t = user_path(&mut engine, 3).unwrap();
    assert_eq!(t.token_times.len(), 3);
    assert!(t.token_times.windows(2).all(|w| w[0] <= w[1]));
    // The role chunk came at once; the time to first token is the first text's.
    assert!(
        t.prompt_done >= Duration::from_millis(60),
        "{:?}",
        t.prompt_done
    );
    assert_eq!(t.prompt_done, t.token_times[0]);
    assert!(t.token_times[2] - t.token_times[0] >= Duration::from_millis(60));
    assert_eq!(t.prepare, Duration::ZERO);
    assert_eq!(t.n_prompt, 12);
    assert_eq!(t.text, "Hello world!");
    assert_eq!(t.chat_template, "server");
    assert_eq!(
        t.eos_at, None,
        "finish_reason length is not the model's end"
    );
    let report = t.server.unwrap();
    assert_eq!(report.completion_tokens, Some(3));
    assert_eq!(report.content_chunks, 3);
    let timings = report.timings.unwrap();
    assert_eq!(timings.predicted_per_second, Some(100.0));
    assert_eq!(timings.prompt_per_second, Some(2400.0));
}

#[test]
fn the_request_streams_greedily_with_usage_and_a_unique_prompt() {
    let server = TestServer::start(vec![good_stream(), good_stream()]);
    let mut engine = engine(&server);
    user_path(&mut engine, 3).unwrap();
    user_path(&mut engine, 3).unwrap();
    let requests = server.requests();
    assert!(requests[0].head.starts_with("POST /v1/chat/completions "));
    let (a, b) = (requests[0].json(), requests[1].json());
    assert_eq!(a["stream"], true);
    assert_eq!(a["stream_options"]["include_usage"], true);
    assert_eq!(a["max_tokens"], 3);
    assert_eq!(a["temperature"], 0.0);
    assert_eq!(a["seed"], 42);
    assert_eq!(a["model"], "smollm2");
    assert!(
        a.get("cache_prompt").is_none(),
        "not a llama-server field elsewhere"
    );
    assert_eq!(a["messages"][0]["role"], "system");
    assert_eq!(a["messages"][1]["content"], "Say hello.");
    assert_ne!(a["messages"][0], b["messages"][0], "each prompt is unique");
}

#[test]
fn llama_server_is_told_not_to_cache_and_the_prompt_stays_as_is() {
    let server = TestServer::start(vec![good_stream()]);
    let mut engine = engine_with(&server, |c| {
        c.dialect = Dialect::LlamaServer;
        c.ignore_eos = true;
    });
    user_path(&mut engine, 3).unwrap();
    let body = server.requests()[0].json();
    assert_eq!(body["cache_prompt"], false);
    assert_eq!(body["ignore_eos"], true);
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["role"], "user");
}

#[test]
fn a_chunk_of_several_tokens_keeps_one_time_and_the_usage_count() {
    let server = TestServer::start(vec![stream(vec![
        (0, role_chunk()),
        (20, content_chunk("one two three")),
        // Timings of an odd shape are dropped, not the chunk.
        (0, event(r#"{"choices":[],"timings":{"prompt_n":"many"}}"#)),
        (0, finish_chunk("stop")),
        (0, usage_chunk(7, 3)),
        (0, done()),
    ])]);
    let t = user_path(&mut engine(&server), 8).unwrap();
    assert_eq!(t.token_times.len(), 1, "no times made up inside a chunk");
    let report = t.server.unwrap();
    assert_eq!(
        (report.completion_tokens, report.content_chunks),
        (Some(3), 1)
    );
    assert_eq!(report.timings.and_then(|t| t.prompt_n), Some(7));
    assert_eq!(t.eos_at, Some(3), "the model ended after its 3 tokens");
}

#[test]
fn unauthorized_says_so_and_never_shows_the_key() {
    let key = "sk-test-5ecret-value";
    std::env::set_var("EDGEBENCH_TEST_KEY_401", key);
    let echo = format!(r#"{{"error":{{"message":"Invalid API key {key}","type":"auth"}}}}"#);
    let server = TestServer::start(vec![Reply::Status(401, echo)]);
    let mut engine = engine_with(&server, |c| {
        c.api_key_env = Some("EDGEBENCH_TEST_KEY_401".into());
    });
    let message = one_line_error(user_path(&mut engine, 3));
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("refused the API key"), "{message}");
    assert!(message.contains("Invalid API key <redacted>"), "{message}");
    assert!(!message.contains(key), "{message}");
    assert!(!format!("{engine:?}").contains(key));
    assert!(!format!("{engine:#?}").contains(key));
    // The key did go to the server.
    assert!(server.requests()[0].head.contains(&format!("Bearer {key}")));
}

#[test]
fn the_key_is_cut_out_of_every_kind_of_error() {
    let key = "sk-echoed-8f3a";
    std::env::set_var("EDGEBENCH_TEST_KEY_ECHO", key);
    let echo = format!(r#"{{"error":{{"message":"bad request from {key}"}}}}"#);
    // The key where a message is cut short must not leak in part either.
    let long = format!("{}{key}", "x".repeat(108));
    let server = TestServer::start(vec![
        Reply::Status(500, echo.clone()),
        stream(vec![(0, role_chunk()), (0, event(&echo))]),
        stream(vec![(0, event(&format!("{{\"key\": {key}")))]),
        stream(vec![(0, format!("{key}\n\n"))]),
        stream(vec![(0, event(&format!("{{\"key\": {long}")))]),
        stream(vec![(0, format!("{long}\n\n"))]),
    ]);
    let mut engine = engine_with(&server, |c| {
        c.api_key_env = Some("EDGEBENCH_TEST_KEY_ECHO".into());
    });
    for i in 0..6 {
        let message = one_line_error(user_path(&mut engine, 3));
        assert!(!message.contains("sk-"), "{message}");
        // The long ones are cut inside the key: nothing of it may show.
        assert!(i >= 4 || message.contains("<redacted>"), "{message}");
    }
}

#[test]
fn the_keys_base64_forms_are_cut_out_too() {
    use base64::Engine as _;
    let key = "sk-basic-form-31337";
    std::env::set_var("EDGEBENCH_TEST_KEY_BASIC", key);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("edge:{key}"));
    let bare = base64::engine::general_purpose::STANDARD.encode(key);
    let echo = format!(r#"{{"error":"saw Basic {basic} and {bare}"}}"#);
    let server = TestServer::start(vec![Reply::Status(500, echo)]);
    let mut engine = engine_with(&server, |c| {
        c.api_key_env = Some("EDGEBENCH_TEST_KEY_BASIC".into());
    });
    let message = one_line_error(user_path(&mut engine, 3));
    assert!(message.contains("<redacted>"), "{message}");
    // What stays of either form is a few characters, none of the key's own.
    for form in [&basic, &bare] {
        assert!(!message.contains(&form[8..16]), "{message}");
    }
}

#[test]
fn escape_codes_from_a_server_reach_no_message_raw() {
    let hostile = r#"{"error":{"message":"]0;pwned[31mred **bold** 2J"}}"#;
    let server = TestServer::start(vec![Reply::Status(500, hostile.into())]);
    let message = one_line_error(user_path(&mut engine(&server), 3));
    assert!(!message.chars().any(char::is_control), "{message:?}");
    assert!(
        message.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[31mred"),
        "{message}"
    );
}

#[test]
fn a_request_goes_only_to_the_checked_host() {
    // A second server on another port, named by another loopback name.
    let other = TestServer::start(vec![Reply::Status(200, "{}".into())]);
    let port = other
        .base_url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/v1")
        .to_string();
    let server = TestServer::start(Vec::new());
    let key = Some(super::client::Secret::new("sk-only-here".into()));
    let client =
        super::client::Client::new(&server.base_url, "m", key, Duration::from_secs(2)).unwrap();
    let error = client
        .get(&format!("http://localhost:{port}/health"), 100)
        .unwrap_err();
    assert!(format!("{error:#}").contains("host not found"), "{error:#}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(other.requests().is_empty(), "the key went to another host");
}

#[test]
fn a_redirect_is_not_followed() {
    let to = "http://192.0.2.1/v1/chat/completions";
    let server = TestServer::start(vec![Reply::Redirect(to.into())]);
    let message = one_line_error(user_path(&mut engine(&server), 3));
    assert!(message.contains("HTTP 302"), "{message}");
    assert!(message.contains("a redirect, not followed"), "{message}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_missing_key_variable_is_named() {
    let mut config = OpenAiConfig::new("http://127.0.0.1:9/v1", "m");
    config.api_key_env = Some("EDGEBENCH_TEST_KEY_UNSET".into());
    let message = one_line_error(OpenAiEngine::new(config));
    assert!(
        message.contains("EDGEBENCH_TEST_KEY_UNSET is not set"),
        "{message}"
    );
}

#[test]
fn an_unknown_model_is_a_404_with_the_servers_words() {
    let body =
        r#"{"error":{"code":404,"message":"model 'smollm2' not found","type":"not_found_error"}}"#;
    let server = TestServer::start(vec![Reply::Status(404, body.into())]);
    let message = one_line_error(user_path(&mut engine(&server), 3));
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(
        message.contains("\"smollm2\" a model of this server"),
        "{message}"
    );
    assert!(message.contains("model 'smollm2' not found"), "{message}");
}

#[test]
fn a_server_error_carries_its_message() {
    let body = "{\"error\":{\"code\":500,\"message\":\"the context\\nis full\"}}";
    let server = TestServer::start(vec![Reply::Status(500, body.into())]);
    let message = one_line_error(user_path(&mut engine(&server), 3));
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("the context is full"), "{message}");
}

#[test]
fn a_malformed_line_or_chunk_is_named() {
    let server = TestServer::start(vec![
        stream(vec![
            (0, role_chunk()),
            (0, "this is no event stream\n\n".into()),
        ]),
        stream(vec![(0, role_chunk()), (0, event("{\"choices\": [oops"))]),
    ]);
    let mut engine = engine(&server);
    let message = one_line_error(user_path(&mut engine, 3));
    assert!(
        message
            .contains("malformed event stream: not an event-stream line: this is no event stream"),
        "{message}"
    );
    let message = one_line_error(user_path(&mut engine, 3));
    assert!(message.contains("malformed stream chunk"), "{message}");
    assert!(message.contains("[oops"), "{message}");
}

#[test]
fn a_stream_cut_mid_reply_stopped_before_done() {
    let server = TestServer::start(vec![Reply::Stream {
        pieces: vec![(0, role_chunk()), (10, content_chunk("Hel"))],
        complete: false,
    }]);
    let message = one_line_error(user_path(&mut engine(&server), 3));
    assert!(
        message.contains("the stream stopped before [DONE] after 2 events"),
        "{message}"
    );
}

#[test]
fn an_error_sent_mid_stream_is_reported() {
    let server = TestServer::start(vec![stream(vec![
        (0, role_chunk()),
        (0, event(r#"{"error":{"message":"out of memory"}}"#)),
    ])]);
    let message = one_line_error(user_path(&mut engine(&server), 3));
    assert!(
        message.contains("the server failed mid-stream: out of memory"),
        "{message}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = TestServer::start(vec![Reply::Silent(Duration::from_secs(4))]);
    let mut engine = engine_with(&server, |c| c.timeout = Duration::from_secs(1));
    let start = Instant::now();
    let message = one_line_error(user_path(&mut engine, 3));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(
        message.contains("no complete answer within 1.0 s"),
        "{message}"
    );
}

#[test]
fn a_stream_that_stalls_times_out_too() {
    let server = TestServer::start(vec![Reply::Stream {
        pieces: vec![(0, role_chunk()), (3000, content_chunk("late"))],
        complete: true,
    }]);
    let mut engine = engine_with(&server, |c| c.timeout = Duration::from_secs(1));
    let message = one_line_error(user_path(&mut engine, 3));
    assert!(
        message.contains("stopped before [DONE] after 1 events"),
        "{message}"
    );
    assert!(
        message.contains("no complete answer within 1.0 s"),
        "{message}"
    );
}

#[test]
fn a_closed_port_is_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = OpenAiConfig::new(&format!("http://127.0.0.1:{port}/v1"), "m");
    let message = one_line_error(user_path(&mut OpenAiEngine::new(config).unwrap(), 3));
    assert!(message.contains("connection refused"), "{message}");
}

#[test]
fn only_loopback_http_is_allowed() {
    for url in [
        "http://192.0.2.1:8080/v1",
        "http://10.0.0.1/v1",
        "http://example.com/v1",
    ] {
        let message = one_line_error(OpenAiEngine::new(OpenAiConfig::new(url, "m")));
        assert!(message.contains("not a loopback address"), "{message}");
    }
    let message = one_line_error(OpenAiEngine::new(OpenAiConfig::new(
        "https://127.0.0.1/v1",
        "m",
    )));
    assert!(
        message.contains("scheme https is not supported"),
        "{message}"
    );
    let message = one_line_error(OpenAiEngine::new(OpenAiConfig::new("127.0.0.1:8080", "m")));
    assert!(message.contains("no scheme"), "{message}");
    for url in [
        "http://127.0.0.1:8080/v1",
        "http://[::1]:8080/v1",
        "http://localhost:11434/v1",
    ] {
        OpenAiEngine::new(OpenAiConfig::new(url, "m")).unwrap();
    }
}

fn answer_request<'a>(
    messages: &'a [Message],
    schema: Option<&'a serde_json::Value>,
) -> AnswerRequest<'a> {
    AnswerRequest {
        messages,
        use_chat_template: true,
        max_tokens: 16,
        sampling: GenerationSettings {
            temperature: 0.7,
            top_p: 0.9,
            seed: 7,
        },
        json_schema: schema,
        template: TemplateChoice::default(),
        tools: &[],
    }
}

#[test]
fn an_answer_carries_text_counts_and_the_schema() {
    let server = TestServer::start(vec![stream(vec![
        (0, role_chunk()),
        (20, content_chunk("{\"a\":")),
        (10, content_chunk("1}")),
        (0, finish_chunk("stop")),
        (0, usage_chunk(9, 4)),
        (0, done()),
    ])]);
    let mut engine = engine_with(&server, |c| c.dialect = Dialect::LlamaServer);
    let messages = [Message {
        role: "user".into(),
        content: "JSON please".into(),
    }];
    let schema = serde_json::json!({"type": "object"});
    let mut conversation = engine.conversation(512).unwrap();
    let answer = conversation
        .answer(&answer_request(&messages, Some(&schema)))
        .unwrap();
    assert_eq!(answer.text, "{\"a\":1}");
    assert_eq!(answer.n_prompt, 9);
    assert!(answer.ended);
    assert!(answer.tokens.is_empty(), "a server sends no token ids");
    assert_eq!(answer.server.unwrap().completion_tokens, Some(4));
    assert!(answer.ttft >= Duration::from_millis(20) && answer.ttft <= answer.total);
    assert_eq!(answer.chat_template, "server");
    drop(conversation);
    let body = server.requests()[0].json();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["schema"], schema);
    assert_eq!(body["temperature"].as_f64().unwrap() as f32, 0.7);
    assert_eq!(body["top_p"].as_f64().unwrap() as f32, 0.9);
    assert_eq!(body["seed"], 7);
    assert_eq!(body["max_tokens"], 16);
    assert_eq!(body["cache_prompt"], false);
    assert_eq!(
        body["messages"].as_array().unwrap().len(),
        1,
        "answers get no nonce"
    );
}

#[test]
fn what_a_server_cannot_do_is_unsupported() {
    let server = TestServer::start(vec![]);
    let mut engine = engine(&server);
    let messages = [Message {
        role: "user".into(),
        content: "hi".into(),
    }];
    let mut conversation = engine.conversation(512).unwrap();
    let req = answer_request(&messages, None);
    assert!(is_unsupported(
        &conversation.prompt_tokens(&req).unwrap_err()
    ));
    let raw = AnswerRequest {
        use_chat_template: false,
        ..req
    };
    assert!(is_unsupported(&conversation.answer(&raw).unwrap_err()));
    assert!(is_unsupported(
        &conversation.score_choices(&req, &["a".into()]).unwrap_err()
    ));
}

/// A reader that hands out one byte a read, to split lines anywhere.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.split_first() {
            Some((b, rest)) if !buf.is_empty() => {
                buf[0] = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn events(bytes: &[u8]) -> Result<Vec<String>, SseError> {
    let mut whole = SseReader::new(bytes);
    let mut trickled = SseReader::new(Trickle(bytes));
    let mut out = Vec::new();
    while let Some(e) = whole.next_event()? {
        assert_eq!(trickled.next_event()?.as_deref(), Some(e.as_str()));
        out.push(e);
    }
    assert!(trickled.next_event()?.is_none());
    Ok(out)
}

#[test]
fn sse_lines_end_in_lf_cr_or_crlf_and_data_lines_join() {
    let bytes = b"\xEF\xBB\xBFdata: a\r\n\r\ndata:b\rdata:  c\r\r: comment\nevent: x\nid: 1\nretry: 5\ndata\n\ndata: unfinished";
    assert_eq!(events(bytes).unwrap(), ["a", "b\n c", ""]);
}

#[test]
fn sse_refuses_unknown_fields_and_endless_lines() {
    assert!(
        matches!(events(b"data: a\n\n{\"raw\": 1}\n\n"), Err(SseError::Malformed(m)) if m.contains("{\"raw\": 1}"))
    );
    let long = vec![b'x'; (1 << 20) + 10];
    assert!(matches!(events(&long), Err(SseError::Malformed(m)) if m.contains("a line over")));
    let keep_alives = ":\n".repeat(100_001);
    assert!(
        matches!(events(keep_alives.as_bytes()), Err(SseError::Malformed(m)) if m.contains("lines without an event"))
    );
}

/// A llama-server started with a draft (`-md`) reports what it drafted and
/// accepted in the timings of its last chunk; they reach the report as sent.
#[test]
fn a_draft_servers_counts_reach_the_report() {
    let last = serde_json::json!({
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
        "timings": {"prompt_n": 12, "predicted_n": 3, "predicted_per_second": 100.0,
                    "draft_n": 4, "draft_n_accepted": 2}
    });
    let server = TestServer::start(vec![stream(vec![
        (0, role_chunk()),
        (10, content_chunk("Hello")),
        (10, content_chunk(" world!")),
        (0, finish_chunk("length")),
        (0, event(&last.to_string())),
        (0, done()),
    ])]);
    let t = user_path(&mut engine(&server), 3).unwrap();
    let timings = t.server.unwrap().timings.unwrap();
    assert_eq!(
        (timings.draft_n, timings.draft_n_accepted),
        (Some(4), Some(2))
    );
}
