//! Comparison reports: Markdown (a GitHub step summary), JSON, JUnit XML,
//! written by the exporters in `export` (which escape every name from users' files).
use serde::Serialize;

use super::stats::{MetricComparison, QualityComparison, Verdict};
use super::wording::percent;
use crate::export::junit::{to_junit, Outcome, TestCase, TestSuite, TestSuites};
use crate::export::markdown::Markdown;
use crate::export::{json::to_json, Block, Document, Exporter, Table};

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Run id or path.
    pub baseline: &'a str,
    pub candidate: &'a str,
    pub threshold: f64,
    pub metrics: &'a [MetricComparison],
    pub quality: &'a [QualityComparison],
    pub notes: &'a [String],
}

/// Regressed verdicts, metrics and quality together: what fails CI.
pub fn regressions(r: &Report) -> usize {
    let metrics = r.metrics.iter().filter(|m| m.verdict == Verdict::Regressed);
    let quality = r.quality.iter().filter(|q| q.verdict == Verdict::Regressed);
    metrics.count() + quality.count()
}

fn pct(ratio: f64) -> String {
    if ratio.is_finite() {
        format!("{:+.1}%", (ratio - 1.0) * 100.0)
    } else {
        "-".into()
    }
}

fn interval(low: f64, high: f64) -> String {
    if low.is_finite() && high.is_finite() {
        format!("{} .. {}", pct(low), pct(high))
    } else {
        "-".into()
    }
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

const METRIC_HEADER: [&str; 9] = [
    "candidate",
    "test",
    "metric",
    "baseline",
    "candidate",
    "change",
    "95% CI (reps)",
    "with run-to-run noise",
    "verdict",
];

fn metric_row(m: &MetricComparison) -> Vec<String> {
    vec![
        m.key.clone(),
        m.test.clone(),
        m.metric.clone(),
        number(m.baseline_median),
        number(m.candidate_median),
        pct(m.ratio),
        interval(m.ci_low, m.ci_high),
        interval(m.gate_low, m.gate_high),
        m.verdict.as_str().into(),
    ]
}

const QUALITY_HEADER: [&str; 9] = [
    "candidate",
    "suite",
    "cases",
    "baseline pass",
    "candidate pass",
    "only baseline",
    "only candidate",
    "p (Holm)",
    "verdict",
];

fn quality_row(q: &QualityComparison) -> Vec<String> {
    let rate = |r: f64| {
        if r.is_finite() {
            format!("{:.1}%", r * 100.0)
        } else {
            "-".into()
        }
    };
    vec![
        q.key.clone(),
        q.suite.clone(),
        q.cases.to_string(),
        rate(q.baseline_pass_rate),
        rate(q.candidate_pass_rate),
        q.only_baseline.to_string(),
        q.only_candidate.to_string(),
        format!("{:.4}", q.p_adjusted),
        q.verdict.as_str().into(),
    ]
}

/// The metric table and then the quality table, each only if it has rows.
fn tables(metrics: &[&MetricComparison], quality: &[&QualityComparison]) -> Vec<Block> {
    let mut out = Vec::new();
    if !metrics.is_empty() {
        let rows = metrics.iter().map(|m| metric_row(m)).collect();
        out.push(Block::Table(Table::of_text(
            "metrics",
            &METRIC_HEADER,
            rows,
        )));
    }
    if !quality.is_empty() {
        let rows = quality.iter().map(|q| quality_row(q)).collect();
        out.push(Block::Table(Table::of_text(
            "quality",
            &QUALITY_HEADER,
            rows,
        )));
    }
    out
}

fn headline(r: &Report) -> String {
    match regressions(r) {
        0 => format!("Result: no regression beyond {}", percent(r.threshold)),
        1 => "Result: 1 regression".to_string(),
        n => format!("Result: {n} regressions"),
    }
}

/// A GitHub step summary: the verdict first, then what changed (regressions
/// before improvements), then every row folded away.
pub fn document(r: &Report) -> Document {
    let mut blocks = vec![
        Block::Heading("edgebench compare".into()),
        Block::Paragraph(format!(
            "baseline {} vs candidate {}, threshold {}",
            r.baseline,
            r.candidate,
            percent(r.threshold)
        )),
        Block::Strong(headline(r)),
    ];
    for (title, verdict) in [
        ("Regressions", Verdict::Regressed),
        ("Improvements", Verdict::Improved),
    ] {
        let metrics: Vec<_> = r.metrics.iter().filter(|m| m.verdict == verdict).collect();
        let quality: Vec<_> = r.quality.iter().filter(|q| q.verdict == verdict).collect();
        if !metrics.is_empty() || !quality.is_empty() {
            blocks.push(Block::Subheading(title.into()));
            blocks.extend(tables(&metrics, &quality));
        }
    }
    let all_metrics: Vec<_> = r.metrics.iter().collect();
    let all_quality: Vec<_> = r.quality.iter().collect();
    blocks.push(Block::Details {
        summary: format!("All {} comparisons", r.metrics.len() + r.quality.len()),
        blocks: tables(&all_metrics, &all_quality),
    });
    blocks.extend(r.notes.iter().map(|n| Block::Paragraph(n.clone())));
    Document {
        title: None,
        blocks,
    }
}

pub fn markdown(r: &Report) -> String {
    Markdown.render(&document(r))
}

/// The report as it is, plus the regression count a CI script would otherwise
/// have to recompute. Non-finite numbers (no interval) come out as null.
pub fn json(r: &Report) -> String {
    let mut value = serde_json::to_value(r).unwrap_or_default();
    value["regressions"] = regressions(r).into();
    to_json(&value)
}

/// A regression fails its case, an inconclusive comparison skips it (CI should
/// neither pass nor fail on noise).
fn outcome(verdict: Verdict, reason: &str, details: String) -> Outcome {
    match verdict {
        Verdict::Regressed => Outcome::Failed {
            message: reason.to_string(),
            details,
        },
        Verdict::Inconclusive => Outcome::Skipped {
            message: reason.to_string(),
        },
        Verdict::Improved | Verdict::Unchanged => Outcome::Passed,
    }
}

fn metric_case(m: &MetricComparison) -> TestCase {
    let details = format!(
        "{}\nbaseline median {:.3} ({} reps), candidate median {:.3} ({} reps)",
        m.key, m.baseline_median, m.baseline_n, m.candidate_median, m.candidate_n
    );
    TestCase {
        // The key, not just the candidate, names the class: one candidate runs
        // several configurations, and JUnit viewers merge cases with equal names.
        classname: format!("{}.{}", m.key, m.test),
        name: m.metric.clone(),
        outcome: outcome(m.verdict, &m.reason, details),
    }
}

fn quality_case(q: &QualityComparison) -> TestCase {
    let details = format!(
        "{}\n{} cases: {} pass only on the baseline, {} only on the candidate",
        q.key, q.cases, q.only_baseline, q.only_candidate
    );
    TestCase {
        classname: q.key.clone(),
        name: format!("quality:{}", q.suite),
        outcome: outcome(q.verdict, &q.reason, details),
    }
}

/// Candidates in name order, each once, from metrics and quality alike.
fn candidates<'a>(r: &Report<'a>) -> Vec<&'a str> {
    let metrics = r.metrics.iter().map(|m| m.candidate.as_str());
    let quality = r.quality.iter().map(|q| q.candidate.as_str());
    let mut names: Vec<&str> = metrics.chain(quality).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// One test suite per candidate, one test case per test x metric and per quality
/// suite.
pub fn junit(r: &Report) -> String {
    let suite = |candidate: &str| TestSuite {
        name: candidate.to_string(),
        cases: r
            .metrics
            .iter()
            .filter(|m| m.candidate == candidate)
            .map(metric_case)
            .chain(
                r.quality
                    .iter()
                    .filter(|q| q.candidate == candidate)
                    .map(quality_case),
            )
            .collect(),
    };
    to_junit(&TestSuites {
        name: "edgebench compare".into(),
        suites: candidates(r).into_iter().map(suite).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::stats::{compare_quality, Direction, GateSettings};
    use super::*;

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
            unusable: None,
            reason: "tg_tps 15.0% lower <&\"'>".into(),
        }
    }

    fn inconclusive(candidate: &str) -> MetricComparison {
        MetricComparison {
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            gate_low: f64::NAN,
            gate_high: f64::NAN,
            ..comparison(candidate, Verdict::Inconclusive)
        }
    }

    /// 30 cases; the candidate fails 12 the baseline passes: p ~ 0.0005.
    fn quality_regression(candidate: &str) -> QualityComparison {
        let pairs: Vec<(String, bool, bool)> = (0..30)
            .map(|i| (format!("case {i}"), true, i >= 12))
            .collect();
        let mut q = compare_quality(
            &format!("{candidate} t=2"),
            candidate,
            "mmlu<&>",
            &pairs,
            &GateSettings::default(),
        );
        crate::compare::wording::word_quality(&mut q, 0.05);
        assert_eq!(q.verdict, Verdict::Regressed, "{}", q.reason);
        q
    }

    fn report<'a>(metrics: &'a [MetricComparison], quality: &'a [QualityComparison]) -> Report<'a> {
        Report {
            baseline: "results/base",
            candidate: "results/cand",
            threshold: 0.05,
            metrics,
            quality,
            notes: &[],
        }
    }

    /// Every event to the end: an error anywhere fails the test. Returns the
    /// unescaped attribute values, to check escaping round-trips.
    fn parse_xml(x: &str) -> Vec<(String, String)> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(x);
        reader.config_mut().check_end_names = true;
        let mut attributes = Vec::new();
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    for a in e.attributes() {
                        let a = a.unwrap_or_else(|err| panic!("{err}\n{x}"));
                        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        let value = a
                            .unescape_value()
                            .unwrap_or_else(|err| panic!("{err}\n{x}"));
                        attributes.push((key, value.into_owned()));
                    }
                }
                Ok(Event::Text(t)) => {
                    t.unescape().unwrap_or_else(|err| panic!("{err}\n{x}"));
                }
                Ok(_) => {}
                Err(err) => panic!("at {}: {err}\n{x}", reader.buffer_position()),
            }
        }
        attributes
    }

    #[test]
    fn junit_parses_counts_and_escapes() {
        let metrics = [
            comparison("a<&\">b", Verdict::Regressed),
            comparison("ok", Verdict::Unchanged),
            inconclusive("ok"),
        ];
        let x = junit(&report(&metrics, &[]));
        let attributes = parse_xml(&x);
        assert!(x.contains("tests=\"3\" failures=\"1\">"), "{x}");
        assert!(x.contains("name=\"a&lt;&amp;&quot;&gt;b\""), "{x}");
        assert!(!x.contains("a<&"), "{x}");
        assert!(x.contains("<skipped message="), "{x}");
        assert!(
            x.contains("tests=\"2\" failures=\"0\" skipped=\"1\""),
            "{x}"
        );
        let has = |k: &str, v: &str| attributes.iter().any(|(a, b)| a == k && b == v);
        assert!(has("name", "a<&\">b"), "{attributes:?}");
        assert!(
            has("message", "tg_tps 15.0% lower <&\"'>"),
            "{attributes:?}"
        );
        assert!(has("classname", "ok t=2.tg128"), "{attributes:?}");
    }

    #[test]
    fn junit_counts_quality_and_drops_what_xml_cannot_carry() {
        let mut weird = comparison("bell\u{7}\u{0}\u{1b}[0m\u{FFFF}", Verdict::Regressed);
        weird.reason = "line one\nline\ttwo\r".into();
        let quality = [quality_regression("q")];
        let x = junit(&report(std::slice::from_ref(&weird), &quality));
        let attributes = parse_xml(&x);
        assert!(
            x.contains("<testsuites name=\"edgebench compare\" tests=\"2\" failures=\"2\">"),
            "{x}"
        );
        assert!(x.contains("name=\"quality:mmlu&lt;&amp;&gt;\""), "{x}");
        assert!(x.contains("<testsuite name=\"bell[0m\""), "{x}");
        assert!(
            attributes
                .iter()
                .any(|(k, v)| k == "message" && v == "line one\nline\ttwo\r"),
            "newlines in attributes survive as references: {attributes:?}"
        );
        let empty = junit(&report(&[], &[]));
        parse_xml(&empty);
        assert!(empty.contains("tests=\"0\" failures=\"0\""), "{empty}");
    }

    #[test]
    fn markdown_lists_regressions_first_and_escapes() {
        let metrics = [
            comparison("fine", Verdict::Unchanged),
            comparison("better", Verdict::Improved),
            comparison("a|b<script>", Verdict::Regressed),
            inconclusive("fine"),
        ];
        let md = markdown(&report(&metrics, &[]));
        assert!(md.contains("**Result: 1 regression**"), "{md}");
        let regressions_at = md.find("### Regressions").expect(&md);
        let improvements_at = md.find("### Improvements").expect(&md);
        let details_at = md.find("<details>").expect(&md);
        assert!(regressions_at < improvements_at && improvements_at < details_at);
        let section = &md[regressions_at..improvements_at];
        assert!(
            section.contains("| a\\|b&lt;script&gt; t=2 | tg128 | tg_tps | 100.00 | 85.00 | -15.0% | -17.0% .. -13.0% |"),
            "{md}"
        );
        assert!(
            !section.contains("fine") && !section.contains("better"),
            "{md}"
        );
        assert!(!md.contains("<script>"), "{md}");
        assert!(md.contains("<summary>All 4 comparisons</summary>"), "{md}");
        assert!(md.contains("| - | - | inconclusive |"), "{md}");
        // Every table row has exactly the header's 10 unescaped pipes: no cell was split.
        for line in md.lines().filter(|l| l.starts_with('|')) {
            let pipes = line.matches('|').count() - line.matches("\\|").count();
            assert_eq!(pipes, 10, "{line}");
        }
    }

    #[test]
    fn markdown_headline_and_quality_rows() {
        let fine = [comparison("fine", Verdict::Unchanged)];
        let md = markdown(&report(&fine, &[]));
        assert!(md.contains("**Result: no regression beyond 5%**"), "{md}");
        assert!(!md.contains("###"), "{md}");
        let quality = [quality_regression("q|x\ny")];
        let notes = ["a note with a <tag>\nand a second line".to_string()];
        let r = Report {
            notes: &notes,
            ..report(&fine, &quality)
        };
        let md = markdown(&r);
        assert!(md.contains("**Result: 1 regression**"), "{md}");
        let section = &md[md.find("### Regressions").expect(&md)..md.find("<details>").expect(&md)];
        assert!(
            section.contains("| q\\|x y t=2 | mmlu&lt;&amp;&gt; | 30 | 100.0% | 60.0% | 12 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("a note with a &lt;tag&gt; and a second line"),
            "{md}"
        );
    }

    #[test]
    fn json_parses_back_with_the_regression_count() {
        let metrics = [
            comparison("x", Verdict::Regressed),
            comparison("y", Verdict::Unchanged),
            inconclusive("z"),
        ];
        let quality = [quality_regression("q")];
        let notes = ["note \"quoted\"".to_string()];
        let r = Report {
            notes: &notes,
            ..report(&metrics, &quality)
        };
        let value: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(value["regressions"], 2);
        assert_eq!(value["baseline"], "results/base");
        assert_eq!(value["threshold"], 0.05);
        assert_eq!(value["metrics"][0]["verdict"], "regressed");
        assert_eq!(value["metrics"][0]["direction"], "higher_is_better");
        assert!(
            value["metrics"][2]["ci_low"].is_null(),
            "NaN has no JSON form"
        );
        assert_eq!(value["quality"][0]["suite"], "mmlu<&>");
        assert_eq!(value["quality"][0]["only_baseline"], 12);
        assert_eq!(value["notes"][0], "note \"quoted\"");
    }

    #[test]
    fn regressions_count_metrics_and_quality() {
        let metrics = [
            comparison("x", Verdict::Regressed),
            comparison("y", Verdict::Improved),
            inconclusive("z"),
        ];
        let quality = [quality_regression("q")];
        assert_eq!(regressions(&report(&metrics, &quality)), 2);
        assert_eq!(regressions(&report(&[], &[])), 0);
    }
}
