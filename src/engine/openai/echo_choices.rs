//! Multiple choice on servers other than llama-server, the way
//! lm-evaluation-harness's `local-completions` scores log-likelihoods on
//! vLLM: `POST {base_url}/completions` with the text as `prompt`, `echo:
//! true`, `logprobs: 1`, `max_tokens: 1`, `temperature: 0`; the reply's legacy
//! `logprobs` (`tokens`, `token_logprobs`) then cover the prompt's tokens and
//! the one generated token, which is dropped.
//!
//! The prompt alone and the prompt followed by each option are sent; the
//! option's tokens are those past the longest shared prefix of the two token
//! lists (at least one), as in-process, so a token that straddles the
//! boundary counts. Token lists rather than `text_offset`: vLLM counts offsets
//! in the decoded tokens, where a BOS shows as its text (`<s>`) that the
//! prompt does not have.
//!
//! Only raw cases: a templated prompt needs the server's chat template, which
//! these servers do not expose. A server that refuses `echo` or ignores it
//! (no prompt tokens in the reply: the pinned llama-server, Ollama) cannot
//! score: `Unsupported`, never a zero.
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use serde::Deserialize;
use serde_json::json;

use super::choices::whole_completion;
use super::tokens::raw_prompt;
use super::OpenAiEngine;
use crate::checks::OptionScore;
use crate::engine::{Answer, AnswerRequest, Capability};

#[derive(Debug, Deserialize)]
struct Completion {
    choices: Vec<CompletionChoice>,
    usage: Option<CompletionUsage>,
}

#[derive(Debug, Deserialize)]
struct CompletionChoice {
    logprobs: Option<ReplyLogprobs>,
}

/// A completion's logprobs: the completions API's own (vLLM), or the chat
/// API's `content` list (llama-server answers /v1/completions so, without
/// the prompt's tokens: it ignores `echo`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ReplyLogprobs {
    /// One entry per token, the first prompt token's logprob null.
    Legacy {
        tokens: Vec<String>,
        token_logprobs: Vec<Option<f64>>,
    },
    Content {
        content: Vec<ContentLogprob>,
    },
}

#[derive(Debug, Deserialize)]
struct ContentLogprob {
    token: String,
    logprob: Option<f64>,
}

impl ReplyLogprobs {
    fn into_lists(self) -> (Vec<String>, Vec<Option<f64>>) {
        match self {
            ReplyLogprobs::Legacy {
                tokens,
                token_logprobs,
            } => (tokens, token_logprobs),
            ReplyLogprobs::Content { content } => {
                content.into_iter().map(|t| (t.token, t.logprob)).unzip()
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct CompletionUsage {
    prompt_tokens: usize,
}

/// The prompt's tokens as the server echoed them, with their logprobs.
struct Echoed {
    tokens: Vec<String>,
    logprobs: Vec<Option<f64>>,
}

/// Each option's log-likelihood as a continuation of the prompt.
pub(super) fn score_choices(
    engine: &OpenAiEngine,
    req: &AnswerRequest,
    options: &[String],
) -> Result<Answer> {
    if req.use_chat_template {
        return Err(engine.unsupported_because(
            Capability::LogLikelihood,
            "a case with the chat template needs the server's template, which only llama-server exposes (/apply-template)".into(),
        ));
    }
    let start = Instant::now();
    let prompt = raw_prompt(req);
    let context = echoed(engine, &prompt)?;
    let mut scores = Vec::with_capacity(options.len());
    for option in options {
        let whole = echoed(engine, &format!("{prompt}{option}"))?;
        scores.push(option_score(option, &context, &whole)?);
    }
    Ok(Answer {
        n_prompt: context.tokens.len() as u32,
        ended: true,
        ttft: start.elapsed(),
        total: start.elapsed(),
        chat_template: "raw".into(),
        choice_scores: Some(scores),
        ..Default::default()
    })
}

/// The option's tokens (past the longest prefix shared with the prompt's,
/// at least one) and the sum of their logprobs.
fn option_score(option: &str, context: &Echoed, whole: &Echoed) -> Result<OptionScore> {
    if whole.tokens.len() < 2 {
        bail!("option {option:?}: the prompt and the option tokenize to fewer than 2 tokens");
    }
    let shared = whole
        .tokens
        .iter()
        .zip(&context.tokens)
        .take_while(|(a, b)| a == b)
        .count()
        .clamp(1, whole.tokens.len() - 1);
    let mut logprob = 0.0;
    for (i, value) in whole.logprobs.iter().enumerate().skip(shared) {
        logprob += value.ok_or_else(|| {
            anyhow!("option {option:?}: the server sent no logprob for prompt token {i}")
        })?;
    }
    Ok(OptionScore {
        option: option.to_string(),
        logprob,
        n_tokens: (whole.tokens.len() - shared) as u32,
    })
}

/// One completion of `text` with its prompt echoed and scored.
fn echoed(engine: &OpenAiEngine, text: &str) -> Result<Echoed> {
    let body = json!({
        "model": engine.client.model(),
        "prompt": text,
        "echo": true,
        "logprobs": 1,
        // Not 0, which vLLM's older versions refuse ("max_tokens must be at
        // least 1"); the generated token is dropped.
        "max_tokens": 1,
        "temperature": 0.0,
        "stream": false,
    });
    let completion: Completion =
        whole_completion(engine, &body).map_err(|e| refused_echo(engine, e))?;
    prompt_part(engine, completion)
}

/// The prompt's tokens of a reply, the generated one cut off; a reply
/// without them (logprobs of the generated token only) did not echo.
fn prompt_part(engine: &OpenAiEngine, completion: Completion) -> Result<Echoed> {
    let usage = completion.usage;
    let logprobs = completion
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.logprobs);
    let Some((mut tokens, mut logprobs)) = logprobs.map(ReplyLogprobs::into_lists) else {
        return Err(engine.unsupported_logprobs());
    };
    if logprobs.len() != tokens.len() {
        bail!(
            "the server sent {} tokens but {} logprobs",
            tokens.len(),
            logprobs.len()
        );
    }
    // The prompt's tokens come first: as many as the usage says, else all
    // but the one generated.
    let prompt_tokens = match &usage {
        Some(u) => u.prompt_tokens,
        None => tokens.len().saturating_sub(1),
    };
    if prompt_tokens == 0 || tokens.len() < prompt_tokens {
        return Err(engine.unsupported_because(
            Capability::LogLikelihood,
            format!(
                "the server did not echo the prompt's logprobs ({} scored tokens for a prompt of {prompt_tokens}; echo ignored?)",
                tokens.len(),
            ),
        ));
    }
    tokens.truncate(prompt_tokens);
    logprobs.truncate(prompt_tokens);
    Ok(Echoed { tokens, logprobs })
}

/// A server that answers `echo` with an error naming it (llama-server's
/// OpenAI parser says "Only no echo is supported") cannot score this way:
/// unsupported, with its words; any other error stays one.
fn refused_echo(engine: &OpenAiEngine, error: anyhow::Error) -> anyhow::Error {
    let message = format!("{error:#}");
    let names_echo = message.to_ascii_lowercase().contains("echo");
    // Not a 404 (whose message names the model) nor a refused key.
    let refused = ["HTTP 400 ", "HTTP 422 ", "HTTP 500 ", "HTTP 501 "];
    match refused.iter().any(|status| message.starts_with(status)) {
        true if names_echo => engine.unsupported_because(
            Capability::LogLikelihood,
            format!("the server refused echo: {message}"),
        ),
        _ => error,
    }
}
