//! Row types of the result files (speed, quality, stability, samples,
//! stability_summary) and the per-unit records they are rebuilt from.
use serde::{Deserialize, Serialize};

use super::plan::{memory_axes_label, KvCacheType, DEFAULT_UBATCH};
use super::speculation::{RowSpec, SpecFigures};
use super::{FinishReason, Phase, Status, TestKind};

/// The `backend` of a candidate served over HTTP (`engine = "openai"`).
pub const SERVED_BACKEND: &str = "openai-server";

/// The `backend` of a served candidate whose server edgebench started
/// (`[candidate.server]`): its memory is measured with the child's.
pub const STARTED_SERVER_BACKEND: &str = "openai-server-started";

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
    /// Written by `edgebench synth` (random weights: speed of the shape, answers noise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
    /// Why the file failed the up-front check, in a `--keep-going` run: its
    /// units are recorded as load failures without being started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unusable: Option<String>,
    /// The sha256 of the candidate's draft model (speculative decoding), so a
    /// resume notices a draft that became another file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_sha256: Option<String>,
}

impl ModelMeta {
    /// A GGUF read without a chat template (a base model). A served candidate
    /// (no file read, its server's template) or an unusable file is not one.
    pub fn is_base_model(&self) -> bool {
        !self.has_chat_template && !self.model_sha256.is_empty() && self.unusable.is_none()
    }
}

/// Which run, work unit and model a row belongs to: the identity columns of
/// speed.*, quality.*, stability.* and summary.* (flattened: in parts/*.json too,
/// each field is a key of the row).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RowIdentity {
    pub run_id: String,
    pub unit_id: String,
    pub candidate: String,
    pub model_sha256: String,
    pub quant: String,
    /// The model is synthetic (`edgebench synth`): random weights.
    pub synthetic: bool,
}

/// The configuration a unit ran with: the configuration columns of speed.*,
/// quality.* and summary.* (flattened like `RowIdentity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RowConfig {
    /// `CPU`, or the GPU backend when layers are offloaded; [`SERVED_BACKEND`]
    /// for a candidate behind a server (whose own backend is not known).
    pub backend: String,
    pub n_threads: u32,
    pub n_gpu_layers: u32,
    pub n_ctx: u32,
    pub n_batch: u32,
    /// The physical batch in effect (at most n_batch).
    pub n_ubatch: u32,
    pub flash_attn: String,
    /// K and V cache types (llama-bench's `type_k`, `type_v`).
    pub type_k: String,
    pub type_v: String,
    pub use_mmap: bool,
    /// The Jetson power mode in force (`nvpmodel -q`'s name); None without the power axes.
    pub power_mode: Option<String>,
    /// Whether the clocks were pinned (jetson_clocks) while this unit ran.
    pub jetson_clocks: Option<bool>,
    /// The GPU's and cpu0's frequency ceilings in force (devfreq max_freq, scaling_max_freq).
    pub gpu_max_freq_mhz: Option<f64>,
    pub cpu_max_freq_mhz: Option<f64>,
    /// Speculative decoding: method, draft model, draft lengths (null: none).
    #[serde(flatten)]
    pub spec: RowSpec,
}

/// What a row read from a file written before a column existed holds:
/// llama.cpp's defaults.
impl Default for RowConfig {
    fn default() -> Self {
        RowConfig {
            backend: String::new(),
            n_threads: 0,
            n_gpu_layers: 0,
            n_ctx: 0,
            n_batch: 0,
            n_ubatch: 0,
            flash_attn: String::new(),
            type_k: KvCacheType::F16.to_string(),
            type_v: KvCacheType::F16.to_string(),
            use_mmap: true,
            power_mode: None,
            jetson_clocks: None,
            gpu_max_freq_mhz: None,
            cpu_max_freq_mhz: None,
            spec: RowSpec::default(),
        }
    }
}

impl RowConfig {
    /// "t=4 ngl=0 b=2048 fa=auto" (plus " ctk=q8_0 ..." for memory axes off
    /// their defaults, " pm=MAXN jc=on" with the power axes): how tables and
    /// `compare` name a configuration.
    pub fn label(&self) -> String {
        self.label_without_spec() + &self.spec.label()
    }

    /// The label of the configuration's baseline (the same without speculation).
    pub fn label_without_spec(&self) -> String {
        let kv = |t: &str| t.parse().unwrap_or_default();
        // 0: a file written before n_ubatch was a column.
        let ubatch = match self.n_ubatch {
            0 => self.n_batch.min(DEFAULT_UBATCH),
            n => n,
        };
        let power = super::plan::power_label(self.power_mode.as_deref(), self.jetson_clocks);
        format!(
            "t={} ngl={} b={} fa={}{}{power}",
            self.n_threads,
            self.n_gpu_layers,
            self.n_batch,
            self.flash_attn,
            memory_axes_label(
                self.n_batch,
                ubatch,
                kv(&self.type_k),
                kv(&self.type_v),
                self.use_mmap
            )
        )
    }
}

/// One row of speed.parquet / speed.csv: candidate x configuration x test x rep.
/// Columns are documented in docs/results.md; the order here is the file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeedRow {
    #[serde(flatten)]
    pub id: RowIdentity,
    pub model_file: String,
    pub arch: String,
    pub params: u64,
    pub size_bytes: u64,
    /// Its `n_ctx` is this test's context (engine tests: n_prompt + n_gen).
    #[serde(flatten)]
    pub config: RowConfig,
    pub test: String,
    pub mode: String,
    pub rep: Option<u32>,
    /// Unmeasured runs before the test's repetitions (`--warmup auto`: as
    /// many as it took to agree).
    pub n_warmup: Option<u32>,
    /// Tokens already in the cache before the test (llama-bench's `n_depth`).
    pub n_depth: u32,
    pub n_prompt: u32,
    pub n_gen: u32,
    pub t_prompt_ms: Option<f64>,
    pub t_gen_ms: Option<f64>,
    pub pp_tps: Option<f64>,
    pub tg_tps: Option<f64>,
    /// ppN+tgM: all tokens over the whole time (llama-bench's t/s of the test).
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
    pub load_ms: Option<f64>,
    pub chat_template: Option<String>,
    pub eos_at: Option<u32>,
    pub output_text: Option<String>,
    pub status: Status,
    pub error: Option<String>,
}

/// When the answer, not the reasoning, came: user-path rows of engines that
/// tell them apart (docs/metrics.md, *Reasoning models*); null elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerFigures {
    /// Time to the first answer token (equal to ttft_ms without reasoning
    /// and leading blanks); null when no answer token came.
    pub ttfat_ms: Option<f64>,
    /// Time to the 50th answer token.
    pub latency_50_answer_ms: Option<f64>,
    /// Tokens of the reasoning block, its markers included.
    pub n_reasoning_tokens: Option<u32>,
}

/// A concurrency level's figures over all its requests: on the `concN` row
/// only, null elsewhere (docs/metrics.md, *Concurrency*).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LevelFigures {
    /// Percentiles of the successful replies' TTFT.
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p95_ms: Option<f64>,
    pub ttft_p99_ms: Option<f64>,
    /// Of every inter-chunk gap of every reply, pooled (its p50 and p95 are
    /// the row's `itl_p50_ms` and `itl_p95_ms`).
    pub itl_p99_ms: Option<f64>,
    /// Share of the judged requests meeting the targets, 95% Wilson interval.
    pub goodput: Option<f64>,
    pub goodput_lo: Option<f64>,
    pub goodput_hi: Option<f64>,
    /// Requests judged: sent, less the replies too short for a target's figure.
    pub goodput_n: Option<u32>,
    /// The targets goodput was judged by (the sweep's), so the row says it.
    pub goodput_ttft_ms: Option<f64>,
    pub goodput_latency_50_ms: Option<f64>,
}

/// What a server reported about one reply, beside the client-measured
/// figures (served candidates' `e2e:` and `concN:` rows; null elsewhere and
/// when the server does not send it, never zero).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerFigures {
    /// llama-server's `timings.prompt_per_second` and `predicted_per_second`.
    pub server_pp_tps: Option<f64>,
    pub server_tg_tps: Option<f64>,
    /// The server's count of generated tokens (`usage.completion_tokens`).
    pub server_n_gen: Option<u32>,
    /// Received chunks that carried generated text.
    pub content_chunks: Option<u32>,
    /// Prompt tokens the server says it took from its cache
    /// (`usage.prompt_tokens_details.cached_tokens`).
    pub server_cached_tokens: Option<u32>,
    /// A served turn at a depth: how `n_prompt` was found (`timings.prompt_n`,
    /// `cached_tokens`, `derived`, `usage`: docs/metrics.md).
    pub n_prompt_from: Option<String>,
    /// A served turn at a depth: how reusing the cached history was controlled
    /// (`cache_prompt`, `server_choice`, `nonce`).
    pub cache_control: Option<String>,
}

/// One row of quality.parquet / quality.csv: candidate x configuration x case x
/// decoding x rep, with the answer and every check's verdict (docs/results.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityRow {
    #[serde(flatten)]
    pub id: RowIdentity,
    #[serde(flatten)]
    pub config: RowConfig,
    pub suite: String,
    pub case_id: String,
    pub category: String,
    /// "free", "constrained" (grammar-constrained decoding) or "native" (a
    /// server's tools through its API, their `tool_calls` scored).
    pub decoding: String,
    /// Native rows: the `tool_choice` sent with the tools (null: not sent).
    pub tool_choice: Option<String>,
    pub rep: u32,
    /// Hash of what the model was asked (turns, options): tells a changed prompt apart.
    pub prompt_hash: String,
    pub chat_template: Option<String>,
    pub output_text: String,
    pub n_prompt: u32,
    /// In-process answers: leading prompt tokens taken from the cache.
    pub n_prompt_reused: Option<u32>,
    pub n_gen: u32,
    pub ended: bool,
    /// Why the answer ended (None: multiple choice, or a run from before the column).
    pub finish_reason: Option<FinishReason>,
    /// The most tokens the answer was allowed (None: a run from before the column).
    pub max_tokens: Option<u32>,
    pub ttft_ms: Option<f64>,
    pub latency_ms: Option<f64>,
    pub tg_tps: Option<f64>,
    pub seq_rep_4: Option<f64>,
    /// Multiple choice: each option's log-likelihood and token count, as JSON.
    pub choice_scores: Option<String>,
    /// Every check passed (None: no answer to check); a `number` check read
    /// strictly (lm-evaluation-harness's strict-match: the first number).
    pub pass: Option<bool>,
    /// Every check passed with `number` checks read flexibly (flexible-extract:
    /// the last number); None when the case has no number check.
    pub pass_flexible: Option<bool>,
    pub n_checks: u32,
    pub n_checks_passed: u32,
    /// Every check's verdict and reason, as JSON.
    pub verdicts: String,
    /// The failed checks' reasons, readable.
    pub failed_reasons: Option<String>,
    /// Some(true): a tool call was expected; Some(false): none was (irrelevance).
    pub tool_expected: Option<bool>,
    pub tool_parsed: Option<bool>,
    pub tool_names_ok: Option<bool>,
    pub tool_args_ok: Option<bool>,
    pub acc: Option<bool>,
    pub acc_norm: Option<bool>,
    pub acc_tok: Option<bool>,
    pub status: Status,
    pub error: Option<String>,
}

/// One row of stability.parquet / stability.csv: one step of a stability test
/// (a soak window, a conversation turn, a context-ladder rung, a fidelity chunk).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StabilityRow {
    #[serde(flatten)]
    pub id: RowIdentity,
    /// soak, multi_turn, memory_ceiling, fidelity.
    pub test: String,
    pub step: u32,
    /// Soak: seconds from the start to the end of this window.
    pub t_s: Option<f64>,
    /// Context size tried (ladder), or tokens in the context before this turn.
    pub n_ctx: Option<u32>,
    /// Multi-turn on a server that counts a prompt only when it is sent:
    /// `usage` (its `usage.prompt_tokens`, read after the turn); null when
    /// counted before the turn.
    pub n_ctx_from: Option<String>,
    /// Tokens generated (soak window, turn) or scored (fidelity chunk).
    pub n_tokens: Option<u32>,
    pub tg_tps: Option<f64>,
    pub ttft_ms: Option<f64>,
    /// Hottest sensor when the window ended (soak).
    pub temp_c: Option<f64>,
    /// Soak: the window's mean CPU and GPU clocks (MHz) and other processes'
    /// CPU use (% of all cores), from the samples taken while it ran.
    pub cpu_mhz: Option<f64>,
    pub gpu_mhz: Option<f64>,
    pub other_cpu_pct: Option<f64>,
    /// Multi-turn: the answer still holds the fact given in the first turn.
    pub recall_ok: Option<bool>,
    pub seq_rep_4: Option<f64>,
    pub output_text: Option<String>,
    /// Fidelity: negative log-likelihood summed over the scored tokens, and perplexity.
    pub nll_sum: Option<f64>,
    pub ppl: Option<f64>,
    /// Fidelity against the reference: KL(reference || candidate) per token, and top-1 agreement.
    pub kld_mean: Option<f64>,
    pub kld_p99: Option<f64>,
    pub top1_agree: Option<f64>,
    pub reference: Option<String>,
    /// Per-token KL values (kept in parts/ for the run-wide p99; not a column).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kld_values: Vec<f32>,
    pub status: Status,
    pub error: Option<String>,
}

impl SpeedRow {
    pub fn kind(&self) -> Option<TestKind> {
        TestKind::of(&self.test)
    }
}

impl StabilityRow {
    pub fn kind(&self) -> Option<TestKind> {
        TestKind::of(&self.test)
    }
}

impl QualityRow {
    /// The answer was cut at its token limit (`finish_reason` length; in a
    /// run from before that column, not `ended`).
    pub fn hit_max_tokens(&self) -> bool {
        match &self.finish_reason {
            Some(reason) => *reason == FinishReason::Length,
            None => !self.ended,
        }
    }

    /// Cut at a limit (`length`) with fewer tokens than `max_tokens`: a
    /// server's own limit is lower than the suite's.
    pub fn cut_below_max_tokens(&self) -> bool {
        self.finish_reason == Some(FinishReason::Length)
            && self.max_tokens.is_some_and(|max| self.n_gen < max)
    }
}

/// Everything one finished work unit produced; saved as parts/<unit_id>.json
/// the moment the unit ends, so a killed sweep resumes without loss or duplicates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitRecord {
    pub unit_id: String,
    pub candidate: String,
    pub status: Status,
    pub error: Option<String>,
    pub rows: Vec<SpeedRow>,
    /// The unit's identity columns (candidate, model, configuration), for rows built later.
    #[serde(default)]
    pub base: Option<SpeedRow>,
    /// Quality answers with their verdicts.
    #[serde(default)]
    pub quality: Vec<QualityRow>,
    /// Steps of the stability suite's own tests.
    #[serde(default)]
    pub stability: Vec<StabilityRow>,
    /// Per test (and `load`): what the samplers saw.
    #[serde(default)]
    pub resources: std::collections::BTreeMap<String, ResourceSummary>,
    /// Seconds spent waiting for the device to cool down before this unit.
    #[serde(default)]
    pub cooldown_s: Option<f64>,
    /// MiB of model weights per buffer type, from llama.cpp's load log
    /// (`CPU_REPACK`, `AMX`, `CPU_Mapped`, `CUDA0`...): which weight path was used.
    #[serde(default)]
    pub weight_buffers: std::collections::BTreeMap<String, f64>,
    /// A served candidate's server as it described itself (llama-server
    /// `/props`, Ollama `/api/version`, `/v1/models`, the command it was
    /// started with); the manifest's `servers` collects them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<serde_json::Value>,
    /// The Jetson power state this unit ran in (power axes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<super::power::PowerInForce>,
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
    /// The energy of the prompt's processing per prompt token (docs/metrics.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joules_per_prefill_token: Option<f64>,
    /// The energy of generation per generated token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joules_per_gen_token: Option<f64>,
    /// Where the power came from: `jetson-rails`, `rapl-package+dram`, `nvml`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_source: Option<String>,
    /// Share of this test's ticks with clock throttling reported.
    pub throttled_share: Option<f64>,
}

/// One reading of one metric at one tick (samples.* is long: one row per metric).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    /// Milliseconds since the run started.
    pub t_ms: f64,
    pub unix_ms: i64,
    pub unit_id: Option<String>,
    pub candidate: Option<String>,
    pub test: Option<String>,
    pub phase: Phase,
    pub backend: String,
    pub metric: String,
    pub value: f64,
    /// Some backend reported clock throttling at this tick.
    pub throttled: bool,
}

/// One row of stability_summary.*: a unit's stability figures, computed by `scoring`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StabilitySummary {
    pub unit_id: String,
    pub candidate: String,
    pub quant: String,
    /// Share of repeated cases whose text differs between reps (same seed).
    pub determinism_differs: Option<f64>,
    /// Coefficient of variation of the first tgN test's tok/s over reps.
    pub tg_cv: Option<f64>,
    pub repetitive_share: Option<f64>,
    pub hit_max_share: Option<f64>,
    pub empty_share: Option<f64>,
    pub soak_windows: Option<u32>,
    pub soak_first_min_tps: Option<f64>,
    pub soak_last_min_tps: Option<f64>,
    /// 1 - last minute / first minute.
    pub soak_drop: Option<f64>,
    pub soak_temp_first_c: Option<f64>,
    pub soak_temp_last_c: Option<f64>,
    pub thermal_throttle_suspected: Option<bool>,
    /// The soak's windows sliced (docs/metrics.md, *Steady state*): `steady`,
    /// `drifting` or `throttled`.
    pub soak_state: Option<String>,
    /// End of the warm-up slice (s from the soak's start); null: none.
    pub soak_warmup_s: Option<f64>,
    /// Where the rate changed (s) and by how much (mean after / before - 1).
    pub soak_drift_at_s: Option<f64>,
    pub soak_drift_change: Option<f64>,
    /// What changed with it (`power_mode`, `other_cpu`, `cpu_clock`,
    /// `gpu_clock`, `temperature`), `none` when no recorded condition did.
    pub soak_drift_cause: Option<String>,
    /// The cause's mean before and after the change (MHz, % of all cores, °C).
    pub soak_cause_before: Option<f64>,
    pub soak_cause_after: Option<f64>,
    pub multi_turn_turns: Option<u32>,
    /// Tokens in the context at the last turn that ran.
    pub multi_turn_ctx_reached: Option<u32>,
    pub recall_lost_at_turn: Option<u32>,
    pub recall_lost_at_tokens: Option<u32>,
    pub multi_turn_error: Option<String>,
    pub max_ctx_ok: Option<u32>,
    pub first_ctx_failed: Option<u32>,
    pub ceiling_error: Option<String>,
    pub ppl: Option<f64>,
    pub reference: Option<String>,
    pub kld_mean: Option<f64>,
    pub kld_p99: Option<f64>,
    pub top1_agree: Option<f64>,
    /// Share of quality answers (same case, decoding, rep) whose verdict differs from the reference's.
    pub answer_flip_share: Option<f64>,
}
