//! Multiple choice through llama-server, scored as in-process (and as
//! lm-evaluation-harness does): the prompt and each option tokenized together
//! by the server (`/tokenize`), the tokens past the shared prefix forced by a
//! grammar of token ids (`root ::= <[id]> ...`) in a `/v1/completions` request
//! whose prompt is the shared prefix as ids, and the option's log-likelihood
//! the sum of the `logprobs` the server reports for the forced tokens. Those
//! are the model's own probabilities (llama-server takes them from the logits
//! before the grammar and the sampler), so the score is the in-process one.
//! Other servers cannot be told the tokens: echo_choices.rs reads the
//! prompt's logprobs where they echo them.
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::probe::server_root;
use super::tokens::{prompt_text, tokenize};
use super::OpenAiEngine;
use crate::checks::OptionScore;
use crate::engine::{Answer, AnswerRequest};

#[derive(Debug, Deserialize)]
struct Completion {
    choices: Vec<CompletionChoice>,
}

#[derive(Debug, Deserialize)]
struct CompletionChoice {
    logprobs: Option<Logprobs>,
}

#[derive(Debug, Deserialize)]
struct Logprobs {
    content: Vec<TokenLogprob>,
}

#[derive(Debug, Deserialize)]
struct TokenLogprob {
    id: Option<i64>,
    logprob: f64,
}

/// Each option's log-likelihood as a continuation of the prompt.
pub(super) fn score_choices(
    engine: &OpenAiEngine,
    req: &AnswerRequest,
    options: &[String],
) -> Result<Answer> {
    let start = Instant::now();
    let root = server_root(engine.client.base());
    let (prompt, chat_template) = prompt_text(engine, &root, req)?;
    let context = tokenize(engine, &root, &prompt)?;
    let mut scores = Vec::with_capacity(options.len());
    for option in options {
        let whole = tokenize(engine, &root, &format!("{prompt}{option}"))?;
        // As in-process: the tokens past the longest shared prefix, at least one.
        let shared = whole
            .iter()
            .zip(&context)
            .take_while(|(a, b)| a == b)
            .count()
            .min(whole.len().saturating_sub(1))
            .max(1);
        if whole.len() < 2 {
            bail!("option {option:?}: the prompt and the option tokenize to fewer than 2 tokens");
        }
        scores.push(OptionScore {
            option: option.clone(),
            logprob: continuation_logprob(engine, &whole[..shared], &whole[shared..])?,
            n_tokens: (whole.len() - shared) as u32,
        });
    }
    Ok(Answer {
        n_prompt: context.len() as u32,
        ended: true,
        ttft: start.elapsed(),
        total: start.elapsed(),
        chat_template,
        choice_scores: Some(scores),
        ..Default::default()
    })
}

/// The sum of the logprobs of `continuation` after `prefix`, both token ids.
fn continuation_logprob(
    engine: &OpenAiEngine,
    prefix: &[i64],
    continuation: &[i64],
) -> Result<f64> {
    let grammar = continuation
        .iter()
        .map(|id| format!("<[{id}]>"))
        .collect::<Vec<_>>()
        .join(" ");
    let body = json!({
        "model": engine.client.model(),
        "prompt": prefix,
        "max_tokens": continuation.len(),
        "temperature": 0.0,
        "logprobs": 1,
        "grammar": format!("root ::= {grammar}"),
        "stream": false,
        // The prompt is the same for every option: let the server keep it.
        "cache_prompt": true,
    });
    let completion: Completion = whole_completion(engine, &body)?;
    let Some(logprobs) = completion
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.logprobs)
    else {
        return Err(engine.unsupported_logprobs());
    };
    let scored = &logprobs.content;
    let ids: Vec<Option<i64>> = scored.iter().map(|t| t.id).collect();
    let forced: Vec<Option<i64>> = continuation.iter().map(|&id| Some(id)).collect();
    if ids.len() < forced.len() || ids[..forced.len()] != forced[..] {
        bail!(
            "the server did not keep to the option's tokens (sent {continuation:?}, got {ids:?}): is this llama-server?"
        );
    }
    Ok(scored[..forced.len()].iter().map(|t| t.logprob).sum())
}

/// A `/completions` request answered whole (`stream: false`), read as `T`.
pub(super) fn whole_completion<T: DeserializeOwned>(
    engine: &OpenAiEngine,
    body: &Value,
) -> Result<T> {
    let reply = engine.client.post("/completions", body)?;
    if !reply.json {
        bail!("/completions did not answer with JSON");
    }
    let text = reply
        .body
        .into_with_config()
        // Echoed prompts' logprobs make long replies.
        .limit(16 << 20)
        .lossy_utf8(true)
        .read_to_string()
        .map_err(|e| engine.client.failed(&e))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "malformed completion ({e}): {}",
            engine.client.quote(&text, 120)
        )
    })
}
