//! parts/<unit_id>.json: one record per finished work unit, written the moment
//! the unit ends; every result file is rebuilt from these.
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{write_atomic, UnitRecord};

fn record_path(run_dir: &Path, unit_id: &str) -> PathBuf {
    run_dir.join("parts").join(format!("{unit_id}.json"))
}

pub fn read_record(run_dir: &Path, unit_id: &str) -> Result<Option<UnitRecord>> {
    let path = record_path(run_dir, unit_id);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    Ok(Some(serde_json::from_str(&text).with_context(|| {
        format!("{} is damaged", path.display())
    })?))
}

pub fn write_record(run_dir: &Path, record: &UnitRecord) -> Result<()> {
    write_atomic(&record_path(run_dir, &record.unit_id), |f| {
        serde_json::to_writer(&mut *f, record)?;
        Ok(())
    })
}
