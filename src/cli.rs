//! Command-line definitions only (clap derive). The names are a contract.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{parse_pg, FlashAttn, KvCacheType, RepsSetting, SweepOverrides};

#[derive(Debug, Parser)]
#[command(
    name = "edgebench",
    version,
    about = "Benchmark local LLMs (GGUF, llama.cpp) to choose the right model for your hardware"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing would only add noise
pub enum Command {
    /// Run a sweep: every candidate x configuration through the suites.
    Run(RunArgs),
    /// Read GGUF headers (no weights loaded): architecture, size, quantization...
    Models(ModelsArgs),
    /// Download models by name (models.toml) or as hf:ORG/REPO:QUANT, sha256-checked.
    Fetch(FetchArgs),
    /// Write a synthetic GGUF model: a chosen shape, random weights, a real tokenizer.
    Synth(SynthArgs),
    /// List the suites in suites/.
    Suites,
    /// Which resource samplers work on this machine, and why a missing one is missing.
    Doctor(DoctorArgs),
    /// Compare a candidate run with a baseline: the regression gate for CI.
    Compare(CompareArgs),
    /// Apply the (current) suite checks again to the answers a run stored; no model is loaded.
    Rescore(RescoreArgs),
    /// Report on runs: report.md, report.html and charts/, with a recommendation.
    Report(ReportArgs),
    /// Results from other tools, as run directories.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Telemetry logs from other tools.
    #[command(subcommand)]
    Telemetry(TelemetryCommand),
    /// Internal: measure one work unit in an isolated child process.
    #[command(name = "__child", hide = true)]
    Child,
    /// Internal: score answers (JSON lines `{"case_id", "text"}` on stdin) with a suite's checks.
    #[command(name = "__score-answers", hide = true)]
    ScoreAnswers {
        #[arg(long, value_name = "NAME|FILE")]
        suite: String,
    },
    /// Internal: a draft model's acceptance over given generated tokens (JSON lines
    /// `{"name", "prompt", "tokens"}` on stdin), for scripts/spec-parity.sh.
    #[command(name = "__spec-replay", hide = true)]
    SpecReplay(SpecReplayArgs),
    /// Internal: report llama.cpp's build and devices as JSON.
    #[command(name = "__probe", hide = true)]
    Probe,
}

#[derive(Debug, Args, Clone)]
pub struct SpecReplayArgs {
    /// The target (its chat template and tokenizer render the prompt).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[arg(long = "draft-model", value_name = "FILE")]
    pub draft_model: PathBuf,
    #[arg(long = "draft-max", value_name = "N")]
    pub draft_max: u32,
    #[arg(long = "draft-min", value_name = "N", default_value_t = 0)]
    pub draft_min: u32,
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub threads: u32,
    /// Fill the draft's cache as llama-server does (each verification batch
    /// in one decode): where the replay and the server still differ, this
    /// shows whether the draft's own rounding is why.
    #[arg(long = "server-batches")]
    pub server_batches: bool,
}

#[derive(Debug, Args, Default, Clone)]
pub struct RunArgs {
    /// Sweep file (TOML); see docs/config.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Candidate model: a GGUF file or hf:ORG/REPO[:QUANT] (repeatable); replaces the config's candidates.
    #[arg(long = "model", value_name = "PATH|hf:ORG/REPO:QUANT")]
    pub models: Vec<PathBuf>,
    /// Suite name (suites/NAME.toml) or file (repeatable).
    #[arg(long = "suite", value_name = "NAME|FILE")]
    pub suites: Vec<String>,
    /// Measured repetitions per test, or `auto`: speed tests repeat until the
    /// median is known to --precision (docs/metrics.md).
    #[arg(long, value_name = "N|auto")]
    pub reps: Option<RepsSetting>,
    /// With --reps auto: target half-width of the median's 95% interval (default 2%).
    #[arg(long, value_name = "PCT")]
    pub precision: Option<String>,
    /// With --reps auto: most repetitions per test (default 30).
    #[arg(long = "max-reps", value_name = "N")]
    pub max_reps: Option<u32>,
    /// With --reps auto: stop a test's repetitions after this many seconds.
    #[arg(long = "rep-budget", value_name = "SECS")]
    pub rep_budget: Option<u64>,
    /// Unmeasured warm-up runs per test, or `auto`: speed tests warm up until
    /// two warm-ups in a row agree within --precision (at most 10).
    #[arg(long, value_name = "N|auto")]
    pub warmup: Option<RepsSetting>,
    /// Seconds of pause before each speed test (llama-bench's --delay; 0 to 3600).
    #[arg(long, value_name = "SECS")]
    pub delay: Option<f64>,
    /// Directory that receives the run directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Thread counts (a list expands to several configurations).
    #[arg(long, value_delimiter = ',', value_name = "N[,N..]")]
    pub threads: Vec<u32>,
    /// Layers offloaded to the GPU (999 = all).
    #[arg(long = "n-gpu-layers", value_delimiter = ',', value_name = "N[,N..]")]
    pub n_gpu_layers: Vec<u32>,
    /// Logical batch sizes for prompt processing.
    #[arg(long = "batch", value_delimiter = ',', value_name = "N[,N..]")]
    pub n_batch: Vec<u32>,
    /// Flash attention: auto, on, off.
    #[arg(long = "flash-attn", value_delimiter = ',', value_name = "auto|on|off")]
    pub flash_attn: Vec<FlashAttn>,
    /// Physical batch sizes (llama-bench -ub; at most --batch).
    #[arg(long = "ubatch", value_delimiter = ',', value_name = "N[,N..]")]
    pub n_ubatch: Vec<u32>,
    /// K cache types: f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1.
    #[arg(
        long = "cache-type-k",
        value_delimiter = ',',
        value_name = "TYPE[,TYPE..]"
    )]
    pub cache_type_k: Vec<KvCacheType>,
    /// V cache types (quantised ones need flash attention).
    #[arg(
        long = "cache-type-v",
        value_delimiter = ',',
        value_name = "TYPE[,TYPE..]"
    )]
    pub cache_type_v: Vec<KvCacheType>,
    /// Memory-map the weights: 1 (llama.cpp's default) or 0 (read into memory).
    #[arg(long, value_delimiter = ',', value_name = "0|1", value_parser = parse_switch)]
    pub mmap: Vec<bool>,
    /// Tokens already in the cache before each speed test (llama-bench -d).
    #[arg(long, value_delimiter = ',', value_name = "N[,N..]")]
    pub depth: Vec<u32>,
    /// A prompt then a generation timed as one, e.g. 512,128 (repeatable; llama-bench -pg).
    #[arg(long, value_name = "N,M", value_parser = parse_pg)]
    pub pg: Vec<[u32; 2]>,
    /// A draft model for speculative decoding (a GGUF file or a models.toml name):
    /// every candidate also runs with it, beside its baseline (docs/speculative.md).
    #[arg(long = "draft-model", value_name = "PATH|NAME")]
    pub draft_model: Option<PathBuf>,
    /// Tokens drafted per verification step, at most (default 16, as llama.cpp).
    #[arg(long = "draft-max", value_delimiter = ',', value_name = "N[,N..]")]
    pub draft_max: Vec<u32>,
    /// A shorter draft is not verified (default 0).
    #[arg(long = "draft-min", value_name = "N")]
    pub draft_min: Option<u32>,
    /// `mtp`: speculative decoding with the model's own multi-token-prediction heads.
    #[arg(long, value_name = "mtp")]
    pub spec: Option<String>,
    /// Jetson power modes set before each configuration: nvpmodel names or ids (needs root).
    #[arg(
        long = "power-mode",
        value_delimiter = ',',
        value_name = "MODE[,MODE..]"
    )]
    pub power_mode: Vec<String>,
    /// Jetson clocks pinned by jetson_clocks (on) or left to the mode (off) (needs root).
    #[arg(long = "jetson-clocks", value_delimiter = ',', value_name = "on|off", value_parser = parse_on_off)]
    pub jetson_clocks: Vec<bool>,
    /// Context size for the user-path tests.
    #[arg(long, value_name = "N")]
    pub ctx: Option<u32>,
    /// Prompt-processing tests, tokens (ppN).
    #[arg(long, value_delimiter = ',', value_name = "N[,N..]")]
    pub pp: Vec<u32>,
    /// Generation tests, tokens (tgN).
    #[arg(long, value_delimiter = ',', value_name = "N[,N..]")]
    pub tg: Vec<u32>,
    /// Tokens generated per user-path prompt (at least 50).
    #[arg(long = "e2e-tokens", value_name = "N")]
    pub e2e_tokens: Option<u32>,
    /// Served candidates: streams at once, per level (docs/metrics.md, concurrency).
    #[arg(long, value_delimiter = ',', value_name = "N[,N..]")]
    pub concurrency: Vec<u32>,
    /// Time limit per candidate configuration, seconds (at most a week).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Continue a killed sweep in RUN_DIR: finished candidates are kept.
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// With --resume: continue although a model file, suite or build changed since
    /// the run started (the change is recorded in manifest.json).
    #[arg(long = "resume-force", requires = "resume")]
    pub resume_force: bool,
    /// Resource sampling interval, milliseconds.
    #[arg(long = "sample-ms", value_name = "MS")]
    pub sample_ms: Option<u64>,
    /// Before each candidate, wait until the hottest sensor is below this (°C).
    #[arg(long = "cooldown-temp", value_name = "C")]
    pub cooldown_temp: Option<f64>,
    /// Longest wait for --cooldown-temp, seconds.
    #[arg(long = "cooldown-max", value_name = "SECS")]
    pub cooldown_max: Option<u64>,
    /// Compare with this baseline (run directory or saved name) when the run ends.
    #[arg(long, value_name = "RUN_DIR|NAME")]
    pub baseline: Option<String>,
    /// Save this run as a named baseline (see `compare`).
    #[arg(long = "save-baseline", value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// Threshold for --baseline, e.g. 5%.
    #[arg(long, default_value = "5%")]
    pub threshold: String,
    /// Run-to-run noise for --baseline (see `compare --run-noise`).
    #[arg(long = "run-noise", default_value = "2%")]
    pub run_noise: String,
    /// Soak length for the stability suite, e.g. 10m, at most a week (overrides the suite's).
    #[arg(long, value_name = "DURATION")]
    pub soak: Option<String>,
    /// Reference candidate (same model, F16 or Q8_0) for the stability suite's fidelity test.
    #[arg(long, value_name = "NAME")]
    pub reference: Option<String>,
    /// Run only share I of N of the candidates (CI matrix jobs), e.g. 1/3.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Run the good candidates when some files are bad (missing, empty, not GGUF,
    /// truncated); each bad one is recorded as a load_failed row.
    #[arg(long = "keep-going")]
    pub keep_going: bool,
    /// Leave the host name and user paths out of every file the run writes
    /// (model paths become ~/... or file names); see docs/results.md.
    #[arg(long)]
    pub redact: bool,
    /// Skip measuring the host's memory bandwidth at the start (a few seconds,
    /// cached per host and build); the report then has no roofline for the host.
    #[arg(long)]
    pub no_bandwidth: bool,
    /// Show llama.cpp's own log lines.
    #[arg(long, short)]
    pub verbose: bool,
    /// Do not write report.md, report.html and charts/ into the run directory.
    #[arg(long = "no-report")]
    pub no_report: bool,
    /// The directory holding nvpmodel and jetson_clocks for --power-mode and
    /// --jetson-clocks (default: L4T's /usr/sbin/nvpmodel and /usr/bin/jetson_clocks;
    /// never looked up on PATH, as edgebench runs them as root).
    #[arg(long = "power-tools", value_name = "DIR")]
    pub power_tools: Option<PathBuf>,
    /// The tegrastats program the Jetson sampler runs (default: L4T's
    /// /usr/bin/tegrastats, on a real Jetson only).
    #[arg(long, value_name = "PROGRAM")]
    pub tegrastats: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct DoctorArgs {
    /// The tegrastats program the Jetson sampler runs (default: L4T's
    /// /usr/bin/tegrastats, on a real Jetson only).
    #[arg(long, value_name = "PROGRAM")]
    pub tegrastats: Option<PathBuf>,
}

impl RunArgs {
    /// The options that shape the sweep, for `config::resolve`.
    pub fn sweep_overrides(&self) -> SweepOverrides {
        SweepOverrides {
            models: self.models.clone(),
            suites: self.suites.clone(),
            reps: self.reps,
            precision: self.precision.clone(),
            max_reps: self.max_reps,
            rep_budget_secs: self.rep_budget,
            warmup: self.warmup,
            delay_secs: self.delay,
            threads: self.threads.clone(),
            n_gpu_layers: self.n_gpu_layers.clone(),
            n_batch: self.n_batch.clone(),
            flash_attn: self.flash_attn.clone(),
            ctx: self.ctx,
            pp: self.pp.clone(),
            tg: self.tg.clone(),
            e2e_tokens: self.e2e_tokens,
            concurrency: self.concurrency.clone(),
            n_ubatch: self.n_ubatch.clone(),
            cache_type_k: self.cache_type_k.clone(),
            cache_type_v: self.cache_type_v.clone(),
            use_mmap: self.mmap.clone(),
            depth: self.depth.clone(),
            pg: self.pg.clone(),
            power_mode: self.power_mode.clone(),
            jetson_clocks: self.jetson_clocks.clone(),
            timeout: self.timeout,
            sample_ms: self.sample_ms,
            cooldown_temp: self.cooldown_temp,
            cooldown_max: self.cooldown_max,
            soak: self.soak.clone(),
            reference: self.reference.clone(),
            draft_model: self.draft_model.clone(),
            draft_max: self.draft_max.clone(),
            draft_min: self.draft_min,
            spec: self.spec.clone(),
        }
    }
}

/// `on` / `off` (also true/false, 1/0) for `--jetson-clocks`.
fn parse_on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(format!("`{text}` is not on or off")),
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run directories (several: merged into one report).
    #[arg(required = true, value_name = "RUN_DIR")]
    pub run_dirs: Vec<PathBuf>,
    /// Where report.md, report.html and charts/ go (default: the run directory
    /// when there is one, else ./report).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Device profile for the budget, fit and roofline (default: the run's host).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Extra device profiles (TOML); default $EDGEBENCH_PROFILES, else ~/.config/edgebench/profiles.toml.
    #[arg(long, value_name = "FILE")]
    pub profiles: Option<PathBuf>,
    /// Targets for the recommendation (TOML); default: a voice assistant.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Add a table of changes against this baseline (run directory or saved name).
    #[arg(long, value_name = "RUN_DIR|NAME")]
    pub baseline: Option<String>,
    /// Leave the runs' host names and user paths out of the report.
    #[arg(long)]
    pub redact: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Baseline: a run directory, several comma-separated (shards), or a saved baseline name.
    pub baseline: String,
    /// Candidate: the same forms.
    pub candidate: String,
    /// Smallest change that counts, e.g. 5%.
    #[arg(long, default_value = "5%")]
    pub threshold: String,
    /// Run-to-run noise of this machine (sd of a run's median), added to the interval.
    #[arg(long = "run-noise", default_value = "2%")]
    pub run_noise: String,
    /// Compare only these metrics (repeatable): pp_tps, tg_tps, ttft_ms, latency_50_ms, itl_p50_ms, itl_p95_ms.
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RescoreArgs {
    /// The run directory whose answers are rescored (its quality.* and summary.* are rewritten).
    pub run_dir: PathBuf,
    /// Suite name or file to score with, instead of the suites the run used.
    #[arg(long, value_name = "NAME|FILE")]
    pub suite: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
    Junit,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Turn llama-bench's JSON output (`llama-bench -o json`) into a run directory.
    LlamaBench {
        file: PathBuf,
        /// Directory that receives the run directory.
        #[arg(long, value_name = "DIR", default_value = "results")]
        out: PathBuf,
    },
    /// Turn the Berkeley Function Calling Leaderboard's single-turn categories into a suite.
    Bfcl(BfclImportArgs),
}

#[derive(Debug, Args)]
pub struct BfclImportArgs {
    /// The unpacked bfcl-eval wheel (scripts/setup.sh puts it there), or a directory of BFCL_v4_*.json files.
    #[arg(long, value_name = "DIR", default_value = "tools/bfcl-eval-2026.3.23")]
    pub from: PathBuf,
    /// BFCL category (repeatable; default: every single-turn category).
    #[arg(long = "category", value_name = "NAME")]
    pub categories: Vec<String>,
    /// At most N cases per category, chosen by a seeded hash of their ids.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Seed of the sample.
    #[arg(long, value_name = "N", default_value_t = 20260323)]
    pub seed: u64,
    /// Accept BFCL-format files of another version (no version or sha256 check).
    #[arg(long)]
    pub any_version: bool,
    /// The suite file to write; its stem is the suite's name.
    #[arg(long, value_name = "FILE", default_value = "suites/bfcl.toml")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum TelemetryCommand {
    /// Parse a `tegrastats --logfile` log into edgebench's sample schema.
    ImportTegrastats {
        /// The tegrastats log.
        logfile: PathBuf,
        /// Output file: .csv or .parquet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The log's interval, for lines without a timestamp (tegrastats' default: 1000).
        #[arg(long = "interval-ms", default_value_t = 1000)]
        interval_ms: u64,
    },
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Registry names (`--list`) or Hugging Face references hf:ORG/REPO[:QUANT].
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Where registry models are placed (hf: references go to the Hugging Face cache).
    #[arg(long = "models-dir", value_name = "DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Wheels and partial downloads, kept for a resume (default $XDG_CACHE_HOME/edgebench, ~/.cache/edgebench).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// A registry file instead of the built-in models.toml.
    #[arg(long, value_name = "FILE")]
    pub registry: Option<PathBuf>,
    /// List the registry's models.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// GGUF files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also compute each file's sha256 (slow on big files).
    #[arg(long)]
    pub sha256: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Say whether each model fits this device profile (e.g. jetson-orin-nx-16gb, host).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Extra device profiles (TOML), as for `report`.
    #[arg(long, value_name = "FILE")]
    pub profiles: Option<PathBuf>,
    /// Context for the fit estimate's KV cache, tokens.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub ctx: u64,
}

/// `edgebench synth`: see docs/synthetic.md.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The GGUF file to write (replaced only if it is itself synthetic).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// A GGUF whose tokenizer (tokenizer.* and the chat template) is copied.
    #[arg(long = "tokenizer-from", value_name = "FILE")]
    pub tokenizer_from: PathBuf,
    /// Architecture.
    #[arg(long, default_value = "qwen2", value_parser = ["llama", "qwen2"])]
    pub arch: String,
    /// Named shape: Qwen2.5's 0.5B, 1.5B, 3B, 7B, 14B, 32B, 72B, or SmolLM2's 135M.
    #[arg(long, value_name = "SIZE", default_value = "0.5B")]
    pub params: String,
    /// Layers (overrides the --params shape).
    #[arg(long, value_name = "N")]
    pub layers: Option<u64>,
    /// Embedding width (overrides the --params shape).
    #[arg(long, value_name = "N")]
    pub embd: Option<u64>,
    /// Feed-forward width (overrides the --params shape).
    #[arg(long, value_name = "N")]
    pub ff: Option<u64>,
    /// Attention heads (overrides the --params shape).
    #[arg(long, value_name = "N")]
    pub heads: Option<u64>,
    /// Key/value heads (overrides the --params shape).
    #[arg(long = "kv-heads", value_name = "N")]
    pub kv_heads: Option<u64>,
    /// Weight type of the matrices.
    #[arg(long = "type", default_value = "q8_0", value_parser = ["f16", "q8_0", "q4_0", "q4_k"])]
    pub weight_type: String,
    /// Seed of the random weights (the same seed writes the same file).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// All-zero weights left as holes in the file: any size in a moment, no disk
    /// used (for memory-ceiling tests; not for speed figures).
    #[arg(long)]
    pub sparse: bool,
    /// Write only the tokenizer (no tensors): a small --tokenizer-from for later.
    #[arg(long = "vocab-only")]
    pub vocab_only: bool,
}

/// `--mmap`: 0/1 as llama-bench writes it, or true/false.
fn parse_switch(text: &str) -> Result<bool, String> {
    match text {
        "1" | "true" | "on" => Ok(true),
        "0" | "false" | "off" => Ok(false),
        _ => Err(format!("`{text}` is not 0 or 1")),
    }
}
