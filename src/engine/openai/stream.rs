//! One streamed chat completion, each event timestamped as it is received,
//! and the user-path timing made from it.
//!
//! The timestamp of an event is taken when the reader hands it over, right
//! after the read that completed it: events that arrived in one read share a
//! time, which is what the client saw. A chunk may carry several tokens (a
//! server may batch them, or detokenize several into one piece); the token
//! count is then only known from `usage.completion_tokens`, and no time is
//! made up for the tokens inside a chunk: `token_times` holds the chunks'
//! times, and `ServerReport` says how many chunks and tokens there were.
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

use super::client::{Client, Reply};
use super::sse::{SseError, SseReader};
use super::tool_calls::ToolCalls;
use super::wire::{error_text, timings, Chunk, Completion, Delta, Usage};
use crate::checks::reasoning::{with_reasoning_inline, AnswerStart, ThinkTracker, TokenRole};
use crate::engine::{ServerReport, ServerTimings, UserPathTiming};

/// What one streamed reply brought, with the times since the request started.
#[derive(Debug, Default)]
pub(super) struct Streamed {
    /// One per received chunk that carried generated text (content or reasoning).
    pub content_times: Vec<Duration>,
    /// The reply's content.
    pub text: String,
    /// `reasoning_content` / `reasoning`, apart from the content.
    pub reasoning: String,
    /// Per entry of `content_times`: reasoning, blank, or answer (a content
    /// that holds its own `<think>` block is tracked through it).
    roles: Vec<TokenRole>,
    tracker: ThinkTracker,
    /// Native tool calls, put together from their pieces.
    pub tool_calls: ToolCalls,
    pub usage: Option<Usage>,
    pub timings: Option<ServerTimings>,
    pub finish_reason: Option<String>,
    /// vLLM named the stop string that ended the reply (`stop_reason`;
    /// `finish_reason` is `stop` either way): a stop sequence.
    pub stop_string: bool,
    /// When the first chunk with a finish reason arrived.
    pub finish_at: Option<Duration>,
    /// When `[DONE]` arrived.
    pub total: Duration,
    events: u32,
}

impl Streamed {
    pub(super) fn report(&self) -> ServerReport {
        ServerReport {
            completion_tokens: self.usage.map(|u| u.completion_tokens),
            content_chunks: self.content_times.len() as u32,
            timings: self.timings.clone(),
            cached_tokens: self.usage.and_then(|u| u.cached_tokens()),
            ..Default::default()
        }
    }

    /// The usage the server reports at the end of the stream.
    pub(super) fn usage(&self) -> Result<Usage> {
        self.usage.ok_or_else(|| {
            anyhow!(
                "the stream had no usage (does the server support stream_options.include_usage?)"
            )
        })
    }

    fn take(&mut self, chunk: Chunk, at: Duration, client: &Client) -> Result<()> {
        if let Some(error) = chunk.error {
            let message = error_text(&error).unwrap_or_else(|| error.to_string());
            bail!(
                "the server failed mid-stream: {}",
                client.quote(&message, 300)
            );
        }
        for choice in chunk.choices.into_iter().flatten() {
            self.take_delta(choice.delta.unwrap_or_default(), at)?;
            self.take_finish(choice.finish_reason, choice.stop_reason, at);
        }
        self.take_usage(chunk.usage, chunk.timings);
        Ok(())
    }

    /// Generated text, reasoning or a piece of a tool call: a chunk that
    /// carried generated tokens.
    fn take_delta(&mut self, delta: Delta, at: Duration) -> Result<()> {
        let content = delta.content.unwrap_or_default();
        let reasoning = (delta.reasoning_content.or(delta.reasoning)).unwrap_or_default();
        let calls = delta.tool_calls.unwrap_or_default();
        if !content.is_empty() || !reasoning.is_empty() || !calls.is_empty() {
            self.content_times.push(at);
            let role = match (calls.is_empty(), content.is_empty()) {
                (false, _) => TokenRole::Answer,
                (true, false) => self.tracker.push(&content),
                (true, true) => TokenRole::Reasoning,
            };
            self.roles.push(role);
        }
        self.text.push_str(&content);
        self.reasoning.push_str(&reasoning);
        self.tool_calls
            .take(calls)
            .map_err(|e| anyhow!("malformed tool calls: {e}"))
    }

    fn take_finish(&mut self, reason: Option<String>, stop_reason: Option<Value>, at: Duration) {
        if reason.is_some() && self.finish_reason.is_none() {
            self.stop_string = matches!(stop_reason, Some(Value::String(_)));
            self.finish_reason = reason;
            self.finish_at = Some(at);
        }
    }

    fn take_usage(&mut self, usage: Option<Usage>, server_timings: Option<Value>) {
        if usage.is_some() {
            self.usage = usage;
        }
        if let Some(timings) = server_timings.and_then(timings) {
            self.timings = Some(timings);
        }
    }

    /// What the checks read: the tool calls when the reply made any (as a
    /// JSON array of `{name, arguments}`), else the content, after the
    /// reasoning between `<think>` markers (left open when the reply was cut
    /// while reasoning), which scoring strips.
    pub(super) fn answer_text(&self) -> String {
        if self.tool_calls.is_empty() {
            with_reasoning_inline(&self.reasoning, &self.text, self.cut_while_reasoning())
        } else {
            self.tool_calls.text()
        }
    }

    /// Reasoning came and no answer did, and the model did not end the
    /// reply itself (`length`, or no reason given).
    fn cut_while_reasoning(&self) -> bool {
        !self.reasoning.is_empty()
            && !self.roles.contains(&TokenRole::Answer)
            && self.finish_reason.as_deref() != Some("stop")
    }

    /// Which chunks were reasoning and which is the first answer chunk.
    pub(super) fn answer_start(&self) -> AnswerStart {
        let unclosed = self.tracker.unclosed() || self.cut_while_reasoning();
        AnswerStart::of(&self.roles, unclosed)
    }
}

/// The most bytes one reply may send, streamed or whole: a reply of
/// thousands of tokens in llama-server's chunks (about 300 bytes each) is a
/// few MiB; past this the request fails, so that a server cannot make the
/// measuring child hold its replies without bound (docs/engines.md).
pub(super) const MAX_REPLY: u64 = 8 << 20;

/// The one-line reason of a reply past MAX_REPLY.
fn too_large() -> anyhow::Error {
    anyhow!(
        "the reply went past {} MiB, the most one reply may be; the request failed",
        MAX_REPLY >> 20
    )
}

/// A reply's body that fails once it has given `MAX_REPLY` bytes.
struct Capped<R> {
    inner: R,
    left: u64,
}

/// The error a capped body fails with.
#[derive(Debug)]
struct PastTheCap;

impl std::fmt::Display for PastTheCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the reply went past {} bytes", MAX_REPLY)
    }
}

impl std::error::Error for PastTheCap {}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a reply that ends exactly at the cap from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(PastTheCap)),
            };
        }
        let room = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn is_past_the_cap(error: &std::io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<PastTheCap>())
}

/// A reply sent whole (`application/json`) to a streamed request: one time,
/// when it was read, stands for its first chunk and its end alike.
fn unstreamed(client: &Client, reply: Reply, start: Instant) -> Result<Streamed> {
    let text = reply
        .body
        .into_with_config()
        .limit(MAX_REPLY)
        .lossy_utf8(true)
        .read_to_string()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => too_large(),
            e => client.failed(&e),
        })?;
    let at = start.elapsed();
    let completion: Completion = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "malformed chat completion ({e}): {}",
            client.quote(&text, 120)
        )
    })?;
    let mut out = Streamed {
        total: at,
        ..Default::default()
    };
    for choice in completion.choices {
        out.take_delta(choice.message.unwrap_or_default(), at)?;
        out.take_finish(choice.finish_reason, choice.stop_reason, at);
    }
    out.take_usage(completion.usage, completion.timings);
    Ok(out)
}

/// The most events one reply may send: a few per token (role, content,
/// reasoning, finish, usage chunks) and some to spare.
fn max_events(max_tokens: u32) -> u32 {
    max_tokens.saturating_mul(4).saturating_add(64)
}

/// POSTs a streamed chat completion and reads it to `[DONE]`, bounded in
/// events (`max_events`) and in time (the client's timeout); a server that
/// answers with the whole completion instead (`application/json`) is read too.
pub(super) fn stream_chat(client: &Client, body: &Value, max_tokens: u32) -> Result<Streamed> {
    let start = Instant::now();
    let reply = client.post("/chat/completions", body)?;
    if reply.json {
        return unstreamed(client, reply, start);
    }
    let mut events = SseReader::new(Capped {
        inner: reply.into_reader(),
        left: MAX_REPLY,
    });
    let mut out = Streamed::default();
    while out.events < max_events(max_tokens) {
        let data = match events.next_event() {
            Ok(Some(data)) => data,
            Ok(None) => bail!(
                "the stream stopped before [DONE] after {} events",
                out.events
            ),
            Err(SseError::Io(e)) if is_past_the_cap(&e) => return Err(too_large()),
            // As context, so that a timeout stays one (engine::is_timed_out).
            Err(SseError::Io(e)) => {
                return Err(client.read_failed(e).context(format!(
                    "the stream stopped before [DONE] after {} events",
                    out.events
                )))
            }
            Err(SseError::Malformed(m)) => {
                bail!("malformed event stream: {}", client.quote(&m, 120))
            }
        };
        let at = start.elapsed();
        out.events += 1;
        if data.trim() == "[DONE]" {
            out.total = at;
            return Ok(out);
        }
        if data.trim().is_empty() {
            continue;
        }
        let chunk: Chunk = serde_json::from_str(&data)
            .map_err(|e| anyhow!("malformed stream chunk ({e}): {}", client.quote(&data, 120)))?;
        out.take(chunk, at, client)?;
    }
    bail!(
        "the stream sent {} events without [DONE] (at most {} expected for {max_tokens} tokens)",
        out.events,
        max_events(max_tokens)
    )
}

/// The user-path timing of one streamed reply. Nothing is prepared on this
/// side (`prepare` is zero), and the prompt is known to be done only when the
/// first generated text arrives: `prompt_done` is the time to first content
/// chunk, which over HTTP includes prefill, the first token and the network.
pub(super) fn user_path_timing(streamed: Streamed) -> Result<UserPathTiming> {
    let usage = streamed.usage()?;
    let Some(&first) = streamed.content_times.first() else {
        bail!(
            "the stream carried no generated text (finish_reason {})",
            streamed.finish_reason.as_deref().unwrap_or("none")
        );
    };
    let server = Some(streamed.report());
    let answer_start = Some(streamed.answer_start());
    // The model's own end (not max_tokens) came after the tokens counted.
    let eos_at =
        (streamed.finish_reason.as_deref() == Some("stop")).then_some(usage.completion_tokens);
    Ok(UserPathTiming {
        n_prompt: usage.prompt_tokens,
        prepare: Duration::ZERO,
        prompt_done: first,
        token_times: streamed.content_times,
        eos_at,
        text: streamed.text,
        chat_template: "server".into(),
        server,
        answer_start,
        ..Default::default()
    })
}
