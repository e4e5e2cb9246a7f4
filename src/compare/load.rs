//! Reading runs for comparison: speed.parquet of one or more run directories
//! (shards of one sweep are merged), grouped into the repetitions of each
//! candidate x configuration x test.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;
use crate::results::{read_table, Metric, QualityRow, SpeedRow};

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
    pub values: BTreeMap<Metric, Vec<f64>>,
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

/// `spec` is a run directory, a comma-separated list of them, or a saved baseline name.
pub fn load_runs(spec: &str) -> Result<LoadedRuns> {
    let dirs: Vec<PathBuf> = spec
        .split(',')
        .map(resolve_run_dir)
        .collect::<Result<_, _>>()?;
    load_run_dirs(&dirs, spec)
}

/// Run directories given as paths (never split: a path may hold a comma),
/// labelled `label`.
pub fn load_run_dirs(dirs: &[PathBuf], label: &str) -> Result<LoadedRuns> {
    let mut runs = LoadedRuns {
        label: label.to_string(),
        ..Default::default()
    };
    for dir in dirs {
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

/// Checked answers only: one that failed to run has no verdict to compare.
fn read_quality(dir: &Path, runs: &mut LoadedRuns) -> Result<()> {
    let rows: Vec<QualityRow> = read_table(&dir.join("quality.parquet"))?;
    for row in rows {
        let Some(pass) = row.pass else { continue };
        let key = RowKey {
            candidate: row.id.candidate.clone(),
            config: row.config.label(),
            test: row.suite.clone(),
        };
        let group = runs.answers.entry(key).or_default();
        group.candidate = row.id.candidate;
        group.model_sha256 = row.id.model_sha256;
        group.passed.insert(
            format!("{}|{}|{}", row.case_id, row.decoding, row.rep),
            pass,
        );
    }
    Ok(())
}

fn read_speed(dir: &Path, runs: &mut LoadedRuns) -> Result<()> {
    let rows: Vec<SpeedRow> = read_table(&dir.join("speed.parquet"))?;
    for row in rows.iter().filter(|r| r.status.is_ok()) {
        let key = RowKey {
            candidate: row.id.candidate.clone(),
            config: row.config.label(),
            test: row.test.clone(),
        };
        let group = runs.groups.entry(key).or_default();
        group.candidate = row.id.candidate.clone();
        group.model_sha256 = row.id.model_sha256.clone();
        for metric in Metric::ALL {
            if let Some(v) = metric.of(row) {
                group.values.entry(metric).or_default().push(v);
            }
        }
    }
    Ok(())
}
