//! Sweep configuration: the TOML file, command-line overrides, and expansion
//! into work units (one model load each).
mod candidate;
mod expand;
mod file;
mod resolve;
pub mod server_launch;
mod spec_axes;
mod speed_axes;

pub use candidate::candidates_from_file;
pub use expand::expand;
pub use file::{parse_sweep_toml, read_sweep_file, SweepFile};
pub use resolve::{resolve, validate, SweepOverrides};
pub use speed_axes::{parse_percent, parse_pg, RepsSetting};

// The plan a run records in manifest.json is results' (the bottom layer's) to
// define; config builds it from the sweep file and the command line.
pub use crate::results::plan::{
    AutoReps, AutoWarmup, Candidate, Configuration, FlashAttn, KvCacheType, Pacing, Sweep,
    WorkUnit, DEFAULT_COOLDOWN_MAX_SECS, DEFAULT_SAMPLE_MS, DEFAULT_UBATCH,
};

/// Defaults match llama-bench where it has one (reps 5, pp512, tg128, n_batch 2048,
/// all layers offloaded, flash attention auto).
pub const DEFAULT_REPS: u32 = 5;
pub const DEFAULT_WARMUP: u32 = 1;
pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;
pub const DEFAULT_N_CTX: u32 = 4096;
pub const DEFAULT_E2E_TOKENS: u32 = 64;
/// The most streams a concurrency level may open at once.
pub const MAX_CONCURRENCY: u32 = 256;
pub const ALL_LAYERS: u32 = 999;
/// llama.cpp's most threads (GGML_MAX_N_THREADS); its thread count is an i32.
pub const MAX_THREADS: u32 = 512;
/// The longest context a test may ask for: llama.cpp's positions are i32.
pub const MAX_CONTEXT: u32 = i32::MAX as u32;

/// Suites of a sweep that names none: speed, and a first look at answer quality.
pub const DEFAULT_SUITES: [&str; 2] = ["speed", "quality-basic"];

/// The default sweep: two instruct models with chat templates (models.toml),
/// which `scripts/setup.sh` fetches with `edgebench fetch`.
pub const DEFAULT_MODELS: [(&str, &str); 2] = [
    (
        "SmolLM2-135M-Instruct-Q4_1",
        "models/SmolLM2-135M-Instruct-Q4_1.gguf",
    ),
    (
        "qwen2.5-coder-0.5b-instruct-q4_k_m",
        "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
];

/// Physical cores, as llama-bench's default thread count.
pub fn default_threads() -> u32 {
    sysinfo::System::physical_core_count()
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1) as u32
}
