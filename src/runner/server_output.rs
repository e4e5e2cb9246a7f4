//! What a started server writes on stdout and stderr: one pipe, read by a
//! thread that keeps only its last lines (nothing goes to disk, so a server
//! that writes without end fills neither the disk nor memory), each with the
//! API key cut out before it is kept or cut short.
use std::collections::VecDeque;
use std::io::PipeReader;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::child_output::{for_each_line, LineEvent};
use crate::engine::KeyRedactor;

/// The lines kept: the end of the server's output goes to the unit log.
pub const TAIL_LINES: usize = 40;
/// A longer line is cut (its start kept).
const MAX_LINE: usize = 16 << 10;
/// How long the tail waits for the last of a server's output after it exited.
const SETTLE: Duration = Duration::from_secs(1);

/// How each line of the server's output is marked in the child's stderr (the
/// unit log), so that it is never taken for the child's own (a crash report).
pub const SERVER_LINE_PREFIX: &str = "server| ";

pub struct ServerOutput {
    tail: Arc<(Mutex<VecDeque<String>>, AtomicBool)>,
}

impl ServerOutput {
    /// Sends `command`'s stdout and stderr into one pipe and starts reading it.
    pub fn capture(command: &mut Command, redactor: KeyRedactor) -> Result<Self, String> {
        let (reader, writer) =
            std::io::pipe().map_err(|e| format!("cannot make the server's output pipe: {e}"))?;
        let second = writer
            .try_clone()
            .map_err(|e| format!("cannot share the server's output pipe: {e}"))?;
        command.stdout(writer).stderr(second);
        let tail = Arc::new((Mutex::new(VecDeque::new()), AtomicBool::new(false)));
        let kept = Arc::clone(&tail);
        std::thread::spawn(move || read_tail(reader, &redactor, &kept));
        Ok(ServerOutput { tail })
    }

    /// The last `n` lines the server wrote. Once it has exited, its last
    /// output is waited for a moment (a process it left behind may hold the pipe).
    pub fn last_lines(&self, n: usize, exited: bool) -> Vec<String> {
        if exited {
            let until = Instant::now() + SETTLE;
            while !self.tail.1.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let lines = self.tail.0.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .iter()
            .skip(lines.len().saturating_sub(n))
            .cloned()
            .collect()
    }
}

/// Keeps the last TAIL_LINES lines of `reader`, redacted, until the pipe ends.
fn read_tail(
    reader: PipeReader,
    redactor: &KeyRedactor,
    tail: &(Mutex<VecDeque<String>>, AtomicBool),
) {
    for_each_line(reader, MAX_LINE, |event| {
        let line = match event {
            LineEvent::Line(line) => redactor.redact(&line),
            LineEvent::TooLong { head } => cut_line(&redactor.redact(&head), redactor),
            LineEvent::Failed(e) => format!("[edgebench: reading the server's output failed: {e}]"),
        };
        let mut lines = tail.0.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
        true
    });
    tail.1.store(true, Ordering::SeqCst);
}

/// A line cut at the cap may end in the first part of the key, which the
/// redactor could not see whole: that much more of its end goes.
fn cut_line(head: &str, redactor: &KeyRedactor) -> String {
    let mut keep = head.len().saturating_sub(redactor.longest_form());
    while !head.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{} [cut at {MAX_LINE} bytes]", &head[..keep])
}

/// The server's lines as the child writes them to its stderr: marked, on one
/// line each, control characters escaped.
pub fn marked_lines(lines: &[String]) -> String {
    let marked: Vec<String> = lines
        .iter()
        .map(|l| format!("{SERVER_LINE_PREFIX}{}", crate::error::printable_line(l)))
        .collect();
    marked.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &str, redactor: KeyRedactor) -> (ServerOutput, std::process::Child) {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        let output = ServerOutput::capture(&mut command, redactor).unwrap();
        let child = command.spawn().unwrap();
        drop(command);
        (output, child)
    }

    #[test]
    fn only_the_last_lines_are_kept_however_much_the_server_writes() {
        // 64 MiB in 8 KiB lines, then 3 lines: nothing on disk, a bounded tail.
        let script = "head -c 67108864 /dev/zero | tr '\\0' x | fold -w 8192; echo; \
                      echo one; echo two >&2; printf 'last'";
        let (output, mut child) = run(script, KeyRedactor::default());
        child.wait().unwrap();
        let lines = output.last_lines(3, true);
        assert_eq!(lines, ["one", "two", "last"]);
        assert_eq!(output.last_lines(100, true).len(), TAIL_LINES);
    }

    #[test]
    fn the_key_is_cut_out_even_where_a_long_line_is_cut_short() {
        let key = "sk-server-output-55aa";
        // The key straddles the line cap: its first part ends the kept head.
        let pad = "y".repeat(MAX_LINE - 6);
        let script = format!("echo 'bye {key}'; printf '%s%s\\n' '{pad}' '{key}'");
        let (output, mut child) = run(&script, KeyRedactor::new(key));
        child.wait().unwrap();
        let lines = output.last_lines(2, true);
        assert_eq!(lines[0], "bye <redacted>");
        assert!(
            lines[1].ends_with("[cut at 16384 bytes]"),
            "{}",
            &lines[1][16000..]
        );
        assert!(!lines[1].contains(&key[..6]), "a part of the key is left");
    }

    #[test]
    fn server_lines_are_marked_and_escaped() {
        let lines = [
            "edgebench-crash: signal=11 name=SIGSEGV".to_string(),
            "\u{1b}[2J".into(),
        ];
        assert_eq!(
            marked_lines(&lines),
            "server| edgebench-crash: signal=11 name=SIGSEGV\nserver| \\u{1b}[2J"
        );
    }
}
