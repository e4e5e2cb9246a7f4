//! Before anything runs: a sweep with power axes needs a Jetson (nvpmodel and
//! jetson_clocks at L4T's paths or `--power-tools DIR`, the GPU devfreq
//! node), root, and modes this board has.
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::nvpmodel::{parse_power_models, resolve_mode, PowerModel};
use super::tools::{is_executable, ToolPaths};
use crate::config::Sweep;
use crate::error::UsageError;
use crate::sampler::read_clock_ceilings;

/// How long the clocks may take to settle after a change.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// What setting the power state needs, found before the sweep starts.
#[derive(Debug, Clone)]
pub struct PowerTools {
    /// None when the sweep has no power_mode axis.
    pub nvpmodel: Option<PathBuf>,
    /// Needed by both axes: the original clocks are stored and restored with it.
    pub jetson_clocks: PathBuf,
    pub sysfs_root: PathBuf,
    /// The board's modes, from /etc/nvpmodel.conf (empty if unreadable).
    pub models: Vec<PowerModel>,
    pub settle_timeout: Duration,
}

impl PowerTools {
    /// The nvpmodel id of a mode the sweep names (checked by `preflight`).
    pub fn mode_id(&self, mode: &str) -> Result<u32, String> {
        if self.models.is_empty() {
            return mode.parse().map_err(|_| {
                format!("power mode `{mode}`: the modes cannot be read from etc/nvpmodel.conf; give its nvpmodel id")
            });
        }
        resolve_mode(mode, &self.models)
    }
}

/// What preflight looks at besides the sweep.
pub struct Machine {
    pub sysfs_root: PathBuf,
    pub tools: ToolPaths,
    pub euid: u32,
}

/// None for a sweep without power axes; else the tools, or the one reason
/// this machine cannot set the power state.
pub fn preflight(sweep: &Sweep, machine: &Machine) -> Result<Option<PowerTools>, UsageError> {
    let sysfs_root = machine.sysfs_root.as_path();
    let axes = match (sweep.power_mode.is_empty(), sweep.jetson_clocks.is_empty()) {
        (true, true) => return Ok(None),
        (false, true) => "power_mode",
        (true, false) => "jetson_clocks",
        (false, false) => "power_mode and jetson_clocks",
    };
    let refuse = |why: String| UsageError::new(format!("{axes}: {why}"));
    let found = |program: &Path| {
        match is_executable(program) {
        true => Ok(program.to_path_buf()),
        false => Err(refuse(format!(
            "`{}` is not there (or not executable): not a Jetson, or L4T's tools are not installed (--power-tools DIR names their directory)",
            program.display()
        ))),
    }
    };
    let nvpmodel = match sweep.power_mode.is_empty() {
        true => None,
        false => Some(found(&machine.tools.nvpmodel)?),
    };
    let jetson_clocks = found(&machine.tools.jetson_clocks)?;
    if read_clock_ceilings(sysfs_root).is_none() {
        return Err(refuse(format!(
            "not a Jetson: no GPU devfreq node under {}",
            sysfs_root.join("sys/class/devfreq").display()
        )));
    }
    if machine.euid != 0 {
        return Err(refuse(
            "changing the power mode and clocks needs root: run edgebench with sudo".into(),
        ));
    }
    let conf = std::fs::read_to_string(sysfs_root.join("etc/nvpmodel.conf")).unwrap_or_default();
    let tools = PowerTools {
        nvpmodel,
        jetson_clocks,
        sysfs_root: sysfs_root.to_path_buf(),
        models: parse_power_models(&conf),
        settle_timeout: SETTLE_TIMEOUT,
    };
    for mode in &sweep.power_mode {
        tools.mode_id(mode).map_err(refuse)?;
    }
    Ok(Some(tools))
}
