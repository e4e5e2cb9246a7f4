//! Speculative decoding through the child on the scripted engine: the rows
//! carry what was drafted and accepted, summary.* pools it and computes the
//! speed-up against the baseline unit, and a draft that changes the text is
//! caught.
use super::child_job::run_job;
use super::child_job::tests::job;
use super::protocol::{ChildMessage, Measurement};
use crate::engine::scripted::{ScriptedEngine, ScriptedSpec};
use crate::results::speculation::RowSpec;
use crate::results::{summarize, Metric, RowIdentity, SpeedRow};

fn measured(engine: &mut ScriptedEngine) -> Vec<Measurement> {
    let mut out = Vec::new();
    run_job(engine, &job("u"), &mut |m| {
        if let ChildMessage::Measured(row) = m {
            out.push(row)
        }
    });
    out
}

/// The child's rows as the parent stores them, for unit `unit`.
fn rows(unit: &str, spec: Option<u32>, measured: &[Measurement]) -> Vec<SpeedRow> {
    let each = measured.iter().map(|m| SpeedRow {
        id: RowIdentity {
            unit_id: unit.into(),
            model_sha256: "sha".into(),
            ..Default::default()
        },
        model_file: "target.gguf".into(),
        test: m.test.clone(),
        tg_tps: m.tg_tps,
        latency_50_ms: m.latency_50_ms,
        spec: m.spec,
        status: m.status,
        error: m.error.clone(),
        ..Default::default()
    });
    let mut rows: Vec<SpeedRow> = each.collect();
    for r in &mut rows {
        r.config.spec = match spec {
            Some(dmax) => RowSpec {
                spec: Some("draft".into()),
                draft_model: Some("draft".into()),
                draft_max: Some(dmax),
                draft_min: Some(0),
            },
            None => RowSpec::default(),
        };
    }
    rows
}

fn spec_engine(draft_max: u32, wrong_every: u32, unverified: bool) -> ScriptedEngine {
    ScriptedEngine {
        spec: Some(ScriptedSpec {
            draft_max,
            wrong_every,
            unverified,
        }),
        ..Default::default()
    }
}

#[test]
fn acceptance_and_the_speedup_against_the_baseline_come_through_the_child() {
    let baseline = measured(&mut ScriptedEngine::default());
    let speculative = measured(&mut spec_engine(4, 3, false));
    let e2e = speculative.iter().find(|m| m.test == "e2e:hello").unwrap();
    // 50 tokens: the first from the prompt, 49 in steps of up to 4 drafted.
    let s = e2e.spec;
    let (drafted, accepted) = (s.draft_n.unwrap(), s.draft_accepted.unwrap());
    assert!(accepted < drafted, "every third guess is wrong: {s:?}");
    assert_eq!(
        s.acceptance_rate,
        Some(f64::from(accepted) / f64::from(drafted))
    );
    let steps = s.spec_steps.unwrap();
    assert_eq!(
        s.accepted_per_step,
        Some(f64::from(accepted) / f64::from(steps))
    );
    // Each step adds its accepted tokens and the target's own: 49 in all,
    // or 48 and a last plain step when one token was left.
    assert!((48..=49).contains(&(accepted + steps)), "{s:?}");
    assert_eq!(s.spec_identical, Some(true));
    assert_eq!(e2e.n_gen, 50);

    let mut all = rows("c0-k0", None, &baseline);
    all.extend(rows("c0-k1", Some(4), &speculative));
    let summary = summarize(&all);
    let row = |unit: &str, test: &str| {
        let found = summary
            .iter()
            .find(|r| r.first.id.unit_id == unit && r.first.test == test);
        found.unwrap()
    };
    let spec = row("c0-k1", "e2e:hello").spec.as_ref().unwrap();
    let median = |unit: &str, m: Metric| row(unit, "e2e:hello").spread(m).unwrap().median;
    let expected = median("c0-k0", Metric::Latency50Ms) / median("c0-k1", Metric::Latency50Ms);
    assert!(expected > 1.0, "fewer target decodes, sooner at 50 tokens");
    assert_eq!(spec.latency_50_speedup, Some(expected));
    let tg = row("c0-k1", "tg16").spec.as_ref().unwrap();
    let tg_expected = row("c0-k1", "tg16").spread(Metric::TgTps).unwrap().median
        / row("c0-k0", "tg16").spread(Metric::TgTps).unwrap().median;
    assert_eq!(tg.tg_speedup, Some(tg_expected));
    assert!(tg_expected > 1.0);
    assert!(row("c0-k0", "tg16").spec.is_none(), "the baseline has none");
}

#[test]
fn a_draft_that_changes_the_text_is_caught_by_the_identity_check() {
    let speculative = measured(&mut spec_engine(4, 3, true));
    let e2e = speculative.iter().find(|m| m.test == "e2e:hello").unwrap();
    assert_eq!(e2e.spec.spec_identical, Some(false));
    assert!(e2e.spec.spec_mismatch_at.is_some());
    let summary = summarize(&rows("c0-k1", Some(4), &speculative));
    let e2e = summary
        .iter()
        .find(|r| r.first.test == "e2e:hello")
        .unwrap();
    assert_eq!(e2e.spec.as_ref().unwrap().spec_identical, Some(false));
}
