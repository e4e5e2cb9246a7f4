//! Row types of speed.* and the per-unit records they are rebuilt from.
use serde::{Deserialize, Serialize};

/// What the parent knows about a candidate's file before running it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub candidate: String,
    pub model_file: String,
    pub model_sha256: String,
    pub arch: String,
    pub quant: String,
    pub params: u64,
    pub size_bytes: u64,
    pub n_ctx_train: Option<u64>,
    pub has_chat_template: bool,
}

/// One row of speed.parquet / speed.csv: candidate x configuration x test x rep.
/// Columns are documented in docs/results.md; the order here is the file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpeedRow {
    pub run_id: String,
    pub unit_id: String,
    pub candidate: String,
    pub model_file: String,
    pub model_sha256: String,
    pub arch: String,
    pub quant: String,
    pub params: u64,
    pub size_bytes: u64,
    pub backend: String,
    pub n_threads: u32,
    pub n_gpu_layers: u32,
    pub n_ctx: u32,
    pub n_batch: u32,
    pub n_ubatch: u32,
    pub flash_attn: String,
    pub test: String,
    pub mode: String,
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
    pub load_ms: Option<f64>,
    pub chat_template: Option<String>,
    pub eos_at: Option<u32>,
    pub output_text: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

/// Everything one finished work unit produced; saved as parts/<unit_id>.json
/// the moment the unit ends, so a killed sweep resumes without loss or duplicates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitRecord {
    pub unit_id: String,
    pub candidate: String,
    pub status: String,
    pub error: Option<String>,
    pub rows: Vec<SpeedRow>,
    /// Per test (and `load`): what the samplers saw.
    #[serde(default)]
    pub resources: std::collections::BTreeMap<String, ResourceSummary>,
    /// Seconds spent waiting for the device to cool down before this unit.
    #[serde(default)]
    pub cooldown_s: Option<f64>,
}

/// What the samplers saw during one test (docs/results.md); None: no backend measures it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    pub peak_rss_mb: Option<f64>,
    pub peak_ram_used_mb: Option<f64>,
    pub peak_vram_mb: Option<f64>,
    pub max_gpu_temp_c: Option<f64>,
    pub max_cpu_temp_c: Option<f64>,
    pub mean_power_w: Option<f64>,
    pub energy_j: Option<f64>,
    pub energy_above_idle_j: Option<f64>,
    pub joules_per_token: Option<f64>,
    /// Share of this test's ticks with clock throttling reported.
    pub throttled_share: Option<f64>,
}
