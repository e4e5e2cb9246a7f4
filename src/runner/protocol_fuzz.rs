//! The parent's reading of a child it cannot trust: random bytes, invalid
//! UTF-8, broken protocol lines and a 100 MB line, through `run_unit` as a real
//! child's output would go. It must never panic, never hold more than its caps,
//! and never call a unit whose output was garbled `ok`.
use std::io::Read;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;

use super::child_job::tests::job;
use super::child_output::{LOG_LINES_KEPT, MAX_LOG_LINE};
use super::child_process::{Launcher, RunningChild};
use super::interrupt::Interrupt;
use super::protocol::{ChildJob, ChildMessage};
use super::supervise::{run_unit, UnitObserver, UnitOutcome, UnitRun, UnitStatus};

type Stream = Box<dyn Read + Send>;

/// A child whose stdout and stderr are the given streams and which exits 0.
struct ScriptedOutput {
    stdout: Option<Stream>,
    stderr: Option<Stream>,
}

impl RunningChild for ScriptedOutput {
    fn id(&self) -> u32 {
        0
    }
    fn take_stdout(&mut self) -> Stream {
        self.stdout.take().expect("taken once")
    }
    fn take_stderr(&mut self) -> Stream {
        self.stderr.take().expect("taken once")
    }
    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        Ok(Some(ExitStatus::from_raw(0)))
    }
    fn kill(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn wait(&mut self) -> std::io::Result<ExitStatus> {
        Ok(ExitStatus::from_raw(0))
    }
}

struct OnceLauncher(Mutex<Option<ScriptedOutput>>);

impl Launcher for OnceLauncher {
    fn launch(&self, _: &ChildJob) -> std::io::Result<Box<dyn RunningChild>> {
        let child = self.0.lock().unwrap().take().expect("launched once");
        Ok(Box::new(child))
    }
}

struct Quiet;
impl UnitObserver for Quiet {
    fn spawned(&mut self, _: u32) {}
    fn message(&mut self, _: &ChildMessage) {}
}

fn outcome_of(stdout: Stream, stderr: Stream) -> UnitOutcome {
    let launcher = OnceLauncher(Mutex::new(Some(ScriptedOutput {
        stdout: Some(stdout),
        stderr: Some(stderr),
    })));
    let run = UnitRun {
        launcher: &launcher,
        timeout: Duration::from_secs(60),
        verbose: false,
        interrupt: &Interrupt::default(),
    };
    run_unit(&run, &job("c0-k0"), &mut Quiet).expect("a unit outcome, whatever the child wrote")
}

fn line_of(message: &ChildMessage) -> Vec<u8> {
    let mut line = serde_json::to_vec(message).unwrap();
    line.push(b'\n');
    line
}

/// Pieces a garbled stream is made of: noise, real messages, broken ones.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..96),
        Just(line_of(&ChildMessage::Loaded { load_ms: 12.5 })),
        Just(line_of(&ChildMessage::Started {
            test: "pp64".into()
        })),
        Just(b"{\"kind\":\"measured\",\"rep\":\n".to_vec()),
        Just(b"{\"kind\":\"finished\"".to_vec()), // cut before its line end
        Just(vec![b'{', 0xff, 0xfe, 0xc3, b'\n']),
        Just(b"\r\n".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn garbled_output_is_never_an_ok_unit_and_stays_capped(
        stdout in proptest::collection::vec(piece(), 0..24),
        stderr in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let stdout: Vec<u8> = stdout.concat();
        let outcome = outcome_of(Box::new(std::io::Cursor::new(stdout)), Box::new(std::io::Cursor::new(stderr)));
        prop_assert_ne!(&outcome.status, &UnitStatus::Ok);
        prop_assert!(outcome.log.len() <= LOG_LINES_KEPT);
        prop_assert!(outcome.log.iter().all(|l| l.len() <= MAX_LOG_LINE + 64));
    }
}

#[test]
fn a_cut_stream_is_a_failed_unit_and_a_finished_one_is_ok() {
    let mut stream = line_of(&ChildMessage::Loaded { load_ms: 1.0 });
    let cut = outcome_of(
        Box::new(std::io::Cursor::new(stream.clone())),
        Box::new(std::io::empty()),
    );
    match &cut.status {
        UnitStatus::Crashed(e) => assert!(e.contains("before reporting its job done"), "{e}"),
        other => panic!("{other:?}"),
    }
    stream.extend(line_of(&ChildMessage::Finished));
    let finished = outcome_of(
        Box::new(std::io::Cursor::new(stream)),
        Box::new(std::io::empty()),
    );
    assert_eq!(finished.status, UnitStatus::Ok);
    assert_eq!(finished.load_ms, Some(1.0));
}

/// `len` bytes of `x` and no line end, made as they are read (never held whole).
struct EndlessLine {
    left: usize,
    read: Arc<AtomicBool>,
}

impl Read for EndlessLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left);
        buf[..n].fill(b'x');
        self.left -= n;
        if self.left == 0 {
            self.read.store(true, Ordering::SeqCst);
        }
        Ok(n)
    }
}

/// This process's peak resident memory (VmHWM: unlike getrusage's maxrss it
/// starts afresh at exec, so cargo's own peak does not count).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

const LINE_BYTES: usize = 100 << 20;

/// Run alone in a fresh process by the test below, so the peak RSS is its own.
#[test]
#[ignore = "run by a_100_mb_line_is_a_protocol_error_read_in_bounded_memory"]
fn hundred_mb_line_alone() {
    let (stdout_read, stderr_read) = (Arc::default(), Arc::default());
    let stdout = EndlessLine {
        left: LINE_BYTES,
        read: Arc::clone(&stdout_read),
    };
    let stderr = EndlessLine {
        left: LINE_BYTES,
        read: Arc::clone(&stderr_read),
    };
    let outcome = outcome_of(Box::new(stdout), Box::new(stderr));
    match &outcome.status {
        UnitStatus::Crashed(e) => assert!(
            e.contains("protocol error") && e.contains("MiB without a line end"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        stderr_read.load(Ordering::SeqCst),
        "the whole log line was read"
    );
    assert_eq!(outcome.log.len(), 1);
    assert!(outcome.log[0].len() <= MAX_LOG_LINE + 64);
    let peak = peak_rss_bytes();
    println!(
        "peak RSS {} MiB after two {} MiB lines",
        peak >> 20,
        LINE_BYTES >> 20
    );
    // The protocol cap is 16 MiB; holding either line would take 100 MiB.
    assert!(peak < (64 << 20), "peak RSS {} MiB", peak >> 20);
}

#[test]
fn a_100_mb_line_is_a_protocol_error_read_in_bounded_memory() {
    let test_binary = std::env::current_exe().unwrap();
    let o = std::process::Command::new(test_binary)
        .args([
            "--exact",
            "runner::protocol_fuzz::hundred_mb_line_alone",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("1 passed"), "{out}");
}
