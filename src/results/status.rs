//! How a row, a test or a whole work unit ended: the `status` column of
//! speed.*, quality.*, stability.* and summary.* (docs/results.md).
use serde::{Deserialize, Serialize};

/// Serialised as exactly the strings the result files have always held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// "" too: parts/*.json written before this type held an empty status in
    /// the unit's `base` row (a template for rows, never a result itself).
    #[default]
    #[serde(alias = "")]
    Ok,
    /// The test failed (e.g. the prompt is longer than the context).
    Failed,
    LoadFailed,
    /// A signal or abnormal exit inside the engine.
    Crashed,
    /// Killed by SIGKILL: the OOM killer.
    Oom,
    Timeout,
    /// The engine cannot run this test (no figures; the error says what is missing).
    Unsupported,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Ok,
        Status::Failed,
        Status::LoadFailed,
        Status::Crashed,
        Status::Oom,
        Status::Timeout,
        Status::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::LoadFailed => "load_failed",
            Status::Crashed => "crashed",
            Status::Oom => "oom",
            Status::Timeout => "timeout",
            Status::Unsupported => "unsupported",
        }
    }

    pub fn is_ok(self) -> bool {
        self == Status::Ok
    }

    /// The status a file holds as text (None: not one of ours).
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_the_strings_of_the_files() {
        for status in Status::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("skipped"), None);
    }
}
