//! Sweep configuration: the TOML file, command-line overrides, and expansion
//! into work units (one model load each).
mod expand;
mod file;
mod resolve;

pub use expand::{expand, Configuration, WorkUnit};
pub use file::{parse_sweep_toml, read_sweep_file, toml_error as file_error_line, SweepFile};
pub use resolve::resolve;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Flash attention policy, as llama.cpp names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashAttn {
    Auto,
    On,
    Off,
}

impl std::fmt::Display for FlashAttn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FlashAttn::Auto => "auto",
            FlashAttn::On => "on",
            FlashAttn::Off => "off",
        })
    }
}

impl std::str::FromStr for FlashAttn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(FlashAttn::Auto),
            "on" | "1" | "true" => Ok(FlashAttn::On),
            "off" | "0" | "false" => Ok(FlashAttn::Off),
            _ => Err(format!(
                "`{s}` is not a flash-attention setting (auto, on, off)"
            )),
        }
    }
}

/// One model to evaluate, with its per-candidate overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub name: String,
    pub path: PathBuf,
    pub n_gpu_layers: Option<u32>,
    pub n_ctx: Option<u32>,
    pub n_threads: Option<u32>,
    pub n_batch: Option<u32>,
    pub flash_attn: Option<FlashAttn>,
    /// llama.cpp template name, a full template, or "raw"; None: the model's own.
    pub chat_template: Option<String>,
}

/// A fully resolved sweep: what `edgebench run` executes and what manifest.json records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub candidates: Vec<Candidate>,
    pub suites: Vec<String>,
    pub reps: u32,
    pub warmup: u32,
    pub timeout_secs: u64,
    pub threads: Vec<u32>,
    pub n_gpu_layers: Vec<u32>,
    pub n_batch: Vec<u32>,
    pub flash_attn: Vec<FlashAttn>,
    pub pp: Vec<u32>,
    pub tg: Vec<u32>,
    /// Context for the user-path tests (engine tests size theirs like llama-bench).
    pub n_ctx: u32,
    /// Tokens generated per user-path prompt; at least 50 so latency_50_ms exists.
    pub e2e_tokens: u32,
    pub fallback_chat_template: Option<String>,
    #[serde(default = "default_sample_ms")]
    pub sample_ms: u64,
    #[serde(default)]
    pub cooldown_temp_c: Option<f64>,
    #[serde(default = "default_cooldown_max_secs")]
    pub cooldown_max_secs: u64,
    /// Soak length (stability suite), overriding the suite's.
    #[serde(default)]
    pub soak_secs: Option<u64>,
    /// Reference candidate for quantisation fidelity, overriding the suite's.
    #[serde(default)]
    pub reference: Option<String>,
}

fn default_sample_ms() -> u64 {
    DEFAULT_SAMPLE_MS
}

fn default_cooldown_max_secs() -> u64 {
    DEFAULT_COOLDOWN_MAX_SECS
}

/// Defaults match llama-bench where it has one (reps 5, pp512, tg128, n_batch 2048,
/// all layers offloaded, flash attention auto).
pub const DEFAULT_REPS: u32 = 5;
pub const DEFAULT_WARMUP: u32 = 1;
pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;
pub const DEFAULT_N_CTX: u32 = 4096;
pub const DEFAULT_E2E_TOKENS: u32 = 64;
pub const ALL_LAYERS: u32 = 999;
pub const DEFAULT_SAMPLE_MS: u64 = 250;
pub const DEFAULT_COOLDOWN_MAX_SECS: u64 = 600;

/// Suites of a sweep that names none: speed, and a first look at answer quality.
pub const DEFAULT_SUITES: [&str; 2] = ["speed", "quality-basic"];

/// The two models `scripts/setup.sh` fetches; the default sweep runs both.
pub const DEFAULT_MODELS: [(&str, &str); 2] = [
    ("gemma-3-270m-Q4_K_M", "models/gemma-3-270m-Q4_K_M.gguf"),
    (
        "SmolLM2-135M-Instruct-Q4_1",
        "models/SmolLM2-135M-Instruct-Q4_1.gguf",
    ),
];

/// Physical cores, as llama-bench's default thread count.
pub fn default_threads() -> u32 {
    sysinfo::System::physical_core_count()
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1) as u32
}
