//! Whether a throughput series over time (a soak's windows) came from a
//! steady state: cut into slices (warm-up, steady, then drifting or
//! throttled), and a change in tok/s laid beside what changed with it in the
//! same slice: the power mode, another process's CPU use, the CPU or GPU
//! clock, the temperature. Numbers only: the report words them
//! (docs/metrics.md, *Steady state*).

use super::percentile;

/// One point of the series: a window ending at `t_s` with its rate and the
/// conditions while it ran (None: not recorded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Point {
    pub t_s: f64,
    pub tps: f64,
    pub conditions: Conditions,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    pub power_mode: Option<String>,
    /// Other processes' CPU use, % of all cores.
    pub other_cpu_pct: Option<f64>,
    pub cpu_mhz: Option<f64>,
    pub gpu_mhz: Option<f64>,
    /// The hottest sensor.
    pub temp_c: Option<f64>,
}

/// A change in mean tok/s larger than this (either way) is not steady.
pub const DRIFT_TOLERANCE: f64 = 0.05;
/// A clock change counts when larger than this.
pub const CLOCK_TOLERANCE: f64 = 0.05;
/// Other processes' CPU use counts when it changes by more than this many
/// percentage points of all cores.
pub const OTHER_CPU_POINTS: f64 = 10.0;
/// The temperature counts when it rises by more than this (°C).
pub const TEMP_RISE_C: f64 = 2.0;
/// Fewer points than this say nothing about a steady state.
pub const MIN_POINTS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceKind {
    WarmUp,
    Steady,
    /// The rate changed and no clock, power mode or temperature did (another
    /// process, or nothing recorded).
    Drifting,
    /// The rate changed with the power mode, a clock or the temperature.
    Throttled,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub kind: SliceKind,
    /// From the end of the previous slice's last window to this one's last.
    pub from_s: f64,
    pub to_s: f64,
    pub mean_tps: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    PowerMode,
    OtherCpu,
    CpuClock,
    GpuClock,
    Temperature,
}

/// A condition that changed with the rate: its mean before and after (the
/// power mode: the modes' names).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    PowerMode {
        before: String,
        after: String,
    },
    Level {
        condition: Condition,
        before: f64,
        after: f64,
    },
}

impl Change {
    pub fn condition(&self) -> Condition {
        match self {
            Change::PowerMode { .. } => Condition::PowerMode,
            Change::Level { condition, .. } => *condition,
        }
    }
}

/// The rate after the change point against before it, and what changed with
/// it, the most direct cause first (`causes[0]` is the attribution).
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub at_s: f64,
    pub before_tps: f64,
    pub after_tps: f64,
    pub causes: Vec<Change>,
}

impl Drift {
    /// after / before - 1: negative for a drop.
    pub fn change(&self) -> f64 {
        self.after_tps / self.before_tps - 1.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SteadyState {
    pub slices: Vec<Slice>,
    pub drift: Option<Drift>,
}

impl SteadyState {
    pub fn is_steady(&self) -> bool {
        self.drift.is_none()
    }
}

/// The series' slices and its drift, if any; None below `MIN_POINTS` or
/// with a rate that is not positive. Points are taken in time order.
pub fn steady_state(points: &[Point]) -> Option<SteadyState> {
    if points.len() < MIN_POINTS || points.iter().any(|p| p.tps.is_nan() || p.tps <= 0.0) {
        return None;
    }
    let warm = warm_up_len(points);
    let rest = &points[warm..];
    let mut slices = Vec::new();
    let mut from_s = 0.0;
    if warm > 0 {
        slices.push(slice(SliceKind::WarmUp, &points[..warm], from_s));
        from_s = points[warm - 1].t_s;
    }
    let split = change_point(rest);
    let (before, after) = rest.split_at(split.unwrap_or(rest.len()));
    let (b, a) = (mean_tps(before), mean_tps(after));
    if after.is_empty() || (a / b - 1.0).abs() <= DRIFT_TOLERANCE {
        slices.push(slice(SliceKind::Steady, rest, from_s));
        return Some(SteadyState {
            slices,
            drift: None,
        });
    }
    let causes = causes(before, after, a < b);
    let throttled = causes
        .first()
        .is_some_and(|c| c.condition() != Condition::OtherCpu);
    let kind = match throttled {
        true => SliceKind::Throttled,
        false => SliceKind::Drifting,
    };
    slices.push(slice(SliceKind::Steady, before, from_s));
    let at_s = before[before.len() - 1].t_s;
    slices.push(slice(kind, after, at_s));
    Some(SteadyState {
        slices,
        drift: Some(Drift {
            at_s,
            before_tps: b,
            after_tps: a,
            causes,
        }),
    })
}

fn slice(kind: SliceKind, points: &[Point], from_s: f64) -> Slice {
    Slice {
        kind,
        from_s,
        to_s: points.last().map_or(from_s, |p| p.t_s),
        mean_tps: mean_tps(points),
    }
}

fn mean_tps(points: &[Point]) -> f64 {
    points.iter().map(|p| p.tps).sum::<f64>() / points.len().max(1) as f64
}

/// Leading points (at most a third of the series) each further than the
/// tolerance from the median of the three after it: warm-up. (Measured
/// against what follows, not the whole series, so a later drift is not
/// taken for a warm-up.)
fn warm_up_len(points: &[Point]) -> usize {
    (0..points.len() / 3)
        .take_while(|&i| {
            let next: Vec<f64> = points[i + 1..].iter().take(3).map(|p| p.tps).collect();
            (points[i].tps / percentile(&next, 50.0) - 1.0).abs() > DRIFT_TOLERANCE
        })
        .count()
}

/// The index that splits the series into two runs of at least two points
/// with the least squared error about their means (one change point, as
/// binary segmentation's first step); None for fewer than four points.
fn change_point(points: &[Point]) -> Option<usize> {
    let sse = |part: &[Point]| {
        let m = mean_tps(part);
        part.iter().map(|p| (p.tps - m).powi(2)).sum::<f64>()
    };
    (2..=points.len().saturating_sub(2))
        .map(|k| (k, sse(&points[..k]) + sse(&points[k..])))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// What changed between `before` and `after` in the direction that explains
/// the rate's change (`fell`: a clock fell, another process took more CPU,
/// the temperature rose), in order of directness.
fn causes(before: &[Point], after: &[Point], fell: bool) -> Vec<Change> {
    let mean = |part: &[Point], f: fn(&Conditions) -> Option<f64>| {
        let values: Vec<f64> = part.iter().filter_map(|p| f(&p.conditions)).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let level =
        |condition, f: fn(&Conditions) -> Option<f64>, counts: &dyn Fn(f64, f64) -> bool| {
            let (b, a) = (mean(before, f)?, mean(after, f)?);
            counts(b, a).then_some(Change::Level {
                condition,
                before: b,
                after: a,
            })
        };
    let clock = |b: f64, a: f64| {
        let change = a / b - 1.0;
        b > 0.0
            && match fell {
                true => change < -CLOCK_TOLERANCE,
                false => change > CLOCK_TOLERANCE,
            }
    };
    let other = |b: f64, a: f64| match fell {
        true => a - b > OTHER_CPU_POINTS,
        false => b - a > OTHER_CPU_POINTS,
    };
    let hotter = |b: f64, a: f64| fell && a - b > TEMP_RISE_C;
    let mut changes: Vec<Change> = power_mode_change(before, after).into_iter().collect();
    changes.extend(level(Condition::OtherCpu, |c| c.other_cpu_pct, &other));
    changes.extend(level(Condition::CpuClock, |c| c.cpu_mhz, &clock));
    changes.extend(level(Condition::GpuClock, |c| c.gpu_mhz, &clock));
    changes.extend(level(Condition::Temperature, |c| c.temp_c, &hotter));
    changes
}

/// The mode most windows ran in, before and after, when they differ.
fn power_mode_change(before: &[Point], after: &[Point]) -> Option<Change> {
    let mode = |part: &[Point]| {
        let modes: Vec<&String> = part
            .iter()
            .filter_map(|p| p.conditions.power_mode.as_ref())
            .collect();
        modes
            .iter()
            .max_by_key(|m| modes.iter().filter(|o| o == m).count())
            .map(|m| (*m).clone())
    };
    let (b, a) = (mode(before)?, mode(after)?);
    (b != a).then_some(Change::PowerMode {
        before: b,
        after: a,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 12 windows of 10 s: `tps(i)` and `conditions(i)` for window i.
    fn series(tps: impl Fn(usize) -> f64, conditions: impl Fn(usize) -> Conditions) -> Vec<Point> {
        (0..12)
            .map(|i| Point {
                t_s: 10.0 * (i + 1) as f64,
                tps: tps(i),
                conditions: conditions(i),
            })
            .collect()
    }

    /// A quiet machine at 2.4 GHz, 55 °C, nothing else running.
    fn quiet() -> Conditions {
        Conditions {
            power_mode: None,
            other_cpu_pct: Some(1.0),
            cpu_mhz: Some(2400.0),
            gpu_mhz: None,
            temp_c: Some(55.0),
        }
    }

    /// A little noise so the series is not flat.
    fn jitter(i: usize) -> f64 {
        [0.4, -0.3, 0.2, -0.1][i % 4]
    }

    #[test]
    fn a_flat_series_is_steady_with_its_warm_up_cut_off() {
        let points = series(
            |i| if i == 0 { 35.0 } else { 50.0 + jitter(i) },
            |_| quiet(),
        );
        let s = steady_state(&points).unwrap();
        assert!(s.is_steady());
        let kinds: Vec<SliceKind> = s.slices.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [SliceKind::WarmUp, SliceKind::Steady]);
        assert_eq!((s.slices[0].to_s, s.slices[1].from_s), (10.0, 10.0));
        assert!((s.slices[1].mean_tps - 50.0).abs() < 0.5);
    }

    #[test]
    fn a_clock_drop_halfway_is_attributed_to_the_clock() {
        // From window 6 on the CPU runs at 1.9 GHz and the rate falls 20%;
        // it is warmer too, but the clock is the direct cause.
        let slow = |i: usize| i >= 6;
        let points = series(
            |i| {
                if slow(i) {
                    40.0 + jitter(i)
                } else {
                    50.0 + jitter(i)
                }
            },
            |i| Conditions {
                cpu_mhz: Some(if slow(i) { 1900.0 } else { 2400.0 }),
                temp_c: Some(if slow(i) { 88.0 } else { 70.0 }),
                ..quiet()
            },
        );
        let s = steady_state(&points).unwrap();
        let drift = s.drift.as_ref().expect("not steady");
        assert_eq!(drift.at_s, 60.0, "the change point is where the clock fell");
        assert!((drift.change() + 0.2).abs() < 0.02, "{}", drift.change());
        assert_eq!(drift.causes[0].condition(), Condition::CpuClock);
        assert_eq!(drift.causes[1].condition(), Condition::Temperature);
        assert!(!drift
            .causes
            .iter()
            .any(|c| c.condition() == Condition::OtherCpu));
        assert_eq!(s.slices.last().unwrap().kind, SliceKind::Throttled);
        match &drift.causes[0] {
            Change::Level { before, after, .. } => assert_eq!((*before, *after), (2400.0, 1900.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_process_taking_cpu_is_attributed_to_it() {
        // A busy loop starts at window 6: half of all cores, clocks unchanged.
        let busy = |i: usize| i >= 6;
        let points = series(
            |i| {
                if busy(i) {
                    31.0 + jitter(i)
                } else {
                    50.0 + jitter(i)
                }
            },
            |i| Conditions {
                other_cpu_pct: Some(if busy(i) { 50.0 } else { 1.0 }),
                ..quiet()
            },
        );
        let drift = steady_state(&points).unwrap().drift.unwrap();
        assert_eq!(drift.causes.len(), 1, "{:?}", drift.causes);
        assert_eq!(drift.causes[0].condition(), Condition::OtherCpu);
        assert_eq!(drift.at_s, 60.0);
        let s = steady_state(&points).unwrap();
        assert_eq!(s.slices.last().unwrap().kind, SliceKind::Drifting);
    }

    #[test]
    fn a_drop_with_nothing_recorded_has_no_cause_and_a_power_mode_change_comes_first() {
        let points = series(|i| if i >= 6 { 40.0 } else { 50.0 }, |_| quiet());
        let drift = steady_state(&points).unwrap().drift.unwrap();
        assert!(drift.causes.is_empty());
        let points = series(
            |i| if i >= 6 { 30.0 } else { 50.0 },
            |i| Conditions {
                power_mode: Some(if i >= 6 { "15W" } else { "MAXN" }.into()),
                cpu_mhz: Some(if i >= 6 { 1200.0 } else { 2000.0 }),
                ..quiet()
            },
        );
        let drift = steady_state(&points).unwrap().drift.unwrap();
        assert_eq!(
            drift.causes[0],
            Change::PowerMode {
                before: "MAXN".into(),
                after: "15W".into()
            }
        );
        assert_eq!(drift.causes[1].condition(), Condition::CpuClock);
    }

    #[test]
    fn a_clock_that_rose_does_not_explain_a_drop() {
        let points = series(
            |i| if i >= 6 { 40.0 } else { 50.0 },
            |i| Conditions {
                cpu_mhz: Some(if i >= 6 { 2600.0 } else { 2400.0 }),
                ..quiet()
            },
        );
        assert!(steady_state(&points)
            .unwrap()
            .drift
            .unwrap()
            .causes
            .is_empty());
    }

    #[test]
    fn too_short_or_empty_series_say_nothing() {
        let points = series(|_| 50.0, |_| quiet());
        assert!(steady_state(&points[..3]).is_none());
        let mut zero = points.clone();
        zero[4].tps = 0.0;
        assert!(steady_state(&zero).is_none());
    }
}
