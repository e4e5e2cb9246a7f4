//! `edgebench compare`: baseline vs candidate verdicts for CI. A regression is
//! called only when the whole confidence interval of the change lies beyond the
//! threshold, so noise does not cry wolf (docs/ci.md).
mod load;
pub mod render;
pub mod stats;
mod wording;

pub use crate::config::parse_percent;
pub use load::{load_run_dirs, load_runs, LoadedRuns};
pub use stats::{compare_metric, Direction, GateSettings, MetricComparison, Verdict};

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{CompareArgs, ReportFormat};
use crate::error::{exit, UsageError};
use crate::results::Metric;
use render::Report;

/// Saved baselines (`run --save-baseline NAME`): `$EDGEBENCH_BASELINES`, else
/// `results/baselines`; CI caches this directory.
pub fn baselines_dir() -> PathBuf {
    std::env::var_os("EDGEBENCH_BASELINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("results/baselines"))
}

/// "5%" or "0.05" -> 0.05 (config::parse_percent's one rule).
pub fn parse_threshold(text: &str) -> Result<f64, UsageError> {
    parse_percent("--threshold", text)
}

/// Every metric both runs measured for the same candidate, configuration and test.
pub fn compare_runs(
    baseline: &LoadedRuns,
    candidate: &LoadedRuns,
    only: &[Metric],
    settings: &GateSettings,
) -> Vec<MetricComparison> {
    let mut out = Vec::new();
    for (key, base) in &baseline.groups {
        let Some(cand) = candidate.matching(key, base) else {
            continue;
        };
        for metric in Metric::ALL {
            if !only.is_empty() && !only.contains(&metric) {
                continue;
            }
            let (Some(b), Some(c)) = (base.values.get(&metric), cand.values.get(&metric)) else {
                continue;
            };
            let direction = if metric.higher_is_better() {
                Direction::HigherIsBetter
            } else {
                Direction::LowerIsBetter
            };
            let label = format!("{} {} / {}", cand.candidate, key.config, key.test);
            let mut compared = compare_metric(
                &label,
                &cand.candidate,
                &key.test,
                metric.name(),
                direction,
                b,
                c,
                settings,
            );
            wording::word_metric(&mut compared, settings.threshold);
            out.push(compared);
        }
    }
    out
}

/// Quality pass rates per candidate x configuration x suite, paired on the answers
/// both runs checked (McNemar's exact test), Holm-corrected across them all.
pub fn compare_answers(
    baseline: &LoadedRuns,
    candidate: &LoadedRuns,
    settings: &GateSettings,
) -> Vec<stats::QualityComparison> {
    let mut out = Vec::new();
    for (key, base) in &baseline.answers {
        let by_sha = (!base.model_sha256.is_empty()).then(|| {
            candidate.answers.iter().find(|(k, g)| {
                g.model_sha256 == base.model_sha256 && k.config == key.config && k.test == key.test
            })
        });
        let Some(cand) = by_sha
            .flatten()
            .map(|(_, g)| g)
            .or_else(|| candidate.answers.get(key))
        else {
            continue;
        };
        let pairs: Vec<(String, bool, bool)> = base
            .passed
            .iter()
            .filter_map(|(case, &b)| Some((case.clone(), b, *cand.passed.get(case)?)))
            .collect();
        let label = format!("{} {} / quality:{}", cand.candidate, key.config, key.test);
        out.push(stats::compare_quality(
            &label,
            &cand.candidate,
            &key.test,
            &pairs,
            settings,
        ));
    }
    stats::apply_holm(&mut out, 1.0 - settings.confidence);
    for q in &mut out {
        wording::word_quality(q, 1.0 - settings.confidence);
    }
    out
}

/// Explains why two runs have nothing in common (exit status 2).
fn no_common_rows(baseline: &LoadedRuns, candidate: &LoadedRuns) -> UsageError {
    let names = |runs: &LoadedRuns| {
        let mut v: Vec<String> = runs
            .groups
            .keys()
            .map(|k| format!("{} {}", k.candidate, k.config))
            .collect();
        v.dedup();
        v.truncate(4);
        v.join(", ")
    };
    UsageError::new(format!(
        "nothing to compare: no candidate, configuration and test is in both runs (baseline: {}; candidate: {})",
        names(baseline),
        names(candidate)
    ))
}

pub fn run(args: &CompareArgs) -> Result<i32> {
    let settings = GateSettings {
        threshold: parse_threshold(&args.threshold)?,
        run_noise: parse_percent("--run-noise", &args.run_noise)?,
        ..GateSettings::default()
    };
    let metrics = parse_metrics(&args.metrics)?;
    let baseline = load_runs(&args.baseline)?;
    let candidate = load_runs(&args.candidate)?;
    compare_and_report(
        &baseline,
        &candidate,
        &settings,
        &metrics,
        args.format,
        args.out.as_deref(),
    )
}

fn parse_metrics(names: &[String]) -> Result<Vec<Metric>> {
    let parse = |name: &String| {
        Metric::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            UsageError::new(format!(
                "--metric {name}: unknown (known: {})",
                known.join(", ")
            ))
        })
    };
    Ok(names.iter().map(parse).collect::<Result<_, _>>()?)
}

/// Renders, writes (stdout or --out, plus GITHUB_STEP_SUMMARY) and returns the exit status.
pub fn compare_and_report(
    baseline: &LoadedRuns,
    candidate: &LoadedRuns,
    settings: &GateSettings,
    metrics: &[Metric],
    format: ReportFormat,
    out: Option<&std::path::Path>,
) -> Result<i32> {
    let threshold = settings.threshold;
    let comparisons = compare_runs(baseline, candidate, metrics, settings);
    // --metric names speed metrics: asking for some leaves quality out.
    let quality = if metrics.is_empty() {
        compare_answers(baseline, candidate, settings)
    } else {
        Vec::new()
    };
    if comparisons.is_empty() && quality.is_empty() {
        return Err(no_common_rows(baseline, candidate).into());
    }
    let report = Report {
        baseline: &baseline.label,
        candidate: &candidate.label,
        threshold,
        metrics: &comparisons,
        quality: &quality,
        notes: &[],
    };
    let text = match format {
        ReportFormat::Md => render::markdown(&report),
        ReportFormat::Json => render::json(&report),
        ReportFormat::Junit => render::junit(&report),
    };
    match out {
        Some(path) => crate::results::write_atomic(path, |f| Ok(f.write_all(text.as_bytes())?))?,
        None => print!("{text}"),
    }
    // GitHub Actions shows this file on the run's page.
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(summary)?;
        file.write_all(render::markdown(&report).as_bytes())?;
    }
    let regressions = render::regressions(&report);
    eprintln!(
        "compare: {} metrics and {} quality suites, {} regressed",
        comparisons.len(),
        quality.len(),
        regressions
    );
    Ok(if regressions > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_as_fractions() {
        assert_eq!(parse_threshold("5%").unwrap(), 0.05);
        assert_eq!(parse_threshold("2.5%").unwrap(), 0.025);
        assert_eq!(parse_threshold("0.1").unwrap(), 0.1);
        // One rule: `%` is a percentage, a bare number a fraction.
        assert_eq!(parse_threshold("0.5").unwrap(), 0.5);
        let e = parse_threshold("1").unwrap_err().to_string();
        assert!(e.contains("write 1% or 0.01"), "{e}");
        assert!(parse_threshold("2.5").is_err());
        assert!(parse_threshold("NaN").is_err());
        assert!(parse_threshold("abc").is_err());
        assert!(parse_threshold("0").is_err());
        assert!(parse_threshold("150%").is_err());
    }
}
