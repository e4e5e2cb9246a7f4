//! The CI gate: no false alarm between runs of one build, a 15% drop caught,
//! readable Markdown, valid JUnit, llama-bench imports that match edgebench rows.
mod common;
use std::path::Path;

use common::*;
use edgebench::results::{write_table, RowConfig, RowIdentity, SpeedRow, Status};

/// A run directory whose tg128 and pp512 reps are `tg` and `pp` scaled by ~2% noise.
/// The one candidate of the synthetic runs (a name that needs escaping).
fn model_a(run_id: &str) -> RowIdentity {
    RowIdentity {
        run_id: run_id.into(),
        unit_id: "c0-k0".into(),
        candidate: "model-a|<b>".into(),
        model_sha256: "abc123".into(),
        ..Default::default()
    }
}

fn two_threads_all_layers() -> RowConfig {
    RowConfig {
        n_threads: 2,
        n_gpu_layers: 999,
        n_batch: 2048,
        flash_attn: "auto".into(),
        ..Default::default()
    }
}

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
                id: model_a(name),
                config: two_threads_all_layers(),
                test: test.into(),
                mode: "engine".into(),
                rep: Some(rep),
                tg_tps: test.starts_with("tg").then_some(value),
                pp_tps: test.starts_with("pp").then_some(value),
                status: Status::Ok,
                ..Default::default()
            });
        }
    }
    write_table(&run, &rows).unwrap();
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
        id: RowIdentity {
            candidate: "something-else".into(),
            ..Default::default()
        },
        test: "tg128".into(),
        rep: Some(0),
        tg_tps: Some(1.0),
        status: Status::Ok,
        ..Default::default()
    }];
    write_table(&other, &rows).unwrap();
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
    let imported = import_llama_bench(&data.join("llama-bench-gemma.json"), out.path());
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

/// `run --save-baseline` then `run --baseline` on the real model: the baseline is kept
/// where CI can cache it, and the second run ends with the comparison.
#[test]
fn run_saves_a_baseline_and_compares_against_it() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let baselines = out.path().join("baselines");
    let smol = smollm();
    let run = |extra: &[&str]| {
        edgebench()
            .env("EDGEBENCH_BASELINES", &baselines)
            .env_remove("GITHUB_STEP_SUMMARY")
            .arg("run")
            .arg("--model")
            .arg(&smol)
            .args([
                "--suite",
                "engine-only",
                "--pp",
                "64",
                "--tg",
                "16",
                "--reps",
                "3",
                "--threads",
                "2",
            ])
            .arg("--out")
            .arg(out.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&["--save-baseline", "main"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        baselines.join("main/speed.parquet").is_file()
            && baselines.join("main/manifest.json").is_file()
    );
    let second = run(&["--baseline", "main"]);
    let text = stdout(&second);
    // Exit 0 or 1 is the gate's call on this machine's noise; the report must be there either way.
    assert!(
        matches!(second.status.code(), Some(0) | Some(1)),
        "{}",
        stderr(&second)
    );
    assert!(
        text.contains("## edgebench compare") && text.contains("**Result:"),
        "{text}"
    );
    for metric in ["pp_tps", "tg_tps"] {
        assert!(
            text.lines()
                .any(|l| l.contains(metric) && l.contains("SmolLM2")),
            "{metric}: {text}"
        );
    }
    let before = std::fs::read_dir(out.path()).unwrap().count();
    let bad = run(&["--baseline", "nope"]);
    assert_clean_error(&bad, 2, &["nope"]);
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        before,
        "nothing run"
    );
}

#[test]
fn shards_split_the_candidates_between_jobs() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let (gemma, smol) = (gemma(), smollm());
    let o = quick_run(
        &[&gemma, &smol],
        out.path(),
        &["--shard", "2/2", "--suite", "engine-only"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let candidates: std::collections::BTreeSet<_> =
        strings(&speed, "candidate").into_iter().flatten().collect();
    assert_eq!(
        candidates.into_iter().collect::<Vec<_>>(),
        vec!["SmolLM2-135M-Instruct-Q4_1".to_string()]
    );
    let bad = quick_run(&[&smol], out.path(), &["--shard", "3/2"]);
    assert_clean_error(&bad, 2, &["--shard 3/2"]);
}

/// Adds quality.parquet to a synthetic run: case i of 50 passes when `passes(i)`.
fn with_answers(run: &str, suite: &str, passes: impl Fn(usize) -> bool) {
    use edgebench::results::QualityRow;
    let rows: Vec<QualityRow> = (0..50)
        .map(|i| QualityRow {
            id: model_a("r"),
            config: two_threads_all_layers(),
            suite: suite.into(),
            case_id: format!("case-{i}"),
            category: "c".into(),
            decoding: "free".into(),
            pass: Some(passes(i)),
            n_checks: 1,
            n_checks_passed: u32::from(passes(i)),
            status: Status::Ok,
            ..Default::default()
        })
        .collect();
    write_table(Path::new(run), &rows).unwrap();
}

#[test]
fn quality_is_compared_per_suite_with_a_paired_test() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_run(dir.path(), "base", 95.0, 1000.0, 21);
    let same = synthetic_run(dir.path(), "same", 95.0, 1000.0, 22);
    let worse = synthetic_run(dir.path(), "worse", 95.0, 1000.0, 23);
    let noisy = synthetic_run(dir.path(), "noisy", 95.0, 1000.0, 24);
    with_answers(&base, "quality-basic", |i| i < 40);
    with_answers(&same, "quality-basic", |i| i < 40);
    // 20 cases the baseline passed now fail: 40/50 -> 20/50, McNemar p ~ 2e-6.
    with_answers(&worse, "quality-basic", |i| i < 20);
    // 3 flips each way: the same pass rate, no evidence of change.
    with_answers(&noisy, "quality-basic", |i| {
        (3..40).contains(&i) || (40..43).contains(&i)
    });

    let o = compare(&base, &same, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = compare(&base, &noisy, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let q = &json["quality"][0];
    assert_eq!(
        (q["only_baseline"].as_u64(), q["only_candidate"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(q["verdict"], "unchanged");

    let o = compare(&base, &worse, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let md = stdout(&o);
    assert!(
        md.contains("quality-basic") && md.contains("regressed"),
        "{md}"
    );
    let o = compare(&base, &worse, &["--format", "junit"]);
    assert!(
        stdout(&o).contains("quality:quality-basic"),
        "{}",
        stdout(&o)
    );
}

/// llama-bench `-d 256` and edgebench `--depth 256` on this machine (tests/data):
/// the import keeps `n_depth`, names the tests as edgebench does, and `compare`
/// matches them.
#[test]
fn llama_bench_json_at_a_depth_compares_with_edgebench_at_that_depth() {
    let out = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let imported = import_llama_bench(&data.join("llama-bench-gemma-d256.json"), out.path());
    let speed = read_parquet(&imported.join("speed.parquet"));
    let tests = strings(&speed, "test");
    assert!(
        tests
            .iter()
            .all(|t| t.as_deref().is_some_and(|t| t.ends_with("@d256"))),
        "{tests:?}"
    );
    assert!(floats(&speed, "n_depth").iter().all(|d| *d == Some(256.0)));
    assert_eq!(
        floats(&speed, "n_ctx")[0],
        Some(256.0 + 64.0),
        "depth + prompt"
    );

    let eb = data.join("edgebench-gemma-d256");
    let o = compare(
        imported.to_str().unwrap(),
        eb.to_str().unwrap(),
        &["--format", "json"],
    );
    let json: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let matched: Vec<&str> = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["test"].as_str().unwrap())
        .collect();
    assert!(
        matched.contains(&"pp64@d256") && matched.contains(&"tg16@d256"),
        "{matched:?}"
    );
}

/// `edgebench import llama-bench FILE --out OUT`, which must succeed: the run directory.
fn import_llama_bench(file: &Path, out: &Path) -> std::path::PathBuf {
    let o = edgebench()
        .args(["import", "llama-bench"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    run_dir(&o)
}
