//! The report's charts as a reader sees them: a real two-model run rendered in
//! headless Chromium (every chart present, category names and targets in the
//! SVG text, no label over another), trends across five nights with the slow
//! night marked, and messages instead of empty axes when every candidate failed.
mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::svg::{attr, overlapping, svg_texts};
use common::synthetic::{write_manifest, write_run, Spec};
use common::*;
use edgebench::report::recommend::Targets;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// quality-basic cut to `per_category` cases of each category, and its categories.
fn small_quality_suite(dir: &Path, per_category: usize) -> (PathBuf, Vec<String>) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/quality-basic.toml");
    let mut table: toml::Table = toml::from_str(&read(&shipped)).unwrap();
    let mut categories: Vec<String> = Vec::new();
    let cases = table.get_mut("case").unwrap().as_array_mut().unwrap();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    cases.retain(|case| {
        let category = case["category"].as_str().unwrap().to_string();
        if !categories.contains(&category) {
            categories.push(category.clone());
        }
        let n = seen.entry(category).or_default();
        *n += 1;
        *n <= per_category
    });
    let out = dir.join("quality-basic.toml");
    std::fs::write(&out, toml::to_string(&table).unwrap()).unwrap();
    (out, categories)
}

/// scripts/check-report.sh's output; None when chromium cannot be installed (status 77).
fn check_in_chromium(html: &Path) -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-report.sh");
    let o = Command::new("bash")
        .arg(script)
        .arg(html)
        .arg("2")
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&o), stderr(&o));
    if o.status.code() == Some(77) {
        eprintln!("skipped the Chromium check: {text}");
        return None;
    }
    assert_eq!(o.status.code(), Some(0), "check-report.sh:\n{text}");
    Some(text)
}

#[test]
fn a_real_two_model_report_is_legible_in_chromium() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let (suite, categories) = small_quality_suite(tmp.path(), 1);
    let (gemma, smollm) = (gemma(), smollm());
    let o = quick_run(
        &[&gemma, &smollm],
        tmp.path(),
        &["--suite", "speed", "--suite", suite.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let dir = run_dir(&o);
    let charts: Vec<PathBuf> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(charts.len() >= 6, "{charts:?}");
    if let Some(out) = check_in_chromium(&dir.join("report.html")) {
        let expected = format!("{} embedded chart images", charts.len());
        assert!(out.contains(&expected), "{out}");
    }
    let quality: Vec<String> = svg_texts(&read(&dir.join("charts/quality_categories.svg")))
        .into_iter()
        .map(|t| t.text)
        .collect();
    for category in &categories {
        assert!(
            quality
                .iter()
                .any(|t| t.ends_with(&format!("/ {category}"))),
            "category {category} not named in {quality:?}"
        );
    }
    let targets = Targets::voice_assistant();
    let latency = read(&dir.join("charts/latency.svg"));
    let ms = format!("{:.0} ms", targets.max_latency_50_ms.unwrap());
    assert!(
        latency.contains(&format!("target ≤ {ms}")),
        "{ms} not in latency.svg"
    );
    let tg = read(&dir.join("charts/tg_tps.svg"));
    let tps = format!("{:.0} tok/s", targets.min_tg_tps.unwrap());
    assert!(
        tg.contains(&format!("target ≥ {tps}")),
        "{tps} not in tg_tps.svg"
    );
    for chart in &charts {
        let texts = svg_texts(&read(chart));
        assert!(!texts.is_empty(), "{} has no text", chart.display());
        let clashes = overlapping(&texts);
        assert!(
            clashes.is_empty(),
            "{}: texts overlap: {clashes:?}",
            chart.display()
        );
    }
}

#[test]
fn five_nights_draw_trends_with_the_slow_night_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for night in 1..=5 {
        let id = format!("night-{night}");
        let dir = tmp.path().join(&id);
        write_run(
            &dir,
            &Spec {
                run_id: id.clone(),
                speed_factor: if night == 4 { 0.85 } else { 1.0 },
                ..Default::default()
            },
        );
        write_manifest(&dir, &id, &format!("2026-11-0{night}T02:00:00.000Z"));
        dirs.push(dir.to_str().unwrap().to_string());
    }
    let out = tmp.path().join("report");
    let o = edgebench()
        .arg("report")
        .args(&dirs)
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&out.join("report.md"));
    assert!(md.contains("## Trends across runs"), "{md}");
    let marked: Vec<&str> = md
        .lines()
        .filter(|l| l.contains("a regression by compare's rule"))
        .collect();
    for c in 0..3 {
        let line = format!("2026-11-04 02:00 (run night-4): model-{c:02}-Q4_K_M: tg tok/s -15%");
        assert!(
            marked.iter().any(|l| l.contains(&line)),
            "{line} not in {marked:?}"
        );
    }
    assert!(
        marked.iter().all(|l| l.contains("night-4")),
        "only the slow night: {marked:?}"
    );
    let svg = read(&out.join("charts/trends.svg"));
    assert!(out.join("charts/trends.png").is_file());
    let texts = svg_texts(&svg);
    let date = texts
        .iter()
        .find(|t| t.text == "11-04 02:00")
        .unwrap_or_else(|| {
            let all: Vec<&str> = texts.iter().map(|t| t.text.as_str()).collect();
            panic!("the slow night's date is not on the axis: {all:?}")
        });
    // The red rings sit over the slow night's date, and nowhere else.
    let rings: Vec<f64> = svg
        .split("<circle ")
        .skip(1)
        .filter(|c| c.contains("r=\"10\"") && c.contains("stroke=\"#C81E1E\""))
        .map(|c| attr(&format!(" {c}"), "cx").unwrap().parse().unwrap())
        .collect();
    assert!(
        rings.len() >= 3,
        "a ring per candidate's tg point: {rings:?}"
    );
    assert!(
        rings.iter().all(|x| (x - date.x).abs() < 2.0),
        "{rings:?} vs {}",
        date.x
    );
    assert!(texts.iter().filter(|t| t.text == "-15%").count() >= 3);
    assert!(overlapping(&texts).is_empty(), "{:?}", overlapping(&texts));
}

#[test]
fn every_candidate_failed_says_so_instead_of_empty_axes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(
        &run,
        &Spec {
            failed: vec![0, 1, 2],
            ..Default::default()
        },
    );
    write_manifest(&run, "all-failed", "2026-11-05T02:00:00.000Z");
    let o = edgebench().arg("report").arg(&run).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    for chart in ["tg_tps", "latency"] {
        let svg = read(&run.join(format!("charts/{chart}.svg")));
        assert!(svg.contains("every candidate failed to run"), "{chart}.svg");
        assert!(
            !svg.contains("<line") && !svg.contains("<polyline"),
            "{chart}.svg draws axes"
        );
    }
    let quality = read(&run.join("charts/quality_categories.svg"));
    assert!(quality.contains("quality-basic requested"), "{quality}");
    assert!(!quality.contains("no quality suite"));
    let md = read(&run.join("report.md"));
    assert!(md.contains("| failed (oom) |"), "verdict column: {md}");
}

/// A Jetson run under two power modes: the report has the *Power modes* table
/// and the `power_modes` chart (tok/s and J/token per candidate and mode), and
/// picks the Orin NX profile from the manifest's board without `--profile`.
#[test]
fn power_modes_get_a_table_and_a_chart_and_the_board_its_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(
        &run,
        &Spec {
            candidates: 2,
            power_modes: vec!["MAXN".into(), "15W".into()],
            ..Default::default()
        },
    );
    write_manifest(&run, "orin", "2026-11-06T02:00:00.000Z");
    let path = run.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    manifest["conditions"]["jetson"] = serde_json::json!({"is_jetson": true, "model": "NVIDIA Jetson Orin NX Engineering Reference Developer Kit"});
    manifest["host"]["ram_total_bytes"] = (15_u64 << 30).into();
    std::fs::write(&path, manifest.to_string()).unwrap();

    let o = edgebench().arg("report").arg(&run).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = read(&run.join("report.md"));
    assert!(md.contains("Device profile: jetson-orin-nx-16gb"), "{md}");
    assert!(md.contains("## Power modes"), "{md}");
    assert!(
        md.contains("| model-00-Q4_K_M | MAXN, clocks pinned | 918 |"),
        "{md}"
    );
    assert!(md.contains("| model-01-Q4_K_M | 15W, DVFS | 918 |"), "{md}");
    let svg = read(&run.join("charts/power_modes.svg"));
    assert!(run.join("charts/power_modes.png").is_file());
    let texts = svg_texts(&svg);
    let all: Vec<&str> = texts.iter().map(|t| t.text.as_str()).collect();
    for expected in [
        "model-01-Q4_K_M · 15W, DVFS",
        "0.400 J/token",
        "0.040 J/token",
    ] {
        assert!(all.contains(&expected), "{expected} not in {all:?}");
    }
    assert!(overlapping(&texts).is_empty(), "{:?}", overlapping(&texts));
}
