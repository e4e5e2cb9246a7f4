//! Run directories are never shared: each run or import gets its own, and a
//! directory a command is writing to refuses a second writer. No model loads.
mod common;
use std::path::{Path, PathBuf};

use common::*;
use edgebench::results::RunLock;

fn import(out: &Path) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let o = edgebench()
        .args(["import", "llama-bench"])
        .arg(data.join("llama-bench-gemma.json"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    run_dir(&o)
}

fn run_id(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["run_id"].as_str().unwrap().to_string()
}

/// The import's directory is named to the second: a second import in the same
/// second once overwrote the first's files.
#[test]
fn two_imports_in_one_second_get_two_directories() {
    for _ in 0..10 {
        let out = tempfile::tempdir().unwrap();
        let first = import(out.path());
        let second = import(out.path());
        let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
        assert_ne!(first, second, "both imports wrote {}", first.display());
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 2);
        if name(&second) != format!("{}-2", name(&first)) {
            continue; // the clock ticked between the two: try again
        }
        for dir in [&first, &second] {
            assert_eq!(run_id(dir), name(dir), "the run id is the directory's name");
            let speed = read_parquet(&dir.join("speed.parquet"));
            assert_eq!(strings(&speed, "run_id")[0].as_deref(), Some(&*name(dir)));
        }
        return;
    }
    panic!("no two imports in the same second in ten tries");
}

/// A copy of the stored run (tests/data), whose manifest is enough for a refusal.
fn stored_run_copy(into: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run-8dc1cfb-smollm");
    let dir = into.join("run");
    std::fs::create_dir_all(dir.join("parts")).unwrap();
    for name in ["manifest.json", "summary.parquet"] {
        std::fs::copy(from.join(name), dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn a_run_directory_in_use_refuses_resume_and_rescore() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = stored_run_copy(tmp.path());
    let lock = RunLock::acquire(&dir, true).unwrap();
    let holder = format!("pid {}", std::process::id());
    let resume = edgebench()
        .args(["run", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_clean_error(&resume, 2, &["in use by", &holder, "run.lock"]);
    let rescore = edgebench().arg("rescore").arg(&dir).output().unwrap();
    assert_clean_error(&rescore, 2, &["in use by", &holder]);
    drop(lock);
    // Released: rescore goes on to its own verdict (the copy has no answers).
    let rescore = edgebench().arg("rescore").arg(&dir).output().unwrap();
    assert!(
        !stderr(&rescore).contains("in use by"),
        "{}",
        stderr(&rescore)
    );
}
