//! Multiple choice on other servers against the scripted server, with
//! replies shaped as vLLM's `/v1/completions` sends them with `echo` and
//! `logprobs` (vllm/entrypoints/openai/completion/serving.py: the legacy
//! `logprobs` with `tokens`, `token_logprobs` (the first null),
//! `text_offset`, `top_logprobs`; `text` the prompt and the generated token).
use serde_json::{json, Value};

use super::choice_tests::{ok, score};
use super::test_server::{Reply, TestServer};
use super::Dialect;
use crate::engine::is_unsupported;

const PROMPT: [&str; 6] = ["<|im_start|>", "Question", ":", " 2+2", "?\n", "Answer:"];

/// vLLM's reply: the prompt's tokens (`prompt`), then one generated token.
fn vllm_reply(prompt: &[(&str, Option<f64>)]) -> Reply {
    let mut tokens: Vec<&str> = prompt.iter().map(|(t, _)| *t).collect();
    let mut logprobs: Vec<Option<f64>> = prompt.iter().map(|(_, lp)| *lp).collect();
    tokens.push("\n");
    logprobs.push(Some(-0.1));
    let mut offset = 0;
    let text_offset: Vec<usize> = tokens
        .iter()
        .map(|t| {
            let at = offset;
            offset += t.chars().count();
            at
        })
        .collect();
    let top: Vec<Value> = tokens
        .iter()
        .zip(&logprobs)
        .map(|(t, lp)| lp.map_or(Value::Null, |lp| json!({ *t: lp })))
        .collect();
    ok(json!({
        "id": "cmpl-5f2c", "object": "text_completion", "created": 1764400000, "model": "smollm2",
        "choices": [{
            "index": 0,
            "text": tokens[1..].concat(),
            "logprobs": {"text_offset": text_offset, "token_logprobs": logprobs,
                         "tokens": tokens, "top_logprobs": top},
            "finish_reason": "length", "stop_reason": null, "prompt_logprobs": null,
        }],
        "usage": {"prompt_tokens": prompt.len(), "total_tokens": prompt.len() + 1,
                  "completion_tokens": 1, "prompt_tokens_details": null},
    }))
}

/// The prompt's tokens, each with a logprob but the first.
fn context() -> Vec<(&'static str, Option<f64>)> {
    let mut tokens: Vec<_> = PROMPT.iter().map(|t| (*t, Some(-2.0))).collect();
    tokens[0].1 = None;
    tokens
}

fn with(extra: &[(&'static str, f64)]) -> Vec<(&'static str, Option<f64>)> {
    let mut tokens = context();
    tokens.extend(extra.iter().map(|(t, lp)| (*t, Some(*lp))));
    tokens
}

#[test]
fn each_option_is_its_echoed_tokens_logprobs_summed() {
    let server = TestServer::start(vec![
        vllm_reply(&context()),
        vllm_reply(&with(&[(" 4", -0.5)])),
        vllm_reply(&with(&[(" fi", -1.0), ("ve", -0.25)])),
    ]);
    let answer = score(&server, Dialect::Generic, false).unwrap();
    let scores = answer.choice_scores.unwrap();
    assert_eq!((scores[0].logprob, scores[0].n_tokens), (-0.5, 1));
    assert_eq!((scores[1].logprob, scores[1].n_tokens), (-1.25, 2));
    assert_eq!(
        answer.n_prompt, 6,
        "the prompt's tokens, the generated one dropped"
    );
    assert_eq!(answer.chat_template, "raw");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "the prompt alone, then each option");
    assert!(requests[1].head.starts_with("POST /v1/completions "));
    let body = requests[1].json();
    assert_eq!(body["prompt"], "Question: 2+2?\nAnswer: 4");
    assert_eq!(requests[0].json()["prompt"], "Question: 2+2?\nAnswer:");
    assert_eq!(body["echo"], true);
    assert_eq!(body["logprobs"], 1);
    assert_eq!(body["max_tokens"], 1);
    assert_eq!(body["temperature"], 0.0);
    assert!(body.get("grammar").is_none() && body.get("cache_prompt").is_none());
}

#[test]
fn a_token_straddling_the_prompts_end_counts_for_the_option() {
    // "Answer:" + " 4" tokenized together as "Answer: 4": the shared prefix
    // ends before it, so the merged token is the option's, as in-process.
    let mut merged = context();
    merged[5] = ("Answer: 4", Some(-3.0));
    let server = TestServer::start(vec![
        vllm_reply(&context()),
        vllm_reply(&merged),
        vllm_reply(&with(&[(" five", -4.0)])),
    ]);
    let scores = score(&server, Dialect::Generic, false)
        .unwrap()
        .choice_scores
        .unwrap();
    assert_eq!((scores[0].logprob, scores[0].n_tokens), (-3.0, 1));
    assert_eq!((scores[1].logprob, scores[1].n_tokens), (-4.0, 1));
}

#[test]
fn a_server_that_ignores_echo_is_unsupported_never_a_zero() {
    // Ollama-like: logprobs of the generated token only.
    let reply = ok(json!({
        "choices": [{"index": 0, "text": "\n", "finish_reason": "length",
                     "logprobs": {"tokens": ["\n"], "token_logprobs": [-0.1],
                                  "text_offset": [0], "top_logprobs": [{"\n": -0.1}]}}],
        "usage": {"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 7},
    }));
    let server = TestServer::start(vec![reply]);
    let error = score(&server, Dialect::Generic, false).unwrap_err();
    assert!(is_unsupported(&error), "{error:#}");
    assert!(format!("{error:#}").contains("did not echo"), "{error:#}");
}

#[test]
fn llama_servers_reply_ignores_echo_and_is_unsupported() {
    // What the pinned llama-server answered to this very request (recorded):
    // the chat API's logprobs of the one generated token, no prompt tokens.
    let recorded = r#"{"choices":[{"text":" ","index":0,"logprobs":{"content":[{"id":216,"token":" ","bytes":[32],"logprob":-0.4200497567653656,"top_logprobs":[{"id":216,"token":" ","bytes":[32],"logprob":-0.4200497567653656}]}]},"finish_reason":"length"}],"created":1795957431,"model":"smollm2","system_fingerprint":"b0-unknown","object":"text_completion","usage":{"completion_tokens":1,"prompt_tokens":10,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}},"id":"chatcmpl-hOxPT1LyjMiFaypiXWXpXDgpuxjTGktl","timings":{"cache_n":0,"prompt_n":10,"prompt_ms":106.482,"prompt_per_token_ms":10.6482,"prompt_per_second":93.91258616479782,"predicted_n":1,"predicted_ms":0.001,"predicted_per_token_ms":0.0,"predicted_per_second":0.0}}"#;
    let server = TestServer::start(vec![Reply::Status(200, recorded.into())]);
    let error = format!("{:#}", score(&server, Dialect::Generic, false).unwrap_err());
    assert!(
        error.contains("did not echo the prompt's logprobs (1 scored tokens for a prompt of 10"),
        "{error}"
    );
    assert!(error.contains("does not support log-likelihood"), "{error}");
}

#[test]
fn a_reply_without_logprobs_is_unsupported() {
    let reply = ok(json!({"choices": [{"index": 0, "text": "x", "finish_reason": "length"}]}));
    let server = TestServer::start(vec![reply]);
    let error = score(&server, Dialect::Generic, false).unwrap_err();
    assert!(is_unsupported(&error), "{error:#}");
}

#[test]
fn a_server_that_refuses_echo_is_unsupported_with_its_words() {
    // llama-server's OpenAI parser refuses echo so (server-common.cpp,
    // `oaicompat_completion_params_parse`; the pinned server ignores it).
    let body =
        r#"{"error":{"code":500,"message":"Only no echo is supported","type":"server_error"}}"#;
    let server = TestServer::start(vec![Reply::Status(500, body.into())]);
    let error = format!("{:#}", score(&server, Dialect::Generic, false).unwrap_err());
    assert!(error.contains("Only no echo is supported"), "{error}");
    assert!(error.contains("does not support log-likelihood"), "{error}");
}

#[test]
fn another_server_error_stays_an_error() {
    let body = r#"{"error":{"message":"the model is overloaded"}}"#;
    let server = TestServer::start(vec![Reply::Status(500, body.into())]);
    let error = score(&server, Dialect::Generic, false).unwrap_err();
    assert!(!is_unsupported(&error), "{error:#}");
}

#[test]
fn a_missing_logprob_in_the_option_is_an_error() {
    let mut option = with(&[(" 4", 0.0)]);
    option[6].1 = None;
    let server = TestServer::start(vec![vllm_reply(&context()), vllm_reply(&option)]);
    let error = score(&server, Dialect::Generic, false).unwrap_err();
    assert!(!is_unsupported(&error), "{error:#}");
    assert!(format!("{error:#}").contains("no logprob for prompt token 6"));
}

#[test]
fn a_templated_case_is_unsupported_without_a_request() {
    let server = TestServer::start(vec![]);
    let error = score(&server, Dialect::Generic, true).unwrap_err();
    assert!(is_unsupported(&error), "{error:#}");
    assert!(format!("{error:#}").contains("only llama-server exposes"));
    assert!(server.requests().is_empty());
}
