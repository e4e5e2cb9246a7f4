//! Quality scores as tables: the terminal after a run, and summary.md.
use crate::export::Table;
use crate::results::SummaryRow;
use crate::scoring::QualityScore;

const HEADER: [&str; 10] = [
    "candidate",
    "config",
    "test",
    "n",
    "pass rate [95% CI]",
    "pass^N",
    "suite scores",
    "degeneration",
    "differs",
    "answers/min",
];

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

/// The scores only some suites have, named: tool calling, multiple choice, instructions.
fn suite_scores(q: &QualityScore) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, v: Option<f64>| {
        if let Some(v) = v {
            parts.push(format!("{name} {:.0}%", v * 100.0));
        }
    };
    // Beside the strict pass rate: the number checks read as flexible-extract.
    add("flexible", q.pass_rate_flexible);
    add("parse", q.tool_parse_rate);
    add("name", q.tool_name_acc);
    add("args", q.tool_args_acc);
    add("irrelevance", q.irrelevance_acc);
    add("acc", q.mc_acc);
    add("acc_norm", q.mc_acc_norm);
    add("acc_tok", q.mc_acc_tok);
    if q.mc_acc.is_none() {
        add("instruction-level", q.check_pass_rate);
    }
    parts.join(", ")
}

fn line(r: &SummaryRow, q: &QualityScore) -> Vec<String> {
    vec![
        r.first.id.candidate.clone(),
        r.first.config.label(),
        r.first.test.clone(),
        // Failed answers are not in n: said beside it, so a suite whose every
        // answer failed does not read as an empty success.
        match q.n_failed {
            0 => q.n.to_string(),
            failed => format!("{} (+{failed} failed)", q.n),
        },
        match (q.pass_rate, q.pass_rate_lo, q.pass_rate_hi) {
            (Some(p), Some(lo), Some(hi)) => {
                format!("{:.0}% [{:.0}-{:.0}]", p * 100.0, lo * 100.0, hi * 100.0)
            }
            _ if q.n == 0 && q.n_failed > 0 => "none: every answer failed".into(),
            _ => "-".into(),
        },
        pct(q.pass_all_reps),
        suite_scores(q),
        match q.mc_acc {
            Some(_) => "-".into(),
            None => format!(
                "loop {} max {} empty {}",
                pct(q.repetitive_share),
                pct(q.hit_max_share),
                pct(q.empty_share)
            ),
        },
        pct(q.differs_share),
        q.answers_per_min.map_or("-".into(), |r| format!("{r:.1}")),
    ]
}

/// Terminal: one line per candidate x configuration x suite x decoding.
pub fn quality_table(rows: &[SummaryRow]) -> Table {
    let lines: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|r| Some((r, r.quality.as_ref()?)))
        .filter(|(_, q)| q.category.is_none())
        .map(|(r, q)| line(r, q))
        .collect();
    Table::of_text("quality", &HEADER, lines)
}

/// summary.md: every suite and category row.
pub fn quality_categories_table(rows: &[SummaryRow]) -> Table {
    let lines: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|r| Some(line(r, r.quality.as_ref()?)))
        .collect();
    Table::of_text("quality-categories", &HEADER, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{summarize, QualityScore, SpeedRow};

    fn row(n: usize, n_failed: usize) -> SummaryRow {
        let first = SpeedRow {
            test: "quality:bfcl".into(),
            ..Default::default()
        };
        let mut row = summarize(&[first]).remove(0);
        row.quality = Some(QualityScore {
            n,
            n_failed,
            ..Default::default()
        });
        row
    }

    #[test]
    fn a_suite_whose_every_answer_failed_says_so() {
        let failed = row(0, 33);
        let cells = line(&failed, failed.quality.as_ref().unwrap());
        assert_eq!(cells[3], "0 (+33 failed)");
        assert_eq!(cells[4], "none: every answer failed");
        let fine = row(4, 0);
        let cells = line(&fine, fine.quality.as_ref().unwrap());
        assert_eq!((cells[3].as_str(), cells[4].as_str()), ("4", "-"));
    }
}
