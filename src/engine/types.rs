//! What goes in and out of an engine: token counts, text and timings, nothing
//! of any one engine's own types (no token ids of a vocabulary, no grammar).
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checks::reasoning::AnswerStart;
use crate::checks::OptionScore;
use crate::config::{Configuration, KvCacheType};
use crate::results::plan::Speculation;
use crate::results::speculation::SpecFigures;
use crate::results::FinishReason;
use crate::suite::tools::ToolSpec;
use crate::suite::{GenerationSettings, Message};

/// Engine-only timing of one repetition (comparable to llama-bench): the
/// prompt part and the generation part (zero tokens where the test has none).
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineTiming {
    pub n_prompt: u32,
    pub prompt: Duration,
    pub n_gen: u32,
    pub generation: Duration,
    /// A speculative tgN: what was drafted and accepted, the identity check.
    pub spec: Option<SpecFigures>,
}

impl EngineTiming {
    /// All tokens over all time: llama-bench's t/s of a test.
    pub fn tokens_per_second(&self) -> f64 {
        let n = self.n_prompt + self.n_gen;
        n as f64 / (self.prompt + self.generation).as_secs_f64()
    }

    pub fn prompt_tps(&self) -> Option<f64> {
        (self.n_prompt > 0).then(|| self.n_prompt as f64 / self.prompt.as_secs_f64())
    }

    pub fn generation_tps(&self) -> Option<f64> {
        (self.n_gen > 0).then(|| self.n_gen as f64 / self.generation.as_secs_f64())
    }
}

/// Which chat template applies: an explicit override for this candidate, else
/// the model's own, else the sweep's fallback, else none ("raw").
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateChoice<'a> {
    pub override_name: Option<&'a str>,
    pub fallback: Option<&'a str>,
}

/// One user-path request: `prompt` as the user's turn, `n_gen` tokens generated
/// greedily past any end-of-generation token, in a context of `n_ctx`.
#[derive(Debug, Clone, Copy)]
pub struct UserPathRequest<'a> {
    pub prompt: &'a str,
    pub n_gen: u32,
    pub n_ctx: u32,
    pub template: TemplateChoice<'a>,
}

/// A concurrency level's requests: each reply's timing (or why it failed),
/// in the order of the requests, and the wall time from the first request
/// sent to the last reply complete.
#[derive(Debug, Default)]
pub struct ConcurrentRun {
    pub replies: Vec<anyhow::Result<UserPathTiming>>,
    pub wall: Duration,
}

/// User-path timing of one templated prompt: every timestamp is taken from the
/// moment the request starts, before templating and tokenization.
#[derive(Debug, Clone, Default)]
pub struct UserPathTiming {
    /// Tokens decoded in the timed part (after any cached history).
    pub n_prompt: u32,
    /// A turn at a depth: the conversation's history in tokens, whether it
    /// was cached or decoded with the turn.
    pub n_history: u32,
    /// Templating + tokenization only.
    pub prepare: Duration,
    /// Request start to the end of the prompt decode (before the first sample).
    pub prompt_done: Duration,
    /// Request start to each generated token (after it was sampled).
    pub token_times: Vec<Duration>,
    /// Index of the first end-of-generation token, if the model produced one
    /// (generation goes on past it so latency_50_ms is always measured).
    pub eos_at: Option<u32>,
    /// The reply up to the first end-of-generation token.
    pub text: String,
    /// Which template was applied: "model", a template name, or "raw".
    pub chat_template: String,
    /// What a server reported beside the client's timestamps (engines over HTTP).
    pub server: Option<ServerReport>,
    /// Which of `token_times` were reasoning and which is the first answer
    /// token; None where the engine does not tell them apart.
    pub answer_start: Option<AnswerStart>,
    /// Speculative decoding: what was drafted and accepted, the identity check.
    pub spec: Option<SpecFigures>,
}

/// What a server said about one request: its token count and, from
/// llama-server, its own `timings`. Kept apart from the client-measured figures
/// so the two can be shown side by side and never mixed up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerReport {
    /// `usage.completion_tokens`. Over HTTP `token_times` holds one entry per
    /// received chunk that carried text, which is fewer when a chunk carries
    /// several tokens; this is the token count.
    pub completion_tokens: Option<u32>,
    /// Received chunks that carried generated text.
    pub content_chunks: u32,
    /// llama-server's `timings`, as it reported them.
    pub timings: Option<ServerTimings>,
    /// `usage.prompt_tokens_details.cached_tokens`: prompt tokens the server
    /// took from its cache (vLLM with `--enable-prompt-tokens-details`,
    /// llama-server, OpenAI); none when it does not say.
    pub cached_tokens: Option<u32>,
    /// A turn at a depth: how `n_prompt` (the tokens prefilled in the timed
    /// part) was found, and how the use of a cached history was controlled.
    pub prefill_count: Option<PrefillCount>,
    pub cache_control: Option<CacheControl>,
}

/// How a served turn's prefilled tokens (`n_prompt`) were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefillCount {
    /// llama-server's `timings.prompt_n`: the tokens it prefilled.
    ServerTimings,
    /// `usage.prompt_tokens` less `usage.prompt_tokens_details.cached_tokens`.
    CachedTokens,
    /// `usage.prompt_tokens` less the history's tokens: assumes the whole
    /// history was reused, which the server did not confirm.
    Derived,
    /// `usage.prompt_tokens`: all of the prompt, nothing reusable was sent.
    Usage,
}

impl PrefillCount {
    pub fn name(self) -> &'static str {
        match self {
            PrefillCount::ServerTimings => "timings.prompt_n",
            PrefillCount::CachedTokens => "cached_tokens",
            PrefillCount::Derived => "derived",
            PrefillCount::Usage => "usage",
        }
    }
}

/// How a served turn at a depth was let (or not) reuse a cached history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheControl {
    /// llama-server's per-request `cache_prompt` (true: reused, false: cold).
    CachePrompt,
    /// Reused on another server: the history went first, untimed, with the
    /// same prefix; whether the server kept and reused it is its own choice.
    ServerChoice,
    /// Cold on another server: a unique first message, so no cached prefix
    /// matches past the template's first tokens.
    Nonce,
}

impl CacheControl {
    pub fn name(self) -> &'static str {
        match self {
            CacheControl::CachePrompt => "cache_prompt",
            CacheControl::ServerChoice => "server_choice",
            CacheControl::Nonce => "nonce",
        }
    }
}

/// llama-server's `timings` object (absent from other servers).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ServerTimings {
    pub cache_n: Option<u64>,
    pub prompt_n: Option<u64>,
    pub prompt_ms: Option<f64>,
    pub prompt_per_second: Option<f64>,
    pub predicted_n: Option<u64>,
    pub predicted_ms: Option<f64>,
    pub predicted_per_second: Option<f64>,
    /// A server started with a draft model (`-md`): tokens drafted and accepted.
    pub draft_n: Option<u64>,
    pub draft_n_accepted: Option<u64>,
}

/// One question to the model.
#[derive(Debug, Clone, Copy)]
pub struct AnswerRequest<'a> {
    pub messages: &'a [Message],
    pub use_chat_template: bool,
    pub max_tokens: u32,
    pub sampling: GenerationSettings,
    /// JSON schema the answer is held to (constrained decoding); each engine
    /// turns it into its own form (llama.cpp: a GBNF grammar).
    pub json_schema: Option<&'a serde_json::Value>,
    pub template: TemplateChoice<'a>,
    /// Tools for a server API's `tools` field (the messages do not list them);
    /// the reply's tool calls come back as `Answer::text`. Empty: none.
    pub tools: &'a [ToolSpec],
}

/// What the model answered, with the timings of the request.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub text: String,
    pub n_prompt: u32,
    /// Of `n_prompt`, the leading tokens taken from the cache of the previous
    /// request instead of decoded again (in-process prefix reuse); None: the
    /// engine does not say (a server reports its own cache in `server`).
    pub n_prompt_reused: Option<u32>,
    /// Tokens generated, the end-of-generation token not counted. Only their
    /// repetition is looked at (seq_rep_4), so any stable id per token will do.
    pub tokens: Vec<i32>,
    /// The model ended its answer itself (false: it ran into max_tokens).
    pub ended: bool,
    /// Why the answer ended (None: nothing was generated, multiple choice).
    pub finish_reason: Option<FinishReason>,
    pub ttft: Duration,
    pub total: Duration,
    pub chat_template: String,
    /// Log-likelihood of each option (multiple choice; nothing is generated).
    pub choice_scores: Option<Vec<OptionScore>>,
    /// What a server reported (engines over HTTP). A server does not send token
    /// ids, so `tokens` is then empty and the count is `completion_tokens` here.
    pub server: Option<ServerReport>,
}

/// Tokens generated in one soak window.
#[derive(Debug, Clone, Copy)]
pub struct SoakWindow {
    pub index: u32,
    pub end: Duration,
    pub tokens: u32,
    pub elapsed: Duration,
}

/// How long a soak runs and how it is cut into windows.
#[derive(Debug, Clone, Copy)]
pub struct SoakSpan {
    pub n_ctx: u32,
    pub total: Duration,
    pub window: Duration,
}

/// One rung of the context ladder: tokens generated once the context was full
/// (or not), and how long they took.
#[derive(Debug, Clone, Copy)]
pub struct ContextTrial {
    pub n_generated: u32,
    pub elapsed: Duration,
}

/// Perplexity (and, with a reference model, KL divergence) over a text.
#[derive(Debug, Clone, Copy)]
pub struct FidelityRequest<'a> {
    pub text: &'a str,
    pub chunk_tokens: u32,
    pub max_chunks: u32,
    /// The same model in a higher precision, loaded beside this one.
    pub reference: Option<&'a Path>,
}

/// One chunk of the fidelity text.
#[derive(Debug, Clone, Default)]
pub struct FidelityChunk {
    pub index: u32,
    pub n_scored: u32,
    pub nll_sum: f64,
    /// Per scored token, when a reference was given.
    pub kld: Vec<f32>,
    pub top1_same: u32,
}

/// How one configuration loads a model, from the sweep's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineSettings {
    pub n_threads: u32,
    pub n_gpu_layers: u32,
    pub n_batch: u32,
    pub n_ubatch: u32,
    pub flash_attn: crate::config::FlashAttn,
    pub cache_type_k: KvCacheType,
    pub cache_type_v: KvCacheType,
    pub use_mmap: bool,
    /// Speculative decoding for tgN and the user path (None: plain decoding).
    #[serde(default)]
    pub speculative: Option<Speculation>,
}

impl From<&Configuration> for EngineSettings {
    fn from(c: &Configuration) -> Self {
        EngineSettings {
            n_threads: c.n_threads,
            n_gpu_layers: c.n_gpu_layers,
            n_batch: c.n_batch,
            // As llama.cpp does: the physical batch is at most the logical one.
            n_ubatch: c.n_ubatch.min(c.n_batch),
            flash_attn: c.flash_attn,
            cache_type_k: c.cache_type_k,
            cache_type_v: c.cache_type_v,
            use_mmap: c.use_mmap,
            speculative: c.speculative.clone(),
        }
    }
}
