//! Steady state in the child: the `--delay` pause before each speed test, and
//! a test's warm-ups, a fixed count (`--warmup N`, run by the engine as
//! llama-bench does) or `--warmup auto`: whole repetitions, unmeasured, until
//! two in a row agree within `--precision` (docs/metrics.md, *Steady state*).
use std::time::Duration;

use super::protocol::{ChildJob, ChildMessage, Sink, DELAY_TEST};
use crate::config::AutoWarmup;
use crate::stats::repetitions::warm_ups_agree;

/// Sleeps `--delay` seconds, announced as the `delay` test so that the
/// samples of the pause are not the next test's.
pub(super) fn pause_before_test(job: &ChildJob, out: Sink) {
    if let Some(secs) = job.pacing.delay_secs.filter(|s| *s > 0.0) {
        out(ChildMessage::Started {
            test: DELAY_TEST.into(),
        });
        std::thread::sleep(Duration::from_secs_f64(secs));
    }
}

/// One test's warm-ups.
pub(super) struct WarmUp {
    auto: Option<AutoWarmup>,
    fixed: u32,
    values: Vec<f64>,
    done: u32,
    settled: bool,
}

impl WarmUp {
    pub(super) fn new(job: &ChildJob) -> WarmUp {
        let auto = job.pacing.auto_warmup;
        WarmUp {
            auto,
            fixed: job.warmup,
            values: Vec::new(),
            done: 0,
            settled: auto.is_none(),
        }
    }

    /// Warm-ups of the fixed kind (none with auto).
    pub(super) fn fixed(&self) -> u32 {
        match self.auto {
            Some(_) => 0,
            None => self.fixed,
        }
    }

    /// Repetitions the engine may run beyond the measured ones: the auto warm-ups.
    pub(super) fn extra(&self) -> u32 {
        self.auto.map_or(0, |a| a.max_warmup)
    }

    /// An auto warm-up is still wanted.
    pub(super) fn warming(&self) -> bool {
        !self.settled
    }

    /// One auto warm-up's headline figure; None (nothing to judge by) ends
    /// the warm-up, as the cap does.
    pub(super) fn record(&mut self, value: Option<f64>) {
        let Some(auto) = self.auto else {
            return;
        };
        self.done += 1;
        self.values.extend(value);
        self.settled = value.is_none()
            || self.done >= auto.max_warmup
            || warm_ups_agree(&self.values, auto.precision);
    }

    /// Repetitions the engine numbered before the first measured one.
    pub(super) fn offset(&self) -> u32 {
        self.done
    }

    /// The rows' `n_warmup`.
    pub(super) fn count(&self) -> u32 {
        match self.auto {
            Some(_) => self.done,
            None => self.fixed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Pacing;
    use crate::engine::scripted::ScriptedEngine;
    use crate::runner::child_job::run_job;
    use crate::runner::child_job::tests::job;
    use crate::runner::protocol::Measurement;

    fn auto(precision: f64) -> ChildJob {
        let mut job = job("w");
        job.pacing = Pacing {
            delay_secs: None,
            auto_warmup: Some(AutoWarmup {
                precision,
                max_warmup: 4,
            }),
        };
        job
    }

    #[test]
    fn auto_warms_up_until_two_in_a_row_agree_or_the_cap() {
        let mut warm = WarmUp::new(&auto(0.02));
        assert_eq!((warm.fixed(), warm.extra()), (0, 4));
        for v in [50.0, 80.0, 99.0, 100.0] {
            assert!(warm.warming());
            warm.record(Some(v));
        }
        assert!(!warm.warming());
        assert_eq!((warm.count(), warm.offset()), (4, 4));
        let mut capped = WarmUp::new(&auto(0.001));
        for v in [50.0, 60.0, 70.0, 80.0] {
            capped.record(Some(v));
        }
        assert!(!capped.warming(), "the cap ends it");
        let mut blind = WarmUp::new(&auto(0.02));
        blind.record(None);
        assert!(!blind.warming() && blind.count() == 1);
    }

    fn started(messages: &[ChildMessage]) -> Vec<String> {
        let tests = messages.iter().filter_map(|m| match m {
            ChildMessage::Started { test } => Some(test.clone()),
            _ => None,
        });
        tests.collect()
    }

    fn measured<'a>(messages: &'a [ChildMessage], test: &str) -> Vec<&'a Measurement> {
        let rows = messages.iter().filter_map(|m| match m {
            ChildMessage::Measured(row) if row.test == test => Some(row),
            _ => None,
        });
        rows.collect()
    }

    #[test]
    fn the_child_warms_up_until_agreement_pauses_and_numbers_the_measured_reps() {
        // The scripted engine's repetitions all take the same time: two warm-ups agree.
        let mut paced = auto(0.02);
        paced.pacing.delay_secs = Some(0.01);
        let mut engine = ScriptedEngine::default();
        let mut messages = Vec::new();
        run_job(&mut engine, &paced, &mut |m| messages.push(m));
        assert_eq!(
            started(&messages),
            [
                "delay",
                "pp64",
                "delay",
                "tg16",
                "delay",
                "e2e:hello",
                "quality:basic"
            ]
        );
        for test in ["pp64", "tg16", "e2e:hello"] {
            let rows = measured(&messages, test);
            let reps: Vec<Option<u32>> = rows.iter().map(|r| r.rep).collect();
            assert_eq!(reps, [Some(0), Some(1)], "{test}: warm-ups are not sent");
            assert!(rows.iter().all(|r| r.n_warmup == Some(2)), "{test}");
        }
        let user_paths = engine.calls.iter().filter(|c| *c == "user_path").count();
        assert_eq!(user_paths, 2 + 2, "2 warm-ups, 2 repetitions");
        // A fixed count: the engine's own warm-up, recorded as such, no pause.
        let mut messages = Vec::new();
        run_job(&mut ScriptedEngine::default(), &job("f"), &mut |m| {
            messages.push(m)
        });
        assert!(!started(&messages).contains(&DELAY_TEST.to_string()));
        assert!(measured(&messages, "tg16")
            .iter()
            .all(|r| r.n_warmup == Some(1)));
    }

    #[test]
    fn a_fixed_count_is_the_engines_and_numbers_nothing() {
        let warm = WarmUp::new(&job("f"));
        assert!(!warm.warming());
        assert_eq!(
            (warm.fixed(), warm.extra(), warm.count(), warm.offset()),
            (1, 0, 1, 0)
        );
    }
}
