//! The Jetson power axes (`power_mode`, `jetson_clocks`): the parent sets each
//! unit's power state before its child starts, waits for the clocks to settle,
//! records the state in force, and puts the original back at the end of the
//! sweep, also after Ctrl-C, a crashed child or an error (and on drop).
mod nvpmodel;
mod preflight;
mod settle;
#[cfg(test)]
mod tests;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(super) use preflight::{preflight, Machine, PowerTools};
pub(super) use tools::{effective_uid, ToolPaths};

use crate::config::WorkUnit;
use crate::results::power::{PowerInForce, PowerRecord};
use crate::results::{RowConfig, UnitRecord};
use crate::sampler::read_clock_ceilings;
use nvpmodel::parse_query;
use settle::wait_for_settled_clocks;
use tools::run_tool;

/// The power state of a sweep in progress; restores the original when
/// dropped, if `restore` was not called.
pub(super) struct PowerSession {
    tools: PowerTools,
    dir: PathBuf,
    record: PowerRecord,
    /// Per mode id: its own clocks, stored before they were first pinned, so
    /// `jetson_clocks = false` can unpin them again.
    mode_stores: BTreeMap<Option<u32>, PathBuf>,
    restored: bool,
}

impl PowerSession {
    /// Notes the original mode and stores the original clocks in
    /// `<run>/power/`. A resumed sweep whose first part never restored keeps
    /// that part's original: it is still the state to go back to.
    pub fn start(
        tools: &PowerTools,
        run_dir: &Path,
        earlier: Option<&PowerRecord>,
    ) -> Result<PowerSession, String> {
        let dir = run_dir.join("power");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut session = PowerSession {
            tools: tools.clone(),
            dir,
            record: PowerRecord::default(),
            mode_stores: BTreeMap::new(),
            restored: false,
        };
        match earlier {
            Some(earlier) if earlier.restored.is_none() => session.record = earlier.clone(),
            _ => {
                let (name, id) = session.query_mode();
                let store = session.dir.join("original.conf");
                session.jetson_clocks(&["--store", &store.to_string_lossy()])?;
                session.record = PowerRecord {
                    original_mode_id: id,
                    original_mode_name: name,
                    clocks_store: store.to_string_lossy().into_owned(),
                    units: earlier.map(|e| e.units.clone()).unwrap_or_default(),
                    restored: None,
                };
            }
        }
        Ok(session)
    }

    pub fn record(&self) -> &PowerRecord {
        &self.record
    }

    /// Sets the unit's power mode and clocks, waits for them to settle and
    /// returns the state in force.
    pub fn apply(&mut self, unit: &WorkUnit) -> Result<PowerInForce, String> {
        let config = &unit.config;
        let requested_id = config
            .power_mode
            .as_deref()
            .map(|m| self.tools.mode_id(m))
            .transpose()?;
        if let (Some(id), Some(nvpmodel)) = (requested_id, self.tools.nvpmodel.clone()) {
            if self.query_mode().1 != Some(id) {
                run_tool(&nvpmodel, &["-m", &id.to_string()])?;
            }
        }
        if let Some(pin) = config.jetson_clocks {
            self.set_clocks(pin)?;
        }
        let (clocks, waited, settled) =
            wait_for_settled_clocks(&self.tools.sysfs_root, self.tools.settle_timeout);
        let (mode_name, mode_id) = self.query_mode();
        let in_force = PowerInForce {
            requested_mode: config.power_mode.clone(),
            requested_mode_id: requested_id,
            requested_clocks: config.jetson_clocks,
            mode_name,
            mode_id,
            jetson_clocks: clocks.pinned(),
            gpu_max_freq_mhz: clocks.gpu_max_mhz(),
            gpu_cur_freq_mhz: clocks.gpu_cur_mhz(),
            cpu_max_freq_mhz: clocks.cpu_max_mhz(),
            settle_ms: waited.as_millis() as u64,
            settled,
        };
        self.record.units.insert(unit.id.clone(), in_force.clone());
        Ok(in_force)
    }

    /// Pins the clocks (storing this mode's own first), or unpins clocks this
    /// sweep pinned. Clocks pinned before the sweep cannot be unpinned: the
    /// rows then say `jetson_clocks = true`.
    fn set_clocks(&mut self, pin: bool) -> Result<(), String> {
        let root = &self.tools.sysfs_root;
        let pinned = read_clock_ceilings(root).and_then(|c| c.pinned());
        let mode = self.query_mode().1;
        match (pin, pinned) {
            (true, Some(true)) | (false, Some(false)) => Ok(()),
            (true, _) => {
                if !self.mode_stores.contains_key(&mode) {
                    let name = mode.map_or("mode".into(), |id| format!("mode-{id}"));
                    let store = self.dir.join(format!("{name}.conf"));
                    self.jetson_clocks(&["--store", &store.to_string_lossy()])?;
                    self.mode_stores.insert(mode, store);
                }
                self.jetson_clocks(&[])
            }
            (false, _) => match self.mode_stores.get(&mode).cloned() {
                Some(store) => self.jetson_clocks(&["--restore", &store.to_string_lossy()]),
                None => Ok(()),
            },
        }
    }

    /// Puts back the original mode, then the original clocks (nvpmodel resets
    /// the clocks, so this order). Once; what happened goes to the record.
    pub fn restore(&mut self) -> Result<(), String> {
        if self.restored {
            return Ok(());
        }
        self.restored = true;
        let mut failures = Vec::new();
        if let (Some(id), Some(nvpmodel)) =
            (self.record.original_mode_id, self.tools.nvpmodel.clone())
        {
            if self.query_mode().1 != Some(id) {
                failures.extend(run_tool(&nvpmodel, &["-m", &id.to_string()]).err());
            }
        }
        let store = self.record.clocks_store.clone();
        failures.extend(self.jetson_clocks(&["--restore", &store]).err());
        if failures.is_empty() {
            self.record.restored = Some("restored".into());
            return Ok(());
        }
        let by_hand = self.by_hand();
        let message = format!("{}; restore by hand: {by_hand}", failures.join("; "));
        self.record.restored = Some(message.clone());
        Err(message)
    }

    /// The commands that put the original state back.
    fn by_hand(&self) -> String {
        let mut commands = Vec::new();
        if let (Some(id), true) = (self.record.original_mode_id, self.tools.nvpmodel.is_some()) {
            commands.push(format!("sudo nvpmodel -m {id}"));
        }
        commands.push(format!(
            "sudo jetson_clocks --restore {}",
            self.record.clocks_store
        ));
        commands.join(" && ")
    }

    fn jetson_clocks(&self, args: &[&str]) -> Result<(), String> {
        run_tool(&self.tools.jetson_clocks, args).map(drop)
    }

    /// The mode in force; (None, None) without nvpmodel or an answer.
    fn query_mode(&self) -> (Option<String>, Option<u32>) {
        let Some(nvpmodel) = &self.tools.nvpmodel else {
            return (None, None);
        };
        run_tool(nvpmodel, &["-q"]).map_or((None, None), |text| parse_query(&text))
    }
}

impl Drop for PowerSession {
    /// An error or a panic in the sweep still puts the original state back.
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            eprintln!("warning: power state not restored: {e}");
        }
    }
}

/// The state in force into every row of the unit, and its record.
pub(super) fn stamp(record: &mut UnitRecord, in_force: &PowerInForce) {
    let apply = |config: &mut RowConfig| {
        config.power_mode = in_force
            .mode_name
            .clone()
            .or(in_force.requested_mode.clone());
        config.jetson_clocks = in_force.jetson_clocks.or(in_force.requested_clocks);
        config.gpu_max_freq_mhz = in_force.gpu_max_freq_mhz;
        config.cpu_max_freq_mhz = in_force.cpu_max_freq_mhz;
    };
    record.rows.iter_mut().for_each(|r| apply(&mut r.config));
    record.quality.iter_mut().for_each(|r| apply(&mut r.config));
    if let Some(base) = record.base.as_mut() {
        apply(&mut base.config);
    }
    record.power = Some(in_force.clone());
}
