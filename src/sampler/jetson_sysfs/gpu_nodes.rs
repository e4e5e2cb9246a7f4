//! The integrated GPU's nodes: its devfreq directory (clock, and on most kernels
//! load) and the load file older and newer kernels keep elsewhere.

use std::path::{Path, PathBuf};

use super::sysfs_files::{read_i64, read_text, sorted_entries};

/// Names of the integrated GPU in its devfreq directory or device-tree node:
/// Orin, Xavier, TX2, then the generic one (Nano `57000000.gpu`, JetPack 6 `17000000.gpu`).
const GPU_NAMES: [&str; 4] = ["ga10b", "gv11b", "gp10b", "gpu"];

/// GPU load files for kernels whose devfreq device has none (per-mille, 0..1000).
const GPU_LOAD_FALLBACKS: [&str; 3] = [
    "sys/devices/gpu.0/load",
    "sys/devices/platform/gpu.0/load",
    "sys/devices/platform/bus@0/17000000.gpu/load",
];

/// The GPU's devfreq directory: cur_freq, min_freq, max_freq in Hz.
#[derive(Debug)]
pub(super) struct GpuDevfreq {
    pub(super) dir: PathBuf,
    /// What to call it in `describe`: the chip (ga10b) or the directory name.
    pub(super) chip: String,
}

/// The GPU's devfreq directory: matched on its name or its device-tree node's name.
pub(super) fn find_gpu_devfreq(root: &Path) -> Option<GpuDevfreq> {
    sorted_entries(&root.join("sys/class/devfreq"))
        .into_iter()
        .find_map(|(name, dir)| {
            let node = read_text(&dir.join("device/of_node/name")).unwrap_or_default();
            let haystack = format!("{name} {node}").to_ascii_lowercase();
            let token = GPU_NAMES.iter().find(|t| haystack.contains(*t))?;
            let chip = if *token == "gpu" {
                name
            } else {
                token.to_string()
            };
            Some(GpuDevfreq { dir, chip })
        })
}

/// The first GPU load file that reads as a number: the devfreq device's own, then
/// the fixed paths older and newer kernels use.
pub(super) fn find_gpu_load(root: &Path, devfreq: Option<&GpuDevfreq>) -> Option<PathBuf> {
    let own = devfreq.map(|d| d.dir.join("device/load"));
    own.into_iter()
        .chain(GPU_LOAD_FALLBACKS.iter().map(|p| root.join(p)))
        .find(|p| read_i64(p).is_some())
}
