//! Inference engines. llama.cpp (in-process through llama-cpp-2) is the one we
//! have; the runner only sees these types, so another engine is one more file.
mod answer;
mod llama;
mod stability;

pub use answer::{Answer, AnswerRequest};
pub use llama::{probe, LlamaEngine};
// The probe is recorded in manifest.json, so its types live with the manifest.
pub use crate::results::manifest::{DeviceInfo, EngineProbe};

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Configuration;

/// Engine-only timing of one ppN or tgN repetition (comparable to llama-bench).
#[derive(Debug, Clone, Copy)]
pub struct EngineTiming {
    pub n_tokens: u32,
    pub elapsed: Duration,
}

impl EngineTiming {
    pub fn tokens_per_second(&self) -> f64 {
        self.n_tokens as f64 / self.elapsed.as_secs_f64()
    }
}

/// User-path timing of one templated prompt: every timestamp is taken from the
/// moment the request starts, before templating and tokenization.
#[derive(Debug, Clone)]
pub struct UserPathTiming {
    pub n_prompt: u32,
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
}

/// How one configuration loads a model, from the sweep's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineSettings {
    pub n_threads: u32,
    pub n_gpu_layers: u32,
    pub n_batch: u32,
    pub n_ubatch: u32,
    pub flash_attn: crate::config::FlashAttn,
}

impl From<&Configuration> for EngineSettings {
    fn from(c: &Configuration) -> Self {
        EngineSettings {
            n_threads: c.n_threads,
            n_gpu_layers: c.n_gpu_layers,
            n_batch: c.n_batch,
            // llama-bench's default physical batch.
            n_ubatch: c.n_batch.min(512),
            flash_attn: c.flash_attn,
        }
    }
}
