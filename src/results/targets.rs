//! What the application needs of a candidate: the recommendation judges by
//! these, and a sweep records them (`[targets]`) so that goodput, the share of
//! concurrent requests meeting the latency targets, is computed as it runs.
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::UsageError;

/// A missing key is no target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub name: Option<String>,
    pub min_tg_tps: Option<f64>,
    /// Time to first token of one request (goodput and the charts; the
    /// recommendation judges the 50-token latency, which includes it).
    #[serde(default)]
    pub max_ttft_ms: Option<f64>,
    pub max_latency_50_ms: Option<f64>,
    /// Of the profile's memory budget.
    pub max_memory_share: Option<f64>,
    /// Quality score: mean of the quality suites' pass rates, 0..1.
    pub min_quality: Option<f64>,
}

impl Default for Targets {
    fn default() -> Targets {
        Targets::voice_assistant()
    }
}

impl Targets {
    /// A voice assistant: 30 tok/s to speak faster than people listen, the
    /// first word within half a second and a 50-token reply within 1.5 s, 15%
    /// of memory left for speech models and the OS, and 60% of quality cases
    /// passed.
    pub fn voice_assistant() -> Targets {
        Targets {
            name: Some("voice assistant (built in)".into()),
            min_tg_tps: Some(30.0),
            max_ttft_ms: Some(500.0),
            max_latency_50_ms: Some(1500.0),
            max_memory_share: Some(0.85),
            min_quality: Some(0.6),
        }
    }

    pub fn load(path: &Path) -> Result<Targets, UsageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
        let mut targets: Targets = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .unwrap_or(0);
            UsageError::new(format!("{}:{line}: {}", path.display(), e.message()))
        })?;
        if targets.name.is_none() {
            targets.name = Some(path.display().to_string());
        }
        Ok(targets)
    }
}
