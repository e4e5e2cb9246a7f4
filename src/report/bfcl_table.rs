//! Function calling as BFCL scores it, beside speed and memory: one line per
//! candidate x BFCL suite with its generation rate, peak memory, BFCL's summary
//! scores and each category's accuracy, so "fast enough and still calls tools right"
//! is one table.
use super::candidates::ReportCandidate;
use super::load::SuiteScore;
use crate::checks::is_bfcl_category;
use crate::export::{Cell, Table};

/// Every column a BFCL suite can fill, in BFCL's order: the summary scores
/// (`bfcl:*` rows of the summary), then the categories.
const SCORES: [(&str, &str); 15] = [
    ("bfcl:overall_single_turn", "overall (single-turn)"),
    ("bfcl:non_live_ast", "non-live AST"),
    ("bfcl:live_ast", "live AST"),
    ("bfcl:irrelevance", "irrelevance (summary)"),
    ("simple_python", "simple_python"),
    ("multiple", "multiple"),
    ("parallel", "parallel"),
    ("parallel_multiple", "parallel_multiple"),
    ("irrelevance", "irrelevance"),
    ("live_simple", "live_simple"),
    ("live_multiple", "live_multiple"),
    ("live_parallel", "live_parallel"),
    ("live_parallel_multiple", "live_parallel_multiple"),
    ("live_irrelevance", "live_irrelevance"),
    ("live_relevance", "live_relevance"),
];

/// A suite is BFCL's when it has categories and every one is a BFCL category or
/// summary (the `tool-calling` suite's `simple` is not).
fn is_bfcl_suite(rows: &[SuiteScore], suite: &str) -> bool {
    let categories: Vec<&str> = rows
        .iter()
        .filter(|r| r.suite == suite)
        .filter_map(|r| r.category.as_deref())
        .collect();
    !categories.is_empty()
        && categories
            .iter()
            .all(|c| is_bfcl_category(c) || c.starts_with("bfcl:"))
}

fn score_cell(score: Option<&SuiteScore>) -> Cell {
    let Some(s) = score else {
        return Cell::text("-");
    };
    Cell::number(Some(s.pass_rate), |rate| {
        match (s.pass_rate_lo, s.pass_rate_hi) {
            (Some(lo), Some(hi)) => {
                format!("{:.0}% [{:.0}-{:.0}]", rate * 100.0, lo * 100.0, hi * 100.0)
            }
            _ => format!("{:.0}%", rate * 100.0),
        }
    })
}

/// None when no candidate ran a BFCL suite.
pub fn bfcl_table(candidates: &[ReportCandidate]) -> Option<Table> {
    let mut lines: Vec<(&ReportCandidate, &str)> = Vec::new();
    for c in candidates {
        for row in &c.quality_rows {
            let new = !lines
                .iter()
                .any(|(l, s)| std::ptr::eq(*l, c) && *s == row.suite);
            if new && is_bfcl_suite(&c.quality_rows, &row.suite) {
                lines.push((c, &row.suite));
            }
        }
    }
    if lines.is_empty() {
        return None;
    }
    let find = |c: &'_ ReportCandidate, suite: &str, key: &str| -> Option<SuiteScore> {
        c.quality_rows
            .iter()
            .find(|r| r.suite == suite && r.category.as_deref() == Some(key))
            .cloned()
    };
    // Only the columns some line fills.
    let columns: Vec<(&str, &'static str)> = SCORES
        .iter()
        .filter(|(key, _)| lines.iter().any(|(c, s)| find(c, s, key).is_some()))
        .copied()
        .collect();
    let mut header: Vec<&'static str> = vec!["candidate", "suite", "tg tok/s", "peak MiB", "n"];
    header.extend(columns.iter().map(|(_, label)| *label));
    let rows = lines
        .iter()
        .map(|(c, suite)| {
            let n: u64 = c
                .quality_rows
                .iter()
                .filter(|r| r.suite == *suite)
                .filter(|r| r.category.as_deref().is_some_and(is_bfcl_category))
                .filter_map(|r| r.n_cases)
                .sum();
            let mut row = vec![
                Cell::text(&c.label),
                Cell::text(*suite),
                Cell::number(c.tg_tps.map(|s| s.mean), |v| format!("{v:.1}")),
                Cell::number(c.peak_memory_mb, |v| format!("{v:.0}")),
                Cell::number(Some(n as f64), |v| format!("{v:.0}")),
            ];
            row.extend(
                columns
                    .iter()
                    .map(|(key, _)| score_cell(find(c, suite, key).as_ref())),
            );
            row
        })
        .collect();
    Some(Table {
        id: "bfcl".into(),
        header,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(suite: &str, category: Option<&str>, rate: f64) -> SuiteScore {
        SuiteScore {
            unit_id: "c0-k0".into(),
            suite: suite.into(),
            category: category.map(str::to_string),
            pass_rate: rate,
            pass_rate_lo: Some(rate / 2.0),
            pass_rate_hi: Some((rate * 2.0).min(1.0)),
            n_cases: Some(5),
        }
    }

    #[test]
    fn one_line_per_bfcl_suite_with_speed_memory_and_scores() {
        let candidate = ReportCandidate {
            label: "smol".into(),
            peak_memory_mb: Some(238.0),
            quality_rows: vec![
                score("bfcl-50", None, 0.4),
                score("bfcl-50", Some("simple_python"), 0.6),
                score("bfcl-50", Some("live_irrelevance"), 0.2),
                score("bfcl-50", Some("bfcl:irrelevance"), 0.3),
                // The tool-calling suite's categories are not all BFCL's.
                score("tool-calling", Some("simple"), 0.9),
                score("tool-calling", Some("multiple"), 0.9),
            ],
            ..Default::default()
        };
        let table = bfcl_table(&[candidate]).unwrap();
        assert_eq!(
            table.header,
            vec![
                "candidate",
                "suite",
                "tg tok/s",
                "peak MiB",
                "n",
                "irrelevance (summary)",
                "simple_python",
                "live_irrelevance"
            ]
        );
        assert_eq!(table.rows.len(), 1);
        let texts: Vec<String> = table.rows[0].iter().map(|c| c.text.clone()).collect();
        assert_eq!(
            texts,
            vec![
                "smol",
                "bfcl-50",
                "n/a",
                "238",
                "10",
                "30% [15-60]",
                "60% [30-100]",
                "20% [10-40]"
            ]
        );
        assert!(bfcl_table(&[ReportCandidate::default()]).is_none());
    }
}
