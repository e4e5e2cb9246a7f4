//! Reading stored result files back: summary.parquet into the rows it was
//! written from (through its `Table`), and typed column access for the long
//! samples.* file, tolerating columns an older (or newer) edgebench did not write.
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::table::{read_parquet, read_table};
use super::SummaryRow;

/// A Parquet file's columns, each cast once to the type asked for.
pub struct Columns {
    frame: DataFrame,
}

impl Columns {
    pub fn read(path: &Path) -> Result<Columns> {
        Ok(Columns {
            frame: read_parquet(path)?,
        })
    }

    pub fn height(&self) -> usize {
        self.frame.height()
    }

    pub fn has(&self, name: &str) -> bool {
        self.frame.column(name).is_ok()
    }

    /// Strings (None for nulls); all None when the column is missing.
    pub fn text(&self, name: &str) -> Vec<Option<String>> {
        let Some(c) = self.cast(name, &DataType::String) else {
            return vec![None; self.height()];
        };
        let ca = c.str().expect("cast to string");
        (0..ca.len())
            .map(|i| ca.get(i).map(str::to_string))
            .collect()
    }

    /// Numbers as f64 (None for nulls); all None when the column is missing.
    pub fn number(&self, name: &str) -> Vec<Option<f64>> {
        let Some(c) = self.cast(name, &DataType::Float64) else {
            return vec![None; self.height()];
        };
        let ca = c.f64().expect("cast to f64");
        (0..ca.len()).map(|i| ca.get(i)).collect()
    }

    fn cast(&self, name: &str, to: &DataType) -> Option<Column> {
        self.frame.column(name).ok()?.cast(to).ok()
    }
}

/// summary.parquet as `SummaryRow`s, in file order, quality scores included.
pub fn read_summary(path: &Path) -> Result<Vec<SummaryRow>> {
    read_table(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{summarize, table_frame, write_parquet, SpeedRow};
    use crate::results::{Metric, Status};

    #[test]
    fn summary_round_trips_through_parquet() {
        let rows: Vec<SpeedRow> = [10.0, 12.0]
            .iter()
            .map(|&tg| SpeedRow {
                id: crate::results::RowIdentity {
                    unit_id: "c0-k0".into(),
                    candidate: "gemma".into(),
                    quant: "Q4_K_M".into(),
                    ..Default::default()
                },
                params: 268_000_000,
                test: "tg8".into(),
                mode: "engine".into(),
                tg_tps: Some(tg),
                status: Status::Ok,
                ..Default::default()
            })
            .collect();
        let mut summary = summarize(&rows);
        summary[0].resources.peak_rss_mb = Some(321.0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.parquet");
        write_parquet(&path, &mut table_frame(&summary).unwrap()).unwrap();
        let back = read_summary(&path).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].first.id.candidate, "gemma");
        assert_eq!(back[0].first.params, 268_000_000);
        assert_eq!(back[0].n, 2);
        assert_eq!(
            back[0].spread(Metric::TgTps),
            summary[0].spread(Metric::TgTps)
        );
        assert_eq!(back[0].resources.peak_rss_mb, Some(321.0));
        assert!(back[0].spread(Metric::PpTps).is_none());
    }
}
