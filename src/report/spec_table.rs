//! Speculative decoding in the report: per test (a user-path prompt is a
//! category of text: code, chat, summary...) each speculative configuration's
//! acceptance and speed-up against its baseline, and a warning for every test
//! whose text was not the target's own.
use crate::export::{Cell, Table};
use crate::results::SummaryRow;

const HEADER: [&str; 10] = [
    "candidate",
    "speculation",
    "test",
    "drafted",
    "acceptance",
    "accepted/step",
    "tg speed-up",
    "50-token latency speed-up",
    "draft / verify ms",
    "same text",
];

/// None when no row is speculative.
pub fn speculative_table(summary: &[&SummaryRow]) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = summary
        .iter()
        .filter_map(|row| row.spec.as_ref().map(|spec| (row, spec)))
        .map(|(row, spec)| {
            let split = match (spec.t_draft_ms, spec.t_verify_ms) {
                (Some(d), Some(v)) => format!("{d:.0} / {v:.0}"),
                _ => "n/a".into(),
            };
            let same = match spec.spec_identical {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "n/a",
            };
            vec![
                Cell::text(row.first.id.candidate.clone()),
                Cell::text(row.first.config.spec.label().trim().to_string()),
                Cell::text(row.first.test.clone()),
                Cell::number(spec.draft_n.map(f64::from), |v| format!("{v:.0}")),
                Cell::number(spec.acceptance_rate, |v| format!("{:.0}%", v * 100.0)),
                Cell::number(spec.accepted_per_step, |v| format!("{v:.2}")),
                Cell::number(spec.tg_speedup, speedup),
                Cell::number(spec.latency_50_speedup, speedup),
                Cell::text(split),
                Cell::text(same),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        id: "speculative".into(),
        header: HEADER.to_vec(),
        rows,
    })
}

fn speedup(v: f64) -> String {
    format!("{v:.2}x")
}

/// One warning per speculative test whose generated tokens differed from
/// the target's own greedy tokens.
pub fn identity_warnings(summary: &[SummaryRow]) -> Vec<String> {
    let differs = summary
        .iter()
        .filter(|row| row.spec.as_ref().and_then(|s| s.spec_identical) == Some(false));
    differs
        .map(|row| {
            format!(
                "{} {}{}: with speculation the text differs from the target's own at temperature 0 (spec_mismatch_at in speed.* says from which token); the batched verification can round differently from single-token decoding (docs/speculative.md)",
                row.first.id.candidate,
                row.first.test,
                row.first.config.spec.label()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::spec_summary::SpecSummary;
    use crate::results::speculation::RowSpec;
    use crate::results::{SpeedRow, Status};

    fn row(test: &str, spec: Option<SpecSummary>) -> SummaryRow {
        let mut first = SpeedRow {
            test: test.into(),
            ..Default::default()
        };
        first.id.candidate = "qwen-1.5b".into();
        if spec.is_some() {
            first.config.spec = RowSpec {
                spec: Some("draft".into()),
                draft_model: Some("qwen-0.5b".into()),
                draft_max: Some(4),
                draft_min: Some(0),
            };
        }
        SummaryRow {
            first,
            n: 1,
            metrics: Vec::new(),
            precision: None,
            first_rep: None,
            status: Status::Ok,
            error: None,
            resources: Default::default(),
            unified_memory: false,
            quality: None,
            spec,
        }
    }

    #[test]
    fn speculative_rows_get_a_line_and_a_changed_text_a_warning() {
        let same = SpecSummary {
            draft_n: Some(40),
            acceptance_rate: Some(0.75),
            accepted_per_step: Some(3.0),
            tg_speedup: Some(1.5),
            spec_identical: Some(true),
            ..Default::default()
        };
        let changed = SpecSummary {
            spec_identical: Some(false),
            ..same.clone()
        };
        let rows = [
            row("tg64", None),
            row("e2e:spec-code", Some(same)),
            row("e2e:spec-story", Some(changed)),
        ];
        let table = speculative_table(&rows.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(table.rows.len(), 2, "the baseline has no line");
        let texts: Vec<&str> = table.rows[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts[1], "draft=qwen-0.5b dmax=4");
        assert_eq!((texts[4], texts[5], texts[6]), ("75%", "3.00", "1.50x"));
        assert_eq!(texts[9], "yes");
        let warnings = identity_warnings(&rows);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("qwen-1.5b e2e:spec-story draft=qwen-0.5b dmax=4: "),
            "{}",
            warnings[0]
        );
        assert!(speculative_table(&[&rows[0]]).is_none());
    }
}
