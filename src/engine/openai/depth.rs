//! The next user turn after a conversation (the user path at a depth).
//!
//! llama-server is told per request: `reused` sends the history once,
//! untimed, so its prompt cache (`cache_prompt`) holds it, then the timed turn
//! with the cache on; `cold` sends the whole conversation with the cache off.
//!
//! Other servers (vLLM's automatic prefix caching, Ollama, SGLang) reuse a
//! cached prefix on their own and cannot be told. Both modes send the history
//! alone first, untimed, behind a unique system message (its
//! `usage.prompt_tokens` is the history's size); `reused` then sends the timed
//! turn behind the same message, so the server may reuse the history, and
//! `cold` behind a new one, so no cached prefix matches. A fresh message per
//! repetition keeps a repetition from reusing the previous one's turn.
use anyhow::Result;
use serde_json::{json, Map, Value};

use super::stream::{stream_chat, user_path_timing};
use super::tokens::{count_prompt_tokens, prompt_tokens_after_request};
use super::wire::chat_body;
use super::{Dialect, OpenAiEngine, GREEDY};
use crate::engine::{AnswerRequest, CacheControl, PrefillCount, UserPathRequest, UserPathTiming};
use crate::suite::{GenerationSettings, Message};

pub(super) fn user_path_after(
    engine: &mut OpenAiEngine,
    request: &UserPathRequest,
    history: &[Message],
    reuse: bool,
) -> Result<UserPathTiming> {
    match engine.config.dialect {
        Dialect::LlamaServer => llama_server_turn(engine, request, history, reuse),
        Dialect::Generic => generic_turn(engine, request, history, reuse),
    }
}

fn llama_server_turn(
    engine: &mut OpenAiEngine,
    request: &UserPathRequest,
    history: &[Message],
    reuse: bool,
) -> Result<UserPathTiming> {
    let n_history = count_prompt_tokens(engine, &templated(history))?;
    if reuse {
        let mut warm = engine.extra_fields(false);
        warm.insert("cache_prompt".into(), json!(true));
        let body = chat_body(engine.client.model(), history, 1, GREEDY, warm);
        stream_chat(&engine.client, &body, 1)?;
    }
    let mut extra = engine.extra_fields(engine.config.ignore_eos);
    extra.insert("cache_prompt".into(), json!(reuse));
    let messages = with_turn(history, request.prompt);
    let timing = timed(engine, &messages, request.n_gen, extra)?;
    // What the server prefilled in the timed part: its own count when it
    // says it (timings.prompt_n), else all but the history.
    let server = timing.server.as_ref();
    let prefilled = server.and_then(|s| s.timings.as_ref()?.prompt_n);
    let prefill = match (reuse, prefilled) {
        (false, _) => (timing.n_prompt, PrefillCount::Usage),
        (true, Some(n)) => (n as u32, PrefillCount::ServerTimings),
        (true, None) => (
            timing.n_prompt.saturating_sub(n_history),
            PrefillCount::Derived,
        ),
    };
    Ok(settled(
        timing,
        n_history,
        prefill,
        CacheControl::CachePrompt,
    ))
}

fn generic_turn(
    engine: &mut OpenAiEngine,
    request: &UserPathRequest,
    history: &[Message],
    reuse: bool,
) -> Result<UserPathTiming> {
    let history_nonce = engine.nonce_message();
    let turn_nonce = match reuse {
        true => history_nonce.clone(),
        false => engine.nonce_message(),
    };
    let alone: Vec<Message> = std::iter::once(history_nonce)
        .chain(history.iter().cloned())
        .collect();
    let n_history = prompt_tokens_after_request(engine, &alone)?;
    let mut messages = vec![turn_nonce];
    messages.extend(with_turn(history, request.prompt));
    let extra = engine.extra_fields(engine.config.ignore_eos);
    let timing = timed(engine, &messages, request.n_gen, extra)?;
    // What the server prefilled: its own word when it gives one, else for
    // `reused` all but the history (as if all of it was reused).
    let all = timing.n_prompt;
    let cached = timing.server.as_ref().and_then(|s| s.cached_tokens);
    let prefill = match (cached, reuse) {
        (Some(cached), _) => (all.saturating_sub(cached), PrefillCount::CachedTokens),
        (None, true) => (all.saturating_sub(n_history), PrefillCount::Derived),
        (None, false) => (all, PrefillCount::Usage),
    };
    let control = match reuse {
        true => CacheControl::ServerChoice,
        false => CacheControl::Nonce,
    };
    Ok(settled(timing, n_history, prefill, control))
}

/// The timed request: `messages` streamed greedily, `n_gen` tokens at most.
fn timed(
    engine: &OpenAiEngine,
    messages: &[Message],
    n_gen: u32,
    extra: Map<String, Value>,
) -> Result<UserPathTiming> {
    let body = chat_body(engine.client.model(), messages, n_gen, GREEDY, extra);
    user_path_timing(stream_chat(&engine.client, &body, n_gen)?)
}

/// The timing with what the timed part prefilled and how that was found,
/// the history's size, and how reusing it was controlled.
fn settled(
    mut timing: UserPathTiming,
    n_history: u32,
    (n_prompt, count): (u32, PrefillCount),
    control: CacheControl,
) -> UserPathTiming {
    let server = timing.server.get_or_insert_with(Default::default);
    server.prefill_count = Some(count);
    server.cache_control = Some(control);
    timing.n_prompt = n_prompt;
    timing.n_history = n_history;
    timing
}

/// The history and then the next user turn.
fn with_turn(history: &[Message], prompt: &str) -> Vec<Message> {
    let mut messages = history.to_vec();
    messages.push(Message {
        role: "user".into(),
        content: prompt.into(),
    });
    messages
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
