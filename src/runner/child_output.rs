//! Reading a child's stdout and stderr without trusting them: bytes decoded
//! lossily (llama.cpp cuts metadata previews mid-character), lines and buffers
//! capped (a child that never ends a line must not grow the parent), and the
//! crash handler's lines kept apart from llama.cpp's log.
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};

use super::crash;

/// A stdout protocol line may carry a long answer or a stability row, never this much.
pub const MAX_PROTOCOL_LINE: usize = 16 << 20;
/// Longer log lines are cut: a log line is read by people, not parsed.
pub const MAX_LOG_LINE: usize = 8 << 10;
/// The unit log keeps this many of the child's last stderr lines.
pub const LOG_LINES_KEPT: usize = 2000;
/// Failure hints are looked for in this many last lines.
const HINT_LINES: usize = 40;
const MAX_CRASH_LINES: usize = 64;

/// One line as read, or why reading stopped early.
#[derive(Debug, PartialEq, Eq)]
pub enum LineEvent {
    Line(String),
    /// The line went past the cap; its first `max` bytes are in `head`.
    TooLong {
        head: String,
    },
    /// Reading failed (not end of file).
    Failed(String),
}

/// Calls `each` for every line of `reader` until end of file, a read error, or
/// `each` returns false. A line over `max` bytes is reported as `TooLong` and
/// the rest of it skipped, so memory stays bounded by `max`.
pub fn for_each_line(reader: impl Read, max: usize, mut each: impl FnMut(LineEvent) -> bool) {
    let mut reader = BufReader::with_capacity(64 << 10, reader);
    let mut line = Vec::new();
    let mut overflowed = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => break,
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                each(LineEvent::Failed(e.to_string()));
                return;
            }
        };
        let (part, ends_line) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], true),
            None => (chunk, false),
        };
        let room = max.saturating_sub(line.len());
        overflowed |= part.len() > room;
        line.extend_from_slice(&part[..part.len().min(room)]);
        let used = part.len() + usize::from(ends_line);
        reader.consume(used);
        if ends_line && !emit(&mut line, &mut overflowed, &mut each) {
            return;
        }
    }
    if !line.is_empty() || overflowed {
        emit(&mut line, &mut overflowed, &mut each);
    }
}

fn emit(
    line: &mut Vec<u8>,
    overflowed: &mut bool,
    each: &mut impl FnMut(LineEvent) -> bool,
) -> bool {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8_lossy(line).into_owned();
    line.clear();
    let event = if std::mem::take(overflowed) {
        LineEvent::TooLong { head: text }
    } else {
        LineEvent::Line(text)
    };
    each(event)
}

/// What the child wrote to stderr: the log's tail and its crash report.
#[derive(Debug, Default)]
pub struct ChildLog {
    /// The last LOG_LINES_KEPT lines, crash lines included.
    pub lines: VecDeque<String>,
    /// `edgebench-crash*` lines, in order.
    pub crash: Vec<String>,
}

impl ChildLog {
    pub fn push(&mut self, line: String) {
        if line.starts_with("edgebench-crash") && self.crash.len() < MAX_CRASH_LINES {
            self.crash.push(line.clone());
        }
        if self.lines.len() == LOG_LINES_KEPT {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The last lines of llama.cpp's own log (crash lines left out).
    pub fn hint_tail(&self) -> Vec<String> {
        let mut tail: Vec<String> = self
            .lines
            .iter()
            .rev()
            .filter(|l| !l.starts_with("edgebench-crash"))
            .take(HINT_LINES)
            .cloned()
            .collect();
        tail.reverse();
        tail
    }

    /// The signal name and innermost meaningful frame the crash handler wrote.
    pub fn crash_site(&self) -> Option<CrashSite> {
        let header = self
            .crash
            .iter()
            .find_map(|l| l.strip_prefix(crash::CRASH_PREFIX))?;
        let field = |key: &str| {
            header
                .split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .map(str::to_string)
        };
        let signal = field("name=").unwrap_or_else(|| "signal".into());
        let sender = field("sender=").and_then(|p| p.parse().ok());
        let frame = self
            .crash
            .iter()
            .find_map(|l| l.strip_prefix(crash::AT_PREFIX))
            .map(|f| f.trim().to_string());
        Some(CrashSite {
            signal,
            sender,
            frame,
        })
    }
}

/// MiB of weights per buffer type, from llama.cpp's load lines
/// `load_tensors:   CPU_REPACK model buffer size =    33.75 MiB`.
pub fn weight_buffers<'a>(log: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, f64> {
    let mut buffers = BTreeMap::new();
    for line in log {
        let Some((head, size)) = line.split_once(" model buffer size =") else {
            continue;
        };
        let name = head.rsplit(':').next().unwrap_or(head).trim();
        let mib = size
            .trim()
            .strip_suffix("MiB")
            .and_then(|n| n.trim().parse::<f64>().ok());
        if let (false, Some(mib)) = (name.is_empty(), mib) {
            *buffers.entry(name.to_string()).or_insert(0.0) += mib;
        }
    }
    buffers
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashSite {
    /// "SIGSEGV", "SIGABRT", ...
    pub signal: String,
    /// The process that sent the signal, when it came from outside (kill).
    pub sender: Option<u32>,
    /// The function that faulted or aborted, when the handler could name it.
    pub frame: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8], max: usize) -> Vec<LineEvent> {
        let mut events = Vec::new();
        for_each_line(input, max, |e| {
            events.push(e);
            true
        });
        events
    }

    #[test]
    fn invalid_utf8_does_not_end_the_capture() {
        let events = lines_of(b"meta: caf\xc3\nsecond line\nlast", 1024);
        assert_eq!(
            events,
            vec![
                LineEvent::Line("meta: caf\u{fffd}".into()),
                LineEvent::Line("second line".into()),
                LineEvent::Line("last".into()),
            ]
        );
    }

    #[test]
    fn an_endless_line_is_cut_at_the_cap() {
        let mut input = vec![b'x'; 300_000];
        input.extend_from_slice(b"\nafter\n");
        let events = lines_of(&input, 1000);
        assert_eq!(events.len(), 2);
        match &events[0] {
            LineEvent::TooLong { head } => assert_eq!(head.len(), 1000),
            other => panic!("expected TooLong, got {other:?}"),
        }
        assert_eq!(events[1], LineEvent::Line("after".into()));
    }

    #[test]
    fn crash_lines_give_the_signal_and_frame() {
        let mut log = ChildLog::default();
        for line in [
            "llama_model_loader: loaded",
            "edgebench-crash: signal=11 name=SIGSEGV",
            "edgebench-crash-frame: #0 backtrace::trace",
            "edgebench-crash-at: ggml_backend_amx_mul_mat",
        ] {
            log.push(line.into());
        }
        assert_eq!(
            log.crash_site(),
            Some(CrashSite {
                signal: "SIGSEGV".into(),
                sender: None,
                frame: Some("ggml_backend_amx_mul_mat".into())
            })
        );
        assert_eq!(
            log.hint_tail(),
            vec!["llama_model_loader: loaded".to_string()]
        );
        assert_eq!(ChildLog::default().crash_site(), None);
    }

    #[test]
    fn weight_buffers_are_read_from_the_load_log() {
        let log: Vec<String> = [
            "load_tensors:   CPU_REPACK model buffer size =    33.75 MiB",
            "load_tensors:   CPU_Mapped model buffer size =   241.41 MiB",
            "llama_context:        CPU  output buffer size =     0.98 MiB",
            "load_tensors: AMX model buffer size = oops",
        ]
        .map(String::from)
        .to_vec();
        let buffers = weight_buffers(&log);
        assert_eq!(buffers.len(), 2, "{buffers:?}");
        assert_eq!(buffers["CPU_REPACK"], 33.75);
        assert_eq!(buffers["CPU_Mapped"], 241.41);
    }
}
