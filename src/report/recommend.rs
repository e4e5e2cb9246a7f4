//! Which candidate to put on the device: rank those that meet the targets, and
//! say for every other one which target it missed, with the numbers.
//!
//! A target whose figure was not measured (quality without a quality suite,
//! latency without user-path tests) is neither passed nor failed: it is
//! "not measured". A candidate that meets every measured target but has some
//! unmeasured is "unverified": ranked after every fully verified candidate, and
//! named best only when none is verified, with the unmeasured targets said.
//!
//! A base model (a GGUF without a chat template) answers chat, tool and
//! instruction cases on raw prompts: its quality is not comparable with an
//! instruct model's, so it is neither passed nor rejected on quality, nor
//! ranked by it; it is "unverified" with that said.
use crate::results::Status;

/// What the report says of a base model's quality scores.
pub const BASE_MODEL_NOTE: &str =
    "base model: no chat template, chat-quality scores are not comparable";
pub use crate::results::Targets;

/// A candidate's figures, as the targets read them (None: not measured).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub label: String,
    /// `ok`, or how it failed.
    pub status: Status,
    pub tg_tps: Option<f64>,
    pub latency_50_ms: Option<f64>,
    pub memory_share: Option<f64>,
    pub quality: Option<f64>,
    /// No chat template in the GGUF: quality is not comparable.
    pub base_model: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Met,
    Missed(String),
    NotMeasured(&'static str),
    /// Measured, but not on equal terms with the others (a base model's quality).
    NotComparable(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Index into the facts given.
    pub index: usize,
    pub checks: Vec<Check>,
}

impl Assessment {
    pub fn missed(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter_map(|c| match c {
                Check::Missed(why) => Some(why.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn not_measured(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter_map(|c| match c {
                Check::NotMeasured(what) => Some(*what),
                _ => None,
            })
            .collect()
    }

    pub fn not_comparable(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter_map(|c| match c {
                Check::NotComparable(why) => Some(*why),
                _ => None,
            })
            .collect()
    }

    /// Some target was measured and met: a candidate with nothing measured
    /// is never named best.
    pub fn met_any(&self) -> bool {
        self.checks.contains(&Check::Met)
    }

    /// Why an unverified candidate is unverified: "not measured: quality", the base-model note.
    pub fn open_points(&self) -> String {
        let mut points = Vec::new();
        let unmeasured = self.not_measured();
        if !unmeasured.is_empty() {
            points.push(format!("not measured: {}", unmeasured.join(", ")));
        }
        points.extend(self.not_comparable().into_iter().map(String::from));
        points.join("; ")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Meet every target, best first.
    pub verified: Vec<Assessment>,
    /// Meet every measured target; some are not measured. Best first.
    pub unverified: Vec<Assessment>,
    /// Missed a target or failed to run.
    pub rejected: Vec<Assessment>,
}

impl Recommendation {
    /// The best verified candidate, else the best unverified one that met
    /// some measured target.
    pub fn best(&self) -> Option<&Assessment> {
        let measured = self.unverified.first().filter(|a| a.met_any());
        self.verified.first().or(measured)
    }
}

pub fn recommend(facts: &[Facts], targets: &Targets) -> Recommendation {
    let mut rec = Recommendation {
        verified: Vec::new(),
        unverified: Vec::new(),
        rejected: Vec::new(),
    };
    for (index, f) in facts.iter().enumerate() {
        let a = Assessment {
            index,
            checks: checks(f, targets),
        };
        if !a.missed().is_empty() {
            rec.rejected.push(a);
        } else if !a.not_measured().is_empty() || !a.not_comparable().is_empty() {
            rec.unverified.push(a);
        } else {
            rec.verified.push(a);
        }
    }
    // Best = highest quality, then fastest generation; a base model's quality does not count.
    let key = |a: &Assessment| {
        let f = &facts[a.index];
        (
            f.quality
                .filter(|_| !f.base_model)
                .unwrap_or(f64::NEG_INFINITY),
            f.tg_tps.unwrap_or(f64::NEG_INFINITY),
        )
    };
    for list in [&mut rec.verified, &mut rec.unverified] {
        list.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1))
        });
    }
    rec
}

fn checks(f: &Facts, t: &Targets) -> Vec<Check> {
    let mut out = Vec::new();
    if !f.status.is_ok() {
        out.push(Check::Missed(format!("did not complete ({})", f.status)));
    }
    let mut check =
        |target: Option<f64>, value: Option<f64>, what: &'static str, at_least: bool| {
            let Some(target) = target else { return };
            out.push(match value {
                None => Check::NotMeasured(what),
                Some(v) if (at_least && v >= target) || (!at_least && v <= target) => Check::Met,
                Some(v) => Check::Missed(describe(what, v, target, at_least)),
            });
        };
    check(t.min_tg_tps, f.tg_tps, "tg tok/s", true);
    check(
        t.max_latency_50_ms,
        f.latency_50_ms,
        "50-token latency",
        false,
    );
    check(t.max_memory_share, f.memory_share, "memory share", false);
    if f.base_model && t.min_quality.is_some() && f.quality.is_some() {
        out.push(Check::NotComparable(BASE_MODEL_NOTE));
    } else {
        check(t.min_quality, f.quality, "quality", true);
    }
    out
}

fn describe(what: &str, value: f64, target: f64, at_least: bool) -> String {
    let (v, t) = match what {
        "tg tok/s" => (format!("{value:.1}"), format!("{target:.1}")),
        "50-token latency" => (format!("{value:.0} ms"), format!("{target:.0} ms")),
        _ => (
            format!("{:.0}%", value * 100.0),
            format!("{:.0}%", target * 100.0),
        ),
    };
    let op = if at_least { "≥" } else { "≤" };
    format!("{what} {v}, target {op} {t}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(label: &str, tg: f64, lat: f64, mem: f64, quality: Option<f64>) -> Facts {
        Facts {
            label: label.into(),
            status: Status::Ok,
            tg_tps: Some(tg),
            latency_50_ms: Some(lat),
            memory_share: Some(mem),
            quality,
            base_model: false,
        }
    }

    #[test]
    fn a_candidate_with_nothing_measured_is_never_best() {
        let t = Targets::voice_assistant();
        let nothing = Facts {
            label: "stability only".into(),
            ..Default::default()
        };
        let r = recommend(std::slice::from_ref(&nothing), &t);
        assert_eq!(r.unverified.len(), 1, "{r:?}");
        assert!(!r.unverified[0].met_any());
        assert_eq!(r.best(), None);
        // Beside one that met a measured target, that one is best.
        let fast = Facts {
            tg_tps: Some(90.0),
            ..nothing.clone()
        };
        let r = recommend(&[nothing, fast], &t);
        assert_eq!(r.best().map(|a| a.index), Some(1));
    }

    #[test]
    fn a_base_model_is_neither_rejected_nor_ranked_on_quality() {
        let t = Targets::voice_assistant();
        let base = |quality| Facts {
            base_model: true,
            ..facts("base", 90.0, 500.0, 0.2, Some(quality))
        };
        // Too low a quality would reject an instruct model; a high one would rank it first.
        for quality in [0.1, 0.99] {
            let all = vec![
                base(quality),
                facts("instruct", 40.0, 1200.0, 0.5, Some(0.7)),
            ];
            let r = recommend(&all, &t);
            assert_eq!(r.best().unwrap().index, 1, "quality {quality}");
            assert!(r.rejected.is_empty(), "quality {quality}: {:?}", r.rejected);
            assert_eq!(r.unverified.len(), 1);
            assert_eq!(r.unverified[0].open_points(), BASE_MODEL_NOTE);
        }
        // Its speed is judged as anyone's.
        let slow = Facts {
            tg_tps: Some(5.0),
            ..base(0.9)
        };
        let r = recommend(&[slow], &t);
        assert_eq!(r.rejected[0].missed(), vec!["tg tok/s 5.0, target ≥ 30.0"]);
        assert_eq!(r.rejected[0].not_comparable(), vec![BASE_MODEL_NOTE]);
    }

    #[test]
    fn ranks_those_meeting_every_target_and_names_what_the_others_missed() {
        let t = Targets::voice_assistant();
        let all = vec![
            facts("fast-dumb", 80.0, 700.0, 0.2, Some(0.55)),
            facts("good", 40.0, 1200.0, 0.5, Some(0.7)),
            facts("better", 35.0, 1400.0, 0.6, Some(0.8)),
            facts("slow", 12.0, 4100.0, 0.9, Some(0.9)),
            Facts {
                label: "broken".into(),
                status: Status::Oom,
                ..Default::default()
            },
        ];
        let r = recommend(&all, &t);
        let order: Vec<usize> = r.verified.iter().map(|a| a.index).collect();
        assert_eq!(order, vec![2, 1], "quality first");
        assert_eq!(r.best().unwrap().index, 2);
        assert!(r.unverified.is_empty());
        let missed = |i: usize| r.rejected.iter().find(|a| a.index == i).unwrap().missed();
        assert_eq!(missed(0), vec!["quality 55%, target ≥ 60%"]);
        assert_eq!(
            missed(3),
            vec![
                "tg tok/s 12.0, target ≥ 30.0",
                "50-token latency 4100 ms, target ≤ 1500 ms",
                "memory share 90%, target ≤ 85%"
            ]
        );
        assert_eq!(missed(4)[0], "did not complete (oom)");
    }

    #[test]
    fn unmeasured_quality_is_said_and_never_silently_passed() {
        let t = Targets::voice_assistant();
        let all = vec![
            facts("a", 50.0, 900.0, 0.3, None),
            facts("b", 60.0, 800.0, 0.3, None),
            facts("c", 10.0, 800.0, 0.3, None),
        ];
        let r = recommend(&all, &t);
        assert!(r.verified.is_empty());
        assert_eq!(r.unverified.len(), 2);
        assert_eq!(
            r.best().unwrap().index,
            1,
            "fastest when quality is unknown"
        );
        assert_eq!(r.best().unwrap().not_measured(), vec!["quality"]);
        // A missed target rejects even when another is unmeasured.
        let c = &r.rejected[0];
        assert_eq!(c.index, 2);
        assert_eq!(c.not_measured(), vec!["quality"]);
    }

    #[test]
    fn a_verified_candidate_beats_an_unverified_faster_one() {
        let t = Targets::voice_assistant();
        let all = vec![
            facts("unverified", 90.0, 500.0, 0.3, None),
            facts("verified", 31.0, 1400.0, 0.8, Some(0.61)),
        ];
        assert_eq!(recommend(&all, &t).best().unwrap().index, 1);
    }

    #[test]
    fn targets_file_with_some_keys_and_a_bad_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "min_tg_tps = 10\n").unwrap();
        let t = Targets::load(&path).unwrap();
        assert_eq!(t.min_tg_tps, Some(10.0));
        assert_eq!(t.min_quality, None);
        std::fs::write(&path, "min_tg_tps = 10\nmax_tokens = 3\n").unwrap();
        let e = Targets::load(&path).unwrap_err().to_string();
        assert!(e.contains("t.toml:2") && e.contains("max_tokens"), "{e}");
    }
}
