//! Server-sent events from a blocking reader, by the WHATWG "interpreting an
//! event stream" rules (lines end in LF, CR or CRLF; a leading BOM is dropped;
//! `:` starts a comment; `data` lines join with LF; a blank line dispatches;
//! an unfinished event at the end is dropped). Written here because the one
//! sans-IO crate found (sse-parse 0.1) is months old and the established ones
//! (eventsource-stream) are async-only; and because it departs from WHATWG in
//! one way on purpose: a line with an unknown field is an error, not ignored,
//! since an OpenAI-compatible server never sends one and a silently skipped
//! line would hide a broken stream.
use std::io::{self, BufRead, BufReader, Read};

/// The longest line accepted; the stream is refused past it.
const MAX_LINE: usize = 1 << 20;
/// The most data one event may hold.
const MAX_EVENT: usize = 4 << 20;
/// The most lines (comments, keep-alives, fields) one event may take.
const MAX_EVENT_LINES: u32 = 100_000;

#[derive(Debug)]
pub(super) enum SseError {
    /// Reading failed (the connection broke, the timeout ran out).
    Io(io::Error),
    /// The bytes are not an event stream.
    Malformed(String),
}

pub(super) struct SseReader<R> {
    input: BufReader<R>,
    /// The last line ended in CR, so a LF opening the next read belongs to it.
    after_cr: bool,
    started: bool,
}

impl<R: Read> SseReader<R> {
    pub(super) fn new(input: R) -> Self {
        SseReader {
            input: BufReader::new(input),
            after_cr: false,
            started: false,
        }
    }

    /// The data of the next event; `None` at the end of the stream.
    pub(super) fn next_event(&mut self) -> Result<Option<String>, SseError> {
        let mut data: Option<String> = None;
        let mut lines = 0;
        while let Some(line) = self.next_line()? {
            lines += 1;
            if lines > MAX_EVENT_LINES {
                return Err(SseError::Malformed(format!(
                    "over {MAX_EVENT_LINES} lines without an event"
                )));
            }
            if line.is_empty() {
                match data.take() {
                    // Each data line was appended with a LF; the last one goes.
                    Some(mut d) => {
                        d.pop();
                        return Ok(Some(d));
                    }
                    None => continue,
                }
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line.as_str(), ""),
            };
            match field {
                "data" => append_data(data.get_or_insert_with(String::new), value)?,
                "event" | "id" | "retry" => {}
                _ => {
                    let message = format!("not an event-stream line: {line}");
                    return Err(SseError::Malformed(message));
                }
            }
        }
        Ok(None)
    }

    /// The next line without its end; `None` at the end of the stream (where
    /// an unfinished line is dropped with its event).
    fn next_line(&mut self) -> Result<Option<String>, SseError> {
        let mut line = Vec::new();
        // Every pass consumes at least one byte or returns.
        loop {
            let buf = self.input.fill_buf().map_err(SseError::Io)?;
            if buf.is_empty() {
                return Ok(None);
            }
            let skip = usize::from(self.after_cr && buf[0] == b'\n');
            self.after_cr = false;
            let rest = &buf[skip..];
            if let Some(i) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                line.extend_from_slice(&rest[..i]);
                self.after_cr = rest[i] == b'\r';
                self.input.consume(skip + i + 1);
                return Ok(Some(self.decode(line)));
            }
            line.extend_from_slice(rest);
            let n = buf.len();
            self.input.consume(n);
            if line.len() > MAX_LINE {
                return Err(SseError::Malformed(format!("a line over {MAX_LINE} bytes")));
            }
        }
    }

    fn decode(&mut self, mut line: Vec<u8>) -> String {
        if !self.started {
            self.started = true;
            if line.starts_with(b"\xEF\xBB\xBF") {
                line.drain(..3);
            }
        }
        String::from_utf8_lossy(&line).into_owned()
    }
}

fn append_data(data: &mut String, value: &str) -> Result<(), SseError> {
    if data.len() + value.len() > MAX_EVENT {
        return Err(SseError::Malformed(format!(
            "an event over {MAX_EVENT} bytes"
        )));
    }
    data.push_str(value);
    data.push('\n');
    Ok(())
}
