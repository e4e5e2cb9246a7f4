//! What the sweep parent and a measuring child say to each other: the job on
//! the child's stdin (JSON), and one JSON message per line on its stdout.
use crate::results::Status;
use serde::{Deserialize, Serialize};

use crate::config::{AutoReps, Pacing, WorkUnit};
use crate::results::speculation::SpecFigures;
use crate::results::{AnswerFigures, LevelFigures, ServerFigures, StabilityRow, Targets};
use crate::suite::stability::MultiTurnSpec;
use crate::suite::tools::ToolSpec;
use crate::suite::{Decoding, GenerationSettings, Message, Prompt};
// The answer message is what scoring reads: it is defined there, below the runner.
pub use crate::scoring::AnswerMessage;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildJob {
    pub unit: WorkUnit,
    pub reps: u32,
    pub warmup: u32,
    pub pp: Vec<u32>,
    pub tg: Vec<u32>,
    /// ppN+tgM tests.
    #[serde(default)]
    pub pg: Vec<[u32; 2]>,
    /// Depths every engine test runs at (0: the empty cache); the user path
    /// runs a conversation at each depth above 0.
    #[serde(default)]
    pub depth: Vec<u32>,
    /// `--reps auto` (None: exactly `reps`).
    #[serde(default)]
    pub auto_reps: Option<AutoReps>,
    /// `--delay` and `--warmup auto` (which then replaces `warmup` for the speed tests).
    #[serde(default)]
    pub pacing: Pacing,
    pub prompts: Vec<Prompt>,
    /// The conversation in the cache for the user path at a depth.
    #[serde(default)]
    pub conversation: Vec<Message>,
    pub e2e_tokens: u32,
    /// Levels of the concurrency test (streams at once); empty: none.
    #[serde(default)]
    pub concurrency: Vec<u32>,
    /// The sweep's targets: the concurrency levels' goodput is judged by them.
    #[serde(default)]
    pub targets: Targets,
    pub fallback_chat_template: Option<String>,
    /// Quality cases, one entry per case x decoding x rep, in running order.
    #[serde(default)]
    pub quality: Vec<QualityItem>,
    /// The stability suite's own tests.
    #[serde(default)]
    pub stability: Option<StabilityJob>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StabilityJob {
    pub soak: Option<SoakJob>,
    pub multi_turn: Option<MultiTurnSpec>,
    pub fidelity: Option<FidelityJob>,
    /// One rung of the context ladder: this child only loads and generates at this size.
    pub ceiling: Option<CeilingJob>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoakJob {
    pub seconds: u64,
    pub window_s: u64,
    pub prompt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FidelityJob {
    pub text: String,
    pub chunk_tokens: u32,
    pub max_chunks: u32,
    /// The reference candidate (same model, F16 or Q8_0), loaded beside this one.
    pub reference: Option<(String, std::path::PathBuf)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CeilingJob {
    pub step: u32,
    pub n_ctx: u32,
    pub fill: bool,
}

/// One quality case to answer (the parent keeps the checks: it scores the answers).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QualityItem {
    pub suite: String,
    pub case_id: String,
    pub decoding: Decoding,
    pub rep: u32,
    pub messages: Vec<Message>,
    pub use_chat_template: bool,
    pub max_tokens: u32,
    pub sampling: GenerationSettings,
    /// The JSON schema constrained decoding holds the answer to (the engine
    /// compiles it: llama.cpp into a GBNF grammar).
    pub json_schema: Option<serde_json::Value>,
    pub choices: Option<Vec<String>>,
    /// Decoding `native`: the tools, for the API's `tools` field (the
    /// messages then do not list them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Decoded from an empty cache, not after a prefix of the previous
    /// answer: the stability suite's repeated cases, whose texts are compared
    /// (a prompt split differently between cache and decode rounds
    /// differently, which can change what is sampled).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cold_cache: bool,
}

/// Engine-only tests are comparable to llama-bench; user-path tests are what a user feels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingMode {
    Engine,
    UserPath,
}

impl TimingMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            TimingMode::Engine => "engine",
            TimingMode::UserPath => "user_path",
        }
    }
}

/// One repetition of one test, as measured by the child.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measurement {
    pub test: String,
    pub mode: Option<TimingMode>,
    pub rep: Option<u32>,
    /// Unmeasured runs before the repetitions (`--warmup auto`: how many it took).
    #[serde(default)]
    pub n_warmup: Option<u32>,
    #[serde(default)]
    pub n_depth: u32,
    pub n_prompt: u32,
    pub n_gen: u32,
    pub t_prompt_ms: Option<f64>,
    pub t_gen_ms: Option<f64>,
    pub pp_tps: Option<f64>,
    pub tg_tps: Option<f64>,
    #[serde(default)]
    pub pg_tps: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub latency_50_ms: Option<f64>,
    #[serde(flatten)]
    pub answer: AnswerFigures,
    pub itl_p50_ms: Option<f64>,
    pub itl_p95_ms: Option<f64>,
    #[serde(flatten)]
    pub level: LevelFigures,
    #[serde(flatten)]
    pub server: ServerFigures,
    #[serde(flatten)]
    pub spec: SpecFigures,
    pub chat_template: Option<String>,
    pub eos_at: Option<u32>,
    pub output_text: Option<String>,
    pub status: Status,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // one message per line; boxing would only add noise
pub enum ChildMessage {
    Loaded {
        load_ms: f64,
    },
    /// A test begins; if the child dies now, the failure belongs to this test.
    Started {
        test: String,
    },
    Measured(Measurement),
    Answered(AnswerMessage),
    Stability(StabilityRow),
    /// A served candidate's server, as it describes itself (for the manifest).
    Server {
        identity: serde_json::Value,
    },
    /// The child could not load the model or create a context.
    LoadFailed {
        error: String,
    },
    /// The job is done and every message sent: a child that exits without it
    /// lost output on the way (a cut or garbled stream), however it exited.
    Finished,
}

/// Where the child's messages go: stdout in the real child, a vector or a pipe in tests.
pub type Sink<'a> = &'a mut dyn FnMut(ChildMessage);

/// The `started` test of a `--delay` pause: its samples are idle, not the
/// next test's.
pub const DELAY_TEST: &str = "delay";

/// Milliseconds, the unit of every duration in the rows.
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Exit code of a child that reported LoadFailed.
pub const EXIT_LOAD_FAILED: i32 = 3;
