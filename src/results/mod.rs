//! Results: row types, their Parquet/CSV/Markdown files, the manifest.
//! Everything here is written atomically (temp file + rename).
mod atomic;
mod frame;
pub mod manifest;
mod rows;
mod summary;

pub use atomic::write_atomic;
pub use frame::{speed_frame, summary_frame, write_frame};
pub use rows::{ModelMeta, SpeedRow, UnitRecord};
pub use summary::{summarize, MetricSpread, SummaryRow, SUMMARY_METRICS};
