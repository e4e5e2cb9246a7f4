//! Jetson backend: NVML does not exist there and memory is unified. `tegrastats`
//! is the source when installed (one process, its lines parsed as they come);
//! otherwise sysfs (thermal zones, GPU devfreq load, ina3221 power rails).
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::jetson_sysfs::JetsonSysfs;
use super::tegrastats::parse_tegrastats_line;
use super::{Backend, Reading};

pub enum JetsonBackend {
    Tegrastats {
        child: Child,
        latest: Arc<Mutex<Vec<Reading>>>,
    },
    Sysfs(JetsonSysfs),
}

impl JetsonBackend {
    /// `tegrastats`: the program `--tegrastats` names, if any.
    pub fn detect(
        root: &Path,
        interval: Duration,
        tegrastats: Option<&Path>,
    ) -> Result<(Box<dyn Backend>, String), String> {
        if let Some(program) = tegrastats_program(root, tegrastats) {
            if let Some(backend) = spawn_tegrastats(&program, interval) {
                return Ok((
                    Box::new(backend),
                    "tegrastats: RAM, swap, CPU and GPU load and clocks, temperatures, power rails"
                        .into(),
                ));
            }
        }
        let sysfs = JetsonSysfs::discover(root)?;
        let detail = format!("sysfs (tegrastats not found): {}", sysfs.describe());
        Ok((Box::new(JetsonBackend::Sysfs(sysfs)), detail))
    }
}

/// Where L4T installs tegrastats.
pub const L4T_TEGRASTATS: &str = "/usr/bin/tegrastats";

/// L4T's tegrastats (never one found on PATH: edgebench may run as root)
/// describes the real machine, never a test tree; `--tegrastats PROGRAM`
/// (an emulated board's fake) overrides it.
fn tegrastats_program(root: &Path, explicit: Option<&Path>) -> Option<std::ffi::OsString> {
    match explicit {
        Some(program) => Some(program.into()),
        None => (root == Path::new("/")).then(|| L4T_TEGRASTATS.into()),
    }
}

fn spawn_tegrastats(program: &std::ffi::OsStr, interval: Duration) -> Option<JetsonBackend> {
    let mut child = Command::new(program)
        .arg("--interval")
        .arg(interval.as_millis().max(10).to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let Some(stdout) = child.stdout.take() else {
        stop(&mut child);
        return None;
    };
    let latest = Arc::new(Mutex::new(Vec::new()));
    let sink = latest.clone();
    let (first_line, first_line_seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(parsed) = parse_tegrastats_line(&line) {
                *sink.lock().unwrap_or_else(|p| p.into_inner()) = parsed.readings;
                let _ = first_line.send(());
            }
        }
    });
    // A tegrastats that starts but prints nothing it can parse (it failed, or
    // under qemu-user a missing program "starts") would leave every power and
    // temperature column empty: fall back to sysfs instead.
    let wait = (interval * 4).max(Duration::from_secs(2));
    if first_line_seen.recv_timeout(wait).is_err() {
        stop(&mut child);
        return None;
    }
    Some(JetsonBackend::Tegrastats { child, latest })
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

impl Backend for JetsonBackend {
    fn name(&self) -> &'static str {
        match self {
            JetsonBackend::Tegrastats { .. } => "tegrastats",
            JetsonBackend::Sysfs(_) => "jetson-sysfs",
        }
    }

    fn sample(&mut self, _pid: Option<u32>, out: &mut Vec<Reading>) {
        match self {
            JetsonBackend::Tegrastats { latest, .. } => out.extend(
                latest
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .cloned(),
            ),
            JetsonBackend::Sysfs(sysfs) => out.extend(sysfs.read()),
        }
    }
}

impl Drop for JetsonBackend {
    fn drop(&mut self) {
        if let JetsonBackend::Tegrastats { child, .. } = self {
            stop(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, body: &str) -> std::ffi::OsString {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join("tegrastats");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.into_os_string()
    }

    #[test]
    fn tegrastats_is_used_only_once_it_prints_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let interval = Duration::from_millis(50);
        let line = "RAM 3012/15656MB (lfb 1796x4MB) SWAP 0/7828MB (cached 0MB) \
            CPU [3%@1984,0%@1984] GR3D_FREQ 0%@[305,305] cpu@45.5C gpu@43.968C \
            VDD_IN 7180mW/7180mW";
        let talking = script(
            dir.path(),
            &format!("while :; do echo '{line}'; sleep 0.05; done"),
        );
        let mut backend = spawn_tegrastats(&talking, interval).expect("a line came");
        let mut readings = Vec::new();
        backend.sample(None, &mut readings);
        assert!(
            readings.iter().any(|r| r.metric.starts_with("power_")),
            "{readings:?}"
        );
        drop(backend);
        let silent = script(dir.path(), "exit 0");
        assert!(spawn_tegrastats(&silent, interval).is_none());
        let missing = dir.path().join("no-such-program").into_os_string();
        assert!(spawn_tegrastats(&missing, interval).is_none());
    }
}
