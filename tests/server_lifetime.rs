//! No server outlives its sweep: a server started through a wrapper
//! (`sh -c "python3 …; echo …"`, which does not exec it) that ignores SIGTERM,
//! after each way a served unit can end: finished, timed out, its measuring
//! child killed, and SIGTERM or Ctrl-C to edgebench mid-unit. Afterwards no
//! process of the sweep is left (a scan of /proc, as `ps` shows it). A panic
//! in edgebench mid-unit is runner/child_process.rs's unit test.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/common/stand_in_server.py"
);

/// A sweep file with one served candidate, in a temp dir; the server's
/// command line holds `marker`, by which what is left of it is found.
struct ServedSweep {
    dir: tempfile::TempDir,
    marker: PathBuf,
}

impl ServedSweep {
    fn new(server_flags: &str, timeout_secs: u64) -> ServedSweep {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("marker");
        std::fs::create_dir(&marker).unwrap();
        let script = format!(
            "python3 {SCRIPT} {{port}} {} {server_flags}; echo the wrapper goes on",
            marker.display()
        );
        let text = format!(
            "timeout_secs = {timeout_secs}\n[[candidate]]\nname = \"wrapped\"\nengine = \"openai\"\nmodel = \"m\"\n\
             [candidate.server]\ncommand = [\"sh\", \"-c\", {script:?}]\nready_timeout_secs = 30\n"
        );
        std::fs::write(dir.path().join("sweep.toml"), text).unwrap();
        ServedSweep { dir, marker }
    }

    fn command(&self) -> Command {
        let mut command = edgebench();
        command
            .args(["run", "--suite", "speed", "--reps", "1", "--warmup", "0"])
            .arg("--config")
            .arg(self.dir.path().join("sweep.toml"))
            .arg("--out")
            .arg(self.dir.path().join("out"));
        command
    }

    /// Started with its output piped; waits until the server was asked.
    fn start_until_asked(&self) -> Child {
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(60);
        while !self.marker.join("asked").exists() {
            if Instant::now() > until || child.try_wait().unwrap().is_some() {
                let _ = child.kill();
                let o = child.wait_with_output().unwrap();
                panic!("the server was never asked:\n{}", stderr(&o));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child
    }

    /// Processes still running whose command line names the marker,
    /// once they had a moment to go.
    fn left_behind(&self) -> Vec<String> {
        let until = Instant::now() + Duration::from_secs(3);
        loop {
            let left = processes_naming(&self.marker);
            if left.is_empty() || Instant::now() > until {
                return left;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `pid state cmdline` of each live process (not a zombie) whose command line holds `text`.
fn processes_naming(text: &Path) -> Vec<String> {
    let text = text.to_str().unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if cmdline.contains(text) && !state.starts_with('Z') && pid != std::process::id() {
            found.push(format!("{pid} {} {cmdline}", &state[..1.min(state.len())]));
        }
    }
    found
}

/// The measuring child: a process of the binary running `__child` under `parent`.
fn measuring_child(parent: u32) -> u32 {
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let ppid = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .nth(1);
        if String::from_utf8_lossy(&cmdline).contains("__child")
            && ppid == Some(&parent.to_string())
        {
            return pid;
        }
    }
    panic!("no measuring child under {parent}");
}

fn signal(pid: u32, signal: i32) {
    // SAFETY: kill has no memory preconditions.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, signal) }, 0);
}

/// Waits at most a minute for `child` to end.
fn wait_for(child: &mut Child) -> ExitStatus {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("edgebench did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_finished_sweep_leaves_no_server() {
    let sweep = ServedSweep::new("--ignore-term", 300);
    let o = sweep.command().output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert!(sweep.marker.join("asked").exists(), "the server was used");
    assert_eq!(sweep.left_behind(), Vec::<String>::new());
}

#[test]
fn a_timed_out_unit_leaves_no_server() {
    let sweep = ServedSweep::new("--hang --ignore-term", 8);
    let o = sweep.command().output().unwrap();
    assert_eq!(o.status.code(), Some(1), "stderr:\n{}", stderr(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(said.contains("timeout"), "{said}");
    assert_eq!(sweep.left_behind(), Vec::<String>::new());
}

#[test]
fn a_killed_measuring_child_leaves_no_server() {
    let sweep = ServedSweep::new("--hang --ignore-term", 300);
    let mut running = sweep.start_until_asked();
    // As the OOM killer would: no chance for the child to stop its server.
    signal(measuring_child(running.id()), libc::SIGKILL);
    let status = wait_for(&mut running);
    assert_eq!(status.code(), Some(1), "the sweep goes on and ends");
    assert_eq!(sweep.left_behind(), Vec::<String>::new());
}

#[test]
fn sigterm_to_edgebench_mid_unit_leaves_no_server() {
    let sweep = ServedSweep::new("--hang --ignore-term", 300);
    let mut running = sweep.start_until_asked();
    signal(running.id(), libc::SIGTERM);
    assert_eq!(wait_for(&mut running).code(), Some(130));
    assert_eq!(sweep.left_behind(), Vec::<String>::new());
}

#[test]
fn ctrl_c_to_edgebench_mid_unit_leaves_no_server() {
    let sweep = ServedSweep::new("--hang", 300);
    let mut running = sweep.start_until_asked();
    signal(running.id(), libc::SIGINT);
    assert_eq!(wait_for(&mut running).code(), Some(130));
    assert_eq!(sweep.left_behind(), Vec::<String>::new());
}
