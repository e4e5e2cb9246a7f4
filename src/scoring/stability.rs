//! One line of stability figures per candidate x configuration: determinism,
//! speed consistency, degeneration, soak, multi-turn, context ceiling and
//! quantisation fidelity (docs/metrics.md defines each).

use super::aggregate::REPETITION_LIMIT;
use crate::results::{StabilityRow, StabilitySummary, TestKind, UnitRecord};
use crate::stats::steady::{steady_state, Change, Condition, Conditions, Point, SliceKind};
use crate::stats::{percentile, Spread};

/// A soak whose rate falls by more than this while the temperature rises is flagged.
pub const SOAK_DROP_FLAG: f64 = 0.05;
/// ... and the temperature must rise by more than this (°C).
pub const SOAK_TEMP_RISE_FLAG: f64 = 2.0;

pub fn stability_summaries(records: &[UnitRecord]) -> Vec<StabilitySummary> {
    records
        .iter()
        .filter(|r| !r.stability.is_empty() || r.quality.iter().any(|q| q.rep > 0))
        .map(|r| summarize_unit(r, records))
        .collect()
}

fn of(record: &UnitRecord, kind: TestKind) -> Vec<&StabilityRow> {
    record
        .stability
        .iter()
        .filter(|s| s.kind() == Some(kind))
        .collect()
}

fn summarize_unit(record: &UnitRecord, all: &[UnitRecord]) -> StabilitySummary {
    let mut s = StabilitySummary {
        unit_id: record.unit_id.clone(),
        candidate: record.candidate.clone(),
        quant: record
            .base
            .as_ref()
            .map(|b| b.id.quant.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    // Determinism and degeneration, over every quality answer of the unit.
    let scores = super::quality_summary(&record.quality);
    let repeated: Vec<f64> = scores
        .iter()
        .filter(|(_, q)| q.category.is_none())
        .filter_map(|(_, q)| q.differs_share)
        .collect();
    s.determinism_differs = Spread::of(&repeated).map(|x| x.mean);
    let generated: Vec<_> = record
        .quality
        .iter()
        .filter(|q| q.status.is_ok() && q.choice_scores.is_none())
        .collect();
    let share = |f: &dyn Fn(&&crate::results::QualityRow) -> bool| {
        (!generated.is_empty())
            .then(|| generated.iter().filter(|q| f(q)).count() as f64 / generated.len() as f64)
    };
    s.repetitive_share = share(&|q| q.seq_rep_4.is_some_and(|v| v > REPETITION_LIMIT));
    s.hit_max_share = share(&|q| q.hit_max_tokens());
    s.empty_share = share(&|q| q.output_text.trim().is_empty());
    s.tg_cv = first_tg_cv(&record.rows);

    soak(&mut s, &of(record, TestKind::Soak));
    multi_turn(&mut s, &of(record, TestKind::MultiTurn));
    let ladder = of(record, TestKind::MemoryCeiling);
    s.max_ctx_ok = ladder
        .iter()
        .filter(|r| r.status.is_ok())
        .filter_map(|r| r.n_ctx)
        .max();
    if let Some(failed) = ladder.iter().find(|r| !r.status.is_ok()) {
        s.first_ctx_failed = failed.n_ctx;
        s.ceiling_error = failed.error.clone();
    }
    fidelity(&mut s, &of(record, TestKind::Fidelity));
    s.answer_flip_share = answer_flips(record, all, s.reference.as_deref());
    s
}

/// The coefficient of variation of the first tgN test's repetitions: that
/// test alone (tg128 and tg128@d2048 pooled would be a spread of depths).
fn first_tg_cv(rows: &[crate::results::SpeedRow]) -> Option<f64> {
    let ok = |r: &&crate::results::SpeedRow| {
        matches!(r.kind(), Some(TestKind::Generation(_))) && r.status.is_ok()
    };
    let first = rows.iter().find(ok)?;
    let tg: Vec<f64> = (rows.iter().filter(ok))
        .filter(|r| r.test == first.test)
        .filter_map(|r| r.tg_tps)
        .collect();
    Spread::of(&tg).filter(|x| x.n > 1).and_then(|x| x.cv())
}

fn soak(s: &mut StabilitySummary, windows: &[&StabilityRow]) {
    let ok: Vec<&&StabilityRow> = windows.iter().filter(|w| w.status.is_ok()).collect();
    if ok.is_empty() {
        return;
    }
    let end = ok.iter().filter_map(|w| w.t_s).fold(0.0, f64::max);
    // Windows end a little after their nominal time: measured from the first one's end.
    let start = ok
        .iter()
        .filter_map(|w| w.t_s)
        .fold(f64::INFINITY, f64::min);
    // The first and the last minute (or the first and last third of a shorter soak).
    let span = 60.0f64.min(end / 3.0);
    let first: Vec<&&&StabilityRow> = ok
        .iter()
        .filter(|w| w.t_s.unwrap_or(0.0) < start + span)
        .collect();
    let last: Vec<&&&StabilityRow> = ok
        .iter()
        .filter(|w| w.t_s.unwrap_or(0.0) > end - span)
        .collect();
    let mean = |ws: &[&&&StabilityRow], f: fn(&StabilityRow) -> Option<f64>| {
        Spread::of(&ws.iter().filter_map(|w| f(w)).collect::<Vec<_>>()).map(|x| x.mean)
    };
    s.soak_windows = Some(ok.len() as u32);
    s.soak_first_min_tps = mean(&first, |w| w.tg_tps);
    s.soak_last_min_tps = mean(&last, |w| w.tg_tps);
    s.soak_temp_first_c = mean(&first, |w| w.temp_c);
    s.soak_temp_last_c = mean(&last, |w| w.temp_c);
    if let (Some(a), Some(b)) = (s.soak_first_min_tps, s.soak_last_min_tps) {
        s.soak_drop = (a > 0.0).then(|| 1.0 - b / a);
    }
    s.thermal_throttle_suspected = match (s.soak_drop, s.soak_temp_first_c, s.soak_temp_last_c) {
        (Some(drop), Some(t0), Some(t1)) => {
            Some(drop > SOAK_DROP_FLAG && t1 - t0 > SOAK_TEMP_RISE_FLAG)
        }
        _ => None,
    };
    soak_steady_state(s, &ok);
}

/// The soak's windows cut into slices, and a change in rate laid beside what
/// changed with it (stats::steady).
fn soak_steady_state(s: &mut StabilitySummary, windows: &[&&StabilityRow]) {
    let points: Vec<Point> = windows
        .iter()
        .filter_map(|w| {
            Some(Point {
                t_s: w.t_s?,
                tps: w.tg_tps?,
                conditions: Conditions {
                    power_mode: None,
                    other_cpu_pct: w.other_cpu_pct,
                    cpu_mhz: w.cpu_mhz,
                    gpu_mhz: w.gpu_mhz,
                    temp_c: w.temp_c,
                },
            })
        })
        .collect();
    let Some(state) = steady_state(&points) else {
        return;
    };
    s.soak_warmup_s = (state.slices.iter())
        .find(|slice| slice.kind == SliceKind::WarmUp)
        .map(|slice| slice.to_s);
    let last = state.slices.last().map(|slice| slice.kind);
    s.soak_state = Some(
        match last {
            Some(SliceKind::Throttled) => "throttled",
            Some(SliceKind::Drifting) => "drifting",
            _ => "steady",
        }
        .into(),
    );
    let Some(drift) = &state.drift else {
        return;
    };
    s.soak_drift_at_s = Some(drift.at_s);
    s.soak_drift_change = Some(drift.change());
    let cause = drift.causes.first();
    s.soak_drift_cause = Some(
        cause
            .map_or("none", |c| condition_name(c.condition()))
            .into(),
    );
    if let Some(Change::Level { before, after, .. }) = cause {
        (s.soak_cause_before, s.soak_cause_after) = (Some(*before), Some(*after));
    }
}

/// The `soak_drift_cause` of a condition.
pub fn condition_name(condition: Condition) -> &'static str {
    match condition {
        Condition::PowerMode => "power_mode",
        Condition::OtherCpu => "other_cpu",
        Condition::CpuClock => "cpu_clock",
        Condition::GpuClock => "gpu_clock",
        Condition::Temperature => "temperature",
    }
}

fn multi_turn(s: &mut StabilitySummary, turns: &[&StabilityRow]) {
    if turns.is_empty() {
        return;
    }
    let ok: Vec<&&StabilityRow> = turns.iter().filter(|t| t.status.is_ok()).collect();
    s.multi_turn_turns = Some(ok.len() as u32);
    s.multi_turn_ctx_reached = ok
        .iter()
        .map(|t| t.n_ctx.unwrap_or(0) + t.n_tokens.unwrap_or(0))
        .max();
    if let Some(lost) = ok.iter().find(|t| t.recall_ok == Some(false)) {
        s.recall_lost_at_turn = Some(lost.step);
        s.recall_lost_at_tokens = lost.n_ctx;
    }
    s.multi_turn_error = turns.iter().find_map(|t| t.error.clone());
}

fn fidelity(s: &mut StabilitySummary, chunks: &[&StabilityRow]) {
    let ok: Vec<&&StabilityRow> = chunks.iter().filter(|c| c.status.is_ok()).collect();
    let n: u32 = ok.iter().filter_map(|c| c.n_tokens).sum();
    if n == 0 {
        return;
    }
    let nll: f64 = ok.iter().filter_map(|c| c.nll_sum).sum();
    s.ppl = Some((nll / n as f64).exp());
    s.reference = ok.iter().find_map(|c| c.reference.clone());
    let kld: Vec<f64> = ok
        .iter()
        .flat_map(|c| c.kld_values.iter().map(|&v| v as f64))
        .collect();
    if !kld.is_empty() {
        s.kld_mean = Some(kld.iter().sum::<f64>() / kld.len() as f64);
        s.kld_p99 = Some(percentile(&kld, 99.0));
        let agree: f64 = ok
            .iter()
            .filter_map(|c| Some(c.top1_agree? * c.n_tokens? as f64))
            .sum();
        s.top1_agree = Some(agree / n as f64);
    }
}

/// Answers the reference passed and this candidate failed, or the other way round.
fn answer_flips(record: &UnitRecord, all: &[UnitRecord], reference: Option<&str>) -> Option<f64> {
    let reference = reference?;
    let mine = record.base.as_ref()?;
    let other = all.iter().find(|r| {
        r.candidate == reference
            && r.base.as_ref().is_some_and(|b| {
                (
                    b.config.n_threads,
                    b.config.n_gpu_layers,
                    b.config.n_batch,
                    &b.config.flash_attn,
                ) == (
                    mine.config.n_threads,
                    mine.config.n_gpu_layers,
                    mine.config.n_batch,
                    &mine.config.flash_attn,
                )
            })
    })?;
    let mut shared = 0usize;
    let mut flipped = 0usize;
    for q in record.quality.iter().filter(|q| q.pass.is_some()) {
        let twin = other.quality.iter().find(|o| {
            (&o.suite, &o.case_id, &o.decoding, o.rep) == (&q.suite, &q.case_id, &q.decoding, q.rep)
        });
        if let Some(o) = twin.filter(|o| o.pass.is_some()) {
            shared += 1;
            flipped += usize::from(o.pass != q.pass);
        }
    }
    (shared > 0).then(|| flipped as f64 / shared as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    fn window(step: u32, t_s: f64, tps: f64, temp: f64) -> StabilityRow {
        StabilityRow {
            test: "soak".into(),
            step,
            t_s: Some(t_s),
            tg_tps: Some(tps),
            temp_c: Some(temp),
            status: Status::Ok,
            ..Default::default()
        }
    }

    #[test]
    fn tg_cv_spreads_the_first_tg_tests_repetitions_only() {
        let row = |test: &str, tps: f64| crate::results::SpeedRow {
            test: test.into(),
            tg_tps: Some(tps),
            ..Default::default()
        };
        let rows = [
            row("pp512", 300.0),
            row("tg128", 100.0),
            row("tg128", 110.0),
            row("tg128@d2048", 20.0),
            row("tg128@d2048", 21.0),
        ];
        let cv = first_tg_cv(&rows).unwrap();
        let expected = (50.0f64).sqrt() / 105.0;
        assert!((cv - expected).abs() < 1e-9, "{cv}, not the depths' spread");
        assert_eq!(first_tg_cv(&rows[..2]), None, "one repetition: no spread");
    }

    #[test]
    fn soak_compares_first_and_last_minute_and_flags_throttling() {
        // 10 minutes of 10 s windows ending a little late; the rate falls from 100
        // to 80 t/s over the last minute while the sensor goes from 50 to 70 °C.
        let rows: Vec<StabilityRow> = (0..60)
            .map(|i| {
                let t = 10.0 * (i + 1) as f64 + 0.004 * i as f64;
                let late = i >= 54;
                window(
                    i,
                    t,
                    if late { 80.0 } else { 100.0 },
                    if late { 70.0 } else { 50.0 },
                )
            })
            .collect();
        let refs: Vec<&StabilityRow> = rows.iter().collect();
        let mut s = StabilitySummary::default();
        soak(&mut s, &refs);
        assert_eq!(s.soak_windows, Some(60));
        assert_eq!(s.soak_first_min_tps, Some(100.0), "six windows, all fast");
        assert_eq!(s.soak_last_min_tps, Some(80.0), "six windows, all slow");
        assert!((s.soak_drop.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(s.thermal_throttle_suspected, Some(true));
    }

    /// 12 windows of 10 s at 50 t/s on a quiet machine at 2.4 GHz; from
    /// window 6 on, `late` changes the row.
    fn soak_with(late: impl Fn(StabilityRow) -> StabilityRow) -> StabilitySummary {
        let rows: Vec<StabilityRow> = (0..12)
            .map(|i| {
                let row = StabilityRow {
                    cpu_mhz: Some(2400.0),
                    other_cpu_pct: Some(2.0),
                    ..window(i, 10.0 * (i + 1) as f64, 50.0 + 0.2 * (i % 3) as f64, 60.0)
                };
                if i >= 6 {
                    late(row)
                } else {
                    row
                }
            })
            .collect();
        let refs: Vec<&StabilityRow> = rows.iter().collect();
        let mut s = StabilitySummary::default();
        soak(&mut s, &refs);
        s
    }

    #[test]
    fn a_steady_soak_says_so() {
        let s = soak_with(|row| row);
        assert_eq!(s.soak_state.as_deref(), Some("steady"));
        assert_eq!((s.soak_drift_cause, s.soak_drift_at_s), (None, None));
    }

    #[test]
    fn a_clock_drop_halfway_through_a_soak_is_attributed_to_the_clock() {
        let s = soak_with(|row| StabilityRow {
            tg_tps: row.tg_tps.map(|t| t * 0.8),
            cpu_mhz: Some(1920.0),
            temp_c: Some(75.0),
            ..row
        });
        assert_eq!(s.soak_state.as_deref(), Some("throttled"));
        assert_eq!(s.soak_drift_cause.as_deref(), Some("cpu_clock"));
        assert_eq!(s.soak_drift_at_s, Some(60.0));
        assert!((s.soak_drift_change.unwrap() + 0.2).abs() < 0.01);
        assert_eq!(
            (s.soak_cause_before, s.soak_cause_after),
            (Some(2400.0), Some(1920.0))
        );
    }

    #[test]
    fn another_process_taking_cpu_halfway_through_a_soak_is_attributed_to_it() {
        let s = soak_with(|row| StabilityRow {
            tg_tps: row.tg_tps.map(|t| t * 0.6),
            other_cpu_pct: Some(48.0),
            ..row
        });
        assert_eq!(s.soak_state.as_deref(), Some("drifting"));
        assert_eq!(s.soak_drift_cause.as_deref(), Some("other_cpu"));
        assert_eq!(
            (s.soak_cause_before, s.soak_cause_after),
            (Some(2.0), Some(48.0))
        );
        // A drop with nothing recorded beside it has no cause to name.
        let s = soak_with(|row| StabilityRow {
            tg_tps: row.tg_tps.map(|t| t * 0.6),
            ..row
        });
        assert_eq!(s.soak_drift_cause.as_deref(), Some("none"));
    }

    #[test]
    fn a_short_soak_uses_thirds() {
        let rows = [
            window(0, 2.003, 90.0, 40.0),
            window(1, 4.004, 90.0, 40.0),
            window(2, 6.006, 85.0, 40.0),
        ];
        let refs: Vec<&StabilityRow> = rows.iter().collect();
        let mut s = StabilitySummary::default();
        soak(&mut s, &refs);
        assert_eq!(
            (s.soak_first_min_tps, s.soak_last_min_tps),
            (Some(90.0), Some(85.0))
        );
        assert_eq!(
            s.thermal_throttle_suspected,
            Some(false),
            "no temperature rise"
        );
    }
}
