//! The `phase` column of samples.*: what the measured process was doing at a tick.
use serde::{Deserialize, Serialize};

/// What the measured process is doing; every sample carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Idle,
    Load,
    Pp,
    Tg,
    E2e,
    Quality,
    /// Soak, multi-turn, memory ceiling, fidelity.
    Stability,
}

impl Phase {
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Load => "load",
            Phase::Pp => "pp",
            Phase::Tg => "tg",
            Phase::E2e => "e2e",
            Phase::Quality => "quality",
            Phase::Stability => "stability",
        }
    }
}
