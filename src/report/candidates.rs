//! One line per candidate x configuration x run: the figures every table, chart
//! and the recommendation read, gathered once from the stored rows.
use std::collections::HashMap;
use std::path::Path;

use super::load::{RunData, SuiteScore};
use super::table::{engine_spread, user_path_median};
use crate::fit::{estimate, roofline_tg_tps, FitEstimate, FitVerdict};
use crate::gguf::read_gguf_info;
use crate::profiles::Profile;
use crate::results::{Metric, Status, SummaryRow, TestKind, SERVED_BACKEND};
use crate::stats::Spread;

const MIB: f64 = 1048576.0;

#[derive(Debug, Clone)]
pub struct Failure {
    pub test: String,
    pub status: Status,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ReportCandidate {
    pub run: String,
    pub unit_id: String,
    pub name: String,
    /// Unique in the report: the name, plus the configuration and run when needed.
    pub label: String,
    pub model_file: String,
    pub model_sha256: String,
    /// `CPU`/`CUDA`... in-process, or the served backends (`openai-server`...).
    pub backend: String,
    pub arch: String,
    pub quant: String,
    pub params: u64,
    pub size_bytes: u64,
    pub config: String,
    pub n_ctx: u64,
    pub pp_tps: Option<Spread>,
    pub tg_tps: Option<Spread>,
    pub ttft_ms: Option<f64>,
    pub latency_50_ms: Option<f64>,
    /// User-path generation rate (median over prompts of each prompt's
    /// median): the one rate both in-process and served candidates have.
    pub e2e_tg_tps: Option<f64>,
    /// See `measured_memory_mb`.
    pub peak_memory_mb: Option<f64>,
    /// Mean of the suites' overall pass rates; None: no quality suite ran.
    pub quality: Option<f64>,
    /// The GGUF has no chat template (a base model): its chat, tool and
    /// instruction scores came from raw prompts and are not comparable.
    pub base_model: bool,
    pub quality_rows: Vec<SuiteScore>,
    /// `ok`, or the first failure's status (an unsupported test is no failure).
    pub status: Status,
    pub failures: Vec<Failure>,
    /// From the GGUF header, when the model file is still where the run found it.
    pub fit: Option<FitEstimate>,
    pub fit_verdict: Option<FitVerdict>,
    pub roofline_tps: Option<f64>,
    /// Only for a unit run under the Jetson power axes.
    pub power: Option<PowerFigures>,
}

/// The power state a unit ran in, and what a token cost in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerFigures {
    /// `nvpmodel -q`'s name of the mode in force; None: the axis left it alone.
    pub mode: Option<String>,
    pub clocks_pinned: Option<bool>,
    pub gpu_max_freq_mhz: Option<f64>,
    /// `joules_per_token` of the ppN and tgN rows at depth 0.
    pub prefill_j_per_token: Option<f64>,
    pub decode_j_per_token: Option<f64>,
}

impl ReportCandidate {
    /// tg tok/s as a share of the profile's roofline.
    pub fn roofline_share(&self) -> Option<f64> {
        Some(self.tg_tps?.mean / self.roofline_tps?)
    }

    pub fn memory_share(&self, profile: &Profile) -> Option<f64> {
        Some(self.peak_memory_mb? * MIB / profile.budget_bytes())
    }

    pub fn predicted_mb(&self) -> Option<f64> {
        self.fit.as_ref().map(|f| f.total_bytes as f64 / MIB)
    }
}

/// Every candidate of every run, in run order then unit order.
pub fn gather(runs: &[RunData], profile: &Profile) -> Vec<ReportCandidate> {
    let mut headers = HashMap::new();
    let mut out = Vec::new();
    for run in runs {
        let mut units: Vec<&str> = Vec::new();
        for row in run.summary.iter().chain(&run.units_without_speed) {
            if !units.contains(&row.first.id.unit_id.as_str()) {
                units.push(&row.first.id.unit_id);
            }
        }
        for unit in units {
            // A unit of quality suites only is known by its quality row.
            let rows: Vec<&SummaryRow> = run
                .summary
                .iter()
                .chain(&run.units_without_speed)
                .filter(|r| r.first.id.unit_id == unit)
                .collect();
            let quality: Vec<SuiteScore> = run
                .quality
                .iter()
                .filter(|q| q.unit_id == unit)
                .cloned()
                .collect();
            out.push(candidate(run, &rows, quality, profile, &mut headers));
        }
    }
    label(&mut out, runs.len() > 1);
    out
}

fn candidate(
    run: &RunData,
    rows: &[&SummaryRow],
    quality_rows: Vec<SuiteScore>,
    profile: &Profile,
    headers: &mut HashMap<String, Option<crate::gguf::GgufInfo>>,
) -> ReportCandidate {
    let first = &rows[0].first;
    let failures: Vec<Failure> = rows
        .iter()
        .filter(|r| !r.status.is_ok())
        .map(|r| Failure {
            test: r.first.test.clone(),
            status: r.status,
            error: r.error.clone(),
        })
        .collect();
    let overall: Vec<f64> = quality_rows
        .iter()
        .filter(|q| q.category.is_none())
        .map(|q| q.pass_rate)
        .collect();
    let n_ctx = rows
        .iter()
        .map(|r| r.first.config.n_ctx as u64)
        .max()
        .unwrap_or(0);
    let info = headers
        .entry(first.model_file.clone())
        .or_insert_with(|| read_gguf_info(Path::new(&first.model_file)).ok());
    // The cache types and deepest context the candidate actually ran.
    let kv = |t: &str| t.parse().unwrap_or_default();
    let cache = (kv(&first.config.type_k), kv(&first.config.type_v));
    let fit = info.as_ref().map(|i| estimate(i, n_ctx, cache));
    let budget = profile.budget_bytes();
    let bytes_per_token = fit
        .as_ref()
        .map_or(first.size_bytes, |f: &FitEstimate| f.weights_bytes);
    ReportCandidate {
        run: run.label.clone(),
        unit_id: first.id.unit_id.clone(),
        name: first.id.candidate.clone(),
        label: first.id.candidate.clone(),
        model_file: first.model_file.clone(),
        model_sha256: first.id.model_sha256.clone(),
        backend: first.config.backend.clone(),
        arch: first.arch.clone(),
        quant: first.id.quant.clone(),
        params: first.params,
        size_bytes: first.size_bytes,
        config: first.config.label(),
        n_ctx,
        pp_tps: engine_spread(rows, Metric::PpTps),
        tg_tps: engine_spread(rows, Metric::TgTps),
        ttft_ms: user_path_median(rows, Metric::TtftMs),
        latency_50_ms: user_path_median(rows, Metric::Latency50Ms),
        e2e_tg_tps: user_path_median(rows, Metric::TgTps),
        peak_memory_mb: measured_memory_mb(rows, profile),
        quality: (!overall.is_empty()).then(|| overall.iter().sum::<f64>() / overall.len() as f64),
        base_model: is_base_model(run, first, info.as_ref()),
        quality_rows,
        // A test the engine cannot do (a server's ppN/tgN) is listed, not a failure.
        status: failures
            .iter()
            .find(|f| f.status != Status::Unsupported)
            .map_or(Status::Ok, |f| f.status),
        failures,
        fit_verdict: fit
            .as_ref()
            .map(|f| FitVerdict::of(f.total_bytes as f64, budget)),
        fit,
        roofline_tps: profile
            .bandwidth_bytes_per_s()
            .and_then(|b| roofline_tg_tps(b, bytes_per_token)),
        power: power_figures(rows),
    }
}

/// No chat template, as the run's manifest recorded the file (else as its
/// header says now). A served model uses the server's template: never "base".
fn is_base_model(
    run: &RunData,
    first: &crate::results::SpeedRow,
    info: Option<&crate::gguf::GgufInfo>,
) -> bool {
    if first.config.backend.starts_with(SERVED_BACKEND) {
        return false;
    }
    let recorded = run.manifest.as_ref().and_then(|m| {
        let same = |meta: &&crate::results::ModelMeta| {
            meta.candidate == first.id.candidate && meta.model_sha256 == first.id.model_sha256
        };
        m.models.iter().find(same).map(|meta| meta.is_base_model())
    });
    recorded
        .or(info.map(|i| !i.has_chat_template))
        .unwrap_or(false)
}

/// None without the power axes (neither a mode nor the clocks were set).
fn power_figures(rows: &[&SummaryRow]) -> Option<PowerFigures> {
    let config = &rows[0].first.config;
    if config.power_mode.is_none() && config.jetson_clocks.is_none() {
        return None;
    }
    let joules = |wanted: fn(TestKind) -> bool| {
        rows.iter()
            .filter(|r| r.first.n_depth == 0 && r.first.kind().is_some_and(wanted))
            .find_map(|r| r.resources.joules_per_token)
    };
    Some(PowerFigures {
        mode: config.power_mode.clone(),
        clocks_pinned: config.jetson_clocks,
        gpu_max_freq_mhz: config.gpu_max_freq_mhz,
        prefill_j_per_token: joules(|k| matches!(k, TestKind::Prompt(_))),
        decode_j_per_token: joules(|k| matches!(k, TestKind::Generation(_))),
    })
}

/// What counts against the profile's budget: on a discrete GPU the GPU memory
/// in use (when NVML measured it), else the measuring process's peak resident
/// set (weights are memory-mapped, so it includes the pages read), else the
/// system's RAM in use.
pub fn measured_memory_mb(rows: &[&SummaryRow], profile: &Profile) -> Option<f64> {
    // The samplers follow the measuring child; a served model's memory is the
    // server's, which they do not see yet: not measured, rather than tiny.
    if rows
        .iter()
        .any(|r| r.first.config.backend == SERVED_BACKEND)
    {
        return None;
    }
    let max =
        |get: fn(&SummaryRow) -> Option<f64>| rows.iter().filter_map(|r| get(r)).reduce(f64::max);
    let vram = max(|r| r.resources.peak_vram_mb);
    let rss = max(|r| r.resources.peak_rss_mb);
    let ram = max(|r| r.resources.peak_ram_used_mb);
    if !profile.unified && vram.is_some() {
        return vram;
    }
    rss.or(ram)
}

/// Names repeat across configurations and runs: add what tells them apart.
fn label(candidates: &mut [ReportCandidate], several_runs: bool) {
    let keys: Vec<(String, String)> = candidates
        .iter()
        .map(|c| (c.run.clone(), c.name.clone()))
        .collect();
    for c in candidates.iter_mut() {
        let same_name = keys
            .iter()
            .filter(|(run, name)| *run == c.run && *name == c.name)
            .count();
        if same_name > 1 {
            c.label = format!("{} [{}]", c.name, c.config);
        }
        if several_runs {
            c.label = format!("{} @{}", c.label, c.run);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::load::{Samples, SuiteScore};
    use crate::results::SpeedRow;

    fn identity(unit: &str, candidate: &str, test: &str) -> SummaryRow {
        let mut first = SpeedRow {
            test: test.into(),
            ..Default::default()
        };
        first.id.unit_id = unit.into();
        first.id.candidate = candidate.into();
        SummaryRow {
            first,
            n: 1,
            metrics: Vec::new(),
            precision: None,
            first_rep: None,
            status: Status::Ok,
            error: None,
            resources: Default::default(),
            unified_memory: false,
            quality: None,
            spec: None,
        }
    }

    #[test]
    fn a_unit_of_quality_suites_only_is_a_candidate_with_its_scores() {
        let run = RunData {
            dir: "run".into(),
            label: "run".into(),
            manifest: None,
            summary: vec![identity("c0-k0", "fast", "tg128")],
            quality: vec![SuiteScore {
                unit_id: "c1-k0".into(),
                suite: "bfcl-50".into(),
                category: Some("simple_python".into()),
                pass_rate: 0.5,
                pass_rate_lo: Some(0.3),
                pass_rate_hi: Some(0.7),
                n_cases: Some(50),
            }],
            units_without_speed: vec![identity("c1-k0", "tool-caller", "quality:bfcl-50")],
            quality_warnings: Vec::new(),
            samples: Samples::default(),
            levels: Vec::new(),
        };
        let profile = crate::profiles::built_in().remove(0);
        let candidates = gather(&[run], &profile);
        let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["fast", "tool-caller"]);
        let caller = &candidates[1];
        assert_eq!(caller.quality_rows.len(), 1);
        assert_eq!(
            (caller.tg_tps.is_none(), caller.peak_memory_mb),
            (true, None)
        );
        assert!(crate::report::bfcl_table::bfcl_table(&candidates).is_some());
    }
}
