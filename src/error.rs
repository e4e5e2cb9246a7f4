//! The user's mistakes (exit status 2, one clear line) kept apart from failures
//! of the measured work.
use std::fmt;

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

/// Exit statuses, a contract for scripts and CI.
pub mod exit {
    /// Every candidate ran.
    pub const OK: i32 = 0;
    /// The sweep finished but some candidate failed (results are still written).
    pub const SOME_FAILED: i32 = 1;
    /// Bad usage or bad config: nothing was run.
    pub const USAGE: i32 = 2;
}
