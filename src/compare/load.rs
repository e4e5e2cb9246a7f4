//! Reading runs for comparison: speed.parquet of one or more run directories
//! (shards of one sweep are merged), grouped into the repetitions of each
//! candidate x configuration x test.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;

use crate::error::UsageError;

/// A candidate x configuration x test of one run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowKey {
    pub candidate: String,
    pub config: String,
    pub test: String,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub candidate: String,
    /// Empty when unknown (e.g. imported from llama-bench).
    pub model_sha256: String,
    /// Metric name -> the values of its successful repetitions.
    pub values: BTreeMap<String, Vec<f64>>,
}

/// One candidate x configuration x suite's answers: "case|decoding|rep" -> passed.
#[derive(Debug, Clone, Default)]
pub struct AnswerGroup {
    pub candidate: String,
    pub model_sha256: String,
    pub passed: BTreeMap<String, bool>,
}

#[derive(Debug, Default)]
pub struct LoadedRuns {
    pub label: String,
    pub groups: BTreeMap<RowKey, Group>,
    /// Quality answers (quality.parquet), keyed with test = the suite.
    pub answers: BTreeMap<RowKey, AnswerGroup>,
}

impl LoadedRuns {
    /// The group matching `key` of another run: the same model file (sha256) when both
    /// know it, even if renamed; else the same candidate name.
    pub fn matching(&self, key: &RowKey, other: &Group) -> Option<&Group> {
        if !other.model_sha256.is_empty() {
            let by_sha = self.groups.iter().find(|(k, g)| {
                g.model_sha256 == other.model_sha256 && k.config == key.config && k.test == key.test
            });
            if let Some((_, g)) = by_sha {
                return Some(g);
            }
        }
        self.groups.get(key)
    }
}

/// Metrics compared by default, with whether higher is better.
pub const METRICS: [(&str, bool); 6] = [
    ("pp_tps", true),
    ("tg_tps", true),
    ("ttft_ms", false),
    ("latency_50_ms", false),
    ("itl_p50_ms", false),
    ("itl_p95_ms", false),
];

/// `spec` is a run directory, a comma-separated list of them, or a saved baseline name.
pub fn load_runs(spec: &str) -> Result<LoadedRuns> {
    let dirs: Vec<PathBuf> = spec
        .split(',')
        .map(resolve_run_dir)
        .collect::<Result<_, _>>()?;
    let mut runs = LoadedRuns {
        label: spec.to_string(),
        ..Default::default()
    };
    for dir in &dirs {
        read_speed(dir, &mut runs)?;
        if dir.join("quality.parquet").is_file() {
            read_quality(dir, &mut runs)?;
        }
    }
    Ok(runs)
}

fn resolve_run_dir(spec: &str) -> Result<PathBuf, UsageError> {
    let path = PathBuf::from(spec);
    if path.join("speed.parquet").is_file() {
        return Ok(path);
    }
    let saved = crate::compare::baselines_dir().join(spec);
    if saved.join("speed.parquet").is_file() {
        return Ok(saved);
    }
    Err(UsageError::new(format!(
        "{spec}: not a run directory (no speed.parquet) nor a saved baseline in {}",
        crate::compare::baselines_dir().display()
    )))
}

/// The same configuration label speed and quality rows are matched on.
fn config_label(threads: &str, ngl: &str, batch: &str, fa: &str) -> String {
    format!("t={threads} ngl={ngl} b={batch} fa={fa}")
}

fn read_frame(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path)?;
    Ok(ParquetReader::new(file)
        .finish()
        .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?)
}

fn text_column(frame: &DataFrame, path: &Path, name: &str) -> Result<Vec<String>> {
    let c = frame
        .column(name)
        .map_err(|_| UsageError::new(format!("{}: no column {name}", path.display())))?
        .cast(&DataType::String)?;
    let ca = c.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect())
}

/// Checked answers only: one that failed to run has no verdict to compare.
fn read_quality(dir: &Path, runs: &mut LoadedRuns) -> Result<()> {
    let path = dir.join("quality.parquet");
    let frame = read_frame(&path)?;
    let col = |name: &str| text_column(&frame, &path, name);
    let (candidate, sha, suite, case, decoding, rep, pass) = (
        col("candidate")?,
        col("model_sha256")?,
        col("suite")?,
        col("case_id")?,
        col("decoding")?,
        col("rep")?,
        col("pass")?,
    );
    let config: Vec<Vec<String>> = ["n_threads", "n_gpu_layers", "n_batch", "flash_attn"]
        .iter()
        .map(|c| col(c))
        .collect::<Result<_>>()?;
    for i in 0..frame.height() {
        if pass[i].is_empty() {
            continue;
        }
        let key = RowKey {
            candidate: candidate[i].clone(),
            config: config_label(&config[0][i], &config[1][i], &config[2][i], &config[3][i]),
            test: suite[i].clone(),
        };
        let group = runs.answers.entry(key).or_default();
        group.candidate = candidate[i].clone();
        group.model_sha256 = sha[i].clone();
        group.passed.insert(
            format!("{}|{}|{}", case[i], decoding[i], rep[i]),
            pass[i] == "true",
        );
    }
    Ok(())
}

fn read_speed(dir: &Path, runs: &mut LoadedRuns) -> Result<()> {
    let path = dir.join("speed.parquet");
    let frame = read_frame(&path)?;
    let text = |name: &str| text_column(&frame, &path, name);
    let number = |name: &str| -> Result<Vec<Option<f64>>> {
        let c = frame
            .column(name)
            .map_err(|_| UsageError::new(format!("{}: no column {name}", path.display())))?
            .cast(&DataType::Float64)?;
        let ca = c.f64()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    };
    let (candidate, sha, test, status) = (
        text("candidate")?,
        text("model_sha256")?,
        text("test")?,
        text("status")?,
    );
    let config: Vec<Vec<String>> = ["n_threads", "n_gpu_layers", "n_batch", "flash_attn"]
        .iter()
        .map(|c| text(c))
        .collect::<Result<_>>()?;
    let metrics: Vec<(&str, Vec<Option<f64>>)> = METRICS
        .iter()
        .map(|(m, _)| Ok((*m, number(m)?)))
        .collect::<Result<_>>()?;
    for i in 0..frame.height() {
        if status[i] != "ok" {
            continue;
        }
        let key = RowKey {
            candidate: candidate[i].clone(),
            config: config_label(&config[0][i], &config[1][i], &config[2][i], &config[3][i]),
            test: test[i].clone(),
        };
        let group = runs.groups.entry(key).or_default();
        group.candidate = candidate[i].clone();
        group.model_sha256 = sha[i].clone();
        for (name, values) in &metrics {
            if let Some(v) = values[i] {
                group.values.entry(name.to_string()).or_default().push(v);
            }
        }
    }
    Ok(())
}
