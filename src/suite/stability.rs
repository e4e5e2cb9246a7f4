//! The stability suite's own tests (kind = "stability"): soak, a conversation
//! grown to the context limit, the context ladder, and quantisation fidelity.
//! Its [[case]] entries run like a quality suite's (determinism, degeneration).
use serde::{Deserialize, Serialize};

use crate::error::UsageError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilitySpec {
    pub soak: Option<SoakSpec>,
    pub multi_turn: Option<MultiTurnSpec>,
    pub memory_ceiling: Option<CeilingSpec>,
    pub fidelity: Option<FidelitySpec>,
}

/// Sustained generation: tok/s per window over `duration`, with temperature beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoakSpec {
    /// "90s", "10m", "1h" (`--soak` overrides it).
    pub duration: String,
    pub prompt: String,
    #[serde(default = "default_window_s")]
    pub window_s: u64,
}

fn default_window_s() -> u64 {
    10
}

/// A conversation that grows turn by turn until the context is full. The first
/// turn gives a fact (`remember`); every later turn asks for it back (`recall`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiTurnSpec {
    pub remember: String,
    /// The answer must contain this (case-insensitive) for the fact to count as kept.
    pub recall: String,
    /// User turns, used in order and then again from the start.
    pub turns: Vec<String>,
    #[serde(default = "default_turn_tokens")]
    pub max_tokens: u32,
    /// Stop after this many turns even if the context has room.
    #[serde(default = "default_max_turns")]
    pub max_turns: u32,
}

fn default_turn_tokens() -> u32 {
    64
}

fn default_max_turns() -> u32 {
    64
}

/// Context sizes tried in order, each in its own child process; the ladder stops
/// at the first that fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeilingSpec {
    pub contexts: Vec<u32>,
    /// Also decode a prompt filling the context (slow on big contexts; the KV
    /// cache is allocated in full either way).
    #[serde(default)]
    pub fill: bool,
}

/// Perplexity on a shipped text, and agreement with a reference candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidelitySpec {
    /// A file under prompts/.
    pub text_file: String,
    /// Tokens per chunk; the first half of each chunk is context only, as llama-perplexity does.
    #[serde(default = "default_chunk")]
    pub chunk_tokens: u32,
    #[serde(default = "default_max_chunks")]
    pub max_chunks: u32,
    /// Candidate name of the reference (F16/Q8_0 of the same model); `--reference` overrides.
    pub reference: Option<String>,
}

fn default_chunk() -> u32 {
    512
}

fn default_max_chunks() -> u32 {
    8
}

/// The longest time limit or soak edgebench takes: a week. Longer is a typo, and
/// `u64` seconds added to an `Instant` would overflow.
pub const MAX_DURATION_SECS: u64 = 7 * 24 * 3600;

/// "90s", "10m", "2h" or plain seconds, from 1 s to a week.
pub fn parse_duration(text: &str) -> Result<u64, UsageError> {
    let t = text.trim();
    let bad = || UsageError::new(format!("duration `{text}`: use e.g. 90s, 10m or 1h"));
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(bad()),
    };
    match n.checked_mul(factor) {
        Some(0) => Err(bad()),
        Some(seconds) if seconds <= MAX_DURATION_SECS => Ok(seconds),
        _ => Err(UsageError::new(format!(
            "duration `{text}`: at most a week ({MAX_DURATION_SECS} s)"
        ))),
    }
}

impl StabilitySpec {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(s) = &self.soak {
            parse_duration(&s.duration).map_err(|e| format!("[soak] {e}"))?;
            if s.window_s == 0 {
                return Err("[soak] window_s must be at least 1".into());
            }
        }
        if let Some(m) = &self.multi_turn {
            if m.turns.is_empty() || m.max_tokens == 0 {
                return Err("[multi_turn] needs turns and max_tokens >= 1".into());
            }
        }
        if let Some(c) = &self.memory_ceiling {
            if c.contexts.is_empty() || c.contexts.contains(&0) {
                return Err("[memory_ceiling] contexts must be a list of sizes >= 1".into());
            }
        }
        if let Some(f) = &self.fidelity {
            if f.chunk_tokens < 16 || f.max_chunks == 0 {
                return Err("[fidelity] chunk_tokens must be >= 16 and max_chunks >= 1".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("10m").unwrap(), 600);
        assert_eq!(parse_duration("2h").unwrap(), 7200);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert!(parse_duration("10 minutes").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_duration("168h").unwrap(), MAX_DURATION_SECS);
        for too_long in ["169h", "5124095576030432h", "99999999999999999999s"] {
            assert!(parse_duration(too_long).is_err(), "{too_long}");
        }
    }
}
