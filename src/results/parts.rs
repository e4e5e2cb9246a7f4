//! parts/<unit_id>.json: one record per finished work unit, written the moment
//! the unit ends; every result file is rebuilt from these.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::run_dir::check_real_dir;
use super::{write_atomic, UnitRecord};

/// Unit ids become file names under parts/ and logs/. A run directory is
/// shared (CI artifacts) and so untrusted: only ids of the form edgebench
/// writes, `c<candidate>-k<configuration>`, may name a file.
pub fn check_unit_id(id: &str) -> Result<()> {
    let numbered = |s: &str, prefix: char| {
        s.strip_prefix(prefix).is_some_and(|digits| {
            (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        })
    };
    match id.split_once('-') {
        Some((c, k)) if numbered(c, 'c') && numbered(k, 'k') => Ok(()),
        _ => bail!(
            "unit id {id:?} is not of the form c<N>-k<N> (a tampered or foreign run directory?)"
        ),
    }
}

/// `<run_dir>/<dir>/<unit_id>.<extension>`, for a valid unit id only.
pub fn unit_file(run_dir: &Path, dir: &str, unit_id: &str, extension: &str) -> Result<PathBuf> {
    check_unit_id(unit_id)?;
    check_real_dir(&run_dir.join(dir))?;
    Ok(run_dir.join(dir).join(format!("{unit_id}.{extension}")))
}

fn record_path(run_dir: &Path, unit_id: &str) -> Result<PathBuf> {
    unit_file(run_dir, "parts", unit_id, "json")
}

pub fn read_record(run_dir: &Path, unit_id: &str) -> Result<Option<UnitRecord>> {
    let path = record_path(run_dir, unit_id)?;
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    let record: UnitRecord =
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?;
    // The record is written back under its own unit_id (rescore): it must be this file's.
    if record.unit_id != unit_id {
        bail!(
            "{} is damaged: it holds unit {:?}, not {unit_id}",
            path.display(),
            record.unit_id
        );
    }
    Ok(Some(record))
}

pub fn write_record(run_dir: &Path, record: &UnitRecord) -> Result<()> {
    write_atomic(&record_path(run_dir, &record.unit_id)?, |f| {
        serde_json::to_writer(&mut *f, record)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_edgebench_writes_name_files() {
        for good in ["c0-k0", "c12-k3", "c999999999-k0"] {
            assert!(check_unit_id(good).is_ok(), "{good}");
        }
        for bad in [
            "/tmp/pwned",
            "../../x",
            "c0-k0/../../x",
            "c0-k0.json",
            "c-k0",
            "c0-k",
            "c0-k0-k1",
            "",
            "c1234567890-k0",
            "c0-k0\n",
        ] {
            let error = check_unit_id(bad).unwrap_err().to_string();
            assert!(
                error.contains("not of the form c<N>-k<N>"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn a_record_naming_another_unit_is_refused_and_nothing_is_written_outside() {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = dir.path().join("run");
        std::fs::create_dir_all(run_dir.join("parts")).unwrap();
        let outside = dir.path().join("pwned");
        let text = serde_json::json!({
            "unit_id": outside.display().to_string(),
            "candidate": "a", "status": "ok", "error": null, "rows": [],
        })
        .to_string();
        let record: UnitRecord = serde_json::from_str(&text).unwrap();
        std::fs::write(run_dir.join("parts/c0-k0.json"), text).unwrap();

        let error = read_record(&run_dir, "c0-k0").unwrap_err().to_string();
        assert!(error.contains("is damaged: it holds unit"), "{error}");
        assert!(write_record(&run_dir, &record).is_err());
        assert!(!dir.path().join("pwned.json").exists());
    }
}
