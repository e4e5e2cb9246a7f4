//! How many tokens a prompt takes. llama-server says it before the prompt is
//! sent, through its own pages: the prompt its chat template makes of the
//! turns (`/apply-template`) and its tokens (`/tokenize`), as the in-process
//! engine renders and tokenizes them. Other servers say it only after a
//! request, in its `usage`.
use anyhow::{anyhow, Result};
use serde::Deserialize;
use serde_json::{json, Value};

use super::probe::server_root;
use super::stream::stream_chat;
use super::wire::chat_body;
use super::{OpenAiEngine, GREEDY};
use crate::engine::AnswerRequest;
use crate::suite::Message;

#[derive(Debug, Deserialize)]
struct Tokens {
    tokens: Vec<i64>,
}

/// The prompt text of `req`: the turns joined by blank lines without a
/// template (as in-process), or the server's template applied (`/apply-template`).
pub(super) fn prompt_text(
    engine: &OpenAiEngine,
    root: &str,
    req: &AnswerRequest,
) -> Result<(String, String)> {
    if !req.use_chat_template {
        return Ok((raw_prompt(req), "raw".into()));
    }
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let url = format!("{root}/apply-template");
    let reply = engine
        .client
        .post_for_json(&url, &json!({"messages": messages}))?;
    let prompt = reply["prompt"]
        .as_str()
        .ok_or_else(|| anyhow!("{url} sent no prompt"))?;
    Ok((prompt.to_string(), "server".into()))
}

/// The turns joined by blank lines, as in-process without a template.
pub(super) fn raw_prompt(req: &AnswerRequest) -> String {
    let turns: Vec<&str> = req.messages.iter().map(|m| m.content.as_str()).collect();
    turns.join("\n\n")
}

/// How many tokens the turns take as the server renders them (the chat
/// template with the assistant's turn opened, or raw).
pub(super) fn count_prompt_tokens(engine: &OpenAiEngine, req: &AnswerRequest) -> Result<u32> {
    let root = server_root(engine.client.base());
    let (prompt, _) = prompt_text(engine, &root, req)?;
    Ok(tokenize(engine, &root, &prompt)?.len() as u32)
}

/// The server's tokens of `text`, with BOS where the model wants one and the
/// template's markers parsed (as the in-process engine tokenizes).
pub(super) fn tokenize(engine: &OpenAiEngine, root: &str, text: &str) -> Result<Vec<i64>> {
    let url = format!("{root}/tokenize");
    let body = json!({"content": text, "add_special": true, "parse_special": true});
    let reply = engine.client.post_for_json(&url, &body)?;
    let tokens: Tokens =
        serde_json::from_value(reply).map_err(|e| anyhow!("{url}: not a token list ({e})"))?;
    Ok(tokens.tokens)
}

/// The tokens of `messages` as any server counts them: sent untimed, one
/// token to generate, its `usage.prompt_tokens` (the chat template and the
/// opened assistant turn included).
pub(super) fn prompt_tokens_after_request(
    engine: &OpenAiEngine,
    messages: &[Message],
) -> Result<u32> {
    let body = chat_body(
        engine.client.model(),
        messages,
        1,
        GREEDY,
        engine.extra_fields(false),
    );
    Ok(stream_chat(&engine.client, &body, 1)?
        .usage()?
        .prompt_tokens)
}
