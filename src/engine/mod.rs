//! Inference engines behind one trait. The measuring child drives a
//! `&mut dyn Engine` and sees only the neutral types of `types.rs`, so another
//! engine (a server over HTTP) is one more module. What an engine cannot do it
//! answers with [`Unsupported`], which the results record as such: never a
//! figure made up to fill the column.
mod llama;
mod openai;
#[cfg(test)]
pub mod scripted;
pub mod speculative;
mod types;

pub use llama::{
    native_fault, probe, quantize_rows, schema_grammar, LlamaEngine, LLAMA_CPP_SYS_VERSION,
};
pub use openai::{Dialect, KeyRedactor, OpenAiConfig, OpenAiEngine, ServerProbe};
pub use types::{
    Answer, AnswerRequest, CacheControl, ConcurrentRun, ContextTrial, EngineSettings, EngineTiming,
    FidelityChunk, FidelityRequest, PrefillCount, ServerReport, ServerTimings, SoakSpan,
    SoakWindow, TemplateChoice, UserPathRequest, UserPathTiming,
};
// The probe is recorded in manifest.json, so its types live with the manifest.
pub use crate::results::manifest::{DeviceInfo, EngineProbe};

use crate::results::{with_depth, TestKind};
use crate::suite::Message;
use anyhow::Result;

/// One of llama-bench's engine-only tests, on top of `depth` tokens already
/// in the cache (llama-bench `-d`; the fill is not timed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchTest {
    pub kind: BenchKind,
    pub depth: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchKind {
    /// ppN: a prompt of N random tokens, decoded in batches.
    Prompt(u32),
    /// tgN: N random tokens decoded one at a time.
    Generation(u32),
    /// ppN+tgM: a prompt then a generation, timed as one (llama-bench `-pg`).
    PromptThenGeneration(u32, u32),
}

impl BenchTest {
    /// Prompt and generated tokens of one repetition.
    pub fn tokens(self) -> (u32, u32) {
        match self.kind {
            BenchKind::Prompt(n) => (n, 0),
            BenchKind::Generation(n) => (0, n),
            BenchKind::PromptThenGeneration(p, g) => (p, g),
        }
    }

    /// The context llama-bench gives the test: depth + prompt + generation.
    pub fn n_ctx(self) -> u32 {
        // Saturated, never wrapped: a context that cannot be made is refused,
        // a wrapped one would be tiny and then overrun.
        let (p, g) = self.tokens();
        self.depth.saturating_add(p).saturating_add(g)
    }

    /// `pp512`, `tg128`, `pp512+tg128`, `tg128@d2048`: the test's name in the rows.
    pub fn name(self) -> String {
        let kind = match self.kind {
            BenchKind::Prompt(n) => TestKind::Prompt(n),
            BenchKind::Generation(n) => TestKind::Generation(n),
            BenchKind::PromptThenGeneration(p, g) => TestKind::PromptThenGeneration(p, g),
        };
        with_depth(&kind.name(), self.depth)
    }
}

/// Whether the caller wants another repetition (`--reps auto` stops early).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepControl {
    Continue,
    Stop,
}

/// What an engine may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// ppN/tgN over random token ids (llama-bench's engine-only tests).
    RandomTokenBench,
    /// The log-likelihood of a given continuation (multiple-choice scoring).
    LogLikelihood,
    /// Full logits of every position: perplexity and KL divergence.
    FullLogits,
    /// Creating a context of a chosen size (the memory-ceiling ladder).
    ContextSize,
    /// Generating without pause for a set time (soak).
    SustainedGeneration,
    /// Counting a prompt's tokens before it is sent (a server tokenizes it itself).
    PromptTokenCount,
    /// A prompt sent as is, without the chat template (a chat API always applies one).
    RawPrompt,
    /// Several requests in flight at once (a server's slots).
    ConcurrentRequests,
    /// A conversation's history kept in the cache for its next turn.
    CachedConversation,
    /// Native tool calls (tools given apart from the prompt) without a Jinja
    /// chat template to show them (in-process: none of the model's, and
    /// `chat_template` names a llama.cpp template or `raw`).
    NativeToolsWithoutJinja,
    /// Native tool calls through a chat template that never uses `tools`.
    NativeToolsTemplateIgnoresTools,
    /// The model's own multi-token-prediction heads (`--spec mtp`).
    MtpHeads,
    /// Speculative decoding in a test other than tgN at depth 0 and the user path.
    SpeculativeTest,
}

impl Capability {
    pub fn describe(self) -> &'static str {
        match self {
            Capability::RandomTokenBench => "random-token ppN/tgN",
            Capability::LogLikelihood => "log-likelihood scoring",
            Capability::FullLogits => "perplexity and KL divergence (full logits)",
            Capability::ContextSize => "contexts of a chosen size",
            Capability::SustainedGeneration => "sustained generation (soak)",
            Capability::PromptTokenCount => "counting a prompt's tokens before sending it",
            Capability::RawPrompt => "prompts without the chat template",
            Capability::ConcurrentRequests => "several requests at once",
            Capability::CachedConversation => {
                "a conversation kept in the cache (user path at a depth)"
            }
            Capability::NativeToolsWithoutJinja => {
                "native tool calls without a Jinja chat template (the model has none, and a llama.cpp template name or raw cannot show tools: give one with chat_template)"
            }
            Capability::NativeToolsTemplateIgnoresTools => {
                "native tool calls with this chat template: it never uses `tools`, so the model would not see them (give one that does with chat_template)"
            }
            Capability::MtpHeads => {
                "MTP speculative decoding on this model: it has no multi-token-prediction heads (no <arch>.nextn_predict_layers in its GGUF)"
            }
            Capability::SpeculativeTest => {
                "speculative decoding in this test (only tgN at depth 0 and the user path take the draft)"
            }
        }
    }
}

/// The error of a capability the engine does not have; find it with
/// `error.downcast_ref::<Unsupported>()`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{engine} does not support {}", .capability.describe())]
pub struct Unsupported {
    pub engine: &'static str,
    pub capability: Capability,
}

/// Whether `error` says the engine lacks a capability (rather than that it failed).
pub fn is_unsupported(error: &anyhow::Error) -> bool {
    error.downcast_ref::<Unsupported>().is_some()
}

/// The error of a request that got no complete answer in time (a server's
/// reply past the client's timeout); find it with [`is_timed_out`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TimedOut(pub String);

/// Whether `error`, or an error it carries, is a [`TimedOut`].
pub fn is_timed_out(error: &anyhow::Error) -> bool {
    error.chain().any(|e| e.is::<TimedOut>())
}

/// One loaded model, ready to measure. Methods with a default body are the
/// capabilities an engine may lack.
pub trait Engine {
    /// A short name for messages and rows ("llama.cpp").
    fn name(&self) -> &'static str;

    /// ppN, tgN or ppN+tgM over random token ids: `warmup` unmeasured runs,
    /// then at most `max_reps` timed ones, each reported to `on_rep` with its
    /// index; `on_rep` says whether to go on.
    fn random_token_bench(
        &mut self,
        test: BenchTest,
        warmup: u32,
        max_reps: u32,
        on_rep: &mut dyn FnMut(u32, Result<EngineTiming>) -> RepControl,
    ) -> Result<()> {
        let _ = (test, warmup, max_reps, on_rep);
        Err(self.unsupported(Capability::RandomTokenBench))
    }

    /// One templated prompt as a user sends it, every token timestamped.
    fn user_path(&mut self, request: &UserPathRequest) -> Result<UserPathTiming>;

    /// The next user turn after `history`, every token timestamped from the
    /// request: with `reuse` the history is already in the cache (put there
    /// untimed, as a server's prompt cache has it), else the whole
    /// conversation is prefilled in the timed part.
    fn user_path_after(
        &mut self,
        request: &UserPathRequest,
        history: &[Message],
        reuse: bool,
    ) -> Result<UserPathTiming> {
        let _ = (request, history, reuse);
        Err(self.unsupported(Capability::CachedConversation))
    }

    /// `requests` sent `streams` at a time: each stream sends its next request
    /// when its reply is complete, as a load generator's closed loop does.
    fn concurrent_user_path(
        &mut self,
        requests: &[UserPathRequest],
        streams: u32,
    ) -> Result<ConcurrentRun> {
        let _ = (requests, streams);
        Err(self.unsupported(Capability::ConcurrentRequests))
    }

    /// A conversation in a context of `n_ctx` tokens, reused between its requests.
    fn conversation(&mut self, n_ctx: u32) -> Result<Box<dyn Conversation + '_>>;

    /// Generates from `prompt` without pause for `span.total`, one report per window.
    fn soak(
        &mut self,
        prompt: &AnswerRequest,
        span: SoakSpan,
        on_window: &mut dyn FnMut(SoakWindow),
    ) -> Result<()> {
        let _ = (prompt, span, on_window);
        Err(self.unsupported(Capability::SustainedGeneration))
    }

    /// A context of `n_ctx` tokens (filled when `fill`), then a few tokens generated.
    fn try_context(&mut self, n_ctx: u32, fill: bool) -> Result<ContextTrial> {
        let _ = (n_ctx, fill);
        Err(self.unsupported(Capability::ContextSize))
    }

    /// Perplexity of a text in chunks; KL divergence against a reference model.
    fn fidelity(
        &mut self,
        request: &FidelityRequest,
        on_chunk: &mut dyn FnMut(FidelityChunk),
    ) -> Result<()> {
        let _ = (request, on_chunk);
        Err(self.unsupported(Capability::FullLogits))
    }

    fn unsupported(&self, capability: Capability) -> anyhow::Error {
        Unsupported {
            engine: self.name(),
            capability,
        }
        .into()
    }
}

/// Requests that share one context (the quality cases of a unit, the turns of
/// a multi-turn conversation).
pub trait Conversation {
    /// How many tokens the request's prompt takes (to see whether a turn still fits).
    fn prompt_tokens(&mut self, request: &AnswerRequest) -> Result<u32>;

    /// The same count, found by sending the prompt where it cannot be
    /// counted before (a server: one untimed request, its usage). For sizing
    /// a history outside any timed part; it may fill a server's cache.
    fn prompt_tokens_by_request(&mut self, request: &AnswerRequest) -> Result<u32> {
        self.prompt_tokens(request)
    }

    /// Generates an answer until the model ends it or `max_tokens` is reached.
    fn answer(&mut self, request: &AnswerRequest) -> Result<Answer>;

    /// The next request decodes its whole prompt (no prefix of an earlier
    /// one reused). Engines that keep no cache of their own ignore it.
    fn forget_cache(&mut self) {}

    /// Scores each option as a continuation of the prompt by its log-likelihood.
    fn score_choices(&mut self, request: &AnswerRequest, options: &[String]) -> Result<Answer> {
        let _ = (request, options);
        Err(Unsupported {
            engine: self.engine_name(),
            capability: Capability::LogLikelihood,
        }
        .into())
    }

    fn engine_name(&self) -> &'static str;
}
