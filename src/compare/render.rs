//! Comparison reports: Markdown (a GitHub step summary), JSON, JUnit XML.
//! Names come from users' files: every string is escaped for its format.
use serde::Serialize;

use super::stats::{MetricComparison, Verdict};

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub baseline: &'a str,
    pub candidate: &'a str,
    pub threshold: f64,
    pub metrics: &'a [MetricComparison],
    pub notes: &'a [String],
}

pub fn regressions(r: &Report) -> usize {
    r.metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Regressed)
        .count()
}

fn md_cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('|', "&#124;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

fn pct(ratio: f64) -> String {
    if ratio.is_finite() {
        format!("{:+.1}%", (ratio - 1.0) * 100.0)
    } else {
        "-".into()
    }
}

fn md_row(m: &MetricComparison) -> String {
    let interval = |low: f64, high: f64| {
        if low.is_finite() {
            format!("{} .. {}", pct(low), pct(high))
        } else {
            "-".into()
        }
    };
    format!(
        "| {} | {} | {} | {:.2} | {:.2} | {} | {} | {} | {} |\n",
        md_cell(&m.key),
        md_cell(&m.test),
        md_cell(&m.metric),
        m.baseline_median,
        m.candidate_median,
        pct(m.ratio),
        interval(m.ci_low, m.ci_high),
        interval(m.gate_low, m.gate_high),
        m.verdict.as_str()
    )
}

const MD_HEADER: &str = "| candidate | test | metric | baseline | candidate | change | 95% CI (reps) | with run-to-run noise | verdict |\n|---|---|---|---|---|---|---|---|---|\n";

pub fn markdown(r: &Report) -> String {
    let n = regressions(r);
    let threshold = format!("{:.1}%", r.threshold * 100.0);
    let mut out = format!(
        "## edgebench compare\n\nbaseline `{}` vs candidate `{}`, threshold {threshold}\n\n",
        md_cell(r.baseline),
        md_cell(r.candidate)
    );
    out.push_str(&match n {
        0 => format!("**Result: no regression beyond {threshold}**\n\n"),
        1 => "**Result: 1 regression**\n\n".to_string(),
        n => format!("**Result: {n} regressions**\n\n"),
    });
    for (title, verdict) in [
        ("Regressions", Verdict::Regressed),
        ("Improvements", Verdict::Improved),
    ] {
        let rows: Vec<&MetricComparison> =
            r.metrics.iter().filter(|m| m.verdict == verdict).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("### {title}\n\n{MD_HEADER}"));
        for m in rows {
            out.push_str(&md_row(m));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "<details><summary>All {} comparisons</summary>\n\n{MD_HEADER}",
        r.metrics.len()
    ));
    for m in r.metrics {
        out.push_str(&md_row(m));
    }
    out.push_str("\n</details>\n");
    for note in r.notes {
        out.push_str(&format!("\n{}\n", md_cell(note)));
    }
    out
}

pub fn json(r: &Report) -> String {
    let mut value = serde_json::to_value(r).unwrap_or_default();
    value["regressions"] = regressions(r).into();
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// XML 1.0 text and attributes: escaped, and characters XML cannot carry dropped.
fn xml(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || c == '\n' || c == '\r' || c >= ' ')
        .fold(String::with_capacity(s.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
            out
        })
}

/// One test suite per candidate, one test case per test x metric; a regression is
/// a failure, an inconclusive comparison is skipped.
pub fn junit(r: &Report) -> String {
    let mut candidates: Vec<&str> = r.metrics.iter().map(|m| m.candidate.as_str()).collect();
    candidates.sort();
    candidates.dedup();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"edgebench compare\" tests=\"{}\" failures=\"{}\">\n",
        r.metrics.len(),
        regressions(r)
    );
    for candidate in candidates {
        let cases: Vec<&MetricComparison> = r
            .metrics
            .iter()
            .filter(|m| m.candidate == candidate)
            .collect();
        let failures = cases
            .iter()
            .filter(|m| m.verdict == Verdict::Regressed)
            .count();
        let skipped = cases
            .iter()
            .filter(|m| m.verdict == Verdict::Inconclusive)
            .count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">\n",
            xml(candidate),
            cases.len()
        ));
        for m in cases {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                xml(&format!("{}.{}", m.key, m.test)),
                xml(&m.metric)
            );
            match m.verdict {
                Verdict::Regressed => out.push_str(&format!(
                    "{open}>\n      <failure type=\"regression\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&m.reason),
                    xml(&format!("baseline median {:.3}, candidate median {:.3}", m.baseline_median, m.candidate_median))
                )),
                Verdict::Inconclusive => {
                    out.push_str(&format!("{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml(&m.reason)))
                }
                _ => out.push_str(&format!("{open}/>\n")),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::stats::Direction;

    fn comparison(candidate: &str, verdict: Verdict) -> MetricComparison {
        MetricComparison {
            key: format!("{candidate} t=2"),
            candidate: candidate.into(),
            test: "tg128".into(),
            metric: "tg_tps".into(),
            direction: Direction::HigherIsBetter,
            baseline_n: 5,
            candidate_n: 5,
            baseline_median: 100.0,
            candidate_median: 85.0,
            ratio: 0.85,
            ci_low: 0.83,
            ci_high: 0.87,
            gate_low: 0.80,
            gate_high: 0.90,
            verdict,
            reason: "tg_tps 15.0% lower <&\"'>".into(),
        }
    }

    #[test]
    fn junit_escapes_and_counts() {
        let metrics = [
            comparison("a<&\">b", Verdict::Regressed),
            comparison("ok", Verdict::Unchanged),
        ];
        let r = Report {
            baseline: "b",
            candidate: "c",
            threshold: 0.05,
            metrics: &metrics,
            notes: &[],
        };
        let x = junit(&r);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"a&lt;&amp;&quot;&gt;b\""), "{x}");
        assert!(!x.contains("a<&"), "{x}");
    }

    #[test]
    fn markdown_lists_regressions_first_and_escapes() {
        let metrics = [
            comparison("fine", Verdict::Unchanged),
            comparison("x|<script>", Verdict::Regressed),
        ];
        let r = Report {
            baseline: "b",
            candidate: "c",
            threshold: 0.05,
            metrics: &metrics,
            notes: &[],
        };
        let md = markdown(&r);
        assert!(md.contains("**Result: 1 regression**"));
        let regressions_at = md.find("### Regressions").unwrap();
        let section = &md[regressions_at..md.find("<details>").unwrap()];
        assert!(
            section.contains("x&#124;&lt;script&gt;") && !section.contains("fine"),
            "{md}"
        );
        assert!(!md.contains("<script>"));
        let value: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(value["regressions"], 1);
    }
}
