//! Runs one work unit in a child process and turns whatever happens to it
//! (success, a load error, an abort inside ggml, a kill by the OOM killer, a
//! timeout) into a recorded outcome.
use std::process::ExitStatus;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::child_output::{
    for_each_line, ChildLog, CrashSite, LineEvent, MAX_LOG_LINE, MAX_PROTOCOL_LINE,
};
use super::child_process::{Launcher, RunningChild};
use super::interrupt::{Interrupt, Interrupted};
use super::protocol::{AnswerMessage, ChildJob, ChildMessage, Measurement};
use super::server_output::SERVER_LINE_PREFIX;
use crate::results::{StabilityRow, Status};

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
    /// The `status` column value.
    pub fn status(&self) -> Status {
        match self {
            UnitStatus::Ok => Status::Ok,
            UnitStatus::LoadFailed(_) => Status::LoadFailed,
            UnitStatus::Crashed(_) => Status::Crashed,
            UnitStatus::Oom(_) => Status::Oom,
            UnitStatus::Timeout(_) => Status::Timeout,
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
    /// The child's stderr (llama.cpp's log, the crash report): the unit log.
    pub log: Vec<String>,
    /// A served candidate's server, as it describes itself.
    pub server: Option<serde_json::Value>,
}

impl UnitOutcome {
    fn failed_to_start(error: std::io::Error) -> Self {
        UnitOutcome::empty(UnitStatus::Crashed(format!(
            "cannot start the measuring child process: {error}"
        )))
    }

    fn empty(status: UnitStatus) -> Self {
        UnitOutcome {
            status,
            load_ms: None,
            measurements: Vec::new(),
            answers: Vec::new(),
            stability: Vec::new(),
            test_in_progress: None,
            log: Vec::new(),
            server: None,
        }
    }
}

/// Observer of a running child, for the progress display.
pub trait UnitObserver {
    /// The child is running (the sampler follows its RSS).
    fn spawned(&mut self, pid: u32);
    fn message(&mut self, message: &ChildMessage);
}

/// How often a quiet child's reader looks for an interrupt.
const INTERRUPT_POLL: Duration = Duration::from_millis(100);

/// How long a child that closed its stdout may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(30);

/// What running one unit needs besides its job.
pub struct UnitRun<'a> {
    pub launcher: &'a dyn Launcher,
    pub timeout: Duration,
    /// Echo the child's log (llama.cpp's) to stderr.
    pub verbose: bool,
    /// Checked while the child runs: an interrupt kills it and records nothing.
    pub interrupt: &'a Interrupt,
}

pub fn run_unit(
    run: &UnitRun,
    job: &ChildJob,
    observer: &mut dyn UnitObserver,
) -> Result<UnitOutcome> {
    let (timeout, verbose) = (run.timeout, run.verbose);
    let mut child = match run.launcher.launch(job) {
        Ok(child) => child,
        // One failed unit, not the end of an overnight sweep.
        Err(e) => return Ok(UnitOutcome::failed_to_start(e)),
    };
    observer.spawned(child.id());

    // The last lines of llama.cpp's log explain most failures (GGML_ASSERT, unknown architecture...).
    let stderr = child.take_stderr();
    let stderr_thread = std::thread::spawn(move || capture_stderr(stderr, verbose));
    let (sender, receiver) = mpsc::channel();
    let stdout = child.take_stdout();
    std::thread::spawn(move || {
        for_each_line(stdout, MAX_PROTOCOL_LINE, |event| {
            sender.send(event).is_ok()
        });
    });

    let deadline = Instant::now() + timeout;
    let mut outcome = UnitOutcome::empty(UnitStatus::Ok);
    let reading = read_messages(&receiver, deadline, run.interrupt, observer, &mut outcome);
    if reading.interrupted {
        let _ = child.kill();
        let _ = wait_until(child.as_mut(), Instant::now() + EXIT_GRACE);
        return Err(Interrupted.into());
    }
    let (load_error, protocol_error, mut timed_out, finished) = (
        reading.load_error,
        reading.protocol_error,
        reading.timed_out,
        reading.finished,
    );
    if timed_out || protocol_error.is_some() {
        let _ = child.kill();
    }
    let exit_by = Instant::now().max(deadline) + EXIT_GRACE;
    let (exit, killed_late) = wait_until(child.as_mut(), exit_by)?;
    timed_out |= killed_late;
    let log = stderr_thread.join().unwrap_or_default();
    let ending = Ending {
        exit,
        timed_out,
        timeout,
        load_error,
        protocol_error,
        finished,
        test: outcome.test_in_progress.as_deref(),
    };
    outcome.status = classify(&ending, &log);
    outcome.log = log.lines.into();
    Ok(outcome)
}

/// How reading the child's messages ended.
#[derive(Default)]
struct Reading {
    load_error: Option<String>,
    protocol_error: Option<String>,
    timed_out: bool,
    interrupted: bool,
    /// The child said its job was done.
    finished: bool,
}

/// Collects the child's protocol messages into `outcome` until its stdout
/// closes, the deadline passes, or the protocol breaks.
fn read_messages(
    receiver: &mpsc::Receiver<LineEvent>,
    deadline: Instant,
    interrupt: &Interrupt,
    observer: &mut dyn UnitObserver,
    outcome: &mut UnitOutcome,
) -> Reading {
    let mut reading = Reading::default();
    loop {
        if interrupt.requested() {
            reading.interrupted = true;
            return reading;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match receiver.recv_timeout(left.min(INTERRUPT_POLL)) {
            Ok(LineEvent::Line(line)) => line,
            Ok(LineEvent::TooLong { .. }) => {
                reading.protocol_error = Some(format!(
                    "a message from the child went past {} MiB without a line end",
                    MAX_PROTOCOL_LINE >> 20
                ));
                return reading;
            }
            Ok(LineEvent::Failed(e)) => {
                reading.protocol_error = Some(format!("reading the child's output failed: {e}"));
                return reading;
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => continue,
            Err(RecvTimeoutError::Timeout) => {
                reading.timed_out = true;
                return reading;
            }
            Err(RecvTimeoutError::Disconnected) => return reading,
        };
        let message = match serde_json::from_str::<ChildMessage>(&line) {
            Ok(message) => message,
            // A protocol line that does not parse would silently lose rows.
            Err(e) if line.starts_with("{\"kind\"") => {
                reading.protocol_error =
                    Some(format!("a message from the child does not parse: {e}"));
                return reading;
            }
            Err(_) => continue, // stray output from a library; the protocol lines are JSON
        };
        observer.message(&message);
        match message {
            ChildMessage::Loaded { load_ms } => outcome.load_ms = Some(load_ms),
            ChildMessage::Started { test } => outcome.test_in_progress = Some(test),
            ChildMessage::Measured(m) => outcome.measurements.push(m),
            ChildMessage::Answered(a) => outcome.answers.push(a),
            ChildMessage::Stability(r) => outcome.stability.push(r),
            ChildMessage::Server { identity } => outcome.server = Some(identity),
            ChildMessage::LoadFailed { error } => reading.load_error = Some(error),
            ChildMessage::Finished => reading.finished = true,
        }
    }
}

fn capture_stderr(stderr: impl std::io::Read, verbose: bool) -> ChildLog {
    let mut log = ChildLog::default();
    for_each_line(stderr, MAX_LOG_LINE, |event| {
        let line = match event {
            LineEvent::Line(line) => line,
            LineEvent::TooLong { head } => format!("{head} [cut at {MAX_LOG_LINE} bytes]"),
            LineEvent::Failed(e) => format!("[edgebench: reading the child's stderr failed: {e}]"),
        };
        if verbose {
            eprintln!("  | {}", crate::error::printable_line(&line));
        }
        log.push(line);
        true
    });
    log
}

/// Waits for the child until `until`, then kills it; true when it had to be killed.
fn wait_until(child: &mut dyn RunningChild, until: Instant) -> Result<(ExitStatus, bool)> {
    loop {
        if let Some(exit) = child
            .try_wait()
            .context("cannot wait for the child process")?
        {
            return Ok((exit, false));
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let exit = child.wait().context("cannot wait for the child process")?;
            return Ok((exit, true));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How a child ended, as the parent saw it.
struct Ending<'a> {
    exit: ExitStatus,
    timed_out: bool,
    timeout: Duration,
    load_error: Option<String>,
    protocol_error: Option<String>,
    finished: bool,
    /// The test the child had started last.
    test: Option<&'a str>,
}

fn classify(ending: &Ending, log: &ChildLog) -> UnitStatus {
    let log_tail = log.hint_tail();
    if ending.timed_out {
        return UnitStatus::Timeout(format!(
            "no result within the {}s timeout; the child was killed",
            ending.timeout.as_secs()
        ));
    }
    if let Some(error) = &ending.protocol_error {
        return UnitStatus::Crashed(format!("protocol error: {error}; the child was killed"));
    }
    if let Some(error) = &ending.load_error {
        return UnitStatus::LoadFailed(with_log_hint(error.clone(), &log_tail));
    }
    if let Some(site) = log.crash_site() {
        return UnitStatus::Crashed(with_log_hint(crash_message(&site, ending), &log_tail));
    }
    if ending.exit.success() && ending.finished {
        return UnitStatus::Ok;
    }
    if ending.exit.success() {
        return UnitStatus::Crashed(
            "the child exited before reporting its job done: its output was cut or garbled, rows may be missing".into(),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = ending.exit.signal() {
            // SIGKILL that we did not send is, in practice, the kernel's OOM killer.
            if signal == libc::SIGKILL {
                return UnitStatus::Oom(
                    "killed by SIGKILL (out of memory: the kernel's OOM killer)".into(),
                );
            }
            let name = signal_name(signal);
            return UnitStatus::Crashed(with_log_hint(
                format!("killed by signal {signal} ({name})"),
                &log_tail,
            ));
        }
    }
    UnitStatus::Crashed(with_log_hint(
        format!("exited with status {}", ending.exit.code().unwrap_or(-1)),
        &log_tail,
    ))
}

/// "SIGSEGV in ggml_backend_amx_mul_mat during pp512 (killed by signal 11, ...)".
fn crash_message(site: &CrashSite, ending: &Ending) -> String {
    let mut message = site.signal.clone();
    match (site.sender, &site.frame) {
        (Some(pid), _) => message.push_str(&format!(" sent by process {pid}")),
        (None, Some(frame)) => message.push_str(&format!(" in {frame}")),
        (None, None) => {}
    }
    if let Some(test) = ending.test {
        message.push_str(&format!(" during {test}"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = ending.exit.signal() {
            message.push_str(&format!(
                " (killed by signal {signal}, {})",
                signal_name(signal)
            ));
        }
    }
    message
}

/// Appends llama.cpp's own explanation: its last line that names an error, else
/// an assertion, else a failure (the most specific one usually comes first).
/// A started server's line is labelled as the server's.
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
    let Some(hint) = hint else { return error };
    let (source, line) = match hint.strip_prefix(SERVER_LINE_PREFIX) {
        Some(line) => ("the server", line.trim()),
        None => ("llama.cpp", hint.trim()),
    };
    match error.contains(line) {
        true => error,
        false => format!("{error}; {source}: {}", crate::error::printable_line(line)),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT, an abort inside llama.cpp/ggml",
        libc::SIGSEGV => "SIGSEGV, a segmentation fault",
        libc::SIGALRM => "SIGALRM",
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

    struct Quiet;
    impl UnitObserver for Quiet {
        fn spawned(&mut self, _pid: u32) {}
        fn message(&mut self, _message: &ChildMessage) {}
    }

    fn read(events: Vec<LineEvent>) -> (Reading, UnitOutcome) {
        let (sender, receiver) = mpsc::channel();
        for event in events {
            sender.send(event).unwrap();
        }
        drop(sender);
        let mut outcome = UnitOutcome::empty(UnitStatus::Ok);
        let deadline = Instant::now() + Duration::from_secs(5);
        let reading = read_messages(
            &receiver,
            deadline,
            &Interrupt::default(),
            &mut Quiet,
            &mut outcome,
        );
        (reading, outcome)
    }

    #[test]
    fn a_broken_protocol_line_fails_the_unit_instead_of_losing_rows() {
        let started = r#"{"kind":"started","test":"pp512"}"#.to_string();
        let (reading, outcome) = read(vec![
            LineEvent::Line("stray library output".into()),
            LineEvent::Line(started),
            LineEvent::Line(r#"{"kind":"measured","test":"#.into()),
        ]);
        assert_eq!(outcome.test_in_progress.as_deref(), Some("pp512"));
        let error = reading.protocol_error.unwrap();
        assert!(error.contains("does not parse"), "{error}");

        let (reading, _) = read(vec![LineEvent::TooLong { head: "{".into() }]);
        assert!(reading
            .protocol_error
            .unwrap()
            .contains("without a line end"));
        let (reading, _) = read(vec![LineEvent::Line("ok".into())]);
        assert!(reading.protocol_error.is_none() && !reading.timed_out);
    }

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

    #[test]
    fn a_started_servers_line_is_labelled_as_the_servers_and_fakes_no_crash() {
        let mut log = ChildLog::default();
        let server_says = [
            "edgebench-crash: signal=11 name=SIGSEGV".to_string(),
            "edgebench-crash-at: ggml_fake_kernel".into(),
            "error: model \u{1b}[31mnot found".into(),
        ];
        let block = super::super::server_output::marked_lines(&server_says);
        for line in block.lines() {
            log.push(line.to_string());
        }
        assert_eq!(log.crash_site(), None, "{:?}", log.crash);
        let e = with_log_hint("could not load".into(), &log.hint_tail());
        assert_eq!(
            e,
            "could not load; the server: error: model \\u{1b}[31mnot found"
        );
    }
}
