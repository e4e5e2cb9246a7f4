//! Where a unit's measuring child runs. In a sweep it is a process of this
//! binary (`edgebench __child`), so a crash inside llama.cpp costs one unit;
//! the runner's tests launch the same child code in a thread instead.
use std::io::{Read, Write as _};
use std::process::{Child, Command, ExitStatus, Stdio};

use super::protocol::ChildJob;

pub trait Launcher {
    /// Starts a child with the job (written to it before this returns).
    fn launch(&self, job: &ChildJob) -> std::io::Result<Box<dyn RunningChild>>;
}

/// A started child, as the supervisor sees it: its two output streams, and
/// waiting for its end (or ending it).
pub trait RunningChild {
    fn id(&self) -> u32;
    /// The protocol stream (one JSON message per line); taken once.
    fn take_stdout(&mut self) -> Box<dyn Read + Send>;
    /// The log (llama.cpp's, the crash report); taken once.
    fn take_stderr(&mut self) -> Box<dyn Read + Send>;
    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>>;
    fn kill(&mut self) -> std::io::Result<()>;
    fn wait(&mut self) -> std::io::Result<ExitStatus>;
}

/// This binary, to run the measuring child and the probe. On Linux the running
/// image itself (`/proc/self/exe`): a rebuild during an overnight sweep replaces
/// the file at `current_exe()`, and every later child would run another build or
/// fail to start.
pub fn own_executable() -> std::io::Result<std::path::PathBuf> {
    let running_image = std::path::Path::new("/proc/self/exe");
    if running_image.exists() {
        return Ok(running_image.to_path_buf());
    }
    std::env::current_exe()
}

/// The sweep's launcher: one process of this binary per unit.
pub struct ProcessLauncher;

impl Launcher for ProcessLauncher {
    fn launch(&self, job: &ChildJob) -> std::io::Result<Box<dyn RunningChild>> {
        let mut child = Command::new(own_executable()?)
            .arg("__child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let job_json = serde_json::to_vec(job)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        if let Err(e) = stdin.write_all(&job_json) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        drop(stdin);
        Ok(Box::new(child))
    }
}

impl RunningChild for Child {
    fn id(&self) -> u32 {
        Child::id(self)
    }

    fn take_stdout(&mut self) -> Box<dyn Read + Send> {
        Box::new(self.stdout.take().expect("stdout is piped and taken once"))
    }

    fn take_stderr(&mut self) -> Box<dyn Read + Send> {
        Box::new(self.stderr.take().expect("stderr is piped and taken once"))
    }

    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        Child::try_wait(self)
    }

    fn kill(&mut self) -> std::io::Result<()> {
        Child::kill(self)
    }

    fn wait(&mut self) -> std::io::Result<ExitStatus> {
        Child::wait(self)
    }
}
