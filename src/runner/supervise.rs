//! Runs one work unit in a child process and turns whatever happens to it
//! (success, a load error, an abort inside ggml, a kill by the OOM killer, a
//! timeout) into a recorded outcome.
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::protocol::{AnswerMessage, ChildJob, ChildMessage, Measurement};
use crate::results::StabilityRow;

/// How a unit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitStatus {
    Ok,
    LoadFailed(String),
    Crashed(String),
    Oom(String),
    Timeout(String),
}

impl UnitStatus {
    pub fn name(&self) -> &'static str {
        match self {
            UnitStatus::Ok => "ok",
            UnitStatus::LoadFailed(_) => "load_failed",
            UnitStatus::Crashed(_) => "crashed",
            UnitStatus::Oom(_) => "oom",
            UnitStatus::Timeout(_) => "timeout",
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            UnitStatus::Ok => None,
            UnitStatus::LoadFailed(e)
            | UnitStatus::Crashed(e)
            | UnitStatus::Oom(e)
            | UnitStatus::Timeout(e) => Some(e),
        }
    }
}

pub struct UnitOutcome {
    pub status: UnitStatus,
    pub load_ms: Option<f64>,
    pub measurements: Vec<Measurement>,
    pub answers: Vec<AnswerMessage>,
    pub stability: Vec<StabilityRow>,
    /// The test running when the child ended abnormally.
    pub test_in_progress: Option<String>,
}

/// Observer of a running child, for the progress display.
pub trait UnitObserver {
    /// The child is running (the sampler follows its RSS).
    fn spawned(&mut self, pid: u32);
    fn message(&mut self, message: &ChildMessage);
}

pub fn run_unit(
    job: &ChildJob,
    timeout: Duration,
    verbose: bool,
    observer: &mut dyn UnitObserver,
) -> Result<UnitOutcome> {
    let exe = std::env::current_exe().context("cannot find the edgebench executable")?;
    let mut child = Command::new(exe)
        .arg("__child")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start the measuring child process")?;
    observer.spawned(child.id());
    let job_json = serde_json::to_vec(job)?;
    {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(&job_json)
            .context("cannot send the job to the child")?;
    }

    // The last lines of llama.cpp's log explain most failures (GGML_ASSERT, unknown architecture...).
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr_thread = std::thread::spawn(move || {
        let mut tail = VecDeque::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if verbose {
                eprintln!("  | {line}");
            }
            if tail.len() == 40 {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        tail
    });
    let (sender, receiver) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let deadline = Instant::now() + timeout;
    let mut outcome = UnitOutcome {
        status: UnitStatus::Ok,
        load_ms: None,
        measurements: Vec::new(),
        answers: Vec::new(),
        stability: Vec::new(),
        test_in_progress: None,
    };
    let mut load_error = None;
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(line) => {
                let Ok(message) = serde_json::from_str::<ChildMessage>(&line) else {
                    continue; // stray output from a library; the protocol lines are JSON
                };
                observer.message(&message);
                match message {
                    ChildMessage::Loaded { load_ms } => outcome.load_ms = Some(load_ms),
                    ChildMessage::Started { test } => outcome.test_in_progress = Some(test),
                    ChildMessage::Measured(m) => outcome.measurements.push(m),
                    ChildMessage::Answered(a) => outcome.answers.push(a),
                    ChildMessage::Stability(r) => outcome.stability.push(r),
                    ChildMessage::LoadFailed { error } => load_error = Some(error),
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                timed_out = true;
                let _ = child.kill();
                break;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let exit = child.wait().context("cannot wait for the child process")?;
    let log_tail: Vec<String> = stderr_thread.join().unwrap_or_default().into();
    outcome.status = classify(exit, timed_out, timeout, load_error, &log_tail);
    Ok(outcome)
}

fn classify(
    exit: ExitStatus,
    timed_out: bool,
    timeout: Duration,
    load_error: Option<String>,
    log_tail: &[String],
) -> UnitStatus {
    if timed_out {
        return UnitStatus::Timeout(format!(
            "no result within the {}s timeout; the child was killed",
            timeout.as_secs()
        ));
    }
    if let Some(error) = load_error {
        return UnitStatus::LoadFailed(with_log_hint(error, log_tail));
    }
    if exit.success() {
        return UnitStatus::Ok;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = exit.signal() {
            // SIGKILL that we did not send is, in practice, the kernel's OOM killer.
            if signal == libc::SIGKILL {
                return UnitStatus::Oom(
                    "killed by SIGKILL (out of memory: the kernel's OOM killer)".into(),
                );
            }
            let name = signal_name(signal);
            return UnitStatus::Crashed(with_log_hint(
                format!("killed by signal {signal} ({name})"),
                log_tail,
            ));
        }
    }
    UnitStatus::Crashed(with_log_hint(
        format!("exited with status {}", exit.code().unwrap_or(-1)),
        log_tail,
    ))
}

/// Appends llama.cpp's own explanation: its last line that names an error, else
/// an assertion, else a failure (the most specific one usually comes first).
fn with_log_hint(error: String, log_tail: &[String]) -> String {
    let find = |word: &str| {
        log_tail
            .iter()
            .rev()
            .find(|l| l.to_ascii_lowercase().contains(word))
    };
    let hint = find("error")
        .or_else(|| find("assert"))
        .or_else(|| find("failed"));
    match hint {
        Some(h) if !error.contains(h.trim()) => format!("{error}; llama.cpp: {}", h.trim()),
        _ => error,
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT, an abort inside llama.cpp/ggml",
        libc::SIGSEGV => "SIGSEGV, a segmentation fault",
        libc::SIGBUS => "SIGBUS, a bus error (truncated or changed model file?)",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL, an instruction this CPU lacks (built for another CPU?)",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_hint_prefers_the_line_naming_the_error() {
        let tail = vec![
            "llama_model_loader: loaded meta data".to_string(),
            "llama_model_load: error loading model: unknown model architecture: 'foo'".to_string(),
            "llama_model_load_from_file_impl: failed to load model".to_string(),
        ];
        let e = with_log_hint("could not load".into(), &tail);
        assert!(
            e.ends_with("llama.cpp: llama_model_load: error loading model: unknown model architecture: 'foo'"),
            "{e}"
        );
        assert_eq!(with_log_hint("x".into(), &["all good".to_string()]), "x");
    }
}
