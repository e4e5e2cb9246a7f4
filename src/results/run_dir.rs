//! The run directory itself: created exclusively, so two runs (or two imports
//! in one second) never share one, and locked while a command writes to it.
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::error::UsageError;

/// The lock file in a run directory; it holds the holder's description.
pub const LOCK_FILE: &str = "run.lock";

/// Names tried after `base` itself: `base-2` up to `base-99`.
const MAX_SUFFIX: u32 = 99;

/// Creates `out/base`, or `out/base-2`, `-3`... when that name is taken, and
/// returns the name (the run id) and the path. `out` itself may exist.
pub fn create_run_dir(out: &Path, base: &str) -> Result<(String, PathBuf)> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for n in 1..=MAX_SUFFIX {
        let name = match n {
            1 => base.to_string(),
            n => format!("{base}-{n}"),
        };
        let dir = out.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot create the run directory {}", dir.display())))
            }
        }
    }
    Err(UsageError::new(format!(
        "{}: {base} and its suffixes up to -{MAX_SUFFIX} are all taken",
        out.display()
    ))
    .into())
}

/// `options` open no symbolic link: a run directory is untrusted, and a link
/// planted in it would send what edgebench writes to the link's target.
pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    options
}

/// A directory of the run directory (`parts`, `logs`) is a directory, not a
/// symbolic link to somewhere else; one not made yet is fine.
pub fn check_real_dir(dir: &Path) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => anyhow::bail!(
            "{} is not a directory but a link or a file (a tampered run directory?)",
            dir.display()
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", dir.display()))),
    }
}

/// An advisory lock (flock) on `run.lock`, held while a sweep, a resume or a
/// rescore writes to the run directory. The OS releases it when the process
/// ends, so a killed run leaves no stale lock.
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

impl RunLock {
    /// Takes the lock or refuses with one line naming the holder. `show_host`:
    /// false leaves the host name out of the lock file (a redacted run).
    pub fn acquire(run_dir: &Path, show_host: bool) -> Result<RunLock> {
        let path = run_dir.join(LOCK_FILE);
        let mut file = no_follow(&mut OpenOptions::new())
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process",
                    h => h,
                };
                return Err(UsageError::new(format!(
                    "{} is in use by {holder} ({LOCK_FILE}); wait until it ends",
                    run_dir.display()
                ))
                .into());
            }
            Err(TryLockError::Error(e)) => {
                return Err(anyhow::Error::new(e).context(format!("cannot lock {}", path.display())))
            }
        }
        file.set_len(0)?;
        file.write_all(holder(show_host).as_bytes())?;
        Ok(RunLock { file })
    }
}

impl Drop for RunLock {
    /// The holder's description goes with the lock: a free lock names no one.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn holder(show_host: bool) -> String {
    let pid = std::process::id();
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match sysinfo::System::host_name().filter(|_| show_host) {
        Some(host) => format!("edgebench pid {pid} on {host} since {since}"),
        None => format!("edgebench pid {pid} since {since}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_the_next_suffix() {
        let out = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..3)
            .map(|_| create_run_dir(out.path(), "run").unwrap().0)
            .collect();
        assert_eq!(names, ["run", "run-2", "run-3"]);
    }

    #[test]
    fn a_held_lock_refuses_a_second_holder_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path(), false).unwrap();
        let refused = RunLock::acquire(dir.path(), false).unwrap_err();
        let message = refused.to_string();
        assert!(refused.downcast_ref::<UsageError>().is_some(), "{message}");
        let pid = format!("pid {} since", std::process::id());
        assert!(message.contains(&pid), "{message}");
        drop(first);
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, "", "a released lock names no one");
        RunLock::acquire(dir.path(), false).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_link_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "keep me").unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::os::unix::fs::symlink(&outside, run.join(LOCK_FILE)).unwrap();
        assert!(RunLock::acquire(&run, false).is_err());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_logs_or_parts_directory_names_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir_all(run.join("parts")).unwrap();
        std::os::unix::fs::symlink(dir.path(), run.join("logs")).unwrap();
        let e = crate::results::unit_file(&run, "logs", "c0-k0", "log").unwrap_err();
        assert!(e.to_string().contains("not a directory but a link"), "{e}");
        assert!(crate::results::unit_file(&run, "parts", "c0-k0", "json").is_ok());
    }
}
