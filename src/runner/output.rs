//! What a run leaves on disk besides parts/: the result files rebuilt from the
//! unit records, the report, and a saved baseline.
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;

use crate::export::{markdown::Markdown, Exporter};
use crate::report::summary_document;
use crate::results::manifest::Manifest;
use crate::results::{
    attach_resources, summarize, write_atomic, write_table, QualityRow, SpeedRow, StabilityRow,
    SummaryRow, UnitRecord,
};

/// The report in the run directory. Its failure is a warning: the run's results
/// are already written and stay valid.
/// `redact`: the run was recorded with `--redact` (so is its report).
pub(super) fn write_run_report(run_dir: &Path, baseline: Option<&str>, redact: bool) {
    let options = crate::report::ReportOptions {
        run_dirs: vec![run_dir.to_path_buf()],
        out: run_dir.to_path_buf(),
        baseline: baseline.map(str::to_string),
        redact,
        ..Default::default()
    };
    match crate::report::write_report(&options) {
        Ok(written) => println!("report: {}", written.html.display()),
        Err(e) => eprintln!(
            "warning: no report written ({e:#}); the results are complete: run `edgebench report {}` to retry",
            run_dir.display()
        ),
    }
}

/// A baseline is a directory named `name` among the saved ones: a plain name,
/// checked before anything is measured.
pub(super) fn check_baseline_name(name: &str) -> Result<(), UsageError> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.+@".contains(c));
    if plain {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "--save-baseline {name:?}: use a plain name such as `main` (letters, digits, - _ . + @)"
    )))
}

/// Copies a finished run's result files to the baselines directory under `name`
/// (replacing an older one only once the copy is complete).
pub(super) fn save_baseline(run_dir: &Path, name: &str) -> Result<PathBuf> {
    save_baseline_in(run_dir, name, &crate::compare::baselines_dir())
}

/// `save_baseline` into `dir`. Only regular files are copied: a link in the
/// (untrusted) run directory would copy its target into the baseline.
fn save_baseline_in(run_dir: &Path, name: &str, dir: &Path) -> Result<PathBuf> {
    check_baseline_name(name)?;
    std::fs::create_dir_all(dir)?;
    let staging = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempdir_in(dir)?;
    for entry in std::fs::read_dir(run_dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_file() && !path.ends_with(crate::results::LOCK_FILE) {
            std::fs::copy(
                &path,
                staging.path().join(path.file_name().unwrap_or_default()),
            )?;
        }
    }
    let target = dir.join(name);
    if target.exists() {
        std::fs::remove_dir_all(&target)?;
    }
    std::fs::rename(staging.keep(), &target)?;
    Ok(target)
}

/// The servers the served units measured, by unit id, into the manifest.
pub(super) fn note_servers(manifest: &mut Manifest, records: &[UnitRecord]) {
    for record in records {
        if let Some(identity) = &record.server {
            manifest
                .servers
                .insert(record.unit_id.clone(), identity.clone());
        }
    }
}

/// The manifest says which weight paths (AMX, CPU_REPACK...) the units used.
pub(super) fn note_weight_buffers(manifest: &mut Manifest, records: &[UnitRecord]) {
    if let Some(paths) = manifest.cpu_paths.as_mut() {
        let used: std::collections::BTreeSet<String> = records
            .iter()
            .flat_map(|r| r.weight_buffers.keys().cloned())
            .chain(paths.weight_buffers_used.drain(..))
            .collect();
        paths.weight_buffers_used = used.into_iter().collect();
    }
}

/// speed.*, quality.*, summary.* are always rebuilt from the unit records: a
/// resumed (or rescored) run gets every row exactly once.
pub(super) fn write_results(
    run_dir: &Path,
    records: &[UnitRecord],
    unified_memory: bool,
) -> Result<()> {
    let rows: Vec<SpeedRow> = records
        .iter()
        .flat_map(|r| r.rows.iter().cloned())
        .collect();
    write_table(run_dir, &rows)?;
    let answers: Vec<QualityRow> = records
        .iter()
        .flat_map(|r| r.quality.iter().cloned())
        .collect();
    if !answers.is_empty() {
        write_table(run_dir, &answers)?;
    }
    let steps: Vec<StabilityRow> = records
        .iter()
        .flat_map(|r| r.stability.iter().cloned())
        .collect();
    if !steps.is_empty() {
        write_table(run_dir, &steps)?;
    }
    let stability = crate::scoring::stability_summaries(records);
    if !stability.is_empty() {
        write_table(run_dir, &stability)?;
    }
    let mut summary = summarize(&rows);
    let quality = crate::scoring::quality_summary_rows(records);
    summary.extend(quality.iter().cloned());
    attach_resources(&mut summary, records, unified_memory);
    write_table(run_dir, &summary)?;
    let speed: Vec<SummaryRow> = summary
        .iter()
        .filter(|r| r.quality.is_none())
        .cloned()
        .collect();
    let markdown = Markdown.render(&summary_document(&speed, &quality, &stability));
    write_atomic(&run_dir.join("summary.md"), |f| {
        Ok(f.write_all(markdown.as_bytes())?)
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_saved_baseline_copies_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join("speed.csv"), "measured").unwrap();
        let secret = dir.path().join("secret.txt");
        std::fs::write(&secret, "not for the baseline").unwrap();
        std::os::unix::fs::symlink(&secret, run.join("speed.parquet")).unwrap();
        let saved = save_baseline_in(&run, "main", &dir.path().join("baselines")).unwrap();
        assert_eq!(
            std::fs::read_to_string(saved.join("speed.csv")).unwrap(),
            "measured"
        );
        assert!(
            !saved.join("speed.parquet").exists(),
            "the link's target is not copied"
        );
    }
}
