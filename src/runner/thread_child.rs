//! For the runner's tests: the measuring child's own code (`run_job`) in a
//! thread over a scripted engine, behind the same `Launcher` as a process. A
//! unit can crash (the thread ends with a crash report and "signal 11"), hang
//! until killed, or finish; no model and no process is involved.
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::child_job::run_job;
use super::child_process::{Launcher, RunningChild};
use super::protocol::{ChildJob, ChildMessage};
use crate::engine::scripted::ScriptedEngine;

/// What happens to a unit's child.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Finish,
    /// A SIGSEGV inside the engine as this call (e.g. "tg16") starts.
    CrashAt(String),
    /// Blocks in this call until killed.
    HangAt(String),
    /// Cannot be started at all.
    NoStart,
}

/// What a test scripts for one unit: the engine it runs on and how it ends.
pub type UnitScript = Box<dyn Fn(&ChildJob) -> (ScriptedEngine, Fate) + Sync>;

/// Launches each unit with `script(job)`: its engine and its fate.
pub struct ThreadLauncher {
    pub script: UnitScript,
    /// The unit ids launched, in order.
    pub launched: Mutex<Vec<String>>,
}

impl ThreadLauncher {
    pub fn new(script: impl Fn(&ChildJob) -> (ScriptedEngine, Fate) + Sync + 'static) -> Self {
        ThreadLauncher {
            script: Box::new(script),
            launched: Mutex::new(Vec::new()),
        }
    }

    pub fn launched(&self) -> Vec<String> {
        self.launched.lock().unwrap().clone()
    }
}

/// How the thread's run ended, carried by the unwind.
enum Ended {
    Crashed,
    Killed,
}

impl Launcher for ThreadLauncher {
    fn launch(&self, job: &ChildJob) -> std::io::Result<Box<dyn RunningChild>> {
        let (mut engine, fate) = (self.script)(job);
        if fate == Fate::NoStart {
            return Err(std::io::Error::other("scripted: no such executable"));
        }
        self.launched.lock().unwrap().push(job.unit.id.clone());
        let (stdout, mut out) = std::io::pipe()?;
        let (stderr, mut err) = std::io::pipe()?;
        let killed = Arc::new(AtomicBool::new(false));
        let flag = killed.clone();
        engine.before = Some(Box::new(move |call| match &fate {
            Fate::CrashAt(at) if at == call => std::panic::resume_unwind(Box::new(Ended::Crashed)),
            Fate::HangAt(at) if at == call => {
                while !flag.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                std::panic::resume_unwind(Box::new(Ended::Killed))
            }
            _ => {}
        }));
        let job = job.clone();
        let thread = std::thread::spawn(move || {
            let mut send = |m: ChildMessage| {
                let _ = writeln!(out, "{}", serde_json::to_string(&m).unwrap());
            };
            send(ChildMessage::Loaded { load_ms: 5.0 });
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_job(&mut engine, &job, &mut send)
            }));
            match run.map_err(|payload| payload.downcast::<Ended>().map(|e| *e)) {
                Ok(()) => ExitStatus::from_raw(0),
                Err(Ok(Ended::Crashed)) => {
                    let _ = writeln!(err, "edgebench-crash: signal=11 name=SIGSEGV");
                    let _ = writeln!(err, "edgebench-crash-at: scripted_engine_fault");
                    ExitStatus::from_raw(libc::SIGSEGV)
                }
                Err(Ok(Ended::Killed)) => ExitStatus::from_raw(libc::SIGKILL),
                Err(Err(payload)) => std::panic::resume_unwind(payload),
            }
        });
        Ok(Box::new(ThreadChild {
            stdout: Some(stdout),
            stderr: Some(stderr),
            killed,
            thread: Some(thread),
            exit: None,
        }))
    }
}

struct ThreadChild {
    stdout: Option<std::io::PipeReader>,
    stderr: Option<std::io::PipeReader>,
    killed: Arc<AtomicBool>,
    thread: Option<JoinHandle<ExitStatus>>,
    exit: Option<ExitStatus>,
}

impl RunningChild for ThreadChild {
    fn id(&self) -> u32 {
        std::process::id()
    }

    fn take_stdout(&mut self) -> Box<dyn std::io::Read + Send> {
        Box::new(self.stdout.take().unwrap())
    }

    fn take_stderr(&mut self) -> Box<dyn std::io::Read + Send> {
        Box::new(self.stderr.take().unwrap())
    }

    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        if self.thread.as_ref().is_some_and(|t| t.is_finished()) {
            return self.wait().map(Some);
        }
        Ok(self.exit)
    }

    fn kill(&mut self) -> std::io::Result<()> {
        self.killed.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn wait(&mut self) -> std::io::Result<ExitStatus> {
        if let Some(thread) = self.thread.take() {
            self.exit = Some(thread.join().expect("the child thread ends by itself"));
        }
        Ok(self.exit.expect("joined"))
    }
}
