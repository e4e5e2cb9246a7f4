//! The CI gate: no false alarm between runs of one build, a 15% drop caught,
//! readable Markdown, valid JUnit, llama-bench imports that match edgebench rows.
mod common;
use std::path::Path;

use common::*;
use edgebench::results::{speed_frame, write_frame, SpeedRow};

/// A run directory whose tg128 and pp512 reps are `tg` and `pp` scaled by ~2% noise.
fn synthetic_run(dir: &Path, name: &str, tg: f64, pp: f64, seed: u64) -> String {
    let run = dir.join(name);
    std::fs::create_dir_all(&run).unwrap();
    let mut state = seed;
    let mut noise = move || {
        // xorshift: repeatable noise in [-2%, +2%]
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        1.0 + ((state % 4001) as f64 / 100_000.0 - 0.02)
    };
    let mut rows = Vec::new();
    for rep in 0..5 {
        for (test, rate) in [("tg128", tg), ("pp512", pp)] {
            let value = rate * noise();
            rows.push(SpeedRow {
                run_id: name.into(),
                unit_id: "c0-k0".into(),
                candidate: "model-a|<b>".into(),
                model_sha256: "abc123".into(),
                n_threads: 2,
                n_gpu_layers: 999,
                n_batch: 2048,
                flash_attn: "auto".into(),
                test: test.into(),
                mode: "engine".into(),
                rep: Some(rep),
                tg_tps: test.starts_with("tg").then_some(value),
                pp_tps: test.starts_with("pp").then_some(value),
                status: "ok".into(),
                ..Default::default()
            });
        }
    }
    write_frame(&run, "speed", &mut speed_frame(&rows).unwrap()).unwrap();
    run.to_string_lossy().into_owned()
}

fn compare(base: &str, cand: &str, extra: &[&str]) -> std::process::Output {
    edgebench()
        .args(["compare", base, cand])
        .args(extra)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

#[test]
fn runs_of_the_same_build_raise_no_alarm() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=10u64 {
        let base = synthetic_run(dir.path(), &format!("base{seed}"), 95.0, 1000.0, seed);
        let cand = synthetic_run(
            dir.path(),
            &format!("cand{seed}"),
            95.0,
            1000.0,
            seed * 7919 + 3,
        );
        let o = compare(&base, &cand, &[]);
        assert_eq!(o.status.code(), Some(0), "seed {seed}: {}", stdout(&o));
        assert!(stdout(&o).contains("no regression"), "{}", stdout(&o));
    }
}

#[test]
fn a_15_percent_slower_generation_is_a_regression_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_run(dir.path(), "base", 95.0, 1000.0, 11);
    let cand = synthetic_run(dir.path(), "cand", 95.0 * 0.85, 1000.0, 12);
    let summary = dir.path().join("step-summary.md");
    let o = edgebench()
        .args(["compare", &base, &cand])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let md = stdout(&o);
    let tg_line = md
        .lines()
        .find(|l| l.contains("tg_tps") && l.contains("regressed"))
        .expect(&md);
    assert!(tg_line.contains("tg128"), "{tg_line}");
    assert!(
        !md.contains("model-a|<b>"),
        "names are escaped in Markdown: {md}"
    );
    assert!(
        !md.lines()
            .any(|l| l.contains("pp_tps") && l.contains("regressed")),
        "{md}"
    );
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap(),
        md,
        "GitHub step summary gets the same Markdown"
    );

    let junit = dir.path().join("gate.xml");
    let o = compare(
        &base,
        &cand,
        &["--format", "junit", "--out", junit.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut testcases, mut failures) = (0, 0);
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("invalid XML at {}: {e}\n{xml}", reader.buffer_position()))
        {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => testcases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!((testcases, failures), (2, 1), "{xml}");

    let o = compare(&base, &cand, &["--format", "json", "--metric", "tg_tps"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["regressions"], 1);
    assert_eq!(json["metrics"].as_array().unwrap().len(), 1);
}

#[test]
fn runs_with_nothing_in_common_or_bad_paths_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_run(dir.path(), "base", 95.0, 1000.0, 1);
    let o = compare(&base, "/nonexistent/run", &[]);
    assert_clean_error(&o, 2, &["/nonexistent/run"]);
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let rows = vec![SpeedRow {
        candidate: "something-else".into(),
        test: "tg128".into(),
        rep: Some(0),
        tg_tps: Some(1.0),
        status: "ok".into(),
        ..Default::default()
    }];
    write_frame(&other, "speed", &mut speed_frame(&rows).unwrap()).unwrap();
    let o = compare(&base, other.to_str().unwrap(), &[]);
    assert_clean_error(&o, 2, &["nothing to compare", "something-else"]);
    assert_clean_error(
        &compare(&base, &base, &["--threshold", "lots"]),
        2,
        &["--threshold"],
    );
}

/// Real output of llama-bench and edgebench on this machine (tests/data): imported,
/// the llama-bench rows match edgebench's by model, configuration and test.
#[test]
fn llama_bench_json_imports_as_a_run_that_compares_with_edgebench() {
    let out = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let o = edgebench()
        .args(["import", "llama-bench"])
        .arg(data.join("llama-bench-gemma.json"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let imported = run_dir(&o);
    let speed = read_parquet(&imported.join("speed.parquet"));
    assert_eq!(speed.height(), 10, "2 tests x 5 samples");
    assert_eq!(
        strings(&speed, "candidate")[0].as_deref(),
        Some("gemma-3-270m-Q4_K_M")
    );

    let eb = data.join("edgebench-gemma");
    let o = compare(
        imported.to_str().unwrap(),
        eb.to_str().unwrap(),
        &["--format", "json"],
    );
    let json: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let metrics = json["metrics"].as_array().unwrap();
    let tests: Vec<&str> = metrics
        .iter()
        .map(|m| m["test"].as_str().unwrap())
        .collect();
    assert!(
        tests.contains(&"pp512") && tests.contains(&"tg128"),
        "{tests:?}"
    );
    let tg = metrics.iter().find(|m| m["test"] == "tg128").unwrap();
    assert_eq!(tg["verdict"], "unchanged", "{tg}");

    let bad = edgebench()
        .args(["import", "llama-bench"])
        .arg(data.join("edgebench-gemma/manifest.json"))
        .output()
        .unwrap();
    assert_clean_error(&bad, 2, &["not llama-bench JSON"]);
}
