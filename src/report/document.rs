//! The report's content, once, as plain blocks of unescaped text; the exporters
//! in `export` write it as report.md and report.html.
use super::candidates::ReportCandidate;
use super::comparison_table;
use super::engines_table::{engine_groups, engines_table};
use super::levels_table::{levels_table, CandidateLevels};
use super::power_table::power_modes_table;
use super::recommend::{Assessment, Recommendation, Targets, BASE_MODEL_NOTE};
use super::trends::Trends;
use crate::compare::{MetricComparison, Verdict};
use crate::export::{Block, Cell, Figure, Table};
use crate::profiles::Profile;

pub struct Inputs<'a> {
    pub runs: &'a [(String, String)],
    pub candidates: &'a [ReportCandidate],
    pub profile: &'a Profile,
    pub targets: &'a Targets,
    pub recommendation: &'a Recommendation,
    pub deltas: Option<(&'a str, &'a [MetricComparison])>,
    pub warnings: &'a [String],
    pub trends: Option<&'a Trends>,
    pub charts: &'a [Figure],
    /// Served candidates' concurrency levels.
    pub levels: &'a [CandidateLevels],
    /// Per candidate, whether its soak came from a steady state (none without a soak).
    pub steady: &'a [String],
    /// Speculative configurations against their baselines (docs/speculative.md).
    pub speculative: Option<Table>,
}

pub fn build(i: &Inputs) -> Vec<Block> {
    let mut out = vec![Block::Heading("Runs".into())];
    out.push(Block::List(
        i.runs
            .iter()
            .map(|(id, about)| format!("{id}: {about}"))
            .collect(),
    ));
    out.push(Block::Paragraph(profile_line(i.profile)));
    out.push(Block::Heading("Recommendation".into()));
    out.extend(recommendation(i));
    let mut run_ids: Vec<&str> = Vec::new();
    for c in i.candidates {
        if !run_ids.contains(&c.run.as_str()) {
            run_ids.push(&c.run);
        }
    }
    for run in run_ids {
        out.push(Block::Heading(format!("Comparison: run {run}")));
        let these: Vec<(usize, &ReportCandidate)> = i
            .candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.run == run)
            .collect();
        out.push(Block::Table(comparison_table::deciding(
            run,
            &these,
            i.recommendation,
        )));
        out.push(Block::Details {
            summary: format!("All {} columns", comparison_table::ALL_COLUMNS),
            blocks: vec![Block::Table(comparison_table::full(run, &these, i.profile))],
        });
    }
    if let Some(table) = super::bfcl_table::bfcl_table(i.candidates) {
        out.push(Block::Heading("Function calling (BFCL)".into()));
        out.push(Block::Paragraph(
            "BFCL's accuracy per category with its 95% interval, and its summary scores, \
             beside the generation rate and peak memory (docs/suites.md, BFCL)."
                .into(),
        ));
        out.push(Block::Table(table));
    }
    out.extend(serving_blocks(i));
    out.extend(power_blocks(i.candidates));
    if let Some(table) = &i.speculative {
        out.push(Block::Heading("Speculative decoding".into()));
        out.push(Block::Paragraph(
            "Each speculative configuration's tests: tokens drafted, the share accepted, \
             draft tokens accepted per verification step, and the speed-up against the same \
             model and configuration without speculation in the same sweep (its median over \
             theirs). Each user-path prompt is a kind of text. `same text`: the generated \
             tokens equal the target's own at temperature 0 (docs/speculative.md)."
                .into(),
        ));
        out.push(Block::Table(table.clone()));
    }
    let failures = failures(i.candidates);
    if !failures.rows.is_empty() {
        out.push(Block::Heading("Failures".into()));
        out.push(Block::Table(failures));
    }
    if let Some((baseline, deltas)) = i.deltas {
        out.push(Block::Heading(format!(
            "Changes against baseline {baseline}"
        )));
        out.push(Block::Table(delta_table(deltas)));
    }
    if let Some(trends) = i.trends {
        out.extend(trend_blocks(trends));
    }
    if !i.steady.is_empty() {
        out.push(Block::Heading("Steady state".into()));
        out.push(Block::Paragraph(
            "Each soak's tok/s cut into slices (warm-up, steady, then drifting or throttled), \
             and a change in rate laid beside what changed with it in the same slice \
             (docs/metrics.md, Steady state)."
                .into(),
        ));
        out.push(Block::List(i.steady.to_vec()));
    }
    if !i.warnings.is_empty() {
        out.push(Block::Heading("Warnings".into()));
        out.push(Block::List(i.warnings.to_vec()));
    }
    out.push(Block::Heading("Charts".into()));
    out.extend(i.charts.iter().cloned().map(Block::Figure));
    out
}

/// The concurrency levels and, for a model file run under several engines,
/// the engines side by side; nothing when the runs have neither.
fn serving_blocks(i: &Inputs) -> Vec<Block> {
    let mut out = Vec::new();
    if !i.levels.is_empty() {
        out.push(Block::Heading("Concurrency".into()));
        let judged = match (i.targets.max_ttft_ms, i.targets.max_latency_50_ms) {
            (None, None) => "no latency target was set, so goodput is n/a".to_string(),
            (ttft, latency) => format!(
                "goodput is the share of requests that succeeded within the sweep's targets ({})",
                [
                    ttft.map(|t| format!("TTFT ≤ {t} ms")),
                    latency.map(|t| format!("50-token latency ≤ {t} ms")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            ),
        };
        out.push(Block::Paragraph(format!(
            "N streams at once, each sending its next request when its reply is complete; \
             aggregate tok/s = every reply's tokens over the level's wall time; {judged}, \
             with its 95% Wilson interval and the number of requests judged."
        )));
        out.push(Block::Table(levels_table(i.levels)));
    }
    let groups = engine_groups(i.candidates);
    if !groups.is_empty() {
        out.push(Block::Heading("One model, several engines".into()));
        out.push(Block::Paragraph(
            "The same model file (same sha256) in-process and behind a server. tg tok/s is \
             the user path's (sampling and, over HTTP, the stream included); the overhead \
             columns compare each engine with the in-process run."
                .into(),
        ));
        out.push(Block::Table(engines_table(i.candidates, &groups)));
    }
    out
}

/// Each candidate in each Jetson power state; nothing without the power axes.
fn power_blocks(candidates: &[ReportCandidate]) -> Vec<Block> {
    let Some(table) = power_modes_table(candidates) else {
        return Vec::new();
    };
    vec![
        Block::Heading("Power modes".into()),
        Block::Paragraph(
            "Each candidate in each power state the sweep set (nvpmodel mode, clocks pinned by \
             jetson_clocks or left to DVFS), with the GPU frequency ceiling that was in force. \
             J/token is the mean module power over the test's samples times its time, per \
             token: prefill from the ppN test, decode from the tgN test (docs/metrics.md)."
                .into(),
        ),
        Block::Table(table),
    ]
}

fn profile_line(p: &Profile) -> String {
    format!(
        "Device profile: {} ({}): budget {:.1} GiB of {:.1} GiB, {}, bandwidth {}.",
        p.name,
        p.description,
        p.budget_bytes() / (1u64 << 30) as f64,
        p.memory_gib,
        if p.unified {
            "unified memory (the GPU shares RAM)"
        } else {
            "memory not shared with a GPU"
        },
        p.bandwidth_gbs
            .map_or("unknown (no roofline)".into(), |b| format!("{b:.1} GB/s"))
    )
}

fn recommendation(i: &Inputs) -> Vec<Block> {
    let t = i.targets;
    let mut targets = Vec::new();
    let mut add = |v: Option<f64>, text: &dyn Fn(f64) -> String| {
        if let Some(v) = v {
            targets.push(text(v));
        }
    };
    add(t.min_tg_tps, &|v| format!("tg ≥ {v} tok/s"));
    add(t.max_latency_50_ms, &|v| {
        format!("50-token latency ≤ {v} ms")
    });
    add(t.max_ttft_ms, &|v| {
        format!("TTFT ≤ {v} ms (concurrency goodput)")
    });
    add(t.max_memory_share, &|v| {
        format!("memory ≤ {:.0}% of the budget", v * 100.0)
    });
    add(t.min_quality, &|v| format!("quality ≥ {:.0}%", v * 100.0));
    let name = t.name.as_deref().unwrap_or("targets");
    let mut out = vec![Block::Paragraph(format!(
        "Targets ({name}): {}.",
        targets.join(", ")
    ))];
    let base: Vec<&str> = i
        .candidates
        .iter()
        .filter(|c| c.base_model)
        .map(|c| c.label.as_str())
        .collect();
    if !base.is_empty() {
        out.push(Block::Paragraph(format!(
            "{}: {BASE_MODEL_NOTE} with the instruct models' (their answers came from raw prompts), so quality neither rejects nor ranks them.",
            base.join(", ")
        )));
    }
    let label = |a: &Assessment| i.candidates[a.index].label.clone();
    let r = i.recommendation;
    out.push(Block::Paragraph(match (r.best(), r.verified.is_empty()) {
        (None, _) if !r.unverified.is_empty() && r.rejected.is_empty() => {
            "No candidate can be named: none was measured against the targets (run speed and quality suites).".into()
        }
        (None, _) => "No candidate meets the targets.".into(),
        (Some(best), false) => format!("Best: {} (meets every target).", label(best)),
        (Some(best), true) => format!(
            "Best, unverified: {} meets every measured target; {}.",
            label(best),
            best.open_points()
        ),
    }));
    let mut lines: Vec<String> = Vec::new();
    for (rank, a) in r.verified.iter().enumerate() {
        lines.push(format!("{}. {}: meets every target", rank + 1, label(a)));
    }
    let offset = r.verified.len();
    for (rank, a) in r.unverified.iter().enumerate() {
        let met = if a.met_any() {
            "meets the measured targets"
        } else {
            "no target measured"
        };
        lines.push(format!(
            "{}. {}: {met}; {}",
            offset + rank + 1,
            label(a),
            a.open_points()
        ));
    }
    if !lines.is_empty() {
        out.push(Block::List(lines));
    }
    let mut lines: Vec<String> = Vec::new();
    for a in &r.rejected {
        let mut why = a.missed().join("; ");
        let open = a.open_points();
        if !open.is_empty() {
            why.push_str(&format!(" ({open})"));
        }
        lines.push(format!("rejected: {}: {why}", label(a)));
    }
    if !lines.is_empty() {
        out.push(Block::List(lines));
    }
    out
}

fn failures(candidates: &[ReportCandidate]) -> Table {
    let rows = candidates
        .iter()
        .flat_map(|c| {
            c.failures.iter().map(|f| {
                vec![
                    Cell::text(&c.label),
                    Cell::text(&c.run),
                    Cell::text(&f.test),
                    Cell::text(f.status.as_str()),
                    Cell::text(f.error.as_deref().unwrap_or("")),
                ]
            })
        })
        .collect();
    Table {
        id: "failures".into(),
        header: vec!["candidate", "run", "test", "status", "error"],
        rows,
    }
}

fn delta_table(deltas: &[MetricComparison]) -> Table {
    let change = |r: f64| Cell::number(Some((r - 1.0) * 100.0), |v| format!("{v:+.1}%"));
    let rows = deltas
        .iter()
        .map(|m| {
            vec![
                Cell::text(&m.key),
                Cell::text(&m.metric),
                Cell::number(Some(m.baseline_median), |v| format!("{v:.2}")),
                Cell::number(Some(m.candidate_median), |v| format!("{v:.2}")),
                change(m.ratio),
                Cell::text(if m.ci_low.is_finite() && m.ci_high.is_finite() {
                    format!(
                        "{:+.1}% .. {:+.1}%",
                        (m.ci_low - 1.0) * 100.0,
                        (m.ci_high - 1.0) * 100.0
                    )
                } else {
                    "n/a".into()
                }),
                Cell::text(match m.verdict {
                    Verdict::Regressed => "REGRESSED",
                    _ => m.verdict.as_str(),
                }),
            ]
        })
        .collect();
    Table {
        id: "deltas".into(),
        header: vec![
            "candidate / test",
            "metric",
            "baseline",
            "this run",
            "change",
            "95% CI",
            "verdict",
        ],
        rows,
    }
}

/// The runs on the trend chart's axis (build and commit per date), and the
/// points `compare` calls regressions.
fn trend_blocks(trends: &Trends) -> Vec<Block> {
    let runs = trends
        .runs
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.date),
                Cell::text(&r.label),
                Cell::text(&r.commit),
                Cell::text(&r.llama_cpp),
            ]
        })
        .collect();
    let mut out = vec![
        Block::Heading("Trends across runs".into()),
        Block::Table(Table {
            id: "trend-runs".into(),
            header: vec!["date (UTC)", "run", "edgebench commit", "llama.cpp"],
            rows: runs,
        }),
    ];
    let regressions: Vec<String> = trends
        .regressions()
        .iter()
        .map(|(run, name, metric, change)| {
            format!(
                "{} (run {}): {name}: {metric} {change}, a regression by compare's rule",
                run.date, run.label
            )
        })
        .collect();
    out.push(if regressions.is_empty() {
        Block::Paragraph("No regression between consecutive runs (compare's rule).".into())
    } else {
        Block::List(regressions)
    });
    out
}
