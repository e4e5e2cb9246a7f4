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
            return Err(std::io::Error::other(
                "the parent process has already ended",
            ));
        }
    }
    Ok(())
}

/// How long SIGKILL may take to end what is left.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// SIGTERM to every live member, then SIGKILL to those still there after
/// `grace`; returns how many were signalled at first, once none is left (or
/// KILL_WAIT passed after the SIGKILL).
pub fn end_all(members: Members, grace: Duration) -> usize {
    let first = live(members);
    if first.is_empty() {
        return 0;
    }
    signal_all(&first, libc::SIGTERM);
    if !gone_within(members, grace) {
        let until = Instant::now() + KILL_WAIT;
        // Again until none is left: a member may have forked since the last look.
        while Instant::now() < until {
            signal_all(&live(members), libc::SIGKILL);
            if gone_within(members, POLL * 2) {
                break;
            }
        }
    }
    first.len()
}

fn gone_within(members: Members, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    loop {
        if live(members).is_empty() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// `signal` to each process and to each of their process groups (which
/// also reaches a child forked after the look at /proc); never to this
/// process's own group.
fn signal_all(processes: &[ProcStat], signal: i32) {
    // SAFETY: getpgrp has no preconditions.
    let own_group = unsafe { libc::getpgrp() } as u32;
    let mut groups: Vec<u32> = processes.iter().map(|p| p.group).collect();
    groups.sort_unstable();
    groups.dedup();
    let groups = groups.into_iter().filter(|&g| g != own_group && g > 1);
    let targets = processes.iter().map(|p| p.pid as libc::pid_t);
    for target in targets.chain(groups.map(|g| -(g as libc::pid_t))) {
        // SAFETY: kill has no memory preconditions; one gone since is ESRCH.
        unsafe {
            libc::kill(target, signal);
        }
    }
}

/// The pids of `members` that are running (for the tests).
#[cfg(test)]
pub fn live_members(members: Members) -> Vec<u32> {
    live(members).iter().map(|p| p.pid).collect()
}

/// The members that are running (zombies waiting to be reaped are not: they
/// hold nothing and a signal cannot end them); never this process.
fn live(members: Members) -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pids = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok());
    let stats = pids.filter_map(ProcStat::read);
    stats
        .filter(|stat| {
            let member = match members {
                Members::Session(sid) => stat.session == sid,
                Members::Group(pgid) => stat.group == pgid,
            };
            member && stat.state != 'Z' && stat.pid != std::process::id()
        })
        .collect()
}

/// The fields of /proc/PID/stat this needs.
struct ProcStat {
    pid: u32,
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
            pid,
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
            .args([
                "-c",
                "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & wait",
            ])
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
        assert!(
            live_members(session).len() >= 2,
            "the wrapper and its child"
        );
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
