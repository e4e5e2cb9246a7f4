//! Presentation of stored results. Reads rows; computes nothing but layout.
mod table;

pub use table::{comparison_table, markdown_summary};
