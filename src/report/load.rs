//! Reading run directories for the report: summary rows, quality rows (when the
//! run has them), resource samples and the manifest.
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::length_warnings::length_warnings;
use super::levels::{read_levels, LevelRow};
use crate::error::UsageError;
use crate::results::manifest::{read_manifest, redacted_manifest, Manifest};
use crate::results::redact::Redaction;
use crate::results::{read_summary, summarize, unit_row_of, Columns, SummaryRow};

/// The prefix of quality rows' `test`: `quality:<suite>` (overall) and
/// `quality:<suite>/<category>`.
pub const QUALITY_PREFIX: &str = "quality:";

#[derive(Debug, Clone, PartialEq)]
pub struct SuiteScore {
    pub unit_id: String,
    pub suite: String,
    /// None: the suite's overall pass rate.
    pub category: Option<String>,
    pub pass_rate: f64,
    pub pass_rate_lo: Option<f64>,
    pub pass_rate_hi: Option<f64>,
    pub n_cases: Option<u64>,
}

/// Resource samples (long format), times in seconds from the run's first sample.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub t_s: Vec<f64>,
    pub unit_id: Vec<Option<String>>,
    pub metric: Vec<String>,
    pub value: Vec<f64>,
}

#[derive(Debug)]
pub struct RunData {
    pub dir: PathBuf,
    /// The run id (the directory name when the manifest is missing).
    pub label: String,
    pub manifest: Option<Manifest>,
    /// Speed rows (quality rows are in `quality`).
    pub summary: Vec<SummaryRow>,
    pub quality: Vec<SuiteScore>,
    /// A row of each unit that has no speed row: its first quality row (a
    /// run of quality suites only) or its identity from the manifest (a run of
    /// stability suites only); no figures.
    pub units_without_speed: Vec<SummaryRow>,
    pub samples: Samples,
    /// Warnings from the quality rows (answers a server cut short).
    pub quality_warnings: Vec<String>,
    /// The `concN` rows of speed.parquet (served candidates' concurrency levels).
    pub levels: Vec<LevelRow>,
}

pub fn load_run(dir: &Path) -> Result<RunData> {
    let summary_path = dir.join("summary.parquet");
    if !summary_path.is_file() {
        return Err(UsageError::new(format!(
            "{}: not a run directory (no summary.parquet)",
            dir.display()
        ))
        .into());
    }
    let manifest = read_manifest(dir).ok();
    let label = manifest.as_ref().map_or_else(
        || {
            dir.file_name()
                .map_or("run".into(), |n| n.to_string_lossy().into_owned())
        },
        |m| m.run_id.clone(),
    );
    let (quality_rows, summary): (Vec<SummaryRow>, Vec<SummaryRow>) = read_summary(&summary_path)?
        .into_iter()
        .partition(|r| r.first.test.starts_with(QUALITY_PREFIX));
    let mut units_without_speed = units_without_speed_rows(&quality_rows, &summary);
    if let Some(manifest) = &manifest {
        let known: Vec<&str> = (summary.iter().chain(&units_without_speed))
            .map(|r| r.first.id.unit_id.as_str())
            .collect();
        let stability_only: Vec<SummaryRow> = stability_units(dir)?
            .into_iter()
            .filter(|unit| !known.contains(&unit.as_str()))
            .filter_map(|unit| unit_row_of(manifest, &unit))
            .flat_map(|row| summarize(&[row]))
            .collect();
        units_without_speed.extend(stability_only);
    }
    let quality = if quality_rows.is_empty() {
        Vec::new()
    } else {
        read_quality(&summary_path)?
    };
    let samples_path = dir.join("samples.parquet");
    let samples = if samples_path.is_file() {
        read_samples(&samples_path)?
    } else {
        Samples::default()
    };
    Ok(RunData {
        dir: dir.to_path_buf(),
        label,
        manifest,
        summary,
        quality,
        units_without_speed,
        quality_warnings: length_warnings(&quality_rows),
        samples,
        levels: read_levels(&dir.join("speed.parquet"))?,
    })
}

/// The units of stability_summary.*, in its order (none without the file).
fn stability_units(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("stability_summary.parquet");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let columns = Columns::read(&path)?;
    let mut units: Vec<String> = Vec::new();
    for unit in columns.text("unit_id").into_iter().flatten() {
        if !units.contains(&unit) {
            units.push(unit);
        }
    }
    Ok(units)
}

/// The first quality row of each unit absent from `speed`.
fn units_without_speed_rows(quality: &[SummaryRow], speed: &[SummaryRow]) -> Vec<SummaryRow> {
    let mut out: Vec<SummaryRow> = Vec::new();
    for row in quality {
        let unit = &row.first.id.unit_id;
        let known = |r: &SummaryRow| &r.first.id.unit_id == unit;
        if !speed.iter().any(known) && !out.iter().any(known) {
            out.push(row.clone());
        }
    }
    out
}

/// `report --redact`: the run's host names and user paths (models, the run
/// directory) replaced as a `--redact` run would have written them.
pub fn redact(run: &mut RunData) -> Result<()> {
    let mut models: Vec<&str> = run
        .summary
        .iter()
        .map(|r| r.first.model_file.as_str())
        .collect();
    let manifest = run.manifest.as_ref();
    models.extend(
        manifest
            .into_iter()
            .flat_map(|m| m.models.iter().map(|x| x.model_file.as_str())),
    );
    let hosts: Vec<&str> = manifest
        .and_then(|m| m.host.hostname.as_deref())
        .into_iter()
        .collect();
    let redaction = Redaction::new(&models, &hosts);
    if let Some(m) = run.manifest.as_mut() {
        m.redacted = true;
        *m = serde_json::from_value(redacted_manifest(m)?)?;
    }
    for row in run.summary.iter_mut().chain(&mut run.units_without_speed) {
        row.first.model_file = redaction.text(&row.first.model_file);
        row.error = row.error.as_deref().map(|e| redaction.text(e));
        row.first.error = row.first.error.as_deref().map(|e| redaction.text(e));
    }
    run.dir = PathBuf::from(redaction.text(&run.dir.display().to_string()));
    Ok(())
}

/// Quality rows, read only when the pass-rate columns exist: a run without
/// quality suites has none, and the report says "n/a".
fn read_quality(path: &Path) -> Result<Vec<SuiteScore>> {
    let c = Columns::read(path)?;
    if !c.has("pass_rate") {
        return Ok(Vec::new());
    }
    let (unit, test) = (c.text("unit_id"), c.text("test"));
    let (rate, lo, hi, cases) = (
        c.number("pass_rate"),
        c.number("pass_rate_lo"),
        c.number("pass_rate_hi"),
        c.number("n_cases"),
    );
    let mut rows = Vec::new();
    for i in 0..c.height() {
        let Some(name) = test[i]
            .as_deref()
            .and_then(|t| t.strip_prefix(QUALITY_PREFIX))
        else {
            continue;
        };
        let Some(pass_rate) = rate[i] else { continue };
        // The quality score is the model's own answers: grammar-constrained runs
        // (`+grammar`) and the stability suite's determinism cases are left out.
        if name.contains("+grammar") || name == "stability" || name.starts_with("stability/") {
            continue;
        }
        let (suite, category) = match name.split_once('/') {
            Some((s, c)) => (s.to_string(), Some(c.to_string())),
            None => (name.to_string(), None),
        };
        rows.push(SuiteScore {
            unit_id: unit[i].clone().unwrap_or_default(),
            suite,
            category,
            pass_rate,
            pass_rate_lo: lo[i],
            pass_rate_hi: hi[i],
            n_cases: cases[i].map(|n| n as u64),
        });
    }
    Ok(rows)
}

fn read_samples(path: &Path) -> Result<Samples> {
    let c = Columns::read(path)?;
    let t_ms = c.number("t_ms");
    let unix_ms = c.number("unix_ms");
    // A resumed run has several sessions, each with t_ms from 0: wall-clock time
    // orders them when every tick has it.
    let wall = unix_ms.iter().all(|u| u.is_some_and(|u| u > 0.0)) && !unix_ms.is_empty();
    let raw: Vec<f64> = if wall {
        unix_ms.iter().map(|u| u.unwrap_or(0.0)).collect()
    } else {
        t_ms.iter().map(|t| t.unwrap_or(0.0)).collect()
    };
    let start = raw.iter().copied().fold(f64::INFINITY, f64::min);
    let value = c.number("value");
    let metric = c.text("metric");
    let unit = c.text("unit_id");
    let mut samples = Samples::default();
    for i in 0..c.height() {
        let (Some(v), Some(m)) = (value[i], metric[i].as_ref()) else {
            continue;
        };
        samples.t_s.push((raw[i] - start) / 1000.0);
        samples.unit_id.push(unit[i].clone());
        samples.metric.push(m.clone());
        samples.value.push(v);
    }
    Ok(samples)
}
