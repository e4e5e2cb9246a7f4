//! Words for `compare`'s numbers: why a comparison reached its verdict, in the
//! `reason` that the Markdown, JSON and JUnit outputs carry. stats.rs computes;
//! this file only phrases (criterion's analysis vs report split).
use super::stats::{MetricComparison, QualityComparison, Unusable, Verdict, MIN_QUALITY_CASES};

/// Fills in why a speed comparison reached its verdict.
pub fn word_metric(m: &mut MetricComparison, threshold: f64) {
    m.reason = match m.unusable {
        Some(why) => unusable_reason(&m.metric, why),
        None => metric_reason(m, threshold),
    };
}

/// Fills in why a quality comparison reached its verdict (after Holm's correction).
pub fn word_quality(q: &mut QualityComparison, alpha: f64) {
    q.reason = if q.cases < MIN_QUALITY_CASES {
        too_few_cases_reason(q)
    } else {
        quality_reason(q, alpha)
    };
}

/// "15.2% lower" / "1.0% higher" for a ratio.
fn change(ratio: f64) -> String {
    let pct = (ratio - 1.0) * 100.0;
    if pct < 0.0 {
        format!("{:.1}% lower", -pct)
    } else {
        format!("{pct:.1}% higher")
    }
}

/// "5%" for 0.05, "2.5%" for 0.025: a threshold as the user typed it.
pub(super) fn percent(fraction: f64) -> String {
    let text = format!("{:.1}", fraction * 100.0);
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

fn unusable_reason(metric: &str, why: Unusable) -> String {
    match why {
        Unusable::TooFewReps { baseline, candidate, needed } => format!(
            "{metric}: {baseline} vs {candidate} repetitions, at least {needed} each are needed to tell noise from change"
        ),
        Unusable::NotPositive { on_baseline, value } => {
            let side = if on_baseline { "baseline" } else { "candidate" };
            format!("{metric}: the {side} has {value} among its values; only positive numbers can be compared")
        }
        Unusable::NoInterval => format!("{metric}: no confidence interval (0 bootstrap resamples?)"),
    }
}

/// "tg_tps 15.2% lower (95% CI 17.0% lower..13.1% lower): beyond the 5% threshold".
fn metric_reason(m: &MetricComparison, threshold: f64) -> String {
    let t = percent(threshold);
    let what = match m.verdict {
        Verdict::Regressed | Verdict::Improved => format!("beyond the {t} threshold"),
        Verdict::Unchanged => format!("within the {t} threshold"),
        Verdict::Inconclusive if m.gate_low == m.ci_low && m.gate_high == m.ci_high => {
            format!("it crosses the {t} threshold: too noisy to tell")
        }
        Verdict::Inconclusive => format!(
            "with run-to-run noise ({}..{}) it crosses the {t} threshold: too noisy to tell",
            change(m.gate_low),
            change(m.gate_high),
        ),
    };
    format!(
        "{} {} (95% CI {}..{}): {what}",
        m.metric,
        change(m.ratio),
        change(m.ci_low),
        change(m.ci_high)
    )
}

fn too_few_cases_reason(q: &QualityComparison) -> String {
    format!(
        "{}: {} cases in both runs, at least {MIN_QUALITY_CASES} are needed to tell chance from change",
        q.suite, q.cases
    )
}

/// "gsm8k pass rate 75.0% -> 45.0% over 40 cases (...; McNemar p = ...): ..."
fn quality_reason(q: &QualityComparison, alpha: f64) -> String {
    let what = match q.verdict {
        Verdict::Regressed => "the candidate passes fewer, beyond chance",
        Verdict::Improved => "the candidate passes more, beyond chance",
        _ => "within chance",
    };
    let adjusted = if q.p_adjusted == q.p_value {
        String::new()
    } else {
        format!(", {} after Holm's correction", p_text(q.p_adjusted))
    };
    format!(
        "{} pass rate {:.1}% -> {:.1}% over {} cases ({} pass only on the baseline, {} only on the candidate; McNemar p = {}{adjusted}): {what} at alpha {}",
        q.suite,
        q.baseline_pass_rate * 100.0,
        q.candidate_pass_rate * 100.0,
        q.cases,
        q.only_baseline,
        q.only_candidate,
        p_text(q.p_value),
        alpha,
    )
}

/// Small p-values in scientific notation, so 3e-9 does not read as 0.0000.
fn p_text(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}
