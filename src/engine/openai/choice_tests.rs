//! Multiple choice through llama-server against the scripted server: the
//! tokens the server gives, the grammar that forces an option's tokens, and
//! the sum of the logprobs it reports; unsupported where no logprobs come.
use std::time::Duration;

use serde_json::json;

use super::test_server::{Reply, TestServer};
use super::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::engine::{is_unsupported, Answer, AnswerRequest, Engine, TemplateChoice};
use crate::suite::{GenerationSettings, Message};

fn engine(server: &TestServer, dialect: Dialect) -> OpenAiEngine {
    let mut config = OpenAiConfig::new(&server.base_url, "smollm2");
    config.timeout = Duration::from_secs(5);
    config.dialect = dialect;
    OpenAiEngine::new(config).unwrap()
}

pub(super) fn score(server: &TestServer, dialect: Dialect, chat: bool) -> anyhow::Result<Answer> {
    let mut engine = engine(server, dialect);
    let messages = [Message {
        role: "user".into(),
        content: "Question: 2+2?\nAnswer:".into(),
    }];
    let request = AnswerRequest {
        messages: &messages,
        use_chat_template: chat,
        max_tokens: 1,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        json_schema: None,
        template: TemplateChoice::default(),
        tools: &[],
    };
    let mut conversation = engine.conversation(512)?;
    conversation.score_choices(&request, &[" 4".into(), " five".into()])
}

pub(super) fn ok(body: serde_json::Value) -> Reply {
    Reply::Status(200, body.to_string())
}

fn tokens(ids: &[i64]) -> Reply {
    ok(json!({"tokens": ids}))
}

fn logprobs(scored: &[(i64, f64)]) -> Reply {
    let content: Vec<_> = scored
        .iter()
        .map(
            |(id, logprob)| json!({"id": id, "token": "x", "logprob": logprob, "top_logprobs": []}),
        )
        .collect();
    ok(
        json!({"choices": [{"text": "x", "index": 0, "logprobs": {"content": content}, "finish_reason": "length"}]}),
    )
}

#[test]
fn each_option_is_its_forced_tokens_logprobs_summed() {
    let server = TestServer::start(vec![
        tokens(&[1, 2, 3]),
        tokens(&[1, 2, 3, 10]),
        logprobs(&[(10, -0.5)]),
        tokens(&[1, 2, 3, 11, 12]),
        logprobs(&[(11, -1.0), (12, -0.25)]),
    ]);
    let answer = score(&server, Dialect::LlamaServer, false).unwrap();
    let scores = answer.choice_scores.unwrap();
    assert_eq!(scores.len(), 2);
    assert_eq!((scores[0].logprob, scores[0].n_tokens), (-0.5, 1));
    assert_eq!((scores[1].logprob, scores[1].n_tokens), (-1.25, 2));
    assert_eq!(answer.n_prompt, 3);
    assert_eq!(answer.chat_template, "raw");
    let requests = server.requests();
    assert!(
        requests[0].head.starts_with("POST /tokenize "),
        "{}",
        requests[0].head
    );
    let tokenize = requests[1].json();
    assert_eq!(tokenize["content"], "Question: 2+2?\nAnswer: 4");
    assert_eq!(tokenize["add_special"], true);
    assert!(requests[4].head.starts_with("POST /v1/completions "));
    let completion = requests[4].json();
    assert_eq!(completion["prompt"], json!([1, 2, 3]));
    assert_eq!(completion["grammar"], "root ::= <[11]> <[12]>");
    assert_eq!(completion["max_tokens"], 2);
    assert_eq!(completion["logprobs"], 1);
    assert_eq!(completion["temperature"], 0.0);
}

#[test]
fn with_the_template_the_server_applies_it_first() {
    let server = TestServer::start(vec![
        ok(json!({"prompt": "<user>Q<assistant>"})),
        tokens(&[7, 8]),
        tokens(&[7, 8, 9]),
        logprobs(&[(9, -2.0)]),
        tokens(&[7, 8, 6]),
        logprobs(&[(6, -3.0)]),
    ]);
    let answer = score(&server, Dialect::LlamaServer, true).unwrap();
    assert_eq!(answer.chat_template, "server");
    let requests = server.requests();
    assert!(requests[0].head.starts_with("POST /apply-template "));
    assert_eq!(requests[1].json()["content"], "<user>Q<assistant>");
    assert_eq!(requests[2].json()["content"], "<user>Q<assistant> 4");
}

#[test]
fn no_logprobs_is_unsupported_never_a_zero() {
    let server = TestServer::start(vec![
        tokens(&[1, 2]),
        tokens(&[1, 2, 3]),
        ok(json!({"choices": [{"text": " 4", "index": 0, "finish_reason": "length"}]})),
    ]);
    let error = score(&server, Dialect::LlamaServer, false).unwrap_err();
    assert!(is_unsupported(&error), "{error:#}");
}

#[test]
fn a_server_that_does_not_force_the_tokens_is_an_error() {
    let server = TestServer::start(vec![
        tokens(&[1, 2]),
        tokens(&[1, 2, 3]),
        logprobs(&[(99, -0.1)]),
    ]);
    let error = format!(
        "{:#}",
        score(&server, Dialect::LlamaServer, false).unwrap_err()
    );
    assert!(
        error.contains("did not keep to the option's tokens") && !error.contains('\n'),
        "{error}"
    );
}
