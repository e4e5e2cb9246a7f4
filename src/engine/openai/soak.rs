//! Soak over HTTP: streamed replies one after another, without pause, for the
//! span's time; each content chunk counted in the window it arrived in (one
//! token per chunk, as llama-server sends them; a server that batches tokens
//! into chunks is counted in chunks).
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::stream::stream_chat;
use super::wire::{chat_body, Sampling};
use super::OpenAiEngine;
use crate::engine::{AnswerRequest, SoakSpan, SoakWindow};

/// Tokens asked per request: long enough that request overhead is small.
const SOAK_REQUEST_TOKENS: u32 = 256;

/// Windows of the span, filled as chunks arrive.
struct Windows<'a> {
    span: SoakSpan,
    index: u32,
    tokens: u32,
    on_window: &'a mut dyn FnMut(SoakWindow),
}

impl Windows<'_> {
    fn window_end(&self) -> Duration {
        self.span.window * (self.index + 1)
    }

    /// Closes every window that ended by `at`; false once the span is over.
    fn close_until(&mut self, at: Duration) -> bool {
        while at >= self.window_end() {
            let end = self.window_end();
            (self.on_window)(SoakWindow {
                index: self.index,
                end,
                tokens: self.tokens,
                elapsed: self.span.window,
            });
            self.index += 1;
            self.tokens = 0;
            if end >= self.span.total {
                return false;
            }
        }
        true
    }
}

pub(super) fn soak(
    engine: &OpenAiEngine,
    prompt: &AnswerRequest,
    span: SoakSpan,
    on_window: &mut dyn FnMut(SoakWindow),
) -> Result<()> {
    if span.window.is_zero() {
        bail!("the soak window must be longer than zero");
    }
    let sampling = Sampling {
        temperature: 0.0,
        top_p: None,
        seed: super::USER_PATH_SEED,
    };
    let extra = engine.extra_fields(engine.config.ignore_eos);
    let model = engine.client.model();
    let body = chat_body(model, prompt.messages, SOAK_REQUEST_TOKENS, sampling, extra);
    let mut windows = Windows {
        span,
        index: 0,
        tokens: 0,
        on_window,
    };
    let start = Instant::now();
    // Every request takes time or brings tokens: an empty reply ends the soak.
    loop {
        let sent = start.elapsed();
        let streamed = stream_chat(&engine.client, &body, SOAK_REQUEST_TOKENS)?;
        if streamed.content_times.is_empty() {
            bail!(
                "the server generated nothing after {:.1} s of soak",
                sent.as_secs_f64()
            );
        }
        for &at in &streamed.content_times {
            if !windows.close_until(sent + at) {
                return Ok(());
            }
            windows.tokens += 1;
        }
        if !windows.close_until(start.elapsed()) {
            return Ok(());
        }
    }
}
