//! BFCL's summary scores from its per-category accuracies, as bfcl-eval's
//! `generate_leaderboard_csv` forms them (eval_runner_helper.py), for the
//! single-turn categories edgebench imports:
//! - non-live AST: the unweighted mean of simple, multiple, parallel, parallel_multiple
//!   (BFCL's "simple" also averages Java and JavaScript, which are not imported);
//! - live AST: the four live categories weighted by their number of entries
//!   (the release's counts, so a sample estimates the full-set score);
//! - irrelevance: the unweighted mean of irrelevance and live_irrelevance;
//! - single-turn overall: BFCL's overall weights 10:10:10 for the three above,
//!   renormalised (its multi-turn and agentic parts, 30 and 40, are not run).
//!
//! The 95% interval treats categories as independent binomial samples (Agresti-Coull
//! variances, with the finite-population correction of a sample of a category).
use crate::results::QualityScore;
use crate::suite::bfcl::pinned;

const NON_LIVE_AST: [&str; 4] = ["simple_python", "multiple", "parallel", "parallel_multiple"];
const LIVE_AST: [&str; 4] = [
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
];
const IRRELEVANCE: [&str; 2] = ["irrelevance", "live_irrelevance"];

/// A rate with its sampling variance.
#[derive(Clone, Copy)]
struct Estimate {
    rate: f64,
    variance: f64,
    n: usize,
    passed: usize,
}

/// The summary scores of one suite x decoding, from its category scores; a summary
/// is left out when one of its categories was not run.
pub fn bfcl_summaries(categories: &[&QualityScore]) -> Vec<QualityScore> {
    let Some(first) = categories.first() else {
        return Vec::new();
    };
    let find = |name: &str| {
        categories
            .iter()
            .find(|s| s.category.as_deref() == Some(name))
    };
    let part = |name: &str| find(name).and_then(|s| category_estimate(s, name));
    let non_live = combine(&NON_LIVE_AST.map(|c| (1.0, part(c))));
    let live = combine(&LIVE_AST.map(|c| (entries(c), part(c))));
    let irrelevance = combine(&IRRELEVANCE.map(|c| (1.0, part(c))));
    let overall = combine(&[(1.0, non_live), (1.0, live), (1.0, irrelevance)]);
    [
        ("bfcl:non_live_ast", non_live),
        ("bfcl:live_ast", live),
        ("bfcl:irrelevance", irrelevance),
        ("bfcl:overall_single_turn", overall),
    ]
    .into_iter()
    .filter_map(|(name, estimate)| Some(score_of(first, name, estimate?)))
    .collect()
}

fn entries(category: &str) -> f64 {
    pinned::find(category).map_or(0.0, |c| c.entries as f64)
}

fn category_estimate(score: &QualityScore, name: &str) -> Option<Estimate> {
    let rate = score.pass_rate?;
    let n = score.n;
    let population = pinned::find(name).map_or(n, |c| c.entries.max(n));
    // Agresti-Coull: a variance that is not zero at 0% or 100%.
    let adjusted = (score.passed as f64 + 2.0) / (n as f64 + 4.0);
    let correction = if population > 1 {
        (population - n.min(population)) as f64 / (population - 1) as f64
    } else {
        0.0
    };
    Some(Estimate {
        rate,
        variance: adjusted * (1.0 - adjusted) / (n as f64 + 4.0) * correction,
        n,
        passed: score.passed,
    })
}

/// The weighted mean of the parts (weights normalised); None when a part is missing.
fn combine(parts: &[(f64, Option<Estimate>)]) -> Option<Estimate> {
    let total: f64 = parts.iter().map(|(w, _)| w).sum();
    let mut out = Estimate {
        rate: 0.0,
        variance: 0.0,
        n: 0,
        passed: 0,
    };
    for (weight, part) in parts {
        let part = (*part)?;
        let w = weight / total;
        out.rate += w * part.rate;
        out.variance += w * w * part.variance;
        out.n += part.n;
        out.passed += part.passed;
    }
    Some(out)
}

fn score_of(template: &QualityScore, name: &str, estimate: Estimate) -> QualityScore {
    let half = 1.96 * estimate.variance.sqrt();
    QualityScore {
        suite: template.suite.clone(),
        decoding: template.decoding.clone(),
        category: Some(name.to_string()),
        n: estimate.n,
        passed: estimate.passed,
        pass_rate: Some(estimate.rate),
        pass_rate_lo: Some((estimate.rate - half).max(0.0)),
        pass_rate_hi: Some((estimate.rate + half).min(1.0)),
        n_cases: estimate.n,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str, passed: usize, n: usize) -> QualityScore {
        QualityScore {
            suite: "bfcl".into(),
            decoding: "free".into(),
            category: Some(name.into()),
            n,
            passed,
            pass_rate: Some(passed as f64 / n as f64),
            ..Default::default()
        }
    }

    fn summary<'a>(scores: &'a [QualityScore], name: &str) -> Option<&'a QualityScore> {
        scores.iter().find(|s| s.category.as_deref() == Some(name))
    }

    #[test]
    fn summaries_follow_bfcl_weights() {
        let scores = [
            category("simple_python", 8, 10),
            category("multiple", 6, 10),
            category("parallel", 4, 10),
            category("parallel_multiple", 2, 10),
            category("live_simple", 10, 10),
            category("live_multiple", 0, 10),
            category("live_parallel", 10, 10),
            category("live_parallel_multiple", 10, 10),
            category("irrelevance", 10, 10),
            category("live_irrelevance", 5, 10),
        ];
        let refs: Vec<&QualityScore> = scores.iter().collect();
        let out = bfcl_summaries(&refs);
        let rate = |name| summary(&out, name).unwrap().pass_rate.unwrap();
        assert!(
            (rate("bfcl:non_live_ast") - 0.5).abs() < 1e-9,
            "unweighted mean"
        );
        // live_multiple (1053 of 1351 live entries) failing drags the live score down.
        let live_entries = 258.0 + 1053.0 + 16.0 + 24.0;
        let expected_live = (258.0 + 16.0 + 24.0) / live_entries;
        assert!((rate("bfcl:live_ast") - expected_live).abs() < 1e-9);
        assert!((rate("bfcl:irrelevance") - 0.75).abs() < 1e-9);
        let overall = (0.5 + expected_live + 0.75) / 3.0;
        assert!((rate("bfcl:overall_single_turn") - overall).abs() < 1e-9);
        let live = summary(&out, "bfcl:live_ast").unwrap();
        assert!(live.pass_rate_lo.unwrap() < live.pass_rate.unwrap());
        assert!(live.pass_rate_hi.unwrap() > live.pass_rate.unwrap());
    }

    #[test]
    fn a_summary_needs_all_its_categories() {
        let scores = [
            category("simple_python", 8, 10),
            category("irrelevance", 3, 10),
        ];
        let refs: Vec<&QualityScore> = scores.iter().collect();
        assert!(bfcl_summaries(&refs).is_empty());
    }

    #[test]
    fn a_bigger_sample_narrows_the_interval() {
        let width = |n: usize| {
            let scores = [
                category("irrelevance", n / 2, n),
                category("live_irrelevance", n / 2, n),
            ];
            let refs: Vec<&QualityScore> = scores.iter().collect();
            let s = bfcl_summaries(&refs).remove(0);
            s.pass_rate_hi.unwrap() - s.pass_rate_lo.unwrap()
        };
        assert!(width(200) < width(20), "{} vs {}", width(200), width(20));
    }
}
