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
    pub fn detect(root: &Path, interval: Duration) -> Result<(Box<dyn Backend>, String), String> {
        if let Some(program) = tegrastats_program(root) {
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

/// `tegrastats` on PATH describes the real machine, never a test tree; a test
/// tree gets one only when EDGEBENCH_TEGRASTATS names it (an emulated board's
/// fake), which also overrides the real machine's.
fn tegrastats_program(root: &Path) -> Option<std::ffi::OsString> {
    match std::env::var_os("EDGEBENCH_TEGRASTATS") {
        Some(program) => Some(program),
        None => (root == Path::new("/")).then(|| "tegrastats".into()),
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
    let stdout = child.stdout.take()?;
    let latest = Arc::new(Mutex::new(Vec::new()));
    let sink = latest.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(parsed) = parse_tegrastats_line(&line) {
                *sink.lock().unwrap_or_else(|p| p.into_inner()) = parsed.readings;
            }
        }
    });
    Some(JetsonBackend::Tegrastats { child, latest })
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
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
