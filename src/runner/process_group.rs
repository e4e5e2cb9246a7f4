//! Ending a process together with everything it started. A server started
//! through a wrapper (`sh -c "python3 srv.py"`), or one that ignores SIGTERM,
//! outlives a signal sent to one pid; so each measuring child runs in a
//! session of its own and each server it starts in a process group of its
//! own, and both are ended as a whole: SIGTERM to every member, SIGKILL to
//! what is left after a grace period. Members are found in /proc (Linux);
//! elsewhere only the direct process is signalled.
use std::process::Command;
use std::time::{Duration, Instant};

/// How long what was sent SIGTERM has to exit before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// Between looks at what is still running.
const POLL: Duration = Duration::from_millis(50);

/// Which processes belong together: a session (a measuring child and all it
/// started) or a process group (one server and its helpers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    Session(u32),
    Group(u32),
}

/// The command starts in a new session (`session`) or process group, and
/// gets `signal` when the thread that starts it dies; a parent that died
/// before that was set is caught too (the start then fails).
pub fn start_apart(command: &mut Command, members: Apart, signal: i32) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        // Taken before the fork: in the new process it is the parent to check against.
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let apart = match members {
                    Apart::Session => libc::setsid(),
                    Apart::Group => libc::setpgid(0, 0),
                };
                if apart == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                die_with_parent(parent, signal)
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (command, members, signal);
}

/// Which of the two a started process gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apart {
    Session,
    Group,
}

/// `signal` when the parent dies; an error if it died already (it would never
/// come: the process was adopted before the request).
#[cfg(target_os = "linux")]
pub fn die_with_parent(parent: libc::pid_t, signal: i32) -> std::io::Result<()> {
    // SAFETY: prctl and getppid have no memory preconditions.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, signal) == -1 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            return Err(std::io::Error::other("the parent process has already ended"));
        }
    }
    Ok(())
}

/// SIGTERM to every live member, then SIGKILL to those still there after
/// `grace`; returns how many were signalled at first.
pub fn end_all(members: Members, grace: Duration) -> usize {
    let first = live_members(members);
    if first.is_empty() {
        return 0;
    }
    signal_each(&first, libc::SIGTERM);
    let until = Instant::now() + grace;
    while Instant::now() < until {
        if live_members(members).is_empty() {
            return first.len();
        }
        std::thread::sleep(POLL);
    }
    signal_each(&live_members(members), libc::SIGKILL);
    first.len()
}

fn signal_each(pids: &[u32], signal: i32) {
    for &pid in pids {
        // SAFETY: kill has no memory preconditions; a pid gone since is ESRCH.
        unsafe {
            libc::kill(pid as libc::pid_t, signal);
        }
    }
}

/// The pids of `members` that are running (zombies waiting to be reaped are
/// not: they hold nothing and a signal cannot end them).
pub fn live_members(members: Members) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pids = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok());
    pids.filter(|&pid| {
        let Some(stat) = ProcStat::read(pid) else {
            return false;
        };
        let member = match members {
            Members::Session(sid) => stat.session == sid,
            Members::Group(pgid) => stat.group == pgid,
        };
        member && stat.state != 'Z' && pid != std::process::id()
    })
    .collect()
}

/// The fields of /proc/PID/stat this needs.
struct ProcStat {
    state: char,
    group: u32,
    session: u32,
}

impl ProcStat {
    fn read(pid: u32) -> Option<ProcStat> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name is in parentheses and may hold any character.
        let rest = &text[text.rfind(')')? + 1..];
        let mut fields = rest.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let _ppid = fields.next()?;
        Some(ProcStat {
            state,
            group: fields.next()?.parse().ok()?,
            session: fields.next()?.parse().ok()?,
        })
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::process::Stdio;

    /// A shell that starts a SIGTERM-ignoring grandchild and waits for it.
    fn wrapper(apart: Apart) -> std::process::Child {
        let mut command = Command::new("sh");
        command
            .args(["-c", "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & wait"])
            .stdin(Stdio::null());
        start_apart(&mut command, apart, libc::SIGTERM);
        command.spawn().unwrap()
    }

    fn wait_for_members(members: Members, n: usize) {
        let until = Instant::now() + Duration::from_secs(5);
        while live_members(members).len() < n && Instant::now() < until {
            std::thread::sleep(POLL);
        }
    }

    #[test]
    fn a_session_ends_whole_with_a_member_that_ignores_sigterm() {
        let mut child = wrapper(Apart::Session);
        let session = Members::Session(child.id());
        wait_for_members(session, 2);
        assert!(live_members(session).len() >= 2, "the wrapper and its child");
        let started = Instant::now();
        let signalled = end_all(session, Duration::from_millis(300));
        let _ = child.wait();
        assert!(signalled >= 2);
        // The wrapper ends at SIGTERM; its child needed the SIGKILL.
        assert!(started.elapsed() >= Duration::from_millis(300));
        let until = Instant::now() + Duration::from_secs(2);
        while !live_members(session).is_empty() && Instant::now() < until {
            std::thread::sleep(POLL);
        }
        assert_eq!(live_members(session), Vec::<u32>::new(), "nothing left");
    }

    #[test]
    fn a_group_ends_whole() {
        let mut child = wrapper(Apart::Group);
        let group = Members::Group(child.id());
        wait_for_members(group, 2);
        end_all(group, Duration::from_millis(200));
        let _ = child.wait();
        let until = Instant::now() + Duration::from_secs(2);
        while !live_members(group).is_empty() && Instant::now() < until {
            std::thread::sleep(POLL);
        }
        assert!(live_members(group).is_empty());
    }

    #[test]
    fn a_parent_already_gone_is_caught() {
        // Not this process's parent: as if the parent had died before the request.
        let e = die_with_parent(std::process::id() as libc::pid_t, 0).unwrap_err();
        assert!(e.to_string().contains("already ended"), "{e}");
        // SAFETY: getppid has no preconditions.
        let parent = unsafe { libc::getppid() };
        die_with_parent(parent, 0).unwrap();
    }
}
