//! The server edgebench starts for a served candidate's unit
//! (`[candidate.server]`). The measuring child starts it, so the samplers,
//! which follow the child's process tree, measure it; on 127.0.0.1 and a
//! free port; waited for until it answers; stopped with the unit (its
//! process group: SIGTERM, then SIGKILL; if the child dies first the kernel
//! sends the SIGTERM and the sweep ends the child's session). Its output's
//! last lines (server_output.rs) end up in the unit log; nothing is sent to it
//! before its port is its own (server_port.rs).
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::process_group::{end_all, start_apart, Apart, Members, STOP_GRACE};
use super::server_output::{marked_lines, ServerOutput, TAIL_LINES};
use super::server_port::{listener, Listener};
use crate::config::server_launch::{fill_placeholders, LaunchValues, LAUNCH_HOST};
use crate::config::WorkUnit;
use crate::engine::{KeyRedactor, ServerProbe};
use crate::results::plan::ServerLaunch;

/// Between readiness polls.
const READY_POLL: Duration = Duration::from_millis(250);

pub struct StartedServer {
    process: Child,
    output: ServerOutput,
    port: u16,
    /// The argv as run, for the manifest.
    command_line: Vec<String>,
    pub base_url: String,
}

impl StartedServer {
    /// Starts the server for `unit` on a free loopback port, with `base_url`
    /// (a template) filled in; does not wait for it. `redactor` cuts the API
    /// key out of its output.
    pub fn start(
        launch: &ServerLaunch,
        base_url: &str,
        unit: &WorkUnit,
        parallel: u32,
        redactor: KeyRedactor,
    ) -> Result<Self, String> {
        let port = free_loopback_port()?;
        // The path as given: the server runs in this directory too.
        let values = LaunchValues {
            model: &unit.candidate.path,
            port,
            config: &unit.config,
            parallel,
        };
        let argv: Vec<String> = launch
            .command
            .iter()
            .map(|arg| fill_placeholders(arg, &values))
            .collect();
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]).stdin(Stdio::null());
        let output = ServerOutput::capture(&mut command, redactor)?;
        for (name, value) in &launch.env {
            command.env(name, fill_placeholders(value, &values));
        }
        stop_with_parent(&mut command);
        let process = command
            .spawn()
            .map_err(|e| format!("cannot start the server `{}`: {e}", argv[0]))?;
        Ok(StartedServer {
            process,
            output,
            port,
            command_line: argv,
            base_url: fill_placeholders(base_url, &values),
        })
    }

    /// Waits until the server answers (`ServerProbe::ready`), or says why it
    /// never did: it exited, or `timeout` passed (with its last reason).
    pub fn wait_until_ready(
        &mut self,
        probe: &ServerProbe,
        timeout: Duration,
    ) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.process.try_wait() {
                let last = self.output.last_lines(1, true).concat();
                return Err(format!(
                    "the server exited at start ({status}) before answering: {}",
                    crate::error::printable_line(last.trim())
                ));
            }
            let reason = match listener(self.port, self.process.id()) {
                Listener::Theirs => return Err(format!(
                    "port {} was taken by another process before the server bound it; nothing was sent to it",
                    self.port
                )),
                Listener::Nobody => format!("nothing listens on port {} yet", self.port),
                Listener::Ours | Listener::Unknown => match probe.ready() {
                    Ok(()) => return Ok(()),
                    Err(reason) => reason,
                },
            };
            if started.elapsed() >= timeout {
                return Err(format!(
                    "the server did not answer within {} s (ready_timeout_secs): {reason}",
                    timeout.as_secs()
                ));
            }
            std::thread::sleep(READY_POLL);
        }
    }

    /// The command line as run and what the server says it is.
    pub fn identity(&self, probe: &ServerProbe) -> Value {
        let mut identity = probe.identity();
        if let Some(object) = identity.as_object_mut() {
            object.insert("command".into(), json!(self.command_line));
            object.insert("base_url".into(), json!(self.base_url));
        }
        identity
    }

    /// Stops the server (SIGTERM, then SIGKILL after a grace period) and
    /// returns the end of its output, each line marked as the server's.
    pub fn stop(mut self) -> String {
        self.terminate();
        marked_lines(&self.output.last_lines(TAIL_LINES, true))
    }

    /// Ends the server's whole process group (a wrapper's children too),
    /// then reaps the server.
    fn terminate(&mut self) {
        end_all(Members::Group(self.process.id()), STOP_GRACE);
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for StartedServer {
    /// An early return (a failed start) must not leave the server running.
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A port nobody listens on now (the kernel's choice); the server binds it
/// a moment later.
fn free_loopback_port() -> Result<u16, String> {
    TcpListener::bind((LAUNCH_HOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port on {LAUNCH_HOST}: {e}"))
}

/// The server gets a process group of its own, ended as a whole; the kernel
/// sends it SIGTERM when the child that started it dies (killed at its
/// timeout, crashed), and the sweep ends the child's session after that.
fn stop_with_parent(command: &mut Command) {
    start_apart(command, Apart::Group, libc::SIGTERM);
}

/// Whether `path` names a program that exists, for the up-front check.
pub fn program_exists(program: &str) -> bool {
    let path = Path::new(program);
    if program.contains('/') {
        return path.is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|dirs| std::env::split_paths(&dirs).any(|dir| dir.join(program).is_file()))
}
