//! Quality scores per candidate x configuration x suite x decoding (and x category):
//! pass rate with a Wilson interval, pass^N over reps, the suite-specific rates
//! (tool calling, multiple choice, instruction level) and the stability shares.
use std::collections::BTreeMap;

use crate::results::{QualityRow, QualityScore};
use crate::stats::wilson_interval;

/// Above this seq-rep-4 an answer counts as caught in a repetition loop.
pub const REPETITION_LIMIT: f64 = 0.5;

/// Scores for each unit x suite x decoding, then each of its categories, in first-seen order.
pub fn quality_summary(rows: &[QualityRow]) -> Vec<(String, QualityScore)> {
    let mut groups: Vec<((String, String, String), Option<String>)> = Vec::new();
    for r in rows {
        let key = (r.id.unit_id.clone(), r.suite.clone(), r.decoding.clone());
        for category in [None, Some(r.category.clone())] {
            if !groups.contains(&(key.clone(), category.clone())) {
                groups.push((key.clone(), category));
            }
        }
    }
    // Overall rows first within each unit x suite x decoding, then categories.
    groups.sort_by_key(|(key, category)| {
        let first = rows
            .iter()
            .position(|r| (&r.id.unit_id, &r.suite, &r.decoding) == (&key.0, &key.1, &key.2));
        (first, category.is_some())
    });
    groups
        .into_iter()
        .map(|((unit, suite, decoding), category)| {
            let members: Vec<&QualityRow> = rows
                .iter()
                .filter(|r| r.id.unit_id == unit && r.suite == suite && r.decoding == decoding)
                .filter(|r| category.as_ref().is_none_or(|c| &r.category == c))
                .collect();
            let mut score = score(&members);
            score.suite = suite;
            score.decoding = decoding;
            score.category = category;
            (unit, score)
        })
        .collect()
}

fn share(rows: &[&QualityRow], pick: impl Fn(&QualityRow) -> Option<bool>) -> Option<f64> {
    let values: Vec<bool> = rows.iter().filter_map(|r| pick(r)).collect();
    (!values.is_empty()).then(|| values.iter().filter(|&&v| v).count() as f64 / values.len() as f64)
}

/// The pass rate (and its interval) when `number` checks are read flexibly;
/// None when no answer had a number check. Cases without one count with
/// their only verdict, as lm-evaluation-harness's flexible-extract covers every case.
fn flexible_rate(checked: &[&QualityRow]) -> Option<(f64, Option<(f64, f64)>)> {
    if checked.iter().all(|r| r.pass_flexible.is_none()) {
        return None;
    }
    let passed = checked
        .iter()
        .filter(|r| r.pass_flexible.or(r.pass) == Some(true))
        .count();
    let n = checked.len();
    Some((passed as f64 / n as f64, wilson_interval(passed, n)))
}

/// Answers per minute of the time spent answering them (None without timings).
fn answers_per_min(answered: &[&QualityRow]) -> Option<f64> {
    let total_ms: f64 = answered.iter().filter_map(|r| r.latency_ms).sum();
    (total_ms > 0.0).then(|| answered.len() as f64 * 60_000.0 / total_ms)
}

fn score(rows: &[&QualityRow]) -> QualityScore {
    let checked: Vec<&QualityRow> = rows.iter().copied().filter(|r| r.pass.is_some()).collect();
    let n = checked.len();
    let passed = checked.iter().filter(|r| r.pass == Some(true)).count();
    let interval = wilson_interval(passed, n);
    let flexible = flexible_rate(&checked);
    let checks: u32 = checked.iter().map(|r| r.n_checks).sum();
    let checks_passed: u32 = checked.iter().map(|r| r.n_checks_passed).sum();
    let generated: Vec<&QualityRow> = checked
        .iter()
        .copied()
        .filter(|r| r.choice_scores.is_none())
        .collect();
    let expects_call: Vec<&QualityRow> = checked
        .iter()
        .copied()
        .filter(|r| r.tool_expected == Some(true))
        .collect();

    let mut by_case: BTreeMap<&str, Vec<&QualityRow>> = BTreeMap::new();
    for r in &checked {
        by_case.entry(r.case_id.as_str()).or_default().push(r);
    }
    let repeated = by_case.values().any(|reps| reps.len() > 1);
    let all_reps_pass = by_case
        .values()
        .filter(|reps| reps.iter().all(|r| r.pass == Some(true)))
        .count();
    let differing = by_case
        .values()
        .filter(|reps| reps.iter().any(|r| r.output_text != reps[0].output_text))
        .count();
    let n_cases = by_case.len();

    QualityScore {
        n,
        passed,
        pass_rate: (n > 0).then(|| passed as f64 / n as f64),
        pass_rate_lo: interval.map(|i| i.0),
        pass_rate_hi: interval.map(|i| i.1),
        pass_rate_flexible: flexible.map(|f| f.0),
        pass_rate_flexible_lo: flexible.and_then(|f| f.1).map(|i| i.0),
        pass_rate_flexible_hi: flexible.and_then(|f| f.1).map(|i| i.1),
        n_cases,
        pass_all_reps: (repeated && n_cases > 0).then(|| all_reps_pass as f64 / n_cases as f64),
        check_pass_rate: (checks > 0).then(|| checks_passed as f64 / checks as f64),
        tool_parse_rate: share(&expects_call, |r| r.tool_parsed),
        tool_name_acc: share(&expects_call, |r| r.tool_names_ok),
        tool_args_acc: share(&expects_call, |r| r.tool_args_ok),
        irrelevance_acc: share(&checked, |r| {
            (r.tool_expected == Some(false)).then(|| r.pass == Some(true))
        }),
        mc_acc: share(&checked, |r| r.acc),
        mc_acc_norm: share(&checked, |r| r.acc_norm),
        mc_acc_tok: share(&checked, |r| r.acc_tok),
        repetitive_share: share(&generated, |r| r.seq_rep_4.map(|s| s > REPETITION_LIMIT)),
        hit_max_share: share(&generated, |r| Some(r.hit_max_tokens())),
        n_length_below_max: Some(
            generated
                .iter()
                .filter(|r| r.cut_below_max_tokens())
                .count(),
        )
        .filter(|&n| n > 0)
        .map(|n| n as u32),
        empty_share: share(&generated, |r| Some(r.output_text.trim().is_empty())),
        differs_share: (repeated && n_cases > 0).then(|| differing as f64 / n_cases as f64),
        n_failed: rows.len() - n,
        answers_per_min: answers_per_min(&checked),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    fn row(case: &str, category: &str, rep: u32, pass: bool, text: &str) -> QualityRow {
        QualityRow {
            id: crate::results::RowIdentity {
                unit_id: "c0-k0".into(),
                ..Default::default()
            },
            suite: "s".into(),
            decoding: "free".into(),
            case_id: case.into(),
            category: category.into(),
            rep,
            pass: Some(pass),
            n_checks: 2,
            n_checks_passed: if pass { 2 } else { 1 },
            output_text: text.into(),
            ended: true,
            status: Status::Ok,
            ..Default::default()
        }
    }

    #[test]
    fn pass_rate_pass_all_reps_and_determinism() {
        let rows = vec![
            row("a", "x", 0, true, "yes"),
            row("a", "x", 1, true, "yes"),
            row("b", "y", 0, true, "one"),
            row("b", "y", 1, false, "two"),
        ];
        let scores = quality_summary(&rows);
        assert_eq!(scores.len(), 3, "overall + 2 categories");
        let (_, all) = &scores[0];
        assert_eq!(all.category, None);
        assert_eq!((all.n, all.passed, all.n_cases), (4, 3, 2));
        assert_eq!(all.pass_rate, Some(0.75));
        assert_eq!(all.pass_all_reps, Some(0.5), "b fails one rep");
        assert_eq!(all.differs_share, Some(0.5), "b's text differs");
        assert_eq!(all.check_pass_rate, Some(7.0 / 8.0));
        let (lo, hi) = (all.pass_rate_lo.unwrap(), all.pass_rate_hi.unwrap());
        assert!(lo < 0.75 && hi > 0.75);
        assert_eq!(scores[2].1.category.as_deref(), Some("y"));
        assert_eq!(scores[2].1.pass_rate, Some(0.5));
    }

    #[test]
    fn answers_per_minute_is_the_count_over_the_summed_latencies() {
        let mut rows = vec![row("a", "x", 0, true, "1"), row("b", "x", 0, false, "2")];
        rows[0].latency_ms = Some(2_000.0);
        rows[1].latency_ms = Some(4_000.0);
        let (_, all) = &quality_summary(&rows)[0];
        assert_eq!(all.answers_per_min, Some(20.0), "2 answers in 6 s");
        rows.iter_mut().for_each(|r| r.latency_ms = None);
        assert_eq!(quality_summary(&rows)[0].1.answers_per_min, None);
    }

    #[test]
    fn flexible_pass_rate_counts_cases_without_number_checks_as_they_are() {
        let mut restated = row("a", "x", 0, false, "12 times 15 is 180");
        restated.pass_flexible = Some(true);
        let mut right = row("b", "x", 0, true, "180");
        right.pass_flexible = Some(true);
        let other = row("c", "y", 0, false, "no number check here");
        let scores = quality_summary(&[restated, right, other]);
        let (_, all) = &scores[0];
        assert_eq!(all.pass_rate, Some(1.0 / 3.0), "strict");
        assert_eq!(all.pass_rate_flexible, Some(2.0 / 3.0));
        let (lo, hi) = (
            all.pass_rate_flexible_lo.unwrap(),
            all.pass_rate_flexible_hi.unwrap(),
        );
        assert!(lo < 2.0 / 3.0 && hi > 2.0 / 3.0);
        let (_, y) = &scores[2];
        assert_eq!(y.pass_rate_flexible, None, "category y has no number check");
    }

    #[test]
    fn failed_answers_are_not_scored_but_counted() {
        let mut failed = row("c", "x", 0, false, "");
        failed.pass = None;
        failed.status = Status::Failed;
        let rows = vec![row("a", "x", 0, true, "ok"), failed];
        let (_, all) = &quality_summary(&rows)[0];
        assert_eq!((all.n, all.n_failed), (1, 1));
        assert_eq!(all.pass_all_reps, None, "one rep: no pass^N");
    }

    #[test]
    fn tool_and_degeneration_rates() {
        let mut call = row("a", "simple", 0, false, "{\"name\": \"x\"}");
        (
            call.tool_expected,
            call.tool_parsed,
            call.tool_names_ok,
            call.tool_args_ok,
        ) = (Some(true), Some(true), Some(true), Some(false));
        let mut none = row("b", "irrelevance", 0, true, "A joke.");
        (none.tool_expected, none.tool_parsed) = (Some(false), Some(false));
        let mut looped = row("c", "simple", 0, false, "la la la la");
        looped.seq_rep_4 = Some(0.9);
        looped.ended = false;
        let (_, all) = &quality_summary(&[call, none, looped])[0];
        assert_eq!(all.tool_parse_rate, Some(1.0));
        assert_eq!(all.tool_args_acc, Some(0.0));
        assert_eq!(all.irrelevance_acc, Some(1.0));
        assert_eq!(
            all.repetitive_share,
            Some(1.0 / 1.0),
            "only c has seq_rep_4"
        );
        assert_eq!(all.hit_max_share, Some(1.0 / 3.0));
    }
}
