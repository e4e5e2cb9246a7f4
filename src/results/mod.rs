//! Results: row types, their Parquet/CSV/Markdown files, the manifest.
//! Everything here is written atomically (temp file + rename).
mod atomic;
mod frame;
mod frame_stability;
pub mod manifest;
mod parts;
pub mod plan;
mod read;
mod rows;
mod summary;

pub use atomic::write_atomic;
pub use frame::{
    concat_parquet, quality_frame, samples_frame, speed_frame, summary_frame, write_frame,
    write_parquet,
};
pub use frame_stability::{stability_frame, stability_summary_frame};
pub use parts::{read_record, write_record};
pub use read::{read_summary, Columns};
pub use rows::{
    ModelMeta, Phase, QualityRow, ResourceSummary, SampleRow, SpeedRow, StabilityRow,
    StabilitySummary, UnitRecord,
};
pub use summary::{
    attach_resources, summarize, MetricSpread, QualityScore, SummaryRow, SUMMARY_METRICS,
};
