//! Presentation of stored results. Reads rows; computes nothing but layout.
mod quality_table;
mod stability_table;
mod table;
mod warnings;

pub use quality_table::{quality_markdown, quality_table};
pub use stability_table::{stability_markdown, stability_table};
pub use table::{comparison_table, escape_md, markdown_summary};
pub use warnings::measurement_warnings;
