//! The sweep file as written by users (TOML), with errors that name the file,
//! the line and the key.
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::speed_axes::RepsSetting;
use super::{FlashAttn, KvCacheType};
use crate::error::{toml_error, UsageError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// A count, or "auto" (repeat until the median is known to `precision`).
    pub reps: Option<RepsSetting>,
    /// `reps = "auto"`: target half-width of the median's 95% interval,
    /// percent ("2%" or 2).
    pub precision: Option<Percent>,
    pub max_reps: Option<u32>,
    pub rep_budget_secs: Option<u64>,
    /// A count, or "auto" (until two warm-ups in a row agree within `precision`).
    pub warmup: Option<RepsSetting>,
    /// Seconds of pause before each speed test (llama-bench's `--delay`).
    pub delay_secs: Option<f64>,
    pub suites: Option<Vec<String>>,
    pub out: Option<PathBuf>,
    pub timeout_secs: Option<u64>,
    /// Template for candidates whose GGUF has none: a llama.cpp template name
    /// ("chatml", "gemma", "llama3", ...) or "raw" for the bare prompt.
    pub fallback_chat_template: Option<String>,
    /// Resource sampling interval (default 250 ms).
    pub sample_ms: Option<u64>,
    /// Wait before each candidate until the hottest sensor is below this.
    pub cooldown_temp_c: Option<f64>,
    pub cooldown_max_secs: Option<u64>,
    #[serde(default)]
    pub params: ParamsFile,
    /// What the application needs (as `report --targets`): goodput is judged by them.
    pub targets: Option<crate::results::Targets>,
    #[serde(default, rename = "candidate")]
    pub candidates: Vec<CandidateFile>,
}

/// Parameter lists; every combination of the configuration axes is run
/// (threads = [1, 2] gives two configurations), as llama-bench does.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsFile {
    pub threads: Option<Vec<u32>>,
    pub n_gpu_layers: Option<Vec<u32>>,
    pub n_batch: Option<Vec<u32>>,
    pub flash_attn: Option<Vec<FlashAttn>>,
    pub pp: Option<Vec<u32>>,
    pub tg: Option<Vec<u32>>,
    pub n_ctx: Option<u32>,
    pub e2e_tokens: Option<u32>,
    pub concurrency: Option<Vec<u32>>,
    pub n_ubatch: Option<Vec<u32>>,
    pub cache_type_k: Option<Vec<KvCacheType>>,
    pub cache_type_v: Option<Vec<KvCacheType>>,
    pub mmap: Option<Vec<bool>>,
    pub depth: Option<Vec<u32>>,
    /// `[[512, 128]]`: ppN+tgM tests.
    pub pg: Option<Vec<[u32; 2]>>,
    /// Jetson power modes: nvpmodel names ("MAXN", "25W") or ids (0, 2).
    pub power_mode: Option<Vec<PowerModeName>>,
    pub jetson_clocks: Option<Vec<bool>>,
    /// Speculative decoding: draft lengths, the shortest draft verified, and
    /// `spec = "mtp"` (docs/speculative.md).
    pub draft_max: Option<Vec<u32>>,
    pub draft_min: Option<u32>,
    pub spec: Option<String>,
}

/// A percentage as written in the file: `2`, `0.02` or `"2%"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Percent {
    Number(f64),
    Text(String),
}

impl Percent {
    pub fn text(&self) -> String {
        match self {
            Percent::Number(n) => n.to_string(),
            Percent::Text(t) => t.clone(),
        }
    }
}

/// A power mode as written: a name or an nvpmodel id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PowerModeName {
    Id(u32),
    Name(String),
}

impl std::fmt::Display for PowerModeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PowerModeName::Id(id) => write!(f, "{id}"),
            PowerModeName::Name(name) => f.write_str(name),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateFile {
    pub name: Option<String>,
    /// The GGUF file (for `engine = "openai"`: the one the server serves, if known).
    pub path: Option<PathBuf>,
    /// `llama.cpp` (in-process, the default) or `openai` (a server's API).
    pub engine: Option<String>,
    pub base_url: Option<String>,
    /// The server's model id.
    pub model: Option<String>,
    /// The name of the environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// `llama-server` or `generic` (the default).
    pub server_kind: Option<String>,
    /// `[candidate.server]`: a server edgebench starts for this candidate.
    pub server: Option<ServerLaunchFile>,
    /// `prompt` (the default), `native` or `both`: how tools reach the server.
    pub tool_calls: Option<String>,
    /// `auto`, `required` or `none`: sent with native tools (unset: not sent).
    pub tool_choice: Option<String>,
    pub n_gpu_layers: Option<u32>,
    pub n_ctx: Option<u32>,
    pub n_threads: Option<u32>,
    pub n_batch: Option<u32>,
    pub flash_attn: Option<FlashAttn>,
    pub chat_template: Option<String>,
    /// A draft model for speculative decoding: a GGUF path or a models.toml name.
    pub draft: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerLaunchFile {
    pub command: Vec<String>,
    pub ready_timeout_secs: Option<u64>,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
}

pub fn read_sweep_file(path: &Path) -> Result<SweepFile, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("cannot read config {}: {e}", path.display())))?;
    let mut sweep = parse_sweep_toml(&text, path)?;
    // Relative model paths are relative to the config file, so a config works from any directory.
    let base = path.parent().unwrap_or(Path::new("."));
    for path in sweep.candidates.iter_mut().filter_map(|c| c.path.as_mut()) {
        if path.is_relative() && !path.exists() {
            *path = base.join(&*path);
        }
    }
    Ok(sweep)
}

pub fn parse_sweep_toml(text: &str, path: &Path) -> Result<SweepFile, UsageError> {
    toml::from_str(text).map_err(|e| toml_error(&e, text, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SweepFile, String> {
        parse_sweep_toml(text, Path::new("sweep.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn full_file_parses() {
        let s = parse(
            r#"
reps = 3
warmup = 2
suites = ["speed"]
timeout_secs = 600
fallback_chat_template = "chatml"
[params]
threads = [1, 2]
n_gpu_layers = [0, 99]
n_batch = [512]
flash_attn = ["auto", "on"]
pp = [64, 512]
tg = [32]
n_ctx = 2048
e2e_tokens = 60
[[candidate]]
name = "gemma"
path = "models/g.gguf"
n_threads = 4
n_ctx = 1024
n_batch = 256
n_gpu_layers = 0
flash_attn = "off"
chat_template = "gemma"
[[candidate]]
path = "models/s.gguf"
"#,
        )
        .unwrap();
        assert_eq!(s.reps, Some(RepsSetting::Count(3)));
        assert_eq!(s.params.threads, Some(vec![1, 2]));
        assert_eq!(
            s.params.flash_attn,
            Some(vec![FlashAttn::Auto, FlashAttn::On])
        );
        assert_eq!(s.candidates.len(), 2);
        assert_eq!(s.candidates[0].flash_attn, Some(FlashAttn::Off));
        assert_eq!(s.candidates[0].chat_template.as_deref(), Some("gemma"));
        assert_eq!(s.candidates[1].name, None);
    }

    #[test]
    fn power_modes_are_names_or_ids() {
        let s =
            parse("[params]\npower_mode = [\"MAXN\", 2]\njetson_clocks = [true, false]\n").unwrap();
        let modes: Vec<String> = s
            .params
            .power_mode
            .unwrap()
            .iter()
            .map(|m| m.to_string())
            .collect();
        assert_eq!(modes, ["MAXN", "2"]);
        assert_eq!(s.params.jetson_clocks, Some(vec![true, false]));
        let e = parse("[params]\njetson_clocks = [\"yes\"]\n").unwrap_err();
        assert!(e.starts_with("sweep.toml:2: "), "{e}");
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse("reps = 2\n[params]\nthredas = [2]\n").unwrap_err();
        assert!(e.starts_with("sweep.toml:3: "), "{e}");
        assert!(e.contains("thredas"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let e = parse("reps = \"five\"\n").unwrap_err();
        assert!(e.starts_with("sweep.toml:1: "), "{e}");
        assert!(e.contains("reps"), "{e}");
        let e = parse("[params]\ncache_type_k = [\"q3_x\"]\n").unwrap_err();
        assert!(e.starts_with("sweep.toml:2: ") && e.contains("q3_x"), "{e}");
        assert!(e.contains("q8_0"), "names the allowed types: {e}");
        let e = parse("[params]\nthreads = 2\n").unwrap_err();
        assert!(e.starts_with("sweep.toml:2: key `threads`"), "{e}");
        // A candidate without `path` is a served one or an error: config::candidate's tests.
        let e = parse("[params]\nflash_attn = [\"maybe\"]\n").unwrap_err();
        assert!(
            e.starts_with("sweep.toml:2: ") && e.contains("maybe"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_in_candidate_is_an_error() {
        let e = parse("[[candidate]]\npath = \"a.gguf\"\nngl = 3\n").unwrap_err();
        assert!(e.starts_with("sweep.toml:3: ") && e.contains("ngl"), "{e}");
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    fn shipped(relative: &str) -> SweepFile {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        parse_sweep_toml(&text, &path).unwrap()
    }

    #[test]
    fn shipped_example_config_parses() {
        let sweep = shipped("docs/sweep.example.toml");
        assert_eq!(sweep.candidates.len(), 2);
        assert_eq!(sweep.params.threads, Some(vec![1, 2]));
        assert_eq!(sweep.candidates[0].chat_template.as_deref(), Some("gemma"));
    }

    #[test]
    fn shipped_orin_nx_voice_sweep_parses_with_its_targets_and_power_modes() {
        let sweep = shipped("docs/sweeps/orin-nx-voice.toml");
        assert_eq!(sweep.candidates.len(), 7);
        let targets = sweep.targets.unwrap();
        assert_eq!(targets.min_tg_tps, Some(30.0));
        assert_eq!(targets.max_latency_50_ms, Some(1500.0));
        let modes: Vec<String> = sweep
            .params
            .power_mode
            .unwrap()
            .iter()
            .map(|m| m.to_string())
            .collect();
        assert_eq!(modes, ["MAXN", "15W"]);
    }

    #[test]
    fn shipped_cpu_rehearsal_parses_with_both_depths_and_three_candidates() {
        let sweep = shipped("docs/sweeps/cpu-rehearsal.toml");
        assert_eq!(sweep.candidates.len(), 3);
        assert_eq!(sweep.params.depth, Some(vec![0, 2048]));
        assert!(sweep.suites.as_ref().unwrap().iter().any(|s| s == "bfcl-3"));
        assert_eq!(sweep.targets.unwrap().min_tg_tps, Some(30.0));
    }
}
