//! Where a unit's measuring child runs. In a sweep it is a process of this
//! binary (`edgebench __child`), so a crash inside llama.cpp costs one unit;
//! the runner's tests launch the same child code in a thread instead.
use std::io::{Read, Write as _};
use std::process::{Child, Command, ExitStatus, Stdio};

use super::process_group::{end_all, start_apart, Apart, Members, STOP_GRACE};
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
        let mut command = Command::new(own_executable()?);
        command
            .arg("__child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = SessionChild::spawn(&mut command)?;
        let job_json = serde_json::to_vec(job)?;
        let mut stdin = child.child.stdin.take().expect("stdin is piped");
        // On an error the child and its session end with `child`'s drop.
        stdin.write_all(&job_json)?;
        drop(stdin);
        Ok(Box::new(child))
    }
}

/// A measuring child in a session of its own. However the unit ends (the
/// child done, crashed, killed at the timeout or an interrupt, or a panic
/// here unwinding), the drop ends the child and then everything still in
/// its session: a server it started, a wrapper's children, one that
/// ignores SIGTERM. A crashed child's server gets SIGTERM from the kernel
/// first (PR_SET_PDEATHSIG), and this finds what that missed.
pub struct SessionChild {
    child: Child,
}

impl SessionChild {
    /// Starts `command` in a new session; it is killed when this thread ends.
    pub fn spawn(command: &mut Command) -> std::io::Result<SessionChild> {
        start_apart(command, Apart::Session, libc::SIGKILL);
        Ok(SessionChild {
            child: command.spawn()?,
        })
    }
}

impl Drop for SessionChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        end_all(Members::Session(self.child.id()), STOP_GRACE);
    }
}

impl RunningChild for SessionChild {
    fn id(&self) -> u32 {
        self.child.id()
    }

    fn take_stdout(&mut self) -> Box<dyn Read + Send> {
        let stdout = self.child.stdout.take();
        Box::new(stdout.expect("stdout is piped and taken once"))
    }

    fn take_stderr(&mut self) -> Box<dyn Read + Send> {
        let stderr = self.child.stderr.take();
        Box::new(stderr.expect("stderr is piped and taken once"))
    }

    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()
    }

    fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::runner::process_group::live_members;
    use std::time::{Duration, Instant};

    /// A panic in the sweep while a unit runs: unwinding drops the child,
    /// which ends its whole session (here a shell and a grandchild that
    /// ignores SIGTERM, as a wrapper and its server).
    #[test]
    fn a_panic_mid_unit_ends_the_childs_whole_session() {
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & wait",
            ])
            .stdin(Stdio::null());
        let child = SessionChild::spawn(&mut command).unwrap();
        let session = Members::Session(child.id());
        let until = Instant::now() + Duration::from_secs(5);
        while live_members(session).len() < 2 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(live_members(session).len() >= 2, "the shell and its child");
        let unwound = std::panic::catch_unwind(move || {
            let _running = child;
            panic!("a bug mid-unit");
        });
        assert!(unwound.is_err());
        assert_eq!(live_members(session), Vec::<u32>::new());
    }
}
