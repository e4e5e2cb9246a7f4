//! What the sweep parent and a measuring child say to each other: the job on
//! the child's stdin (JSON), and one JSON message per line on its stdout.
use serde::{Deserialize, Serialize};

use crate::config::WorkUnit;
use crate::suite::Prompt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildJob {
    pub unit: WorkUnit,
    pub reps: u32,
    pub warmup: u32,
    pub pp: Vec<u32>,
    pub tg: Vec<u32>,
    pub prompts: Vec<Prompt>,
    pub e2e_tokens: u32,
    pub fallback_chat_template: Option<String>,
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
    pub n_prompt: u32,
    pub n_gen: u32,
    pub t_prompt_ms: Option<f64>,
    pub t_gen_ms: Option<f64>,
    pub pp_tps: Option<f64>,
    pub tg_tps: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub latency_50_ms: Option<f64>,
    pub itl_p50_ms: Option<f64>,
    pub itl_p95_ms: Option<f64>,
    pub chat_template: Option<String>,
    pub eos_at: Option<u32>,
    pub output_text: Option<String>,
    pub status: String,
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
    /// The child could not load the model or create a context.
    LoadFailed {
        error: String,
    },
}

/// Exit code of a child that reported LoadFailed.
pub const EXIT_LOAD_FAILED: i32 = 3;
