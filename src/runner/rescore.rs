//! `edgebench rescore`: scoring rescores the stored answers, then the result
//! files and (when the run has one) the report are rebuilt from the records.
use std::path::Path;

use anyhow::Result;

use super::output::{write_results, write_run_report};
use crate::error::exit;
use crate::results::manifest::read_manifest;
use crate::results::RunLock;
use crate::scoring::rescore_records;

pub fn rescore_run(run_dir: &Path, suite: Option<&str>) -> Result<i32> {
    // No readable manifest: rescore_records says why, and no lock file is left behind.
    let redacted = read_manifest(run_dir).ok().map(|m| m.redacted);
    let _lock = match redacted {
        Some(redacted) => Some(RunLock::acquire(run_dir, !redacted)?),
        None => None,
    };
    let rescored = rescore_records(run_dir, suite)?;
    write_results(run_dir, &rescored.records, rescored.unified_memory)?;
    // The report shows quality scores: it must not go on showing the old verdicts.
    if run_dir.join("report.html").is_file() {
        write_run_report(run_dir, None, redacted == Some(true));
    }
    println!(
        "rescored {} answers ({} changed verdict) in {}",
        rescored.rescored,
        rescored.changed,
        run_dir.display()
    );
    if rescored.unknown > 0 {
        eprintln!(
            "warning: {} answers belong to cases no longer in the suite; their verdicts are kept",
            rescored.unknown
        );
    }
    Ok(exit::OK)
}
