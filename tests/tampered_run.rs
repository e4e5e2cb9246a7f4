//! Run directories are shared as CI artifacts, so they are untrusted input: a
//! tampered one gets a clear error and nothing is written outside it.
mod common;

use std::path::{Path, PathBuf};

use common::{edgebench, stderr};

/// A copy of the run stored in tests/data (the commands rewrite their run directory).
fn stored_run_copy(into: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run-8dc1cfb-smollm");
    let dir = into.join("run");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&fixture)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn assert_one_line_error(o: &std::process::Output, must_contain: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr:\n{err}");
    assert_eq!(err.lines().count(), 1, "stderr:\n{err}");
    assert!(err.contains(must_contain), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "stderr:\n{err}");
}

#[test]
fn rescore_refuses_a_part_whose_unit_id_points_outside_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = stored_run_copy(tmp.path());
    let outside = tmp.path().join("pwned");
    let part = dir.join("parts/c0-k0.json");
    let escaped = serde_json::to_string(&outside.to_string_lossy()).unwrap();
    replace_in(
        &part,
        "\"unit_id\":\"c0-k0\"",
        &format!("\"unit_id\":{escaped}"),
    );

    let o = edgebench().arg("rescore").arg(&dir).output().unwrap();
    assert_one_line_error(&o, "is damaged: it holds unit");
    assert!(!tmp.path().join("pwned.json").exists());
}

#[test]
fn rescore_and_resume_refuse_a_manifest_unit_id_that_is_a_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = stored_run_copy(tmp.path());
    replace_in(
        &dir.join("manifest.json"),
        "\"id\": \"c0-k0\"",
        "\"id\": \"../../pwned\"",
    );
    let rescore = edgebench().arg("rescore").arg(&dir).output().unwrap();
    assert_one_line_error(
        &rescore,
        "unit id \"../../pwned\" is not of the form c<N>-k<N>",
    );
    let resume = edgebench()
        .args(["run", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_one_line_error(
        &resume,
        "unit id \"../../pwned\" is not of the form c<N>-k<N>",
    );
    assert!(!tmp.path().join("pwned.json").exists());
}
