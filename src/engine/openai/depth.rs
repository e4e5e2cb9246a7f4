//! The next user turn after a conversation (the user path at a depth) through
//! llama-server: `reused` sends the history once, untimed, so the server's
//! prompt cache (`cache_prompt`) holds it, then the timed turn with the cache
//! on; `cold` sends the whole conversation with the cache off, so the history
//! is prefilled in the timed part. Other servers cannot be told to keep or
//! drop a cache per request: unsupported.
use anyhow::Result;
use serde_json::json;

use super::stream::{stream_chat, user_path_timing};
use super::tokens::count_prompt_tokens;
use super::wire::{chat_body, Sampling};
use super::{Dialect, OpenAiEngine, USER_PATH_SEED};
use crate::engine::{AnswerRequest, Capability, Engine, UserPathRequest, UserPathTiming};
use crate::suite::{GenerationSettings, Message};

pub(super) fn user_path_after(
    engine: &mut OpenAiEngine,
    request: &UserPathRequest,
    history: &[Message],
    reuse: bool,
) -> Result<UserPathTiming> {
    if engine.config.dialect != Dialect::LlamaServer {
        return Err(engine.unsupported(Capability::CachedConversation));
    }
    let n_history = count_prompt_tokens(engine, &templated(history))?;
    let greedy = Sampling {
        temperature: 0.0,
        top_p: None,
        seed: USER_PATH_SEED,
    };
    let model = engine.client.model().to_string();
    if reuse {
        let mut warm = engine.extra_fields(false);
        warm.insert("cache_prompt".into(), json!(true));
        let body = chat_body(&model, history, 1, greedy, warm);
        stream_chat(&engine.client, &body, 1)?;
    }
    let mut messages = history.to_vec();
    messages.push(Message {
        role: "user".into(),
        content: request.prompt.into(),
    });
    let mut extra = engine.extra_fields(engine.config.ignore_eos);
    extra.insert("cache_prompt".into(), json!(reuse));
    let body = chat_body(&model, &messages, request.n_gen, greedy, extra);
    let streamed = stream_chat(&engine.client, &body, request.n_gen)?;
    let mut timing = user_path_timing(streamed)?;
    let all = timing.n_prompt;
    // What the server prefilled in the timed part: its own count when it
    // says it (timings.prompt_n), else all but the history.
    let prefilled = timing
        .server
        .as_ref()
        .and_then(|s| s.timings.as_ref()?.prompt_n);
    timing.n_prompt = match (reuse, prefilled) {
        (false, _) => all,
        (true, Some(n)) => n as u32,
        (true, None) => all.saturating_sub(n_history),
    };
    timing.n_history = n_history;
    Ok(timing)
}

/// The history as the user path renders it: the chat template applied.
fn templated(history: &[Message]) -> AnswerRequest<'_> {
    AnswerRequest {
        messages: history,
        use_chat_template: true,
        max_tokens: 0,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        json_schema: None,
        template: Default::default(),
        tools: &[],
    }
}
