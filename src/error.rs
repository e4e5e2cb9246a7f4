//! The user's mistakes (exit status 2, one clear line) kept apart from failures
//! of the measured work.
use std::fmt;
use std::path::Path;

/// Bad usage or bad input: nothing was run. Printed as one line, exit status 2.
#[derive(Debug)]
pub struct UsageError(String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A TOML file the user wrote (sweep, suite) that does not parse, as
/// one line: `file:line: key `k`: message`. toml's own Display spans several lines.
pub fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> UsageError {
    let line = e
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let message = e.message().trim().replace('\n', " ");
    // The key is what stands before `=` on the offending line (or the table header).
    let key = line
        .and_then(|l| text.lines().nth(l - 1))
        .map(|l| l.split('=').next().unwrap_or("").trim().to_string())
        .filter(|k| !k.is_empty() && !message.contains(k.as_str()));
    let location = match line {
        Some(l) => format!("{}:{l}", path.display()),
        None => path.display().to_string(),
    };
    match key {
        Some(k) if k.starts_with('[') => {
            UsageError::new(format!("{location}: in `{k}`: {message}"))
        }
        Some(k) => UsageError::new(format!("{location}: key `{k}`: {message}")),
        None => UsageError::new(format!("{location}: {message}")),
    }
}

/// Exit statuses, a contract for scripts and CI.
pub mod exit {
    /// Every candidate ran.
    pub const OK: i32 = 0;
    /// The sweep finished but some candidate failed (results are still written).
    pub const SOME_FAILED: i32 = 1;
    /// Bad usage or bad config: nothing was run.
    pub const USAGE: i32 = 2;
}

/// `text` safe to print on a terminal or in a report: every control
/// character but the line end shown escaped (`\u{1b}`), so that an escape
/// sequence from a server, a model file or a suite cannot rewrite the screen.
pub fn printable(text: &str) -> String {
    escape_controls(text, |c| c == '\n')
}

/// `printable`, on one line: line ends escaped too.
pub fn printable_line(text: &str) -> String {
    escape_controls(text, |_| false)
}

fn escape_controls(text: &str, keep: impl Fn(char) -> bool) -> String {
    if !text.chars().any(|c| c.is_control() && !keep(c)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c.is_control() && !keep(c) {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        let hostile = "\u{1b}]0;owned\u{7}red \u{1b}[31mtext\u{9b}2J\r\nnext";
        assert_eq!(
            printable(hostile),
            "\\u{1b}]0;owned\\u{7}red \\u{1b}[31mtext\\u{9b}2J\\r\nnext"
        );
        assert_eq!(printable_line("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(printable("plain ünïcode"), "plain ünïcode");
    }
}
