//! What the Jetson power axes did, for manifest.json and each unit's record:
//! the state found before the sweep, the state in force for each unit, and
//! how the original was restored.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The power state in force while one unit ran, read after the clocks settled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerInForce {
    /// What the configuration asked for: the mode as written, its nvpmodel id.
    pub requested_mode: Option<String>,
    pub requested_mode_id: Option<u32>,
    pub requested_clocks: Option<bool>,
    /// `nvpmodel -q` afterwards: the mode's name and id.
    pub mode_name: Option<String>,
    pub mode_id: Option<u32>,
    /// Clocks pinned (every minimum equals its maximum), from sysfs.
    pub jetson_clocks: Option<bool>,
    pub gpu_max_freq_mhz: Option<f64>,
    pub gpu_cur_freq_mhz: Option<f64>,
    pub cpu_max_freq_mhz: Option<f64>,
    /// How long the ceilings took to stop changing; `settled` false: the wait timed out.
    pub settle_ms: u64,
    pub settled: bool,
}

/// The power axes' record of a run (manifest `power`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerRecord {
    /// The mode found before the sweep changed anything, and the file
    /// `jetson_clocks --store` saved the clocks in.
    pub original_mode_id: Option<u32>,
    pub original_mode_name: Option<String>,
    pub clocks_store: String,
    /// Unit id -> the state it ran in.
    #[serde(default)]
    pub units: BTreeMap<String, PowerInForce>,
    /// "restored", or why restoring failed (then: the commands to run by hand).
    pub restored: Option<String>,
}
