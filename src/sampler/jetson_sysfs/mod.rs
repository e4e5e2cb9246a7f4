//! NVIDIA Jetson telemetry read straight from sysfs and procfs, for boards where
//! `tegrastats` is not installed (containers, minimal images), plus the run
//! conditions a Jetson benchmark must record (power mode, clocks, L4T release).
//!
//! Everything is read under a root directory: "/" in production, a fake tree in
//! tests. Discovery walks the tree once and keeps the file paths, so a sample is
//! a handful of small reads and no directory scans. The layouts covered are the
//! ones NVIDIA documents for JetPack 4 (Nano, TX2), 5 (Xavier, Orin) and 6 (Orin).
//! Nothing here panics on a missing or garbled file: that reading is left out.

mod clock_ceilings;
mod gpu_nodes;
mod meminfo;
mod metric_names;
mod power_rails;
mod run_conditions;
mod sysfs_files;
#[cfg(test)]
mod test_trees;
mod thermal_zones;

use std::path::{Path, PathBuf};

use gpu_nodes::{find_gpu_devfreq, find_gpu_load, GpuDevfreq};
use meminfo::parse_meminfo;
use metric_names::reading;
use power_rails::{discover_rails, Rail, RailSource};
use sysfs_files::{read_i64, read_text};
use thermal_zones::{discover_zones, Zone, OFFLINE_TEMPS};

pub use super::Reading;
pub use clock_ceilings::{read_clock_ceilings, ClockCeilings};
pub use run_conditions::{read_conditions, JetsonConditions, L4T_NVPMODEL};

/// The telemetry nodes of one Jetson, found once by [`JetsonSysfs::discover`].
#[derive(Debug)]
pub struct JetsonSysfs {
    zones: Vec<Zone>,
    gpu_devfreq: Option<GpuDevfreq>,
    gpu_load: Option<PathBuf>,
    rails: Vec<Rail>,
    meminfo: Option<PathBuf>,
}

impl JetsonSysfs {
    /// Discovers the nodes once. Err(reason) explains in plain words why this is not usable.
    pub fn discover(root: &Path) -> Result<JetsonSysfs, String> {
        let zones = discover_zones(root);
        let gpu_devfreq = find_gpu_devfreq(root);
        let gpu_load = find_gpu_load(root, gpu_devfreq.as_ref());
        let rails = discover_rails(root);
        // Thermal zones alone prove nothing (every PC has an acpitz): without a
        // Jetson GPU node or power rail, leave the machine to the generic backends.
        if gpu_devfreq.is_none() && gpu_load.is_none() && rails.is_empty() {
            return Err(format!(
                "not a Jetson: no GPU devfreq node (sys/class/devfreq/*ga10b*, *gv11b*, *gp10b*, *gpu*), \
                 no GPU load file and no ina3221 power rail under {}; {} thermal zone(s) alone are not \
                 enough (PCs have them too), so the other sampler backends are used instead",
                root.display(),
                zones.len()
            ));
        }
        let meminfo = Some(root.join("proc/meminfo")).filter(|p| p.is_file());
        Ok(JetsonSysfs {
            zones,
            gpu_devfreq,
            gpu_load,
            rails,
            meminfo,
        })
    }

    /// One sample: temperatures, GPU, power rails, memory, in that order.
    pub fn read(&self) -> Vec<Reading> {
        let mut out = Vec::with_capacity(self.zones.len() + self.rails.len() + 7);
        self.read_temps(&mut out);
        self.read_gpu(&mut out);
        self.read_power(&mut out);
        if let Some(text) = self.meminfo.as_deref().and_then(read_text) {
            out.extend(parse_meminfo(&text));
        }
        out
    }

    /// One line: what was found, for `doctor` and the run manifest.
    pub fn describe(&self) -> String {
        let offline = self
            .zones
            .iter()
            .filter(|z| read_i64(&z.temp).is_some_and(|t| OFFLINE_TEMPS.contains(&t)))
            .count();
        let mut zones = plural(self.zones.len(), "thermal zone");
        if offline > 0 {
            zones.push_str(&format!(" ({offline} offline now)"));
        }
        let gpu = match (&self.gpu_devfreq, &self.gpu_load) {
            (Some(d), Some(_)) => format!("GPU load + clock ({} devfreq)", d.chip),
            (Some(d), None) => format!("GPU clock ({} devfreq; no load file)", d.chip),
            (None, Some(load)) => format!("GPU load ({}; no devfreq)", load.display()),
            (None, None) => "no GPU node".to_string(),
        };
        let rails = if self.rails.is_empty() {
            "no power rails".to_string()
        } else {
            let labels: Vec<&str> = self.rails.iter().map(|r| r.label.as_str()).collect();
            format!(
                "{} ({})",
                plural(self.rails.len(), "power rail"),
                labels.join(", ")
            )
        };
        let memory = match self.meminfo.as_deref().and_then(read_text) {
            Some(text) if text.contains("NvMapMemUsed:") => "RAM/swap/NvMap from meminfo",
            Some(_) => "RAM/swap from meminfo",
            None => "no meminfo",
        };
        format!("{zones}, {gpu}, {rails}, {memory}")
    }

    fn read_temps(&self, out: &mut Vec<Reading>) {
        for zone in &self.zones {
            match read_i64(&zone.temp) {
                Some(t) if !OFFLINE_TEMPS.contains(&t) => {
                    out.push(reading(&zone.metric, t as f64 / 1000.0))
                }
                _ => {}
            }
        }
    }

    fn read_gpu(&self, out: &mut Vec<Reading>) {
        if let Some(load) = self.gpu_load.as_deref().and_then(read_i64) {
            // Per-mille; anything outside 0..=1000 is a misread, not a load.
            if (0..=1000).contains(&load) {
                out.push(reading("gpu_load_pct", load as f64 / 10.0));
            }
        }
        if let Some(d) = &self.gpu_devfreq {
            if let Some(hz) = read_i64(&d.dir.join("cur_freq")) {
                out.push(reading("gpu_freq_mhz", hz as f64 / 1e6));
            }
        }
    }

    fn read_power(&self, out: &mut Vec<Reading>) {
        for rail in &self.rails {
            let milliwatts = match &rail.source {
                RailSource::Hwmon {
                    millivolts,
                    milliamps,
                } => match (read_i64(millivolts), read_i64(milliamps)) {
                    (Some(mv), Some(ma)) => Some(mv as f64 * ma as f64 / 1000.0),
                    _ => None,
                },
                RailSource::Iio { milliwatts } => read_i64(milliwatts).map(|mw| mw as f64),
            };
            if let Some(mw) = milliwatts {
                out.push(reading(&rail.metric, mw));
            }
        }
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::test_trees::{orin_nx_jp6, pairs, Tree};
    use super::*;

    #[test]
    fn orin_nx_jetpack6() {
        let t = orin_nx_jp6();
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![
                ("temp_cpu_c", 45.531),
                ("temp_gpu_c", 43.218),
                ("temp_soc0_c", 44.093),
                ("temp_soc1_c", 42.75),
                ("temp_soc2_c", 43.5),
                ("temp_tj_c", 46.125),
                ("gpu_load_pct", 53.7),
                ("gpu_freq_mhz", 918.0),
                ("power_VDD_IN_mw", 6330.112),
                ("power_VDD_CPU_GPU_CV_mw", 2200.0),
                ("power_VDD_SOC_mw", 4000.0),
                ("ram_used_mb", 3906.25),
                ("ram_total_mb", 15625.0),
                ("swap_used_mb", 1000.0),
                ("swap_total_mb", 8000.0),
                ("nvmap_used_mb", 200.0),
            ]
        );
        assert_eq!(
            s.describe(),
            "9 thermal zones (3 offline now), GPU load + clock (ga10b devfreq), \
             3 power rails (VDD_IN, VDD_CPU_GPU_CV, VDD_SOC), RAM/swap/NvMap from meminfo"
        );
    }

    #[test]
    fn offline_zone_coming_online_is_read() {
        let t = orin_nx_jp6();
        let s = JetsonSysfs::discover(t.root()).unwrap();
        t.file("sys/devices/virtual/thermal/thermal_zone2/temp", "41000\n");
        assert!(pairs(&s.read()).contains(&("temp_cv0_c", 41.0)));
    }

    #[test]
    fn garbage_and_vanished_files_give_fewer_readings() {
        let t = orin_nx_jp6();
        let s = JetsonSysfs::discover(t.root()).unwrap();
        t.file(
            "sys/devices/virtual/thermal/thermal_zone0/temp",
            "garbage\n",
        )
        .file("sys/devices/platform/bus@0/17000000.ga10b/load", "")
        .file("proc/meminfo", "MemTotal: lots\n\0\0\u{fffd}\n");
        t.remove("sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040/hwmon/hwmon1/curr2_input");
        let got = s.read();
        let metrics: Vec<&str> = got.iter().map(|r| r.metric.as_str()).collect();
        assert_eq!(
            metrics,
            [
                "temp_gpu_c",
                "temp_soc0_c",
                "temp_soc1_c",
                "temp_soc2_c",
                "temp_tj_c",
                "gpu_freq_mhz",
                "power_VDD_IN_mw",
                "power_VDD_SOC_mw",
            ]
        );
        // Out-of-range load is a misread, not 150 %.
        t.file("sys/devices/platform/bus@0/17000000.ga10b/load", "1500\n");
        assert!(!s.read().iter().any(|r| r.metric == "gpu_load_pct"));
    }

    #[test]
    fn jetpack6_load_fallback_and_generic_gpu_name() {
        // JetPack 6 names the devfreq node 17000000.gpu and keeps load at platform/gpu.0.
        let t = Tree::new();
        t.zone(0, "cpu-thermal", "50000")
            .file("sys/class/devfreq/17000000.gpu/cur_freq", "612000000\n")
            .file("sys/devices/platform/gpu.0/load", "1000\n");
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![
                ("temp_cpu_c", 50.0),
                ("gpu_load_pct", 100.0),
                ("gpu_freq_mhz", 612.0)
            ]
        );
        assert_eq!(
            s.describe(),
            "1 thermal zone, GPU load + clock (17000000.gpu devfreq), no power rails, no meminfo"
        );
    }

    #[test]
    fn gpu_found_by_device_tree_node_name() {
        let t = Tree::new();
        t.file("sys/class/devfreq/devfreq0/cur_freq", "1377000000\n")
            .file("sys/class/devfreq/devfreq0/device/of_node/name", "gv11b\0")
            .file("sys/class/devfreq/devfreq0/device/load", "10\n");
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![("gpu_load_pct", 1.0), ("gpu_freq_mhz", 1377.0)]
        );
        assert!(s.describe().contains("(gv11b devfreq)"), "{}", s.describe());
    }

    /// AGX Xavier on JetPack 5: old-style zone names, two ina3221 chips found only
    /// through the bus's device list.
    #[test]
    fn xavier_jetpack5() {
        let t = Tree::new();
        t.zone(0, "AO-therm", "39500")
            .zone(1, "CPU-therm", "41000")
            .zone(2, "GPU-therm", "40500")
            .zone(3, "PLL-therm", "39000")
            .zone(4, "AUX-therm", "40000")
            .zone(5, "Tboard_tegra", "37000")
            .zone(6, "Tdiode_tegra", "38250")
            .zone(7, "PMIC-Die", "100000")
            .zone(8, "thermal-fan-est", "39800");
        t.file("sys/devices/17000000.gv11b/load", "250\n")
            .file("sys/class/devfreq/17000000.gv11b/cur_freq", "1377000000\n")
            .link(
                "sys/class/devfreq/17000000.gv11b/device",
                "sys/devices/17000000.gv11b",
            );
        for (dev, rails) in [
            (
                "1-0040",
                [
                    ("VDD_GPU", "19000", "100"),
                    ("VDD_CPU", "19000", "200"),
                    ("VDD_SOC", "19000", "300"),
                ],
            ),
            (
                "1-0041",
                [
                    ("VDD_CV", "19000", "0"),
                    ("VDDRQ", "19000", "50"),
                    ("VDD_SYS5V", "5000", "400"),
                ],
            ),
        ] {
            let hw = format!("sys/bus/i2c/devices/{dev}/hwmon/hwmon{}", &dev[5..]);
            t.file(&format!("{hw}/name"), "ina3221\n");
            for (i, (label, mv, ma)) in rails.iter().enumerate() {
                let n = i + 1;
                t.file(&format!("{hw}/in{n}_label"), label)
                    .file(&format!("{hw}/in{n}_input"), mv)
                    .file(&format!("{hw}/curr{n}_input"), ma);
            }
        }
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![
                ("temp_ao_c", 39.5),
                ("temp_cpu_c", 41.0),
                ("temp_gpu_c", 40.5),
                ("temp_pll_c", 39.0),
                ("temp_aux_c", 40.0),
                ("temp_tboard_tegra_c", 37.0),
                ("temp_tdiode_tegra_c", 38.25),
                ("temp_pmic_die_c", 100.0),
                ("temp_thermal_fan_est_c", 39.8),
                ("gpu_load_pct", 25.0),
                ("gpu_freq_mhz", 1377.0),
                ("power_VDD_GPU_mw", 1900.0),
                ("power_VDD_CPU_mw", 3800.0),
                ("power_VDD_SOC_mw", 5700.0),
                ("power_VDD_CV_mw", 0.0),
                ("power_VDDRQ_mw", 950.0),
                ("power_VDD_SYS5V_mw", 2000.0),
            ]
        );
        assert!(s.describe().starts_with(
            "9 thermal zones, GPU load + clock (gv11b devfreq), 6 power rails (VDD_GPU, VDD_CPU,"
        ));
    }

    /// Nano on JetPack 4: IIO power monitor, load only at sys/devices/gpu.0.
    #[test]
    fn nano_jetpack4() {
        let t = Tree::new();
        t.zone(0, "AO-therm", "40500")
            .zone(1, "CPU-therm", "36500")
            .zone(2, "GPU-therm", "35000")
            .zone(3, "PLL-therm", "34250")
            .zone(4, "PMIC-Die", "100000")
            .zone(5, "thermal-fan-est", "35900");
        t.file("sys/class/devfreq/57000000.gpu/cur_freq", "76800000\n")
            .file("sys/devices/gpu.0/load", "0\n");
        let iio = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0";
        for (n, rail, mw) in [
            (0, "POM_5V_IN", "2204"),
            (1, "POM_5V_GPU", "40"),
            (2, "POM_5V_CPU", "367"),
        ] {
            t.file(&format!("{iio}/rail_name_{n}"), &format!("{rail}\n"))
                .file(&format!("{iio}/in_power{n}_input"), &format!("{mw}\n"))
                .file(&format!("{iio}/in_current{n}_input"), "1\n");
        }
        t.file(
            "proc/meminfo",
            "MemTotal:        4051040 kB\nMemAvailable:    2025520 kB\n\
             SwapTotal:       2025516 kB\nSwapFree:        2025516 kB\n",
        );
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![
                ("temp_ao_c", 40.5),
                ("temp_cpu_c", 36.5),
                ("temp_gpu_c", 35.0),
                ("temp_pll_c", 34.25),
                ("temp_pmic_die_c", 100.0),
                ("temp_thermal_fan_est_c", 35.9),
                ("gpu_load_pct", 0.0),
                ("gpu_freq_mhz", 76.8),
                ("power_POM_5V_IN_mw", 2204.0),
                ("power_POM_5V_GPU_mw", 40.0),
                ("power_POM_5V_CPU_mw", 367.0),
                ("ram_used_mb", 1978.046875),
                ("ram_total_mb", 3956.09375),
                ("swap_used_mb", 0.0),
                ("swap_total_mb", 1978.04296875),
            ]
        );
        assert_eq!(
            s.describe(),
            "6 thermal zones, GPU load + clock (57000000.gpu devfreq), \
             3 power rails (POM_5V_IN, POM_5V_GPU, POM_5V_CPU), RAM/swap from meminfo"
        );
    }

    #[test]
    fn plain_pc_is_not_a_jetson() {
        let t = Tree::new();
        t.zone(0, "acpitz", "27800")
            .file("sys/class/thermal/cooling_device0/type", "Processor\n")
            .file("sys/bus/i2c/devices/i2c-0/name", "SMBus I801 adapter\n")
            .file("proc/meminfo", "MemTotal: 32000000 kB\n");
        let err = JetsonSysfs::discover(t.root()).unwrap_err();
        assert!(
            err.starts_with("not a Jetson: no GPU devfreq node"),
            "{err}"
        );
        assert!(
            err.contains("1 thermal zone(s) alone are not enough"),
            "{err}"
        );
        assert!(err.contains("other sampler backends"), "{err}");
        let c = read_conditions(t.root());
        assert_eq!(c, JetsonConditions::default());
    }

    #[test]
    fn missing_root_is_not_a_jetson() {
        let err = JetsonSysfs::discover(Path::new("/nonexistent/edgebench")).unwrap_err();
        assert!(err.contains("0 thermal zone(s)"), "{err}");
    }

    /// `cargo test --release -- --ignored --nocapture read_timing`
    #[test]
    #[ignore = "timing, not a check"]
    fn read_timing() {
        let t = orin_nx_jp6();
        let s = JetsonSysfs::discover(t.root()).unwrap();
        let runs = 10_000;
        for _ in 0..100 {
            std::hint::black_box(s.read());
        }
        let start = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(s.read());
        }
        let per_read = start.elapsed().as_secs_f64() * 1e6 / runs as f64;
        let discover_start = std::time::Instant::now();
        let _ = JetsonSysfs::discover(t.root());
        let discover = discover_start.elapsed().as_secs_f64() * 1e6;
        println!(
            "read(): {per_read:.1} µs per call ({} readings); discover(): {discover:.0} µs",
            s.read().len()
        );
    }
}
