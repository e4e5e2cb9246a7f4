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

/// A stored sweep is held to the rules of a new one: a timeout past the
/// week a sweep may run (which once overflowed the clock) is a usage error.
#[test]
fn resume_refuses_a_stored_sweep_a_new_one_could_not_have() {
    let tmp = tempfile::tempdir().unwrap();
    for (from, to, said) in [
        (
            "\"timeout_secs\": 3600",
            "\"timeout_secs\": 18446744073709551615",
            "--timeout 18446744073709551615: give 1 to",
        ),
        (
            "\"threads\": [\n      2",
            "\"threads\": [\n      4294967295",
            "--threads 4294967295",
        ),
        // A unit edited on its own, its sweep left as it was.
        (
            "\"n_threads\": 2,",
            "\"n_threads\": 4294967295,",
            "unit `c0-k0` is not one its sweep expands to",
        ),
    ] {
        let dir = tmp.path().join(format!("{}", said.len()));
        std::fs::create_dir(&dir).unwrap();
        let run = stored_run_pointing_at(&dir, &common::smollm());
        std::fs::remove_file(run.join("parts/c0-k0.json")).unwrap();
        replace_in(&run.join("manifest.json"), from, to);
        // Forced past the build check: no force skips these rules.
        let o = edgebench()
            .args(["run", "--resume-force", "--resume"])
            .arg(&run)
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
        assert!(!err.contains("panicked"), "stderr:\n{err}");
        assert!(
            err.contains("manifest.json's") && err.contains(said),
            "stderr:\n{err}"
        );
        assert!(!run.join("logs").exists(), "nothing ran");
    }
}

/// The stored run was measured by an earlier edgebench build, with SmolLM2.
fn stored_run_pointing_at(tmp: &Path, model: &Path) -> PathBuf {
    let dir = stored_run_copy(tmp);
    let model = serde_json::to_string(&model.to_string_lossy()).unwrap();
    replace_in(
        &dir.join("manifest.json"),
        "\"models/SmolLM2-135M-Instruct-Q4_1.gguf\"",
        &model,
    );
    dir
}

#[test]
fn resume_refuses_another_model_file_or_build_and_names_each_change() {
    let tmp = tempfile::tempdir().unwrap();
    // Another file at the candidate's path: the manifest's sha256 is SmolLM2's.
    let dir = stored_run_pointing_at(tmp.path(), &common::gemma());
    let before = std::fs::read(dir.join("manifest.json")).unwrap();
    let o = edgebench()
        .args(["run", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert_eq!(err.lines().count(), 1, "stderr:\n{err}");
    for said in [
        "not the run's inputs any more",
        "is another file: sha256 ",
        "edgebench build commit \"8dc1cfb",
        "--resume-force",
    ] {
        assert!(err.contains(said), "{said}: stderr:\n{err}");
    }
    assert_eq!(before, std::fs::read(dir.join("manifest.json")).unwrap());
    assert!(!dir.join("logs").exists(), "nothing ran");
}

#[test]
fn resume_force_goes_on_and_records_what_changed() {
    let _serial = common::one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir = stored_run_pointing_at(tmp.path(), &common::smollm());
    let o = edgebench()
        .args(["run", "--resume-force", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{err}");
    assert!(err.contains("warning: resuming"), "stderr:\n{err}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let forced = &manifest["forced_resumes"];
    assert_eq!(forced.as_array().map(Vec::len), Some(1), "{forced}");
    let changes = forced[0]["changes"].to_string();
    assert!(changes.contains("edgebench build commit"), "{changes}");
    assert!(
        !changes.contains("is another file"),
        "same model file: {changes}"
    );
    assert_ne!(
        manifest["edgebench"]["git_commit"], "8dc1cfb",
        "now the build resumed with"
    );
}
