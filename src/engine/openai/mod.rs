//! An engine behind an OpenAI-compatible server on this machine (llama-server,
//! Ollama, vLLM, trtllm-serve, MLC): the user path and every answer as a
//! streamed chat completion, timestamped per received chunk. What a server
//! cannot do stays `Unsupported`. docs/engines.md defines the metrics.
mod address;
mod chat;
#[cfg(test)]
mod choice_tests;
mod choices;
mod client;
mod concurrent;
#[cfg(test)]
mod conversation_tests;
mod depth;
#[cfg(test)]
mod echo_choice_tests;
mod echo_choices;
#[cfg(test)]
mod finish_tests;
mod key;
mod probe;
#[cfg(test)]
mod reasoning_tests;
mod soak;
mod sse;
mod stream;
mod tokens;
mod wire;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;
mod tool_calls;
#[cfg(test)]
mod tool_tests;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use serde_json::{json, Map, Value};

use super::{
    AnswerRequest, ConcurrentRun, Conversation, Engine, SoakSpan, SoakWindow, UserPathRequest,
    UserPathTiming,
};
use crate::suite::Message;
use client::{Client, Secret};
use wire::Sampling;

pub use key::KeyRedactor;
pub use probe::ServerProbe;

/// The seed of every user-path request (greedy decoding should not need one;
/// a server that samples anyway then repeats itself).
const USER_PATH_SEED: u32 = 42;

/// How every user-path and untimed request samples.
const GREEDY: Sampling = Sampling {
    temperature: 0.0,
    top_p: None,
    seed: USER_PATH_SEED,
};

/// Which server it is, for the few fields only some servers know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// llama-server: `cache_prompt` turns its prompt cache off per request,
    /// and its `timings` are kept.
    LlamaServer,
    /// Any other server: user-path prompts get a nonce in a system message
    /// so that no cached prefix is reused.
    #[default]
    Generic,
}

/// Where the server is and how to talk to it.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// The API root, e.g. "http://127.0.0.1:8080/v1"; loopback addresses only.
    pub base_url: String,
    /// The server's id of the model (as `/v1/models` lists it).
    pub model: String,
    /// The NAME of the environment variable that holds the API key, if any.
    pub api_key_env: Option<String>,
    /// The most one request may take, from connecting to its last byte.
    pub timeout: Duration,
    pub dialect: Dialect,
    /// Let the server reuse cached prompt prefixes (off: every user-path
    /// prompt is made unique so a cache cannot flatter the time to first token).
    pub prefix_cache: bool,
    /// Ask the server to go on past the end-of-generation token
    /// (`ignore_eos`: llama-server, vLLM), so the user path generates its
    /// n_gen tokens as in-process; the text then runs past the model's end.
    pub ignore_eos: bool,
    /// The chat API's `tool_choice` (`auto`, `required`, `none`), sent with
    /// tools given in its `tools` field; None: not sent.
    pub tool_choice: Option<&'static str>,
}

impl OpenAiConfig {
    pub fn new(base_url: &str, model: &str) -> Self {
        OpenAiConfig {
            base_url: base_url.to_string(),
            model: model.to_string(),
            api_key_env: None,
            timeout: Duration::from_secs(300),
            dialect: Dialect::Generic,
            prefix_cache: false,
            ignore_eos: false,
            tool_choice: None,
        }
    }
}

#[derive(Debug)]
pub struct OpenAiEngine {
    client: Client,
    config: OpenAiConfig,
    /// Makes each nonce unique across processes (time and pid at creation).
    nonce_base: u64,
    requests: u64,
}

impl OpenAiEngine {
    /// Checks the address (loopback only) and reads the API key from its
    /// variable; nothing is sent yet.
    pub fn new(config: OpenAiConfig) -> Result<Self> {
        let key = match &config.api_key_env {
            Some(name) => Some(Secret::new(std::env::var(name).map_err(|_| {
                anyhow!("the API key variable {name} is not set (or not valid UTF-8)")
            })?)),
            None => None,
        };
        let client = Client::new(&config.base_url, &config.model, key, config.timeout)?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(OpenAiEngine {
            client,
            config,
            nonce_base: nanos ^ (u64::from(std::process::id()) << 32),
            requests: 0,
        })
    }

    /// Fields only the configured server knows.
    fn extra_fields(&self, ignore_eos: bool) -> Map<String, Value> {
        let mut extra = Map::new();
        if self.config.dialect == Dialect::LlamaServer {
            extra.insert("cache_prompt".into(), json!(self.config.prefix_cache));
        }
        if ignore_eos {
            extra.insert("ignore_eos".into(), json!(true));
        }
        extra
    }

    /// The user's prompt, made unique unless prefixes may be cached: llama-server
    /// is told not to cache (the prompt stays exactly the in-process one); other
    /// servers get a short nonce as a system message ahead of it, which changes
    /// the prompt (and may replace a template's default system prompt) but not
    /// the question.
    fn user_path_messages(&mut self, prompt: &str) -> Vec<Message> {
        let mut messages = Vec::with_capacity(2);
        if !self.config.prefix_cache && self.config.dialect == Dialect::Generic {
            messages.push(self.nonce_message());
        }
        messages.push(Message {
            role: "user".into(),
            content: prompt.into(),
        });
        messages
    }

    /// `Request <nonce>.` as a system message, unique per request and
    /// process: the request's count mixed with the process's base. Its first
    /// digit is the count's last, so two nonces in a row differ right there
    /// and a server's cached prefix ends before them.
    fn nonce_message(&mut self) -> Message {
        self.requests += 1;
        let counted = self
            .nonce_base
            .wrapping_add(self.requests.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Message {
            role: "system".into(),
            content: format!("Request {:x}{:016x}.", self.requests % 16, mix(counted)),
        }
    }

    /// One user-path request: greedy, seeded, a unique prompt.
    fn user_path_body(&mut self, request: &UserPathRequest) -> Value {
        let messages = self.user_path_messages(request.prompt);
        let extra = self.extra_fields(self.config.ignore_eos);
        wire::chat_body(self.client.model(), &messages, request.n_gen, GREEDY, extra)
    }

    /// A server that sent no `logprobs`: it cannot score options.
    fn unsupported_logprobs(&self) -> anyhow::Error {
        self.unsupported(super::Capability::LogLikelihood)
    }

    /// `Unsupported`, with the reason this server lacks it (kept in the row).
    fn unsupported_because(&self, capability: super::Capability, reason: String) -> anyhow::Error {
        self.unsupported(capability).context(reason)
    }

    /// `redacted`, except that an `Unsupported` stays one (the rows then say so).
    fn keep_unsupported(&self, error: anyhow::Error) -> anyhow::Error {
        match super::is_unsupported(&error) {
            true => error,
            false => self.redacted(error),
        }
    }

    /// Every error as one line, the API key cut out (a timeout still says so).
    fn redacted(&self, error: anyhow::Error) -> anyhow::Error {
        let line = self.client.quote(&format!("{error:#}"), 600);
        match super::is_timed_out(&error) {
            true => super::TimedOut(line).into(),
            false => anyhow!(line),
        }
    }
}

/// SplitMix64's finaliser: a bijection, so distinct inputs stay distinct.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Engine for OpenAiEngine {
    fn name(&self) -> &'static str {
        "openai"
    }

    /// One streamed chat completion, greedy, `n_gen` tokens at most; the
    /// template choice is the server's own (chat_template "server"), and
    /// `n_ctx` is the server's too.
    fn user_path(&mut self, request: &UserPathRequest) -> Result<UserPathTiming> {
        let body = self.user_path_body(request);
        stream::stream_chat(&self.client, &body, request.n_gen)
            .and_then(stream::user_path_timing)
            .map_err(|e| self.redacted(e))
    }

    /// Each stream a thread with its own connection, taking the next request
    /// when its reply is complete; every request a unique prompt as in
    /// `user_path`, so no stream rides on another's cached prefix.
    fn concurrent_user_path(
        &mut self,
        requests: &[UserPathRequest],
        streams: u32,
    ) -> Result<ConcurrentRun> {
        let bodies: Vec<(Value, u32)> = requests
            .iter()
            .map(|request| (self.user_path_body(request), request.n_gen))
            .collect();
        let run = concurrent::run_closed_loop(&self.client, &bodies, streams);
        Ok(ConcurrentRun {
            replies: run
                .replies
                .into_iter()
                .map(|reply| reply.map_err(|e| self.redacted(e)))
                .collect(),
            wall: run.wall,
        })
    }

    /// depth.rs: the history kept in llama-server's prompt cache (`reuse`)
    /// or prefilled with the turn; on other servers offered to their cache
    /// untimed, or kept from it by a unique first message.
    fn user_path_after(
        &mut self,
        request: &UserPathRequest,
        history: &[Message],
        reuse: bool,
    ) -> Result<UserPathTiming> {
        depth::user_path_after(self, request, history, reuse).map_err(|e| self.keep_unsupported(e))
    }

    /// Replies streamed one after another for the span (soak.rs); the
    /// server's own context, so `span.n_ctx` is not sent.
    fn soak(
        &mut self,
        prompt: &AnswerRequest,
        span: SoakSpan,
        on_window: &mut dyn FnMut(SoakWindow),
    ) -> Result<()> {
        soak::soak(self, prompt, span, on_window).map_err(|e| self.redacted(e))
    }

    /// The server keeps its own context; `n_ctx` is not sent.
    fn conversation(&mut self, _n_ctx: u32) -> Result<Box<dyn Conversation + '_>> {
        Ok(Box::new(chat::OpenAiConversation::new(self)))
    }
}
