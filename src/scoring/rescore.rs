//! `edgebench rescore RUN_DIR [--suite FILE]`: the checks of the current suite
//! files applied again to the answers a run stored. No model is loaded.
//! This part rescores the stored records; the command (`runner::rescore_run`)
//! then rebuilds the result files and the report from them.
use std::path::Path;

use anyhow::Result;

use super::apply_checks;
use crate::error::UsageError;
use crate::results::manifest::read_manifest;
use crate::results::{read_record, write_record, UnitRecord};
use crate::suite::{load_suite, AnySuite, QualitySuite};

/// The run's records with their answers rescored (and saved back to parts/).
pub struct Rescored {
    pub records: Vec<UnitRecord>,
    /// Answers rescored, and how many of them changed verdict.
    pub rescored: usize,
    pub changed: usize,
    /// Answers of cases no longer in the suite (their verdicts are kept).
    pub unknown: usize,
    /// From the manifest: GPU memory is system RAM (for the summary's resources).
    pub unified_memory: bool,
}

pub fn rescore_records(run_dir: &Path, suite: Option<&str>) -> Result<Rescored> {
    if !run_dir.join("manifest.json").is_file() {
        return Err(UsageError::new(format!(
            "{}: not a run directory (no manifest.json)",
            run_dir.display()
        ))
        .into());
    }
    let manifest = read_manifest(run_dir)?;
    let names: Vec<String> = match suite {
        Some(s) => vec![s.to_string()],
        None => manifest.sweep.suites.clone(),
    };
    let mut suites: Vec<QualitySuite> = Vec::new();
    for name in &names {
        if let AnySuite::Quality(q) = load_suite(name)? {
            suites.push(q);
        }
    }
    if suites.is_empty() {
        return Err(UsageError::new(format!(
            "{}: no quality suite to rescore with (the run used {}; give one with --suite)",
            run_dir.display(),
            names.join(", ")
        ))
        .into());
    }
    let mut records = Vec::new();
    let (mut rescored, mut unknown, mut changed) = (0usize, 0usize, 0usize);
    for unit in &manifest.units {
        let Some(mut record) = read_record(run_dir, &unit.id)? else {
            continue;
        };
        for row in &mut record.quality {
            let Some(suite) = suites.iter().find(|s| s.name == row.suite) else {
                continue;
            };
            let Some(case) = suite.case(&row.case_id) else {
                unknown += 1;
                continue;
            };
            let before = row.pass;
            apply_checks(row, case);
            rescored += 1;
            changed += usize::from(before != row.pass);
        }
        write_record(run_dir, &record)?;
        records.push(record);
    }
    if rescored == 0 {
        return Err(UsageError::new(format!(
            "{}: no stored answers of suite(s) {}",
            run_dir.display(),
            suites
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    Ok(Rescored {
        records,
        rescored,
        changed,
        unknown,
        unified_memory: manifest.sampling.as_ref().is_some_and(|s| s.unified_memory),
    })
}
