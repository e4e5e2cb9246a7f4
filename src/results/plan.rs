//! The plan of a run as manifest.json records it: the resolved sweep, its
//! candidates and configurations, and the work units it expands into.
//! `config` builds these (sweep file, command line, defaults, expansion).
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::cache_type::KvCacheType;
pub use super::speculation::{SpecMethod, Speculation};

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
    /// Served over HTTP by an OpenAI-compatible server instead of llama.cpp
    /// in-process; `path` is then the GGUF it serves, or empty if not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerEndpoint>,
    /// A draft model (`draft = "..."`, `--draft-model`): the candidate also
    /// runs with it, at each `--draft-max`, beside its own baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<PathBuf>,
    /// How an in-process candidate's tool-calling cases are asked (a served
    /// one's is its `server.tool_calls`): `native` renders the model's own
    /// chat template as Jinja with the tools (docs/engines.md).
    #[serde(default, skip_serializing_if = "ToolCalls::is_prompt")]
    pub tool_calls: ToolCalls,
}

/// Where a served candidate is: an OpenAI-compatible API on this machine
/// (docs/engines.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerEndpoint {
    /// The API root, e.g. `http://127.0.0.1:8080/v1`; loopback addresses only.
    pub base_url: String,
    /// The server's id of the model (as `/v1/models` lists it).
    pub model: String,
    /// The NAME of the environment variable holding the API key; the key itself
    /// is never written anywhere.
    pub api_key_env: Option<String>,
    pub kind: ServerKind,
    /// A server edgebench starts for each of the candidate's units
    /// (`[candidate.server]`); None: one already running at `base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<ServerLaunch>,
    /// How tool-calling cases put their tools to the server.
    #[serde(default, skip_serializing_if = "ToolCalls::is_prompt")]
    pub tool_calls: ToolCalls,
    /// The `tool_choice` sent with native tools; None: not sent (the
    /// server's default, `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
}

/// The chat API's `tool_choice` for native tools: the model may call a tool
/// or answer in text (`auto`), must call one (`required`), must not (`none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoice {
    Auto,
    Required,
    None,
}

impl ToolChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolChoice::Auto => "auto",
            ToolChoice::Required => "required",
            ToolChoice::None => "none",
        }
    }
}

/// How a candidate's tool-calling cases are asked (`tool_calls` in the sweep
/// file): the tools in the system prompt (rows' decoding `free`/`constrained`),
/// natively (decoding `native`: a server's API `tools` field and its reply's
/// `tool_calls`; in-process, the model's own chat template rendered as Jinja
/// with the tools and its `<tool_call>` tags read), or both ways, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolCalls {
    #[default]
    Prompt,
    Native,
    Both,
}

impl ToolCalls {
    pub fn is_prompt(&self) -> bool {
        *self == ToolCalls::Prompt
    }
}

/// How to start a candidate's server: on 127.0.0.1 and a free port, waited
/// for until it answers, sampled as the child's process tree, stopped after
/// the unit (SIGTERM, then SIGKILL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerLaunch {
    /// The argv; placeholders such as `{model}` and `{port}` are filled per
    /// unit (config::server_launch).
    pub command: Vec<String>,
    pub ready_timeout_secs: u64,
    /// Extra environment variables for the server (written to the manifest:
    /// no secrets here; a key goes through `api_key_env`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub env: std::collections::BTreeMap<String, String>,
}

/// Which server, for the few request fields only some servers know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// llama-server: its prompt cache is turned off per request, and the user
    /// path generates its tokens past the end of generation (`ignore_eos`).
    LlamaServer,
    /// Any other OpenAI-compatible server.
    Generic,
}

impl Candidate {
    /// A candidate with no overrides of its own.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> Candidate {
        Candidate {
            name: name.into(),
            path: path.into(),
            n_gpu_layers: None,
            n_ctx: None,
            n_threads: None,
            n_batch: None,
            flash_attn: None,
            chat_template: None,
            server: None,
            draft: None,
            tool_calls: ToolCalls::Prompt,
        }
    }

    /// How the candidate's tool-calling cases are asked, served or in-process.
    pub fn asks_tools(&self) -> ToolCalls {
        self.server
            .as_ref()
            .map_or(self.tool_calls, |s| s.tool_calls)
    }
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
    /// Streams at once for the served candidates' concurrency test (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concurrency: Vec<u32>,
    /// The memory axes (llama-bench `-ub`, `-ctk`, `-ctv`, `-mmp`).
    #[serde(default = "default_ubatches")]
    pub n_ubatch: Vec<u32>,
    #[serde(default = "default_cache_types")]
    pub cache_type_k: Vec<KvCacheType>,
    #[serde(default = "default_cache_types")]
    pub cache_type_v: Vec<KvCacheType>,
    #[serde(default = "default_mmaps")]
    pub use_mmap: Vec<bool>,
    /// Tokens in the cache before each engine test and user-path turn
    /// (llama-bench `-d`); 0 is the empty cache.
    #[serde(default = "default_depths")]
    pub depth: Vec<u32>,
    /// ppN+tgM tests (llama-bench `-pg N,M`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pg: Vec<[u32; 2]>,
    /// `--reps auto`: speed tests repeat until their median is known well
    /// enough (None: exactly `reps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_reps: Option<AutoReps>,
    /// `--delay` and `--warmup auto`.
    #[serde(flatten)]
    pub pacing: Pacing,
    /// Jetson power modes to set before each configuration: nvpmodel names or
    /// ids (empty: the mode is left as it is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub power_mode: Vec<String>,
    /// Whether `jetson_clocks` pins the clocks, per configuration (empty: left as is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jetson_clocks: Vec<bool>,
    /// What the application needs (`[targets]`; the built-in voice assistant
    /// when not given): goodput is judged by them as the sweep runs, and the
    /// run's report by default.
    #[serde(default)]
    pub targets: super::Targets,
    /// `--draft-max`: the draft lengths of every speculative configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draft_max: Vec<u32>,
    /// `--draft-min` (0: every draft is verified).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub draft_min: u32,
    /// `--spec mtp`: every in-process candidate also runs with its own MTP heads.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spec_mtp: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `--reps auto`: repetitions of a speed test until the 95% interval of its
/// median is within `precision` of it, between `min_reps` and `max_reps`, and
/// no longer than `budget_secs` when given (docs/metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoReps {
    pub precision: f64,
    pub min_reps: u32,
    pub max_reps: u32,
    pub budget_secs: Option<u64>,
}

/// How speed tests reach a steady state: a pause before each (`--delay`,
/// llama-bench's `--delay`) and warm-ups until two in a row agree
/// (`--warmup auto`). docs/metrics.md, *Steady state*.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pacing {
    /// Seconds of pause before each speed test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_secs: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_warmup: Option<AutoWarmup>,
}

/// `--warmup auto`: warm-up runs (each a whole repetition, unmeasured) until
/// two in a row agree within `precision`, at most `max_warmup`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoWarmup {
    pub precision: f64,
    pub max_warmup: u32,
}

/// The most warm-ups `--warmup auto` runs before measuring anyway.
pub const MAX_AUTO_WARMUP: u32 = 10;
/// The longest `--delay`: an hour.
pub const MAX_DELAY_SECS: f64 = 3600.0;

pub const DEFAULT_PRECISION: f64 = 0.02;
pub const AUTO_MIN_REPS: u32 = 3;
pub const DEFAULT_MAX_REPS: u32 = 30;

fn default_ubatches() -> Vec<u32> {
    vec![DEFAULT_UBATCH]
}

fn default_cache_types() -> Vec<KvCacheType> {
    vec![KvCacheType::F16]
}

fn default_mmaps() -> Vec<bool> {
    vec![true]
}

fn default_depths() -> Vec<u32> {
    vec![0]
}

fn default_sample_ms() -> u64 {
    DEFAULT_SAMPLE_MS
}

fn default_cooldown_max_secs() -> u64 {
    DEFAULT_COOLDOWN_MAX_SECS
}

/// Resource sampling interval and longest cooldown wait when nothing sets them; also
/// what a manifest written before these fields existed reads as.
pub const DEFAULT_SAMPLE_MS: u64 = 250;
pub const DEFAULT_COOLDOWN_MAX_SECS: u64 = 600;

/// Settings that need a model (re)load or a new context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Configuration {
    pub n_threads: u32,
    pub n_gpu_layers: u32,
    pub n_batch: u32,
    pub flash_attn: FlashAttn,
    pub n_ctx: u32,
    /// Physical batch; llama.cpp uses at most `n_batch` of it.
    #[serde(default = "default_ubatch")]
    pub n_ubatch: u32,
    #[serde(default)]
    pub cache_type_k: KvCacheType,
    #[serde(default)]
    pub cache_type_v: KvCacheType,
    /// Weights memory-mapped (llama.cpp's default) or read into allocated memory.
    #[serde(default = "default_mmap")]
    pub use_mmap: bool,
    /// The Jetson power mode (nvpmodel name or id) the parent sets before this unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_mode: Option<String>,
    /// Clocks pinned by `jetson_clocks` (true) or left to the mode's DVFS (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jetson_clocks: Option<bool>,
    /// Speculative decoding (docs/speculative.md); None: the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speculative: Option<Speculation>,
}

/// llama-bench's defaults for the axes a manifest written before them lacks.
pub const DEFAULT_UBATCH: u32 = 512;

fn default_ubatch() -> u32 {
    DEFAULT_UBATCH
}

fn default_mmap() -> bool {
    true
}

impl Configuration {
    /// Short label for tables and progress lines.
    pub fn label(&self) -> String {
        let mut label = format!(
            "t={} ngl={} b={} fa={} ctx={}{}",
            self.n_threads,
            self.n_gpu_layers,
            self.n_batch,
            self.flash_attn,
            self.n_ctx,
            memory_axes_label(
                self.n_batch,
                self.n_ubatch,
                self.cache_type_k,
                self.cache_type_v,
                self.use_mmap
            )
        );
        label.push_str(&power_label(self.power_mode.as_deref(), self.jetson_clocks));
        if let Some(spec) = &self.speculative {
            label.push_str(&spec.label());
        }
        label
    }
}

/// " pm=MAXN jc=on": the power part of a configuration's label, empty without one.
pub fn power_label(power_mode: Option<&str>, jetson_clocks: Option<bool>) -> String {
    let mut label = String::new();
    if let Some(mode) = power_mode {
        label.push_str(&format!(" pm={mode}"));
    }
    if let Some(pinned) = jetson_clocks {
        label.push_str(if pinned { " jc=on" } else { " jc=off" });
    }
    label
}

/// " ub=256 ctk=q8_0 mmap=0": the memory axes that differ from llama-bench's
/// defaults, so labels of default runs stay as they were (and still match in
/// `compare`). llama.cpp caps the physical batch at the logical one.
pub fn memory_axes_label(
    batch: u32,
    ubatch: u32,
    k: KvCacheType,
    v: KvCacheType,
    mmap: bool,
) -> String {
    let mut label = String::new();
    if ubatch.min(batch) != DEFAULT_UBATCH.min(batch) {
        label += &format!(" ub={ubatch}");
    }
    if k != KvCacheType::F16 {
        label += &format!(" ctk={k}");
    }
    if v != KvCacheType::F16 {
        label += &format!(" ctv={v}");
    }
    if !mmap {
        label += " mmap=0";
    }
    label
}

/// One child process: one candidate loaded with one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkUnit {
    /// Stable across resumes: `c{candidate index}-k{configuration index}`.
    pub id: String,
    pub candidate_index: usize,
    pub candidate: Candidate,
    pub config: Configuration,
}
