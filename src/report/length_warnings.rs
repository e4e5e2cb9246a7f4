//! The warning for answers a server cut (`finish_reason` length) before the
//! suite's `max_tokens`: the server's own limit is lower than the suite's.
use crate::results::SummaryRow;

/// One per candidate x suite x decoding whose server did so.
pub fn length_warnings(quality: &[SummaryRow]) -> Vec<String> {
    quality
        .iter()
        .filter_map(|row| {
            let q = row.quality.as_ref().filter(|q| q.category.is_none())?;
            let cut = q.n_length_below_max?;
            Some(format!(
                "{} {}: the server ended {cut} of {} answers with finish_reason length before max_tokens: its own limit on generated tokens (llama-server's --n-predict, or a context too small for the prompt and max_tokens) is lower than the suite's, so they were cut short by the server (finish_reason and max_tokens in quality.*)",
                row.first.id.candidate,
                row.first.test,
                q.n
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{summarize, QualityScore, SpeedRow};

    fn row(category: Option<&str>, cut: Option<u32>) -> SummaryRow {
        let mut first = SpeedRow {
            test: "quality:basic".into(),
            ..Default::default()
        };
        first.id.candidate = "served".into();
        let mut row = summarize(&[first]).remove(0);
        row.quality = Some(QualityScore {
            n: 8,
            category: category.map(str::to_string),
            n_length_below_max: cut,
            ..Default::default()
        });
        row
    }

    #[test]
    fn a_server_that_cut_answers_early_is_named_once_per_suite() {
        let rows = [
            row(None, Some(3)),
            row(Some("math"), Some(3)),
            row(None, None),
        ];
        let warnings = length_warnings(&rows);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "served quality:basic: the server ended 3 of 8 answers with finish_reason length before max_tokens"
            ),
            "{}",
            warnings[0]
        );
    }
}
