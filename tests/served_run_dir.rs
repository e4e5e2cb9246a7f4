//! The run directory of a served candidate, against a stand-in server (no
//! model loads): `--resume` takes the server's command from the sweep file,
//! never from the (untrusted) run directory, so a command edited into
//! manifest.json is refused, not run; and a run directory whose path holds a
//! comma is compared with `--baseline` as the path it is.
mod common;

use std::path::{Path, PathBuf};

use common::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/common/stand_in_server.py"
);

/// A finished run of one started server, its sweep file, and a directory
/// to run edgebench in.
struct ServedRun {
    dir: tempfile::TempDir,
    run: PathBuf,
}

impl ServedRun {
    fn new() -> ServedRun {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("marker");
        std::fs::create_dir(&marker).unwrap();
        let text = format!(
            "[[candidate]]\nname = \"served\"\nengine = \"openai\"\nmodel = \"m\"\n\
             [candidate.server]\ncommand = [\"python3\", {SCRIPT:?}, \"{{port}}\", {:?}]\n",
            marker.display().to_string()
        );
        std::fs::write(dir.path().join("sweep.toml"), text).unwrap();
        let o = edgebench()
            .args(["run", "--suite", "speed", "--reps", "1", "--warmup", "0"])
            .arg("--config")
            .arg(dir.path().join("sweep.toml"))
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
        let run = run_dir(&o);
        ServedRun { dir, run }
    }

    fn sweep_file(&self) -> PathBuf {
        self.dir.path().join("sweep.toml")
    }

    /// As if the sweep had been killed in its unit, with the unit's command
    /// in manifest.json replaced.
    fn tamper(&self) {
        std::fs::remove_file(self.run.join("parts/c0-k0.json")).unwrap();
        let path = self.run.join("manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        manifest["units"][0]["candidate"]["server"]["launch"]["command"] =
            serde_json::json!(["sh", "-c", "id > pwned.txt; exit 1", "{port}"]);
        std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    }

    fn resume(&self, config: Option<&Path>) -> std::process::Output {
        let mut command = edgebench();
        command
            .current_dir(self.dir.path())
            .args(["run", "--resume"])
            .arg(&self.run);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command.output().unwrap()
    }

    fn pwned(&self) -> bool {
        self.dir.path().join("pwned.txt").exists()
    }
}

#[test]
fn a_command_edited_into_the_manifest_is_never_run() {
    let served = ServedRun::new();
    served.tamper();

    let o = served.resume(None);
    assert_clean_error(
        &o,
        2,
        &["give the sweep file the run was started with (--config FILE)"],
    );
    assert!(!served.pwned(), "the stored command ran");

    let o = served.resume(Some(&served.sweep_file()));
    assert_clean_error(
        &o,
        2,
        &[
            "candidate `served`'s server in",
            "is not the one the run started with (command or env)",
        ],
    );
    assert!(!served.pwned(), "the stored command ran");
}

#[test]
fn a_served_run_resumes_with_its_sweep_file() {
    let served = ServedRun::new();
    std::fs::remove_file(served.run.join("parts/c0-k0.json")).unwrap();
    let o = served.resume(Some(&served.sweep_file()));
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert!(
        served.run.join("parts/c0-k0.json").is_file(),
        "the unit was measured again"
    );
}

#[test]
fn a_run_directory_with_a_comma_in_its_path_is_compared_with_its_baseline() {
    let base = ServedRun::new();
    let out = base.dir.path().join("dir,with,comma");
    let o = edgebench()
        .args(["run", "--suite", "speed", "--reps", "1", "--warmup", "0"])
        .arg("--config")
        .arg(base.sweep_file())
        .arg("--out")
        .arg(&out)
        .arg("--baseline")
        .arg(&base.run)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!err.contains("error:"), "stderr:\n{err}");
    assert!(matches!(o.status.code(), Some(0 | 1)), "stderr:\n{err}");
    assert!(run_dir(&o).starts_with(&out));
    assert!(
        stdout(&o).contains("e2e"),
        "the comparison is printed:\n{}",
        stdout(&o)
    );
}
