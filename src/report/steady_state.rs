//! The report's *Steady state* section: per candidate, whether its soak's
//! figures came from a steady state and, if not, what changed with the rate
//! (stability_summary.*'s `soak_state` and `soak_drift_*` columns; the
//! slicing is scoring's, this only words it).
use std::path::Path;

use anyhow::Result;

use super::candidates::ReportCandidate;
use super::load::RunData;
use crate::results::Columns;

/// One unit's soak verdict, as stability_summary.* stores it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoakVerdict {
    pub unit_id: String,
    pub state: String,
    pub warmup_s: Option<f64>,
    pub drift_at_s: Option<f64>,
    pub drift_change: Option<f64>,
    pub cause: Option<String>,
    pub cause_before: Option<f64>,
    pub cause_after: Option<f64>,
}

/// The soak verdicts of a run (none without stability_summary.parquet or
/// its steady-state columns).
pub fn read_verdicts(run_dir: &Path) -> Result<Vec<SoakVerdict>> {
    let path = run_dir.join("stability_summary.parquet");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let c = Columns::read(&path)?;
    if !c.has("soak_state") {
        return Ok(Vec::new());
    }
    let (unit, state, cause) = (
        c.text("unit_id"),
        c.text("soak_state"),
        c.text("soak_drift_cause"),
    );
    let (warmup, at, change) = (
        c.number("soak_warmup_s"),
        c.number("soak_drift_at_s"),
        c.number("soak_drift_change"),
    );
    let (before, after) = (c.number("soak_cause_before"), c.number("soak_cause_after"));
    let mut out = Vec::new();
    for i in 0..c.height() {
        let (Some(unit_id), Some(state)) = (unit[i].clone(), state[i].clone()) else {
            continue;
        };
        out.push(SoakVerdict {
            unit_id,
            state,
            warmup_s: warmup[i],
            drift_at_s: at[i],
            drift_change: change[i],
            cause: cause[i].clone(),
            cause_before: before[i],
            cause_after: after[i],
        });
    }
    Ok(out)
}

/// One line per candidate when any of them ran a soak; none otherwise.
pub fn lines(runs: &[RunData], candidates: &[ReportCandidate]) -> Result<Vec<String>> {
    let mut verdicts = Vec::new();
    for run in runs {
        for v in read_verdicts(&run.dir)? {
            verdicts.push((run.label.clone(), v));
        }
    }
    if verdicts.is_empty() {
        return Ok(Vec::new());
    }
    Ok(candidates
        .iter()
        .map(|c| {
            let mine = verdicts
                .iter()
                .find(|(run, v)| run == &c.run && v.unit_id == c.unit_id);
            match mine {
                Some((_, v)) => format!("{}: {}", c.label, sentence(v)),
                None => format!("{}: not assessed (no soak)", c.label),
            }
        })
        .collect())
}

/// "steady after a 20 s warm-up", or "drifting: tok/s fell 18% from 240 s
/// on, while other processes' CPU use rose from 2% to 48% of all cores".
pub fn sentence(v: &SoakVerdict) -> String {
    let (Some(change), Some(at)) = (v.drift_change, v.drift_at_s) else {
        return match v.warmup_s {
            Some(w) => format!(
                "steady after a {w:.0} s warm-up: its soak figures come from a steady state"
            ),
            None => "steady: its soak figures come from a steady state".into(),
        };
    };
    let moved = if change < 0.0 { "fell" } else { "rose" };
    format!(
        "{}: tok/s {moved} {:.0}% from {at:.0} s on, while {}; the soak's figures are not from a steady state",
        v.state,
        change.abs() * 100.0,
        cause_phrase(v)
    )
}

fn cause_phrase(v: &SoakVerdict) -> String {
    let (b, a) = (
        v.cause_before.unwrap_or(f64::NAN),
        v.cause_after.unwrap_or(f64::NAN),
    );
    let way = |up: bool| if up { "rose" } else { "fell" };
    let clock = |what: &str| {
        format!(
            "the {what} clock {} {:.0}% ({b:.0} → {a:.0} MHz)",
            way(a > b),
            (a / b - 1.0).abs() * 100.0
        )
    };
    match v.cause.as_deref() {
        Some("cpu_clock") => clock("CPU"),
        Some("gpu_clock") => clock("GPU"),
        Some("other_cpu") => format!(
            "other processes' CPU use {} from {b:.0}% to {a:.0}% of all cores",
            way(a > b)
        ),
        Some("temperature") => format!("the hottest sensor rose from {b:.0} to {a:.0} °C"),
        Some("power_mode") => "the power mode changed".into(),
        _ => {
            "no recorded condition changed with it (clocks, temperature, other processes' CPU use)"
                .into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift(cause: &str, before: f64, after: f64) -> SoakVerdict {
        SoakVerdict {
            unit_id: "c0-k0".into(),
            state: "throttled".into(),
            drift_at_s: Some(240.0),
            drift_change: Some(-0.18),
            cause: Some(cause.into()),
            cause_before: Some(before),
            cause_after: Some(after),
            ..Default::default()
        }
    }

    #[test]
    fn a_drift_is_worded_with_what_changed_with_it() {
        let s = sentence(&drift("cpu_clock", 2400.0, 1920.0));
        assert_eq!(
            s,
            "throttled: tok/s fell 18% from 240 s on, while the CPU clock fell 20% (2400 → 1920 MHz); the soak's figures are not from a steady state"
        );
        let s = sentence(&SoakVerdict {
            state: "drifting".into(),
            ..drift("other_cpu", 2.0, 48.0)
        });
        assert!(s.starts_with("drifting: tok/s fell 18%"), "{s}");
        assert!(
            s.contains("other processes' CPU use rose from 2% to 48% of all cores"),
            "{s}"
        );
        assert!(sentence(&drift("none", 0.0, 0.0)).contains("no recorded condition changed"));
    }

    #[test]
    fn a_steady_soak_says_its_figures_are_steady() {
        let v = SoakVerdict {
            state: "steady".into(),
            warmup_s: Some(20.0),
            ..Default::default()
        };
        assert_eq!(
            sentence(&v),
            "steady after a 20 s warm-up: its soak figures come from a steady state"
        );
    }
}
