//! Resource samplers: what the device is doing while a model runs (memory,
//! temperature, power, clocks), tagged with the candidate, test and phase.
//! One module per backend behind the `Backend` trait, plus the sampling thread.
mod bandwidth;
mod bandwidth_cache;
mod jetson;
mod jetson_sysfs;
mod nvml;
mod process_tree;
mod rapl;
mod resources;
mod system;
mod tegrastats;
mod thread;

pub use bandwidth_cache::{host_bandwidth, measure_now as measure_bandwidth_now};
pub use jetson::L4T_TEGRASTATS;
pub use jetson_sysfs::{
    read_clock_ceilings, read_conditions, ClockCeilings, JetsonConditions, L4T_NVPMODEL,
};
pub use nvml::nvml_conditions;
pub use resources::{mean_power_w, resource_summary, Measured};
pub use tegrastats::{parse_tegrastats_line, parse_tegrastats_log, ImportReport, TegrastatsLine};
pub use thread::{Sampler, SamplerState};
// Rows of samples.* and the manifest's sampling record are results' types.
pub use crate::results::manifest::{BackendStatus, SamplerReport};
pub use crate::results::{Phase, SampleRow};

/// Conditions worth recording in the manifest, read once at the start of a run.
pub fn read_run_conditions() -> serde_json::Value {
    let jetson = read_conditions(&sysfs_root());
    serde_json::json!({
        "jetson": if jetson.is_jetson { serde_json::to_value(&jetson).unwrap_or_default() } else { serde_json::Value::Null },
        "nvml": nvml_conditions(),
    })
}

use std::path::PathBuf;

/// One measured value. Units are in the metric name's suffix: _mb, _pct, _mhz, _c, _mw.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub metric: String,
    pub value: f64,
}

impl Reading {
    pub fn new(metric: impl Into<String>, value: f64) -> Self {
        Reading {
            metric: metric.into(),
            value,
        }
    }
}

/// A source of readings. `sample` must be cheap: it runs every interval.
pub trait Backend: Send {
    fn name(&self) -> &'static str;
    /// Appends this tick's readings; `pid` is the measuring child when one runs.
    fn sample(&mut self, pid: Option<u32>, out: &mut Vec<Reading>);
}

/// A CPU clock reading: sysinfo's mean (`cpu_freq_mhz`) or tegrastats' per
/// core (`cpu0_freq_mhz`).
pub fn is_cpu_clock(metric: &str) -> bool {
    metric
        .strip_prefix("cpu")
        .and_then(|m| m.strip_suffix("freq_mhz"))
        .is_some_and(|core| core == "_" || core.trim_end_matches('_').parse::<u32>().is_ok())
}

/// A GPU clock reading: Jetson's `gpu_freq_mhz`, NVML's `gpu0_sm_freq_mhz`.
pub fn is_gpu_clock(metric: &str) -> bool {
    metric == "gpu_freq_mhz"
        || metric
            .strip_prefix("gpu")
            .and_then(|m| m.strip_suffix("_sm_freq_mhz"))
            .is_some_and(|i| i.parse::<u32>().is_ok())
}

/// Where sysfs is read from: `/` unless EDGEBENCH_SYSFS_ROOT points at a (test) tree.
pub fn sysfs_root() -> PathBuf {
    std::env::var_os("EDGEBENCH_SYSFS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Every backend that works on this machine, and a status line for each one tried.
/// `tegrastats`: the program `--tegrastats` names (default: L4T's).
pub fn detect_backends(
    interval: std::time::Duration,
    tegrastats: Option<&std::path::Path>,
) -> (Vec<Box<dyn Backend>>, Vec<BackendStatus>) {
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    let mut statuses = Vec::new();
    let mut add = |name: &str, result: Result<(Box<dyn Backend>, String), String>| match result {
        Ok((backend, detail)) => {
            backends.push(backend);
            statuses.push(BackendStatus {
                name: name.into(),
                available: true,
                detail,
            });
        }
        Err(why) => statuses.push(BackendStatus {
            name: name.into(),
            available: false,
            detail: why,
        }),
    };
    add("sysinfo", system::SystemBackend::detect());
    add("nvml", nvml::NvmlBackend::detect());
    add(
        "jetson",
        jetson::JetsonBackend::detect(&sysfs_root(), interval, tegrastats),
    );
    add("rapl", rapl::RaplBackend::detect(&sysfs_root()));
    (backends, statuses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_readings_are_told_apart() {
        for cpu in ["cpu_freq_mhz", "cpu0_freq_mhz", "cpu11_freq_mhz"] {
            assert!(is_cpu_clock(cpu) && !is_gpu_clock(cpu), "{cpu}");
        }
        for gpu in ["gpu_freq_mhz", "gpu0_sm_freq_mhz"] {
            assert!(is_gpu_clock(gpu) && !is_cpu_clock(gpu), "{gpu}");
        }
        for neither in [
            "cpu_max_freq_mhz",
            "gpu0_mem_freq_mhz",
            "emc_freq_mhz",
            "cpu0_load_pct",
        ] {
            assert!(
                !is_cpu_clock(neither) && !is_gpu_clock(neither),
                "{neither}"
            );
        }
    }
}
