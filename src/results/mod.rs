//! Results: row types, their Parquet/CSV/Markdown files, the manifest.
//! Everything here is written atomically (temp file + rename).
mod atomic;
mod cache_type;
mod columns;
mod csv;
mod finish_reason;
mod frame;
pub mod manifest;
mod metric;
mod parts;
mod phase;
pub mod plan;
pub mod power;
mod read;
pub mod redact;
mod rows;
mod run_dir;
pub mod spec_summary;
pub mod speculation;
mod status;
mod summary;
mod summary_table;
pub mod table;
mod targets;
mod test_kind;
mod unit_row;

pub use atomic::write_atomic;
pub use columns::{
    QUALITY_COLUMNS, SAMPLE_COLUMNS, SPEED_COLUMNS, STABILITY_COLUMNS, STABILITY_SUMMARY_COLUMNS,
};
pub use csv::write_csv;
pub use finish_reason::FinishReason;
pub use frame::{concat_parquet, samples_frame, write_frame, write_parquet};
pub use metric::Metric;
pub use parts::{check_unit_id, read_record, unit_file, write_record};
pub use phase::Phase;
pub use read::{read_summary, Columns};
pub use rows::{
    AnswerFigures, LevelFigures, ModelMeta, QualityRow, ResourceSummary, RowConfig, RowIdentity,
    SampleRow, ServerFigures, SpeedRow, StabilityRow, StabilitySummary, UnitRecord, SERVED_BACKEND,
    STARTED_SERVER_BACKEND,
};
pub use run_dir::{check_real_dir, create_run_dir, no_follow, RunLock, LOCK_FILE};
pub use status::Status;
pub use summary::{attach_resources, summarize, MetricSpread, QualityScore, SummaryRow};
pub use summary_table::SPREAD_STATS;
pub use table::{read_table, table_frame, write_table, Col, Dtype, Record, Table};
pub use targets::Targets;
pub use test_kind::TestKind;
pub use test_kind::{test_depth, with_depth};
pub use unit_row::{unit_row, unit_row_of};
