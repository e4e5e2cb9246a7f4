//! Presentation of stored results. Reads rows; computes nothing but layout.
mod table;
mod warnings;

pub use table::{comparison_table, escape_md, markdown_summary};
pub use warnings::measurement_warnings;
