//! Merging command line, sweep file, suite and defaults into one Sweep.
//! Precedence: command line > sweep file > suite file > built-in defaults.
use std::path::{Path, PathBuf};

use super::candidate::{candidates_from_file, name_from_path};
use super::spec_axes::{longest_draft, resolve_spec, validate_spec, SpecInput};
use super::speed_axes::{self, AutoRepsInput, RepsSetting};
use super::KvCacheType;
use super::{
    default_threads, Candidate, FlashAttn, Sweep, SweepFile, ALL_LAYERS, DEFAULT_COOLDOWN_MAX_SECS,
    DEFAULT_E2E_TOKENS, DEFAULT_MODELS, DEFAULT_N_CTX, DEFAULT_REPS, DEFAULT_SAMPLE_MS,
    DEFAULT_SUITES, DEFAULT_TIMEOUT_SECS, DEFAULT_WARMUP, MAX_CONCURRENCY, MAX_CONTEXT,
    MAX_THREADS,
};
use crate::error::UsageError;
use crate::results::plan::AUTO_MIN_REPS;
use crate::suite::stability::MAX_DURATION_SECS;
use crate::suite::SpeedSuite;

/// What the command line says about the sweep (`edgebench run`'s options), as
/// plain values: config sits below the clap definitions, which fill this in.
#[derive(Debug, Clone, Default)]
pub struct SweepOverrides {
    pub models: Vec<PathBuf>,
    pub suites: Vec<String>,
    pub reps: Option<RepsSetting>,
    pub precision: Option<String>,
    pub max_reps: Option<u32>,
    pub rep_budget_secs: Option<u64>,
    /// `--warmup N|auto`.
    pub warmup: Option<RepsSetting>,
    /// `--delay SECS`.
    pub delay_secs: Option<f64>,
    pub threads: Vec<u32>,
    pub n_gpu_layers: Vec<u32>,
    pub n_batch: Vec<u32>,
    pub flash_attn: Vec<FlashAttn>,
    pub ctx: Option<u32>,
    pub pp: Vec<u32>,
    pub tg: Vec<u32>,
    pub e2e_tokens: Option<u32>,
    pub concurrency: Vec<u32>,
    pub n_ubatch: Vec<u32>,
    pub cache_type_k: Vec<KvCacheType>,
    pub cache_type_v: Vec<KvCacheType>,
    pub use_mmap: Vec<bool>,
    pub depth: Vec<u32>,
    pub pg: Vec<[u32; 2]>,
    /// `--power-mode`: nvpmodel names or ids.
    pub power_mode: Vec<String>,
    /// `--jetson-clocks`: on, off or both.
    pub jetson_clocks: Vec<bool>,
    pub timeout: Option<u64>,
    pub sample_ms: Option<u64>,
    pub cooldown_temp: Option<f64>,
    pub cooldown_max: Option<u64>,
    pub soak: Option<String>,
    pub reference: Option<String>,
    /// `--draft-model PATH|NAME` (resolved to a file by the runner).
    pub draft_model: Option<PathBuf>,
    pub draft_max: Vec<u32>,
    pub draft_min: Option<u32>,
    /// `--spec mtp`.
    pub spec: Option<String>,
}

/// `speed` is None when the sweep runs no speed suite: then no ppN/tgN unless asked for.
pub fn resolve(
    args: &SweepOverrides,
    file: &SweepFile,
    speed: Option<&SpeedSuite>,
) -> Result<Sweep, UsageError> {
    let list = |cli: &[u32], file: &Option<Vec<u32>>, default: Vec<u32>| {
        if !cli.is_empty() {
            cli.to_vec()
        } else {
            file.clone().unwrap_or(default)
        }
    };
    let params = &file.params;
    let flash_attn = if !args.flash_attn.is_empty() {
        args.flash_attn.clone()
    } else {
        params.flash_attn.clone().unwrap_or(vec![FlashAttn::Auto])
    };
    let reps = args.reps.or(file.reps);
    let warmup = args.warmup.or(file.warmup);
    let file_precision = file.precision.as_ref().map(|p| p.text());
    let auto_input = AutoRepsInput {
        precision: args.precision.as_deref().or(file_precision.as_deref()),
        max_reps: args.max_reps.or(file.max_reps),
        budget_secs: args.rep_budget_secs.or(file.rep_budget_secs),
        warmup_auto: warmup == Some(RepsSetting::Auto),
    };
    let mut candidates = candidates(args, file)?;
    let spec_input = SpecInput {
        draft_model: args.draft_model.as_ref(),
        draft_max: (args.draft_max.as_slice(), params.draft_max.as_ref()),
        draft_min: args.draft_min.or(params.draft_min),
        spec: args.spec.as_deref().or(params.spec.as_deref()),
    };
    let (draft_max, draft_min, spec_mtp) = resolve_spec(&spec_input, &mut candidates)?;
    let sweep = Sweep {
        candidates,
        suites: if args.suites.is_empty() {
            file.suites
                .clone()
                .unwrap_or_else(|| DEFAULT_SUITES.map(String::from).to_vec())
        } else {
            args.suites.clone()
        },
        reps: match reps {
            Some(RepsSetting::Count(n)) => n,
            Some(RepsSetting::Auto) => AUTO_MIN_REPS,
            None => DEFAULT_REPS,
        },
        // With --warmup auto, the tests that do not judge their warm-ups
        // (depth turns, concurrency) take the default.
        warmup: match warmup {
            Some(RepsSetting::Count(n)) => n,
            Some(RepsSetting::Auto) | None => DEFAULT_WARMUP,
        },
        timeout_secs: args
            .timeout
            .or(file.timeout_secs)
            .unwrap_or(DEFAULT_TIMEOUT_SECS),
        threads: list(&args.threads, &params.threads, vec![default_threads()]),
        n_gpu_layers: list(&args.n_gpu_layers, &params.n_gpu_layers, vec![ALL_LAYERS]),
        n_batch: list(&args.n_batch, &params.n_batch, vec![2048]),
        flash_attn,
        pp: list(
            &args.pp,
            &params.pp,
            speed.map_or(vec![], |s| s.file.pp.clone().unwrap_or(vec![512])),
        ),
        tg: list(
            &args.tg,
            &params.tg,
            speed.map_or(vec![], |s| s.file.tg.clone().unwrap_or(vec![128])),
        ),
        n_ctx: args.ctx.or(params.n_ctx).unwrap_or(DEFAULT_N_CTX),
        e2e_tokens: args
            .e2e_tokens
            .or(params.e2e_tokens)
            .or(speed.and_then(|s| s.file.e2e_tokens))
            .unwrap_or(DEFAULT_E2E_TOKENS),
        fallback_chat_template: file.fallback_chat_template.clone(),
        sample_ms: args
            .sample_ms
            .or(file.sample_ms)
            .unwrap_or(DEFAULT_SAMPLE_MS),
        cooldown_temp_c: args.cooldown_temp.or(file.cooldown_temp_c),
        cooldown_max_secs: args
            .cooldown_max
            .or(file.cooldown_max_secs)
            .unwrap_or(DEFAULT_COOLDOWN_MAX_SECS),
        soak_secs: args
            .soak
            .as_deref()
            .map(crate::suite::stability::parse_duration)
            .transpose()
            .map_err(|e| UsageError::new(format!("--soak: {e}")))?,
        reference: args.reference.clone(),
        concurrency: list(&args.concurrency, &params.concurrency, vec![]),
        n_ubatch: speed_axes::ubatches(&args.n_ubatch, &params.n_ubatch),
        cache_type_k: speed_axes::cache_types(&args.cache_type_k, &params.cache_type_k),
        cache_type_v: speed_axes::cache_types(&args.cache_type_v, &params.cache_type_v),
        use_mmap: speed_axes::mmaps(&args.use_mmap, &params.mmap),
        depth: speed_axes::depths(&args.depth, &params.depth),
        pg: if args.pg.is_empty() {
            params.pg.clone().unwrap_or_default()
        } else {
            args.pg.clone()
        },
        auto_reps: speed_axes::auto_reps(reps, &auto_input)?,
        pacing: speed_axes::pacing(args.delay_secs.or(file.delay_secs), warmup, &auto_input)?,
        power_mode: power_modes(args, file),
        jetson_clocks: if args.jetson_clocks.is_empty() {
            params.jetson_clocks.clone().unwrap_or_default()
        } else {
            args.jetson_clocks.clone()
        },
        targets: file.targets.clone().map_or_else(Default::default, |mut t| {
            t.name
                .get_or_insert_with(|| "the sweep file's [targets]".into());
            t
        }),
        draft_max,
        draft_min,
        spec_mtp,
    };
    validate(&sweep)?;
    Ok(sweep)
}

/// The user path's context, the sweep's and each candidate's own.
fn overrides_ctx(sweep: &Sweep) -> Vec<u32> {
    let own = sweep.candidates.iter().filter_map(|c| c.n_ctx);
    std::iter::once(sweep.n_ctx).chain(own).collect()
}

/// The longest sampling interval: an hour.
const MAX_SAMPLE_MS: u64 = 3_600_000;

/// Every engine test's context (its depth, prompt and generation) is a
/// number of tokens llama.cpp can take: a sum that wraps would create a tiny
/// context and then overrun it.
fn check_test_contexts(sweep: &Sweep) -> Result<(), UsageError> {
    let deepest = sweep.depth.iter().copied().max().unwrap_or(0);
    let prompts = sweep.pp.iter().map(|&p| ("--pp", p, 0));
    // A speculative tgN's context also holds the draft ahead of it.
    let ahead = match longest_draft(sweep) {
        0 => 0,
        n => n.saturating_add(1),
    };
    let generations = sweep
        .tg
        .iter()
        .map(|&g| ("--tg", 0, g.saturating_add(ahead)));
    let both = sweep.pg.iter().map(|&[p, g]| ("--pg", p, g));
    for (flag, p, g) in prompts.chain(generations).chain(both) {
        let tokens = deepest.checked_add(p).and_then(|n| n.checked_add(g));
        if tokens.is_none_or(|n| n > MAX_CONTEXT) {
            return Err(UsageError::new(format!(
                "{flag}: a test of {p} prompt and {g} generated tokens at depth {deepest} needs a context past {MAX_CONTEXT} tokens, the most llama.cpp takes"
            )));
        }
    }
    Ok(())
}

fn power_modes(args: &SweepOverrides, file: &SweepFile) -> Vec<String> {
    if !args.power_mode.is_empty() {
        return args.power_mode.clone();
    }
    let modes = file.params.power_mode.iter().flatten();
    modes.map(|m| m.to_string()).collect()
}

fn candidates(args: &SweepOverrides, file: &SweepFile) -> Result<Vec<Candidate>, UsageError> {
    if !args.models.is_empty() {
        // The same file twice (an A/B/A check) gets distinct names: name, name-2, ...
        let mut candidates: Vec<Candidate> = Vec::new();
        for path in &args.models {
            let mut c = candidate_from_path(path);
            let same = candidates.iter().filter(|o| o.path == c.path).count();
            if same > 0 {
                c.name = format!("{}-{}", c.name, same + 1);
            }
            candidates.push(c);
        }
        return Ok(candidates);
    }
    if !file.candidates.is_empty() {
        return candidates_from_file(file);
    }
    // The default sweep: the two models scripts/setup.sh fetches.
    let mut defaults = Vec::new();
    for (name, path) in DEFAULT_MODELS {
        let path = PathBuf::from(path);
        if !path.exists() {
            return Err(UsageError::new(format!(
                "default model {} not found: run scripts/setup.sh (or `edgebench fetch smollm2-135m-instruct-q4_1 qwen2.5-coder-0.5b-instruct-q4_k_m`) first, or name models with --model",
                path.display()
            )));
        }
        defaults.push(Candidate {
            name: name.to_string(),
            ..candidate_from_path(&path)
        });
    }
    Ok(defaults)
}

fn candidate_from_path(path: &Path) -> Candidate {
    Candidate::new(name_from_path(path), path)
}

/// Names as nvpmodel.conf writes them: no spaces, nothing a shell would read.
fn is_power_mode_name(mode: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
    !mode.is_empty() && mode.chars().all(allowed)
}

/// The rules every sweep is held to, a new one or one read back from a run
/// directory to resume it.
pub fn validate(sweep: &Sweep) -> Result<(), UsageError> {
    let positive = |name: &str, values: &[u32]| {
        if values.contains(&0) {
            Err(UsageError::new(format!("{name} must be at least 1")))
        } else {
            Ok(())
        }
    };
    positive("--reps", &[sweep.reps])?;
    positive("--threads", &sweep.threads)?;
    positive("--batch", &sweep.n_batch)?;
    positive("--pp", &sweep.pp)?;
    positive("--tg", &sweep.tg)?;
    positive("--ctx", &[sweep.n_ctx])?;
    positive("--e2e-tokens", &[sweep.e2e_tokens])?;
    positive("--concurrency", &sweep.concurrency)?;
    positive("--ubatch", &sweep.n_ubatch)?;
    let pg: Vec<u32> = sweep.pg.iter().flatten().copied().collect();
    positive("--pg", &pg)?;
    let overrides = sweep.candidates.iter();
    let threads: Vec<u32> = (sweep.threads.iter().copied())
        .chain(overrides.clone().filter_map(|c| c.n_threads))
        .collect();
    positive("--threads", &threads)?;
    positive(
        "--batch",
        &overrides
            .clone()
            .filter_map(|c| c.n_batch)
            .collect::<Vec<_>>(),
    )?;
    positive(
        "--ctx",
        &overrides.filter_map(|c| c.n_ctx).collect::<Vec<_>>(),
    )?;
    if let Some(n) = threads.iter().find(|&&n| n > MAX_THREADS) {
        return Err(UsageError::new(format!(
            "--threads {n}: at most {MAX_THREADS} (llama.cpp's GGML_MAX_N_THREADS)"
        )));
    }
    check_test_contexts(sweep)?;
    speed_axes::check_delay(sweep.pacing.delay_secs)?;
    validate_spec(sweep)?;
    if let Some(c) = sweep.cooldown_temp_c.filter(|c| !(0.0..=150.0).contains(c)) {
        return Err(UsageError::new(format!(
            "--cooldown-temp {c}: give a temperature from 0 to 150 °C"
        )));
    }
    if let Some(n) = sweep.concurrency.iter().find(|&&n| n > MAX_CONCURRENCY) {
        return Err(UsageError::new(format!(
            "--concurrency {n}: at most {MAX_CONCURRENCY} streams at once"
        )));
    }
    if let Some(mode) = sweep.power_mode.iter().find(|m| !is_power_mode_name(m)) {
        return Err(UsageError::new(format!(
            "--power-mode `{mode}`: give an nvpmodel mode name (MAXN, 25W) or id"
        )));
    }
    if !(10..=MAX_SAMPLE_MS).contains(&sweep.sample_ms) {
        return Err(UsageError::new(format!(
            "--sample-ms {}: give 10 to {MAX_SAMPLE_MS} (an hour)",
            sweep.sample_ms
        )));
    }
    let contexts = overrides_ctx(sweep);
    if let Some(n) = contexts.iter().find(|&&n| n > MAX_CONTEXT) {
        return Err(UsageError::new(format!(
            "--ctx {n}: at most {MAX_CONTEXT} tokens, the most llama.cpp takes"
        )));
    }
    if sweep.timeout_secs == 0 || sweep.timeout_secs > MAX_DURATION_SECS {
        return Err(UsageError::new(format!(
            "--timeout {}: give 1 to {MAX_DURATION_SECS} seconds (a week)",
            sweep.timeout_secs
        )));
    }
    if let Some(reference) = &sweep.reference {
        if !sweep.candidates.iter().any(|c| &c.name == reference) {
            return Err(UsageError::new(format!(
                "--reference {reference}: no candidate has this name"
            )));
        }
    }
    let mut names: Vec<&str> = sweep.candidates.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(UsageError::new(format!(
            "two candidates are named `{}`: give each a distinct name in the config",
            w[0]
        )));
    }
    Ok(())
}
