//! Plain-words warnings when a measurement is not to be trusted (as hyperfine
//! does): the numbers stay in the files, the reader is told to doubt them.
use crate::results::{Metric, SummaryRow};

/// Coefficient of variation above which repetitions disagree too much to trust a mean.
const NOISY_CV: f64 = 0.10;

pub fn measurement_warnings(summary: &[SummaryRow]) -> Vec<String> {
    let mut warnings = synthetic_warnings(summary);
    warnings.extend(super::spec_table::identity_warnings(summary));
    for row in summary {
        for metric in [Metric::PpTps, Metric::TgTps] {
            let Some(spread) = row.spread(metric).filter(|s| s.n >= 3) else {
                continue;
            };
            if let Some(cv) = spread.cv().filter(|cv| *cv > NOISY_CV) {
                warnings.push(format!(
                    "{} {} {}: repetitions vary by {:.0}% (CV; {:.1} to {:.1}): another process may be competing for the CPU or the device is throttling; rerun or raise --reps before trusting this",
                    row.first.id.candidate,
                    row.first.test,
                    metric,
                    cv * 100.0,
                    spread.min,
                    spread.max
                ));
            }
        }
        if let Some(first) = row.first_rep.filter(|f| f.differs) {
            warnings.push(format!(
                "{} {}: the first repetition was {:+.0}% off the others (warm-up, clocks ramping or the page cache); the spread includes it, so compare medians or raise --warmup",
                row.first.id.candidate,
                row.first.test,
                first.deviation * 100.0
            ));
        }
        if row.resources.throttled_share.is_some_and(|t| t > 0.0) {
            warnings.push(format!(
                "{} {}: clocks were throttled during {:.0}% of the samples",
                row.first.id.candidate,
                row.first.test,
                row.resources.throttled_share.unwrap_or(0.0) * 100.0
            ));
        }
    }
    warnings
}

/// Once per synthetic candidate: its speed is real, its answers are not.
fn synthetic_warnings(summary: &[SummaryRow]) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    for row in summary.iter().filter(|row| row.first.id.synthetic) {
        if !names.contains(&row.first.id.candidate.as_str()) {
            names.push(&row.first.id.candidate);
        }
    }
    names
        .into_iter()
        .map(|name| format!(
            "{name} is a synthetic model (edgebench synth, random weights): its speed and memory are those of a model of its shape; its answers and quality scores are noise"
        ))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;
    use crate::results::{summarize, SpeedRow};

    #[test]
    fn a_cold_first_repetition_is_warned_about() {
        let rows: Vec<SpeedRow> = [60.0, 100.0, 101.0, 99.0, 100.0]
            .iter()
            .map(|&tg| SpeedRow {
                test: "tg128".into(),
                tg_tps: Some(tg),
                status: Status::Ok,
                ..Default::default()
            })
            .collect();
        let warnings = measurement_warnings(&summarize(&rows));
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("tg128: the first repetition was -40% off")),
            "{warnings:?}"
        );
        let steady: Vec<SpeedRow> = rows
            .into_iter()
            .map(|r| SpeedRow {
                tg_tps: r.tg_tps.map(|t| t.max(99.5)),
                ..r
            })
            .collect();
        let warnings = measurement_warnings(&summarize(&steady));
        assert!(
            !warnings.iter().any(|w| w.contains("first repetition")),
            "{warnings:?}"
        );
    }

    #[test]
    fn noisy_repetitions_are_flagged_and_steady_ones_are_not() {
        let rows: Vec<SpeedRow> = [30.0, 52.5, 112.7, 46.8, 113.8, 100.0, 101.0, 99.0]
            .iter()
            .enumerate()
            .map(|(i, &tg)| SpeedRow {
                id: crate::results::RowIdentity {
                    unit_id: "u".into(),
                    candidate: "gemma".into(),
                    ..Default::default()
                },
                test: if i < 5 { "tg128".into() } else { "tg64".into() },
                tg_tps: Some(tg),
                status: Status::Ok,
                ..Default::default()
            })
            .collect();
        let warnings = measurement_warnings(&summarize(&rows));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("gemma tg128 tg_tps: repetitions vary by"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn a_synthetic_candidate_is_named_once() {
        let row = |candidate: &str, synthetic: bool, test: &str| SpeedRow {
            id: crate::results::RowIdentity {
                candidate: candidate.into(),
                synthetic,
                ..Default::default()
            },
            test: test.into(),
            tg_tps: Some(10.0),
            pp_tps: Some(10.0),
            status: Status::Ok,
            ..Default::default()
        };
        let rows = [
            row("synth", true, "pp512"),
            row("synth", true, "tg128"),
            row("real", false, "tg128"),
        ];
        let warnings = measurement_warnings(&summarize(&rows));
        let synthetic: Vec<&String> = warnings
            .iter()
            .filter(|w| w.contains("synthetic"))
            .collect();
        assert_eq!(synthetic.len(), 1, "{warnings:?}");
        assert!(
            synthetic[0].starts_with("synth is a synthetic model"),
            "{warnings:?}"
        );
    }
}
