//! `edgebench report` and the report `run` writes: real runs, merged runs,
//! failures, quality rows, hostile names, fit estimates, bad input.
mod common;
use std::path::Path;

use common::synthetic::{write_run, Spec};
use common::*;

const CHARTS: [&str; 6] = [
    "tg_tps",
    "latency",
    "quality_vs_speed",
    "memory",
    "quality_categories",
    "timeline",
];

fn report(args: &[&str]) -> std::process::Output {
    edgebench()
        .arg("report")
        .args(args)
        .output()
        .expect("edgebench runs")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_charts(dir: &Path, names: &[&str]) {
    for name in names {
        for ext in ["png", "svg"] {
            let path = dir.join("charts").join(format!("{name}.{ext}"));
            let size = std::fs::metadata(&path)
                .unwrap_or_else(|_| panic!("{} missing", path.display()))
                .len();
            assert!(size > 300, "{} is only {size} bytes", path.display());
        }
    }
}

#[test]
fn report_on_a_real_run_of_the_default_model() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let gemma = gemma();
    let o = quick_run(&[&gemma], out.path(), &["--reps", "2", "--sample-ms", "50"]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let dir = run_dir(&o);
    // `run` writes the report into its run directory by default.
    assert!(stdout(&o).contains("report: "), "{}", stdout(&o));
    let html = read(&dir.join("report.html"));
    assert!(
        html.contains("gemma-3-270m-Q4_K_M"),
        "candidate in the table"
    );
    assert_charts(&dir, &CHARTS);

    // Again with a device profile: roofline and fit against its budget.
    let again = out.path().join("orin");
    let o = report(&[
        dir.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--profile",
        "jetson-orin-nx-16gb",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&again.join("report.md"));
    assert!(md.contains("jetson-orin-nx-16gb"), "{md}");
    assert!(md.contains("102.4 GB/s"), "{md}");
    let line = md
        .lines()
        // The full table (folded under the deciding one) has every column.
        .find(|l| l.starts_with("| gemma-3-270m-Q4_K_M") && l.matches(" | ").count() >= 18)
        .expect("comparison row");
    let cells: Vec<&str> = line.split(" | ").collect();
    // tg measured, predicted memory from the GGUF, a roofline share, quality n/a.
    assert_ne!(cells[7], "n/a", "{line}");
    assert_ne!(cells[11], "n/a", "predicted: {line}");
    assert_eq!(cells[13], "fits", "{line}");
    assert!(cells[16].ends_with('%'), "roofline share: {line}");
    assert_eq!(cells[17], "n/a", "no quality suite: {line}");
    assert!(
        md.contains("not measured: quality"),
        "quality target is not measured: {md}"
    );
    assert_charts(&again, &CHARTS);
}

#[test]
fn several_runs_merge_into_one_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("night-1"), tmp.path().join("night-2"));
    write_run(
        &a,
        &Spec {
            run_id: "night-1".into(),
            ..Default::default()
        },
    );
    write_run(
        &b,
        &Spec {
            run_id: "night-2".into(),
            candidates: 2,
            ..Default::default()
        },
    );
    let out = tmp.path().join("merged");
    let o = report(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        "rtx-3090-24gb",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&out.join("report.md"));
    assert!(md.contains("## Comparison: run night-1"), "{md}");
    assert!(md.contains("## Comparison: run night-2"), "{md}");
    assert!(
        md.contains("model-01-Q4_K_M @night-2"),
        "labels tell runs apart"
    );
    let html = read(&out.join("report.html"));
    // Per run: the deciding table and the full one folded beneath it.
    assert_eq!(html.matches("<table class=\"sortable\"").count(), 4);
    assert_charts(&out, &["tg_tps", "memory", "timeline-1", "timeline-2"]);
}

#[test]
fn speed_at_several_depths_gets_its_chart_and_keeps_the_headline_at_depth_0() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("deep");
    let spec = Spec {
        candidates: 2,
        depths: vec![512, 2048],
        ..Default::default()
    };
    write_run(&run, &spec);
    let o = report(&[run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert_charts(&run, &["depth"]);
    let svg = read(&run.join("charts/depth.svg"));
    for text in [
        "depth (tokens already in the cache)",
        "Generation (tgN, median)",
        "budget",
    ] {
        assert!(svg.contains(text), "{text} missing from the depth chart");
    }
    // The headline tg tok/s is the empty cache's (120 for model-00), not a depth's.
    let md = read(&run.join("report.md"));
    assert!(md.contains("120.0"), "{md}");
    let shallow = tmp.path().join("shallow");
    write_run(&shallow, &Spec::default());
    assert_eq!(report(&[shallow.to_str().unwrap()]).status.code(), Some(0));
    assert!(
        !shallow.join("charts/depth.svg").exists(),
        "one depth: no depth chart"
    );
}

#[test]
fn a_run_with_failed_candidates_lists_them_and_rejects_them() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(
        &run,
        &Spec {
            failed: vec![1],
            ..Default::default()
        },
    );
    let o = report(&[run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&run.join("report.md"));
    assert!(md.contains("## Failures"), "{md}");
    assert!(
        md.contains("| model-01-Q4_K_M | run | tg128 | oom | killed by SIGKILL"),
        "{md}"
    );
    assert!(
        md.contains("rejected: model-01-Q4_K_M: did not complete (oom)"),
        "{md}"
    );
    // model-00 runs at 120 tok/s, model-02 at 40: both meet the speed target.
    assert!(
        md.contains("Best, unverified: model-00-Q4_K_M"),
        "best among those that ran: {md}"
    );
}

#[test]
fn quality_rows_give_scores_categories_and_a_pareto_front() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(
        &run,
        &Spec {
            candidates: 4,
            quality: true,
            ..Default::default()
        },
    );
    let targets = tmp.path().join("targets.toml");
    std::fs::write(
        &targets,
        "name = \"test\"\nmin_tg_tps = 35\nmax_latency_50_ms = 2000\nmin_quality = 0.7\n",
    )
    .unwrap();
    let o = report(&[
        run.to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&run.join("report.md"));
    // Quality score = the overall pass rate (one suite): 90%, 78%, 66%, 54%.
    let row = |name: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap()
            .to_string()
    };
    assert!(row("model-00-Q4_K_M").contains("| 90% |"), "{md}");
    assert!(row("model-02-Q4_K_M").contains("| 66% |"), "{md}");
    // model-00: 120 tok/s, 90%; model-01: 60 tok/s, 78%; model-02: 40 tok/s, 66% < 70%;
    // model-03: 30 tok/s < 35.
    assert!(
        md.contains("Best: model-00-Q4_K_M (meets every target)"),
        "{md}"
    );
    assert!(
        md.contains("2. model-01-Q4_K_M: meets every target"),
        "{md}"
    );
    assert!(
        md.contains("rejected: model-02-Q4_K_M: quality 66%, target ≥ 70%"),
        "{md}"
    );
    assert!(
        md.contains("rejected: model-03-Q4_K_M: tg tok/s 30.0, target ≥ 35.0"),
        "{md}"
    );
    let svg = read(&run.join("charts/quality_categories.svg"));
    assert!(svg.contains("basic / math") && svg.contains("basic / facts"));
    let pareto = read(&run.join("charts/quality_vs_speed.svg"));
    assert!(pareto.contains("Pareto front"));
}

#[test]
fn a_base_model_is_marked_and_not_ranked_on_quality() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    // model-00 (90%, 120 tok/s) would be best; its file is Gemma 3 270M, a
    // base model without a chat template.
    let spec = Spec {
        candidates: 3,
        quality: true,
        first_model_file: Some(gemma().to_string_lossy().into_owned()),
        ..Default::default()
    };
    write_run(&run, &spec);
    let targets = tmp.path().join("targets.toml");
    let text = "name = \"test\"\nmin_tg_tps = 35\nmax_latency_50_ms = 2000\nmin_quality = 0.7\n";
    std::fs::write(&targets, text).unwrap();
    let o = report(&[
        run.to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&run.join("report.md"));
    let note = "base model: no chat template, chat-quality scores are not comparable";
    assert!(
        md.contains("Best: model-01-Q4_K_M (meets every target)"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "model-00-Q4_K_M: meets the measured targets; {note}"
        )),
        "{md}"
    );
    assert!(md.contains(&format!("model-00-Q4_K_M: {note}")), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| model-00-Q4_K_M |"))
        .unwrap();
    assert!(
        row.contains("| 90% (base model) |") && row.contains(note),
        "{row}"
    );
}

#[test]
fn hostile_names_and_outputs_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let evil = "<script>alert(1)</script>|[x](javascript:alert(2))";
    write_run(
        &run,
        &Spec {
            first_name: Some(evil.into()),
            failed: vec![0],
            ..Default::default()
        },
    );
    let o = report(&[run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let html = read(&run.join("report.html"));
    assert!(!html.contains("<script>alert"), "live tag in the HTML");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Our own sorting script is the only one.
    assert_eq!(html.matches("<script").count(), 1);
    let md = read(&run.join("report.md"));
    assert!(!md.contains("<script>"), "live tag in the Markdown");
    assert!(!md.contains("[x](javascript"), "live link in the Markdown");
    for chart in ["tg_tps", "memory", "timeline"] {
        let svg = read(&run.join(format!("charts/{chart}.svg")));
        assert!(!svg.contains("<script"), "{chart}.svg has a live tag");
    }
}

#[test]
fn a_baseline_adds_the_delta_table() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, run) = (tmp.path().join("base"), tmp.path().join("run"));
    write_run(&base, &Spec::default());
    write_run(&run, &Spec::default());
    let o = report(&[run.to_str().unwrap(), "--baseline", base.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&run.join("report.md"));
    assert!(md.contains("## Changes against baseline"), "{md}");
    assert!(md.contains("| tg_tps | 120.00 | 120.00 | +0.0% |"), "{md}");
}

/// Hand-computed from the tensor infos of the two default models (types, element
/// counts, ggml block sizes):
/// SmolLM2-135M Q4_1: Q8_0 28,311,552 el x 34/32 = 30,081,024; F32 35,136 x 4 =
/// 140,544; Q4_1 106,168,320 x 20/32 = 66,355,200; total 96,576,768 bytes.
/// KV at 4096: 30 layers x 4096 x 3 KV heads x (64 + 64) x 2 B = 94,371,840.
/// Gemma 3 270M Q4_K_M: F32 55,936 x 4 = 223,744; Q8_0 169,246,720 x 34/32 =
/// 179,824,640; Q5_0 63,406,080 x 22/32 = 43,591,680; Q4_K 23,592,960 x 144/256 =
/// 13,271,040; Q6_K 11,796,480 x 210/256 = 9,676,800; total 246,587,904.
/// KV at 4096: 18 layers x 4096 x 1 KV head x (256 + 256) x 2 B = 75,497,472.
/// Overhead: 64 MiB + 5% of the weights. Rule of thumb: params x 0.5 B x 1.3.
#[test]
fn fit_estimates_match_hand_computed_values() {
    let o = edgebench()
        .args(["models", "--json", "--ctx", "4096", "--profile"])
        .arg("raspberry-pi-5-8gb")
        .arg(smollm())
        .arg(gemma())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let expected = [
        (96_576_768u64, 94_371_840u64, 134_515_008u64),
        (246_587_904, 75_497_472, 268_098_176),
    ];
    for (model, (weights, kv, params)) in json.as_array().unwrap().iter().zip(expected) {
        let e = &model["fit"]["estimate"];
        assert_eq!(e["weights_bytes"], weights, "{model}");
        assert_eq!(e["kv_cache_bytes"], kv, "{model}");
        let overhead = 64 * 1048576 + (weights as f64 * 0.05) as u64;
        assert_eq!(e["overhead_bytes"], overhead, "{model}");
        assert_eq!(e["total_bytes"], weights + kv + overhead, "{model}");
        let thumb = (params as f64 * 0.5 * 1.3) as u64;
        assert_eq!(e["rule_of_thumb_bytes"], thumb, "{model}");
        assert_eq!(model["fit"]["verdict"], "fits", "{model}");
    }
    // A budget of 0.28 GiB (287 MiB): SmolLM2 (251 MiB, 87%) is tight, Gemma (383 MiB) does not fit.
    let tmp = tempfile::tempdir().unwrap();
    let profiles = tmp.path().join("p.toml");
    std::fs::write(
        &profiles,
        "[[profile]]\nname = \"tiny\"\nmemory_gib = 0.28\n",
    )
    .unwrap();
    let o = edgebench()
        .args(["models", "--ctx", "4096", "--profile", "tiny", "--profiles"])
        .arg(&profiles)
        .arg(smollm())
        .arg(gemma())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let text = stdout(&o);
    let verdict = |file: &str| {
        text.lines()
            .rfind(|l| l.contains(file))
            .unwrap()
            .trim_end()
            .to_string()
    };
    assert!(verdict("SmolLM2").ends_with("tight"), "{text}");
    assert!(verdict("gemma").ends_with("does not fit"), "{text}");
}

#[test]
fn bad_input_is_one_line_with_status_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = report(&["/nonexistent/run"]);
    assert_clean_error(&o, 2, &["not a run directory"]);
    let run = tmp.path().join("run");
    write_run(&run, &Spec::default());
    let o = report(&[run.to_str().unwrap(), "--profile", "toaster"]);
    assert_clean_error(
        &o,
        2,
        &["--profile toaster: unknown", "jetson-orin-nx-16gb"],
    );
    let targets = tmp.path().join("t.toml");
    std::fs::write(&targets, "min_tg_tps = \"fast\"\n").unwrap();
    let o = report(&[
        run.to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
    ]);
    assert_clean_error(&o, 2, &["t.toml:1"]);
}
