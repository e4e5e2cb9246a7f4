//! Overnight robustness: a child that crashes, is killed or runs too long is a
//! recorded failure and the sweep goes on; a killed sweep resumes without loss.
mod common;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pids of the measuring children of `parent`.
fn children_of(parent: u32) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // field 4 (after the parenthesised name) is the parent pid
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let ppid: u32 = after
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == parent && cmdline.contains("__child") {
            pids.push(pid);
        }
    }
    pids
}

fn spawn_run(models: &[&Path], out: &Path, extra: &[&str]) -> std::process::Child {
    let mut cmd = edgebench();
    cmd.arg("run").args(["--out", out.to_str().unwrap()]);
    for m in models {
        cmd.arg("--model").arg(m);
    }
    cmd.args([
        "--warmup",
        "0",
        "--pp",
        "32",
        "--threads",
        "2",
        "--e2e-tokens",
        "50",
        "--ctx",
        "2048",
    ]);
    if !extra.contains(&"--suite") {
        cmd.args(["--suite", "speed"]);
    }
    cmd.args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn resume(run_dir: &Path) -> std::process::Output {
    let resume = edgebench().arg("run").arg("--resume").arg(run_dir).output();
    resume.unwrap()
}

fn only_run_dir(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn crashed_and_killed_children_are_recorded_and_the_sweep_goes_on() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let (gemma, smol) = (gemma(), smollm());
    // tg long enough that the children are surely mid-test when signalled. SIGABRT is
    // what a GGML_ASSERT inside llama.cpp raises; SIGKILL is what the OOM killer sends.
    let child = spawn_run(
        &[&gemma, &smol, &smol],
        out.path(),
        &["--reps", "1", "--tg", "2000"],
    );
    let parent = child.id();
    let mut signalled = Vec::new();
    for signal in [libc::SIGABRT, libc::SIGKILL] {
        let mut target = 0;
        wait_for("a measuring child", Duration::from_secs(60), || {
            target = children_of(parent)
                .into_iter()
                .find(|p| !signalled.contains(p))
                .unwrap_or(0);
            target != 0
        });
        std::thread::sleep(Duration::from_millis(1500)); // past the load, inside a test
        unsafe { libc::kill(target, signal) };
        signalled.push(target);
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let statuses = strings(&speed, "status");
    let errors = strings(&speed, "error");
    let units = strings(&speed, "unit_id");
    let status_of = |unit: &str| -> Vec<String> {
        (0..speed.height())
            .filter(|&i| units[i].as_deref() == Some(unit) && statuses[i].as_deref() != Some("ok"))
            .map(|i| {
                format!(
                    "{} {}",
                    statuses[i].clone().unwrap(),
                    errors[i].clone().unwrap_or_default()
                )
            })
            .collect()
    };
    let c0 = status_of("c0-k0");
    assert!(
        c0.len() == 1 && c0[0].starts_with("crashed") && c0[0].contains("SIGABRT"),
        "{c0:?}"
    );
    let c1 = status_of("c1-k0");
    assert!(c1.len() == 1 && c1[0].starts_with("oom"), "{c1:?}");
    // The third candidate ran after both failures: the sweep went on.
    assert!(status_of("c2-k0").is_empty());
    assert!(units.iter().any(|u| u.as_deref() == Some("c2-k0")));
}

#[test]
fn a_native_crash_names_the_frame_it_happened_in() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let smol = smollm();
    // A real SIGSEGV inside ggml (ggml_nbytes on a null tensor) when pp32 starts.
    let o = quick_command(&[&smol], out.path(), &["--suite", "engine-only"])
        .env("EDGEBENCH_TEST_NATIVE_FAULT", "pp32:segv")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let dir = run_dir(&o);
    let speed = read_parquet(&dir.join("speed.parquet"));
    let failed: Vec<(Option<String>, Option<String>, Option<String>)> = {
        let (t, s, e) = (
            strings(&speed, "test"),
            strings(&speed, "status"),
            strings(&speed, "error"),
        );
        (0..speed.height())
            .filter(|&i| s[i].as_deref() != Some("ok"))
            .map(|i| (t[i].clone(), s[i].clone(), e[i].clone()))
            .collect()
    };
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (test, status, error) = &failed[0];
    assert_eq!(test.as_deref(), Some("pp32"));
    assert_eq!(status.as_deref(), Some("crashed"));
    let error = error.clone().unwrap_or_default();
    assert!(
        error.starts_with("SIGSEGV in ggml_nbytes during pp32"),
        "{error}"
    );
    // The whole stack is in the unit's log.
    let log = std::fs::read_to_string(dir.join("logs/c0-k0.log")).unwrap();
    assert!(log.contains("edgebench-crash-frame: "), "{log}");
    assert!(log.contains("inject_fault_for_test"), "{log}");
}

#[test]
fn a_candidate_over_its_timeout_is_recorded_and_the_next_one_runs() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let smol = smollm();
    let o = quick_run(
        &[&smol, &smol],
        out.path(),
        &["--timeout", "1", "--pp", "16000"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let statuses = strings(&speed, "status");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| s.as_deref() == Some("timeout"))
            .count(),
        2,
        "{statuses:?}"
    );
}

#[test]
fn a_killed_sweep_resumes_without_losing_or_repeating_rows() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let (gemma, smol) = (gemma(), smollm());
    let mut child = spawn_run(&[&smol, &gemma], out.path(), &["--reps", "2", "--tg", "8"]);
    wait_for("the run directory", Duration::from_secs(30), || {
        std::fs::read_dir(out.path()).unwrap().count() == 1
    });
    let dir = only_run_dir(out.path());
    let first = dir.join("parts/c0-k0.json");
    wait_for(
        "the first candidate to finish",
        Duration::from_secs(120),
        || first.exists(),
    );
    // Power cut: the sweep dies while the second candidate is being measured.
    child.kill().unwrap();
    child.wait().unwrap();
    let first_record = std::fs::read(&first).unwrap();
    assert!(
        !dir.join("parts/c1-k0.json").exists(),
        "killed too late to test resume"
    );
    wait_for(
        "the orphaned child to exit",
        Duration::from_secs(10),
        || children_of(child.id()).is_empty(),
    );

    let o = resume(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("already measured"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&first).unwrap(),
        first_record,
        "finished candidate was rerun"
    );

    let speed = read_parquet(&dir.join("speed.parquet"));
    // 2 models x (pp32 + tg8 + 3 prompts) x 2 reps, each exactly once.
    assert_eq!(speed.height(), 2 * 5 * 2);
    let keys: std::collections::HashSet<(Option<String>, Option<String>, Option<String>)> = {
        let (u, t, r) = (
            strings(&speed, "unit_id"),
            strings(&speed, "test"),
            strings(&speed, "rep"),
        );
        (0..speed.height())
            .map(|i| (u[i].clone(), t[i].clone(), r[i].clone()))
            .collect()
    };
    assert_eq!(keys.len(), speed.height(), "duplicated rows");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["state"], "finished");
    assert_eq!(manifest["resumed_at"].as_array().unwrap().len(), 1);
}

#[test]
fn a_sweep_outlives_its_binary_being_rebuilt() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("edgebench");
    std::fs::copy(env!("CARGO_BIN_EXE_edgebench"), &exe).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (smol, gemma) = (smollm(), gemma());
    let quick = quick_command(&[&smol, &gemma], &out, &["--suite", "engine-only"]);
    let child = std::process::Command::new(&exe)
        .args(quick.get_args())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the run directory", Duration::from_secs(30), || {
        std::fs::read_dir(&out).unwrap().count() == 1
    });
    // What `cargo build` does to the binary: the running file is replaced.
    std::fs::remove_file(&exe).unwrap();
    std::fs::write(&exe, "#!/bin/sh\nexit 97\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let speed = read_parquet(&only_run_dir(&out).join("speed.parquet"));
    let units = strings(&speed, "unit_id");
    assert!(
        units.iter().any(|u| u.as_deref() == Some("c1-k0")),
        "{units:?}"
    );
    assert!(strings(&speed, "status")
        .iter()
        .all(|s| s.as_deref() == Some("ok")));
}

/// Files a crash or an interrupt could leave behind: write_atomic's temp files.
fn temp_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("parts"), dir.join("logs")] {
        for entry in std::fs::read_dir(sub).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                found.push(entry.path());
            }
        }
    }
    found
}

#[test]
fn sigint_or_sigterm_mid_unit_leaves_a_resumable_run() {
    let _serial = one_at_a_time();
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let out = tempfile::tempdir().unwrap();
        let smol = smollm();
        let extra = ["--suite", "engine-only", "--reps", "3", "--tg", "64"];
        let child = spawn_run(&[&smol], out.path(), &extra);
        wait_for("the measuring child", Duration::from_secs(60), || {
            !children_of(child.id()).is_empty()
        });
        std::thread::sleep(Duration::from_millis(500));
        unsafe { libc::kill(child.id() as i32, signal) };
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(130),
            "signal {signal}: {}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
        let dir = only_run_dir(out.path());
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["state"], "interrupted");
        assert!(
            !dir.join("parts/c0-k0.json").exists(),
            "the cut unit is not recorded"
        );
        assert_eq!(temp_files_in(&dir), Vec::<PathBuf>::new());

        let o = resume(&dir);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let speed = read_parquet(&dir.join("speed.parquet"));
        assert_eq!(
            speed.height(),
            6,
            "pp32 and tg64, 3 reps each, once: {speed}"
        );
        assert!(strings(&speed, "status")
            .iter()
            .all(|s| s.as_deref() == Some("ok")));
    }
}

/// A quality suite of `n` short arithmetic cases.
fn arithmetic_suite(n: u32) -> String {
    let mut suite = String::from("name = \"sums\"\nkind = \"quality\"\nmax_tokens = 24\n");
    for i in 1..=n {
        suite.push_str(&format!(
            "\n[[case]]\nid = \"sum-{i}\"\ncategory = \"math\"\nprompt = \"What is {i} + {i}? Answer with the number only.\"\nchecks = [{{ type = \"number\", value = {} }}]\n",
            2 * i
        ));
    }
    suite
}

fn lines_of(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn an_interrupted_quality_unit_keeps_its_answers_and_resume_asks_only_the_rest() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let suite = out.path().join("sums.toml");
    std::fs::write(&suite, arithmetic_suite(24)).unwrap();
    let runs = out.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let smol = smollm();
    let child = spawn_run(&[&smol], &runs, &["--suite", suite.to_str().unwrap()]);
    wait_for("the run directory", Duration::from_secs(30), || {
        std::fs::read_dir(&runs).unwrap().count() == 1
    });
    let dir = only_run_dir(&runs);
    let log = dir.join("parts/c0-k0.answers.jsonl");
    wait_for("three answers on disk", Duration::from_secs(300), || {
        lines_of(&log) >= 3
    });
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        !dir.join("parts/c0-k0.json").exists(),
        "interrupted too late: the unit finished"
    );
    let kept = lines_of(&log);
    assert!((3..24).contains(&kept), "{kept} answers kept");
    assert!(
        stderr(&o).contains(&format!("({kept} answers of the unfinished one kept)")),
        "{}",
        stderr(&o)
    );

    let o = resume(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let said = format!(
        "{kept} answers kept from the interrupted attempt, {} to go",
        24 - kept
    );
    assert!(stderr(&o).contains(&said), "{}", stderr(&o));
    assert!(!log.exists(), "the record holds the answers now");
    let quality = read_parquet(&dir.join("quality.parquet"));
    let mut cases: Vec<String> = strings(&quality, "case_id")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    cases.sort();
    cases.dedup();
    assert_eq!(
        (quality.height(), cases.len()),
        (24, 24),
        "each case answered once"
    );
    assert!(strings(&quality, "status")
        .iter()
        .all(|s| s.as_deref() == Some("ok")));
}
