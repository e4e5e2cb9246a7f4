//! Speculative decoding on the real models: a draft run beside its baseline
//! (acceptance, speed-up columns, the identity check), `--spec mtp` on a model
//! without MTP heads, and the refusals of bad speculative settings.
mod common;
use std::path::Path;

use common::*;

fn bools(df: &polars::prelude::DataFrame, column: &str) -> Vec<Option<bool>> {
    strings(df, column)
        .into_iter()
        .map(|v| v.map(|s| s == "true"))
        .collect()
}

#[test]
fn a_draft_runs_beside_its_baseline_with_acceptance_speedup_and_the_identity_check() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let smol = smollm();
    // The target as its own draft: the drafts are its own greedy tokens, so
    // nearly all are accepted (all but where batched and single-token
    // decoding round a near tie differently).
    let draft = smol.to_str().unwrap();
    let extra = ["--draft-model", draft, "--draft-max", "4", "--tg", "16"];
    let o = quick_run(&[&smol], out.path(), &extra);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert!(
        stdout(&o).contains("draft=SmolLM2-135M-Instruct-Q4_1 dmax=4"),
        "{}",
        stdout(&o)
    );
    let dir = run_dir(&o);
    let speed = read_parquet(&dir.join("speed.parquet"));
    let spec = strings(&speed, "spec");
    let tests = strings(&speed, "test");
    let drafted = floats(&speed, "draft_n");
    let accepted = floats(&speed, "draft_accepted");
    let identical = bools(&speed, "spec_identical");
    let mut speculative_rows = 0;
    for i in 0..speed.height() {
        let test = tests[i].as_deref().unwrap();
        let generates = test.starts_with("tg") || test.starts_with("e2e:");
        match (spec[i].as_deref(), generates) {
            (Some("draft"), true) => {
                speculative_rows += 1;
                let (d, a) = (drafted[i].unwrap(), accepted[i].unwrap());
                assert!(d > 0.0 && a <= d, "{test}: {a} of {d}");
                assert!(
                    a / d > 0.5,
                    "{test}: the target drafting for itself: {a} of {d}"
                );
                assert!(identical[i].is_some(), "{test}: checked");
            }
            _ => assert!(drafted[i].is_none(), "{test}: no draft, no count"),
        }
    }
    assert_eq!(
        speculative_rows,
        1 + 3,
        "tg16 and the speed suite's 3 prompts"
    );
    let summary = read_parquet(&dir.join("summary.parquet"));
    let s_spec = strings(&summary, "spec");
    let s_test = strings(&summary, "test");
    let tg_speedup = floats(&summary, "tg_speedup");
    let latency_speedup = floats(&summary, "latency_50_speedup");
    for i in 0..summary.height() {
        if s_spec[i].as_deref() != Some("draft") {
            continue;
        }
        match s_test[i].as_deref().unwrap() {
            "tg16" => assert!(tg_speedup[i].is_some_and(|v| v > 0.0)),
            t if t.starts_with("e2e:") => assert!(latency_speedup[i].is_some_and(|v| v > 0.0)),
            _ => {}
        }
    }
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("## Speculative decoding"), "{report}");
}

#[test]
fn spec_mtp_on_a_model_without_heads_is_an_unsupported_row_with_the_reason() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let smol = smollm();
    let extra = ["--spec", "mtp", "--draft-max", "2", "--pp", "8"];
    let o = quick_run(&[&smol], out.path(), &extra);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let (spec, tests) = (strings(&speed, "spec"), strings(&speed, "test"));
    let (status, error) = (strings(&speed, "status"), strings(&speed, "error"));
    let mtp: Vec<usize> = (0..speed.height())
        .filter(|&i| spec[i].as_deref() == Some("mtp"))
        .filter(|&i| {
            tests[i]
                .as_deref()
                .is_some_and(|t| t.starts_with("tg") || t.starts_with("e2e:"))
        })
        .collect();
    assert_eq!(mtp.len(), 1 + 3);
    for i in mtp {
        assert_eq!(status[i].as_deref(), Some("unsupported"));
        let e = error[i].as_deref().unwrap();
        assert!(e.contains("no multi-token-prediction heads"), "{e}");
    }
}

#[test]
fn bad_speculative_settings_are_refused_in_one_line() {
    let out = tempfile::tempdir().unwrap();
    let (smol, gemma) = (smollm(), gemma());
    let s = smol.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["--draft-max", "4"], "need a draft model"),
        (&["--spec", "eagle"], "--spec eagle: the one method is mtp"),
        (
            &["--draft-model", s, "--draft-max", "8", "--draft-min", "9"],
            "--draft-min 9 is more than --draft-max 8",
        ),
        (
            &["--draft-model", "no-such-draft"],
            "no such file, and no model of that name",
        ),
        (
            &["--draft-model", gemma.to_str().unwrap()],
            "tokenizers differ",
        ),
    ];
    for (extra, expected) in cases {
        let o = quick_run(&[&smol as &Path], out.path(), extra);
        assert_clean_error(&o, 2, &[expected]);
    }
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing run"
    );
}
