//! Presentation of stored results: the comparison table printed at the end of a
//! run, summary.md, and `edgebench report` (report.md, report.html, charts/).
//! Reads stored rows only; figures are gathered in `candidates`, judged in
//! `recommend`, drawn in `charts` and written by the exporters in `export`.
mod bfcl_table;
mod candidates;
mod charts;
mod comparison_table;
mod document;
mod energy_note;
mod engines_table;
mod length_warnings;
mod levels;
mod levels_table;
mod load;
mod power_table;
mod quality_table;
pub mod recommend;
mod spec_table;
mod stability_table;
mod steady_state;
mod summary_md;
mod table;
mod trends;
mod warnings;

pub use candidates::ReportCandidate;
pub use length_warnings::length_warnings;
pub use quality_table::quality_table;
pub use stability_table::stability_table;
pub use summary_md::summary_document;
pub use table::comparison_table;
pub use warnings::measurement_warnings;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;

use crate::cli::ReportArgs;
use crate::compare::{compare_runs, load_run_dirs, load_runs, GateSettings, MetricComparison};
use crate::error::{exit, UsageError};
use crate::export::{html::Html, markdown::Markdown, Document, Exporter};
use crate::profiles::{self, Profile};
use crate::results::write_atomic;
use recommend::{recommend, Facts, Targets};

/// What to report on and how.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub run_dirs: Vec<PathBuf>,
    pub out: PathBuf,
    /// None: the machine the first run was measured on (`host`).
    pub profile: Option<String>,
    pub profiles_file: Option<PathBuf>,
    /// None: the built-in voice-assistant targets.
    pub targets: Option<PathBuf>,
    /// A run directory or saved baseline name: adds the delta table.
    pub baseline: Option<String>,
    /// Host names and user paths left out (`report --redact`).
    pub redact: bool,
}

/// What was written.
#[derive(Debug)]
pub struct ReportOutput {
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub charts: usize,
    pub candidates: Vec<ReportCandidate>,
    pub best: Option<String>,
}

pub fn run(args: &ReportArgs) -> Result<i32> {
    let out = match (&args.out, args.run_dirs.as_slice()) {
        (Some(out), _) => out.clone(),
        (None, [one]) => one.clone(),
        (None, _) => PathBuf::from("report"),
    };
    let options = ReportOptions {
        run_dirs: args.run_dirs.clone(),
        out,
        profile: args.profile.clone(),
        profiles_file: args.profiles.clone(),
        targets: args.targets.clone(),
        baseline: args.baseline.clone(),
        redact: args.redact,
    };
    let started = Instant::now();
    let written = write_report(&options)?;
    println!(
        "report: {} ({} candidates, {} charts, {:.2} s)",
        written.html.display(),
        written.candidates.len(),
        written.charts,
        started.elapsed().as_secs_f64()
    );
    println!("        {}", written.markdown.display());
    if let Some(best) = &written.best {
        println!("best: {best}");
    }
    Ok(exit::OK)
}

pub fn write_report(options: &ReportOptions) -> Result<ReportOutput> {
    if options.run_dirs.is_empty() {
        return Err(UsageError::new("report: give at least one run directory").into());
    }
    let mut runs: Vec<load::RunData> = options
        .run_dirs
        .iter()
        .map(|d| load::load_run(d))
        .collect::<Result<_>>()?;
    if options.redact {
        runs.iter_mut().try_for_each(load::redact)?;
    }
    let profile = choose_profile(options, &runs)?;
    let targets = choose_targets(options, &runs)?;
    let deltas = baseline_deltas(options)?;
    let candidates = candidates::gather(&runs, &profile);
    let recommendation = recommend(&facts(&candidates, &profile), &targets);
    let warnings: Vec<String> = runs
        .iter()
        .flat_map(|r| {
            let quality = r.quality_warnings.iter().cloned();
            measurement_warnings(&r.summary).into_iter().chain(quality)
        })
        .collect();
    let trends = trends::trends(&runs, &candidates, &targets, &profile)?;
    let steady = steady_state::lines(&runs, &candidates)?;
    let charts = charts::write_all(
        &options.out.join("charts"),
        &charts::Inputs {
            candidates: &candidates,
            runs: &runs,
            profile: &profile,
            targets: &targets,
            trends: trends.as_ref(),
        },
    )?;
    let run_lines: Vec<(String, String)> = runs.iter().map(describe_run).collect();
    let blocks = document::build(&document::Inputs {
        runs: &run_lines,
        candidates: &candidates,
        profile: &profile,
        targets: &targets,
        recommendation: &recommendation,
        deltas: deltas
            .as_deref()
            .zip(options.baseline.as_deref())
            .map(|(d, b)| (b, d)),
        warnings: &warnings,
        trends: trends.as_ref(),
        charts: &charts,
        levels: &levels_table::by_candidate(&runs, &candidates),
        steady: &steady,
        speculative: spec_table::speculative_table(
            &runs.iter().flat_map(|r| &r.summary).collect::<Vec<_>>(),
        ),
    });
    let ids: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let title = format!("edgebench report: {}", ids.join(", "));
    let html_path = options.out.join("report.html");
    let md_path = options.out.join("report.md");
    let doc = Document {
        title: Some(title),
        blocks,
    };
    for (path, exporter) in [(&html_path, &Html as &dyn Exporter), (&md_path, &Markdown)] {
        let text = exporter.render(&doc);
        write_atomic(path, |f| Ok(f.write_all(text.as_bytes())?))?;
    }
    Ok(ReportOutput {
        html: html_path,
        markdown: md_path,
        charts: charts.len(),
        best: recommendation
            .best()
            .map(|a| candidates[a.index].label.clone()),
        candidates,
    })
}

/// The comparison against --baseline, when one is given.
fn baseline_deltas(options: &ReportOptions) -> Result<Option<Vec<MetricComparison>>> {
    let Some(baseline) = &options.baseline else {
        return Ok(None);
    };
    let base = load_runs(baseline)?;
    let dirs: Vec<String> = options
        .run_dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    let this = load_run_dirs(&options.run_dirs, &dirs.join(","))?;
    Ok(Some(compare_runs(
        &base,
        &this,
        &[],
        &GateSettings::default(),
    )))
}

/// What the recommendation judges each candidate on.
fn facts(candidates: &[ReportCandidate], profile: &Profile) -> Vec<Facts> {
    candidates
        .iter()
        .map(|c| Facts {
            label: c.label.clone(),
            status: c.status,
            tg_tps: c.tg_tps.map(|s| s.mean),
            latency_50_ms: c.latency_50_ms,
            memory_share: c.memory_share(profile),
            quality: c.quality,
            base_model: c.base_model,
        })
        .collect()
}

/// --targets FILE, else the first run's sweep targets (the built-in voice
/// assistant unless its sweep file had `[targets]`).
fn choose_targets(options: &ReportOptions, runs: &[load::RunData]) -> Result<Targets> {
    Ok(match (&options.targets, &runs[0].manifest) {
        (Some(path), _) => Targets::load(path)?,
        (None, Some(manifest)) => manifest.sweep.targets.clone(),
        (None, None) => Targets::voice_assistant(),
    })
}

/// --profile NAME from the built-in and file profiles; else the machine the
/// first run was measured on: a `host` profile from a profiles file (so its
/// bandwidth can be given once), the Jetson module's built-in profile, or the
/// host as the manifest describes it.
fn choose_profile(options: &ReportOptions, runs: &[load::RunData]) -> Result<Profile> {
    let manifest = runs[0].manifest.as_ref();
    let run_host = manifest.map(|m| {
        let unified = m.sampling.as_ref().is_some_and(|s| s.unified_memory);
        Profile::host(&m.host, unified)
    });
    let host = run_host.unwrap_or_else(profiles::this_host);
    let file = options.profiles_file.as_deref();
    let all = profiles::all(file, host.clone())?;
    let jetson = manifest.and_then(|m| {
        let model = m.conditions["jetson"]["model"].as_str()?;
        profiles::jetson_profile_name(model, m.host.ram_total_bytes)
    });
    let listed_host = profiles::find(&all, "host").unwrap_or_else(|_| host.clone());
    let host_from_file = listed_host != host;
    Ok(match (&options.profile, jetson) {
        (Some(name), _) => profiles::find(&all, name)?,
        (None, Some(module)) if !host_from_file => profiles::find(&all, module)?,
        (None, _) => listed_host,
    })
}

fn describe_run(run: &load::RunData) -> (String, String) {
    let about = match &run.manifest {
        Some(m) => format!(
            "{} on {} ({}, {} CPUs, {:.1} GiB RAM), edgebench {} {}, state {}",
            m.started_at,
            m.host.hostname.as_deref().unwrap_or("?"),
            m.host.cpu_model,
            m.host.logical_cpus,
            m.host.ram_total_bytes as f64 / (1u64 << 30) as f64,
            m.edgebench.version,
            m.edgebench.git_commit,
            m.state
        ),
        None => format!("{} (no manifest.json)", display(&run.dir)),
    };
    (
        run.label.clone(),
        format!("{about}; {}", energy_note::energy_note(run)),
    )
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
