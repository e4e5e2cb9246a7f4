//! The user path at a depth: the next turn of a conversation whose history is
//! already in the cache (reused, as a server with prompt caching has it) or
//! prefilled with the turn (cold).
use std::time::Instant;

use anyhow::{bail, Result};

use super::answer::{check_fits, greedy_reply};
use super::decode::{Chunks, Sequence};
use super::template::{opened_block, render, tokenize};
use super::LlamaEngine;
use crate::engine::{UserPathRequest, UserPathTiming};
use crate::suite::Message;

pub(super) fn user_path_after(
    engine: &LlamaEngine,
    req: &UserPathRequest,
    history: &[Message],
    reuse: bool,
) -> Result<UserPathTiming> {
    let model = &engine.model;
    let mut ctx = engine.new_context(req.n_ctx)?;
    let mut conversation = history.to_vec();
    conversation.push(Message {
        role: "user".into(),
        content: req.prompt.into(),
    });
    // The history's share of the conversation's tokens: their common prefix
    // (the history alone ends with an opened assistant turn the whole lacks).
    let (history_text, _) = render(model, history, Some(req.template))?;
    let (whole_text, _) = render(model, &conversation, Some(req.template))?;
    let whole = tokenize(model, &whole_text);
    let shared = common_prefix(&tokenize(model, &history_text), &whole);
    if shared == 0 || shared >= whole.len() {
        bail!(
            "the conversation's history is not a prefix of its next turn under this chat template"
        );
    }
    check_fits(whole.len(), req)?;
    let cached = if reuse { shared } else { 0 };
    ctx.clear_kv_cache();
    Chunks::new(engine.settings.n_batch).decode(
        &mut ctx,
        &whole[..cached],
        |_| false,
        |_, _| {},
    )?;
    ctx.synchronize();

    // Timed from here, templating and tokenizing included as in `user_path`.
    let start = Instant::now();
    let (text, chat_template) = render(model, &conversation, Some(req.template))?;
    let tokens = tokenize(model, &text);
    let prepare = start.elapsed();
    let rest = &tokens[cached..];
    let sequence = Sequence::resume(&mut ctx, cached as u32, rest, engine.settings.n_batch)?;
    let opened = opened_block(model, &chat_template, &text);
    let timing = UserPathTiming {
        n_prompt: rest.len() as u32,
        n_history: shared as u32,
        prepare,
        prompt_done: start.elapsed(),
        chat_template,
        ..Default::default()
    };
    greedy_reply(
        &mut ctx,
        model,
        sequence,
        (start, timing),
        (req.n_gen, opened),
    )
}

fn common_prefix<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}
