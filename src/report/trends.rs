//! Trends across runs of different dates (a run per night): each candidate's
//! figures per run, in date order, and the points where `compare` (its rule,
//! not a second one) calls a regression against the run before.
use anyhow::Result;

use super::candidates::ReportCandidate;
use super::load::RunData;
use super::recommend::Targets;
use crate::compare::{
    compare_answers, compare_runs, load_run_dirs, GateSettings, LoadedRuns, Verdict,
};
use crate::profiles::Profile;
use crate::results::Metric;

/// One run on the date axis.
#[derive(Debug, Clone)]
pub struct TrendRun {
    pub label: String,
    /// "2026-11-28 14:59" (UTC), from the manifest.
    pub date: String,
    pub commit: String,
    pub llama_cpp: String,
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Clone)]
pub struct TrendPoint {
    /// Index into `Trends::runs`.
    pub run: usize,
    pub value: f64,
    /// The change `compare` calls a regression against the run before (e.g. "-15%").
    pub regression: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TrendSeries {
    pub name: String,
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrendKind {
    TgTps,
    Latency50,
    PeakMemory,
    Quality,
}

#[derive(Debug, Clone)]
pub struct TrendMetric {
    pub kind: TrendKind,
    pub title: &'static str,
    pub unit: &'static str,
    pub series: Vec<TrendSeries>,
    /// The recommendation's target for this figure, in its unit.
    pub target: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Trends {
    pub runs: Vec<TrendRun>,
    pub metrics: Vec<TrendMetric>,
}

impl Trends {
    /// Every marked point: (run, series, metric title, change).
    pub fn regressions(&self) -> Vec<(&TrendRun, &str, &'static str, &str)> {
        let mut out = Vec::new();
        for m in &self.metrics {
            for s in &m.series {
                for p in &s.points {
                    if let Some(change) = &p.regression {
                        out.push((&self.runs[p.run], s.name.as_str(), m.title, change.as_str()));
                    }
                }
            }
        }
        out
    }
}

/// None unless at least two runs with manifests have different start times and
/// some candidate appears in more than one of them.
pub fn trends(
    runs: &[RunData],
    candidates: &[ReportCandidate],
    targets: &Targets,
    profile: &Profile,
) -> Result<Option<Trends>> {
    let mut dated: Vec<(&str, &RunData)> = runs
        .iter()
        .filter_map(|r| Some((r.manifest.as_ref()?.started_at.as_str(), r)))
        .collect();
    dated.sort_by(|a, b| a.0.cmp(b.0));
    dated.dedup_by(|a, b| a.0 == b.0);
    if dated.len() < 2 {
        return Ok(None);
    }
    let trend_runs: Vec<TrendRun> = dated.iter().map(|(_, r)| trend_run(r)).collect();
    let budget_mib = profile.budget_bytes() / 1048576.0;
    let mut metrics = vec![
        metric(TrendKind::TgTps, "tg tok/s", "tok/s", targets.min_tg_tps),
        metric(
            TrendKind::Latency50,
            "50-token latency",
            "ms",
            targets.max_latency_50_ms,
        ),
        metric(
            TrendKind::PeakMemory,
            "peak memory",
            "MiB",
            targets.max_memory_share.map(|s| s * budget_mib),
        ),
        metric(
            TrendKind::Quality,
            "quality",
            "pass rate",
            targets.min_quality,
        ),
    ];
    for m in &mut metrics {
        m.series = series(m.kind, &trend_runs, candidates);
    }
    if !metrics
        .iter()
        .any(|m| m.series.iter().any(|s| s.points.len() > 1))
    {
        return Ok(None);
    }
    mark_regressions(&trend_runs, &mut metrics)?;
    Ok(Some(Trends {
        runs: trend_runs,
        metrics,
    }))
}

fn metric(
    kind: TrendKind,
    title: &'static str,
    unit: &'static str,
    target: Option<f64>,
) -> TrendMetric {
    TrendMetric {
        kind,
        title,
        unit,
        series: Vec::new(),
        target,
    }
}

fn trend_run(r: &RunData) -> TrendRun {
    let m = r.manifest.as_ref();
    let started = m.map_or("", |m| m.started_at.as_str());
    TrendRun {
        label: r.label.clone(),
        date: started.get(..16).unwrap_or(started).replace('T', " "),
        commit: m.map_or(String::new(), |m| m.edgebench.git_commit.clone()),
        llama_cpp: m.map_or(String::new(), |m| m.llama_cpp.llama_cpp_sys_version.clone()),
        dir: r.dir.clone(),
    }
}

fn value(kind: TrendKind, c: &ReportCandidate) -> Option<f64> {
    match kind {
        TrendKind::TgTps => c.tg_tps.map(|s| s.mean),
        TrendKind::Latency50 => c.latency_50_ms,
        TrendKind::PeakMemory => c.peak_memory_mb,
        TrendKind::Quality => c.quality,
    }
}

/// The name a candidate keeps from night to night: its name, plus its
/// configuration when a name runs in several.
fn series_name(c: &ReportCandidate, candidates: &[ReportCandidate]) -> String {
    let configs = candidates
        .iter()
        .filter(|o| o.name == c.name && o.config != c.config)
        .count();
    if configs == 0 {
        c.name.clone()
    } else {
        format!("{} [{}]", c.name, c.config)
    }
}

fn series(kind: TrendKind, runs: &[TrendRun], candidates: &[ReportCandidate]) -> Vec<TrendSeries> {
    let mut out: Vec<TrendSeries> = Vec::new();
    for (k, run) in runs.iter().enumerate() {
        for c in candidates.iter().filter(|c| c.run == run.label) {
            let Some(v) = value(kind, c).filter(|v| v.is_finite()) else {
                continue;
            };
            let name = series_name(c, candidates);
            let point = TrendPoint {
                run: k,
                value: v,
                regression: None,
            };
            match out.iter_mut().find(|s| s.name == name) {
                Some(s) => s.points.push(point),
                None => out.push(TrendSeries {
                    name,
                    points: vec![point],
                }),
            }
        }
    }
    out
}

/// Each run against the one before, with `compare`'s default gate: the
/// regressions it calls mark the later run's point. Peak memory has no
/// `compare` rule, so no marks.
fn mark_regressions(runs: &[TrendRun], metrics: &mut [TrendMetric]) -> Result<()> {
    let loaded: Vec<Option<LoadedRuns>> = runs
        .iter()
        .map(|r| match r.dir.join("speed.parquet").is_file() {
            true => load_run_dirs(std::slice::from_ref(&r.dir), &r.dir.to_string_lossy()).map(Some),
            false => Ok(None),
        })
        .collect::<Result<_>>()?;
    let settings = GateSettings::default();
    for k in 1..runs.len() {
        let (Some(before), Some(now)) = (&loaded[k - 1], &loaded[k]) else {
            continue;
        };
        let speed = compare_runs(
            before,
            now,
            &[Metric::TgTps, Metric::Latency50Ms],
            &settings,
        );
        for c in speed.iter().filter(|c| c.verdict == Verdict::Regressed) {
            let (kind, counts) = match c.metric.as_str() {
                "tg_tps" => (TrendKind::TgTps, c.test.starts_with("tg")),
                _ => (TrendKind::Latency50, c.test.starts_with("e2e:")),
            };
            if counts {
                let change = format!("{:+.0}%", (c.ratio - 1.0) * 100.0);
                mark(metrics, kind, &c.candidate, &c.key, k, change);
            }
        }
        for q in compare_answers(before, now, &settings) {
            if q.verdict == Verdict::Regressed {
                let change = format!(
                    "{:+.0} pts",
                    (q.candidate_pass_rate - q.baseline_pass_rate) * 100.0
                );
                mark(metrics, TrendKind::Quality, &q.candidate, &q.key, k, change);
            }
        }
    }
    Ok(())
}

/// Marks run `k`'s point of the series `candidate` (with the configuration the
/// comparison's key names, when the series name has one); the first mark stays.
fn mark(
    metrics: &mut [TrendMetric],
    kind: TrendKind,
    candidate: &str,
    key: &str,
    k: usize,
    change: String,
) {
    let Some(m) = metrics.iter_mut().find(|m| m.kind == kind) else {
        return;
    };
    let matches = |name: &str| match name.strip_suffix(']').and_then(|n| n.split_once(" [")) {
        Some((n, config)) => n == candidate && key.contains(config),
        None => name == candidate,
    };
    for s in m.series.iter_mut().filter(|s| matches(&s.name)) {
        if let Some(p) = s.points.iter_mut().find(|p| p.run == k) {
            p.regression.get_or_insert(change.clone());
        }
    }
}
