//! DataFrames to Parquet and CSV; samples.* (long, built column by column).
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::{write_atomic, write_csv, SampleRow};

macro_rules! column {
    ($rows:expr, $name:literal, $get:expr) => {
        Column::new($name.into(), $rows.iter().map($get).collect::<Vec<_>>())
    };
}

/// Writes `<stem>.parquet` and `<stem>.csv` in `dir`, each atomically (CSV
/// cells a spreadsheet would run as formulas neutralised, see `csv`).
pub fn write_frame(dir: &Path, stem: &str, frame: &mut DataFrame) -> Result<()> {
    write_atomic(&dir.join(format!("{stem}.parquet")), |file| {
        ParquetWriter::new(file)
            .finish(frame)
            .map_err(|e| anyhow::anyhow!("parquet: {e}"))?;
        Ok(())
    })?;
    write_csv(&dir.join(format!("{stem}.csv")), frame)
}

pub fn samples_frame(run_id: &str, rows: &[SampleRow]) -> Result<DataFrame> {
    let columns = vec![
        column!(rows, "run_id", |_: &SampleRow| run_id.to_string()),
        column!(rows, "t_ms", |r: &SampleRow| r.t_ms),
        column!(rows, "unix_ms", |r: &SampleRow| r.unix_ms),
        column!(rows, "unit_id", |r: &SampleRow| r.unit_id.clone()),
        column!(rows, "candidate", |r: &SampleRow| r.candidate.clone()),
        column!(rows, "test", |r: &SampleRow| r.test.clone()),
        column!(rows, "phase", |r: &SampleRow| r.phase.as_str().to_string()),
        column!(rows, "backend", |r: &SampleRow| r.backend.clone()),
        column!(rows, "metric", |r: &SampleRow| r.metric.clone()),
        column!(rows, "value", |r: &SampleRow| r.value),
        column!(rows, "throttled", |r: &SampleRow| r.throttled),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

/// Writes one Parquet file atomically.
pub fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<()> {
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .finish(frame)
            .map_err(|e| anyhow::anyhow!("parquet: {e}"))?;
        Ok(())
    })
}

/// Concatenates Parquet files of one schema (the per-unit sample files).
pub fn concat_parquet(paths: &[std::path::PathBuf]) -> Result<Option<DataFrame>> {
    let mut all: Option<DataFrame> = None;
    for path in paths {
        let file = std::fs::File::open(path)?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        all = Some(match all {
            None => frame,
            Some(mut acc) => {
                acc.vstack_mut(&frame)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                acc
            }
        });
    }
    Ok(all)
}
