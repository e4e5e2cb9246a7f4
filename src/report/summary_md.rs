//! summary.md, written next to the result files at the end of every run: the
//! speed, quality and stability tables and the measurement warnings.
use super::length_warnings::length_warnings;
use super::quality_table::quality_categories_table;
use super::spec_table::speculative_table;
use super::stability_table::stability_table;
use super::table::speed_summary_table;
use super::warnings::measurement_warnings;
use crate::export::{Block, Document};
use crate::results::SummaryRow;
use crate::scoring::StabilitySummary;

/// `speed`: summary rows without quality scores; `quality`: those with.
pub fn summary_document(
    speed: &[SummaryRow],
    quality: &[SummaryRow],
    stability: &[StabilitySummary],
) -> Document {
    let mut blocks = vec![Block::Table(speed_summary_table(speed))];
    if !quality.is_empty() {
        blocks.push(Block::Table(quality_categories_table(quality)));
    }
    if let Some(table) = speculative_table(&speed.iter().collect::<Vec<_>>()) {
        blocks.push(Block::Table(table));
    }
    if !stability.is_empty() {
        blocks.push(Block::Table(stability_table(stability)));
    }
    let warnings = measurement_warnings(speed)
        .into_iter()
        .chain(length_warnings(quality))
        .map(Block::Warning);
    blocks.extend(warnings);
    Document {
        title: None,
        blocks,
    }
}
