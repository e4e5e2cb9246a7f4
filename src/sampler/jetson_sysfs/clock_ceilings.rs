//! The clock limits nvpmodel and jetson_clocks change: the GPU's devfreq
//! min/max/cur and cpu0's cpufreq min/max, read for the power axes (set, wait
//! until they settle, record them).

use std::path::Path;

use super::gpu_nodes::find_gpu_devfreq;
use super::sysfs_files::read_i64;

/// One reading of the clock limits; None where the file is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockCeilings {
    pub gpu_min_hz: Option<i64>,
    pub gpu_max_hz: Option<i64>,
    pub gpu_cur_hz: Option<i64>,
    pub cpu_min_khz: Option<i64>,
    pub cpu_max_khz: Option<i64>,
}

impl ClockCeilings {
    /// jetson_clocks pins each clock by raising its minimum to its maximum.
    pub fn pinned(&self) -> Option<bool> {
        let gpu = self.gpu_min_hz? == self.gpu_max_hz?;
        let cpu = self.cpu_min_khz? == self.cpu_max_khz?;
        Some(gpu && cpu)
    }

    /// The limits only (the current GPU clock moves with the load).
    pub fn limits(&self) -> [Option<i64>; 4] {
        [
            self.gpu_min_hz,
            self.gpu_max_hz,
            self.cpu_min_khz,
            self.cpu_max_khz,
        ]
    }

    pub fn gpu_max_mhz(&self) -> Option<f64> {
        self.gpu_max_hz.map(|hz| hz as f64 / 1e6)
    }

    pub fn gpu_cur_mhz(&self) -> Option<f64> {
        self.gpu_cur_hz.map(|hz| hz as f64 / 1e6)
    }

    pub fn cpu_max_mhz(&self) -> Option<f64> {
        self.cpu_max_khz.map(|khz| khz as f64 / 1e3)
    }
}

/// The clock limits under `root`; None without a Jetson GPU devfreq node.
pub fn read_clock_ceilings(root: &Path) -> Option<ClockCeilings> {
    let gpu = find_gpu_devfreq(root)?;
    let cpu = root.join("sys/devices/system/cpu/cpu0/cpufreq");
    Some(ClockCeilings {
        gpu_min_hz: read_i64(&gpu.dir.join("min_freq")),
        gpu_max_hz: read_i64(&gpu.dir.join("max_freq")),
        gpu_cur_hz: read_i64(&gpu.dir.join("cur_freq")),
        cpu_min_khz: read_i64(&cpu.join("scaling_min_freq")),
        cpu_max_khz: read_i64(&cpu.join("scaling_max_freq")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_when_every_minimum_is_its_maximum() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(read_clock_ceilings(root), None, "no GPU node: not a Jetson");
        let gpu = root.join("sys/class/devfreq/17000000.ga10b");
        let cpu = root.join("sys/devices/system/cpu/cpu0/cpufreq");
        std::fs::create_dir_all(&gpu).unwrap();
        std::fs::create_dir_all(&cpu).unwrap();
        for (file, value) in [
            (gpu.join("min_freq"), "306000000"),
            (gpu.join("max_freq"), "918000000"),
            (cpu.join("scaling_min_freq"), "1984000"),
            (cpu.join("scaling_max_freq"), "1984000"),
        ] {
            std::fs::write(file, value).unwrap();
        }
        let c = read_clock_ceilings(root).unwrap();
        assert_eq!(c.pinned(), Some(false));
        assert_eq!(c.gpu_max_mhz(), Some(918.0));
        assert_eq!(c.cpu_max_mhz(), Some(1984.0));
        assert_eq!(c.gpu_cur_mhz(), None);
        std::fs::write(gpu.join("min_freq"), "918000000").unwrap();
        assert_eq!(read_clock_ceilings(root).unwrap().pinned(), Some(true));
    }
}
