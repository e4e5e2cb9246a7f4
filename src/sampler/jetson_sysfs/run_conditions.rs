//! The run conditions a Jetson result depends on (power mode, clocks, L4T
//! release), read once at the start of a run for the manifest.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::gpu_nodes::{find_gpu_devfreq, GpuDevfreq};
use super::sysfs_files::{read_i64, read_text, sorted_entries};

/// Where the memory-controller clock can be read, in Hz, most usable first: the
/// EMC devfreq node needs no privileges; the two debugfs files need root.
/// `/sys/kernel/actmon_avg_activity/mc_all` is deliberately absent: it is the
/// memory controller's activity (a load figure), not its frequency.
const EMC_RATE_FILES: [&str; 2] = [
    "sys/kernel/debug/bpmp/debug/clk/emc/rate", // JetPack 5 and 6
    "sys/kernel/debug/clk/emc/clk_rate",        // JetPack 4
];

/// What a Jetson result depends on besides the model: without the power mode and
/// clock state two runs on the same board are not comparable.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct JetsonConditions {
    /// /etc/nv_tegra_release exists or /proc/device-tree/compatible contains "nvidia,tegra".
    pub is_jetson: bool,
    /// /proc/device-tree/model, e.g. "NVIDIA Jetson Orin NX Engineering Reference Developer Kit".
    pub model: Option<String>,
    /// "R36.4.0", from /etc/nv_tegra_release.
    pub l4t_release: Option<String>,
    /// "15W (mode 2)", from `nvpmodel -q`; None when the command is missing or root is not "/".
    pub nvpmodel: Option<String>,
    /// Whether `jetson_clocks` pinned the clocks; None if the frequency files are missing.
    pub jetson_clocks: Option<bool>,
    /// GPU devfreq (cur, min, max) in MHz.
    pub gpu_freq_mhz: Option<(f64, f64, f64)>,
    /// Memory controller (EMC) clock in MHz; None if unreadable (debugfs needs root).
    pub emc_freq_mhz: Option<f64>,
    /// cpu0's cpufreq governor, e.g. "schedutil".
    pub cpu_governor: Option<String>,
}

/// Reads the run conditions under `root`. Runs `nvpmodel -q` only when root is "/",
/// so tests on fake trees never execute anything.
pub fn read_conditions(root: &Path) -> JetsonConditions {
    let release = root.join("etc/nv_tegra_release");
    let compatible = fs::read(root.join("proc/device-tree/compatible")).unwrap_or_default();
    let gpu = find_gpu_devfreq(root);
    let cpufreq = root.join("sys/devices/system/cpu/cpu0/cpufreq");
    JetsonConditions {
        is_jetson: release.exists() || contains_bytes(&compatible, b"nvidia,tegra"),
        model: read_text(&root.join("proc/device-tree/model")).filter(|m| !m.is_empty()),
        l4t_release: read_text(&release).and_then(|t| parse_nv_tegra_release(&t)),
        nvpmodel: if root == Path::new("/") {
            query_nvpmodel()
        } else {
            None
        },
        jetson_clocks: jetson_clocks_active(gpu.as_ref(), &cpufreq),
        gpu_freq_mhz: gpu.as_ref().and_then(gpu_freqs_mhz),
        emc_freq_mhz: emc_freq_mhz(root),
        cpu_governor: read_text(&cpufreq.join("scaling_governor")).filter(|g| !g.is_empty()),
    }
}

/// First line of /etc/nv_tegra_release, "# R36 (release), REVISION: 4.0, ..." -> "R36.4.0".
/// Without a REVISION field the major release alone ("R36") is returned.
pub fn parse_nv_tegra_release(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim().trim_start_matches('#').trim();
    let major = line.split(|c: char| c.is_whitespace() || c == ',').next()?;
    let digits = major.strip_prefix('R')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let revision = line
        .split(',')
        .find_map(|field| field.trim().strip_prefix("REVISION:"))
        .map(str::trim)
        .filter(|r| !r.is_empty());
    Some(match revision {
        Some(rev) => format!("{major}.{rev}"),
        None => major.to_string(),
    })
}

/// `nvpmodel -q` output -> "15W (mode 2)": the mode's name from the
/// "NV Power Mode:" line and its number from the line after it, if that is one.
pub fn parse_nvpmodel_query(text: &str) -> Option<String> {
    let mut lines = text.lines().map(str::trim);
    let name = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("NV Power Mode:"))?
        .trim();
    if name.is_empty() {
        return None;
    }
    let id = lines
        .find(|line| !line.is_empty())
        .and_then(|line| line.parse::<u32>().ok());
    Some(match id {
        Some(id) => format!("{name} (mode {id})"),
        None => name.to_string(),
    })
}

/// Where L4T installs nvpmodel: run from there, never looked up on PATH
/// (edgebench may run as root).
pub const L4T_NVPMODEL: &str = "/usr/sbin/nvpmodel";

/// Runs `nvpmodel -q`; None if it is missing or prints no mode. Warnings may go to
/// either stream, so both are searched.
fn query_nvpmodel() -> Option<String> {
    let output = Command::new(L4T_NVPMODEL).arg("-q").output().ok()?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    parse_nvpmodel_query(&text)
}

/// `jetson_clocks` pins each clock by raising its minimum to its maximum, so it
/// is active when both the GPU's and cpu0's minimum equal their maximum.
fn jetson_clocks_active(gpu: Option<&GpuDevfreq>, cpufreq: &Path) -> Option<bool> {
    let gpu = gpu?;
    let gpu_min = read_i64(&gpu.dir.join("min_freq"))?;
    let gpu_max = read_i64(&gpu.dir.join("max_freq"))?;
    let cpu_min = read_i64(&cpufreq.join("scaling_min_freq"))?;
    let cpu_max = read_i64(&cpufreq.join("scaling_max_freq"))?;
    Some(gpu_min == gpu_max && cpu_min == cpu_max)
}

fn gpu_freqs_mhz(gpu: &GpuDevfreq) -> Option<(f64, f64, f64)> {
    let mhz = |file: &str| read_i64(&gpu.dir.join(file)).map(|hz| hz as f64 / 1e6);
    Some((mhz("cur_freq")?, mhz("min_freq")?, mhz("max_freq")?))
}

/// EMC clock: its devfreq node if the kernel has one, else the debugfs clock.
fn emc_freq_mhz(root: &Path) -> Option<f64> {
    let devfreq = sorted_entries(&root.join("sys/class/devfreq"))
        .into_iter()
        .filter(|(name, _)| name.to_ascii_lowercase().contains("emc"))
        .map(|(_, dir)| dir.join("cur_freq"));
    devfreq
        .chain(EMC_RATE_FILES.iter().map(|p| root.join(p)))
        .find_map(|p| read_i64(&p))
        .filter(|hz| *hz > 0)
        .map(|hz| hz as f64 / 1e6)
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::super::test_trees::{orin_nx_jp6, Tree};
    use super::*;

    #[test]
    fn nv_tegra_release() {
        let jp5 = "# R35 (release), REVISION: 3.1, GCID: 32827747, BOARD: t186ref, EABI: aarch64, \
                   DATE: Sun Mar 19 15:19:21 UTC 2023\n";
        assert_eq!(parse_nv_tegra_release(jp5).as_deref(), Some("R35.3.1"));
        let jp6 = "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, \
                   DATE: Fri Sep 13 04:36:44 UTC 2024\n# KERNEL_VARIANT: oot\n\
                   TARGET_USERSPACE_LIB_DIR=nvidia\n";
        assert_eq!(parse_nv_tegra_release(jp6).as_deref(), Some("R36.4.0"));
        let jp4 = "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, \
                   DATE: Sat Feb 19 17:05:08 UTC 2022";
        assert_eq!(parse_nv_tegra_release(jp4).as_deref(), Some("R32.7.1"));
        assert_eq!(
            parse_nv_tegra_release("# R36 (release)").as_deref(),
            Some("R36")
        );
        assert_eq!(parse_nv_tegra_release(""), None);
        assert_eq!(parse_nv_tegra_release("hello, REVISION: 1.0"), None);
        assert_eq!(parse_nv_tegra_release("# Rx (release)"), None);
    }

    #[test]
    fn nvpmodel_query() {
        let jp5 = "NV Fan Mode:quiet\nNV Power Mode: MODE_15W\n0\n";
        assert_eq!(
            parse_nvpmodel_query(jp5).as_deref(),
            Some("MODE_15W (mode 0)")
        );
        let jp6 = "NV Power Mode: 25W\n1\n";
        assert_eq!(parse_nvpmodel_query(jp6).as_deref(), Some("25W (mode 1)"));
        assert_eq!(
            parse_nvpmodel_query("NV Power Mode: 15W\n2").as_deref(),
            Some("15W (mode 2)")
        );
        assert_eq!(
            parse_nvpmodel_query("NV Power Mode: MAXN\n").as_deref(),
            Some("MAXN")
        );
        assert_eq!(
            parse_nvpmodel_query("NV Power Mode: MAXN\nwarning\n0").as_deref(),
            Some("MAXN")
        );
        assert_eq!(
            parse_nvpmodel_query("bash: nvpmodel: command not found"),
            None
        );
        assert_eq!(parse_nvpmodel_query("NV Power Mode:\n0"), None);
    }

    /// The files `read_conditions` needs on an Orin NX; `pinned` is jetson_clocks' state.
    fn conditions_tree(pinned: bool) -> Tree {
        let t = orin_nx_jp6();
        let gpu = "sys/devices/platform/bus@0/17000000.ga10b/devfreq/17000000.ga10b";
        let cpu = "sys/devices/system/cpu/cpu0/cpufreq";
        let (gpu_min, cpu_min) = if pinned {
            ("918000000", "1984000")
        } else {
            ("306000000", "729600")
        };
        t.file(
            "etc/nv_tegra_release",
            "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, \
             DATE: Fri Sep 13 04:36:44 UTC 2024\n",
        )
        .file(
            "proc/device-tree/model",
            "NVIDIA Jetson Orin NX Engineering Reference Developer Kit\0",
        )
        .file(
            "proc/device-tree/compatible",
            "nvidia,p3768-0000+p3767-0000\0nvidia,p3767-0000\0nvidia,tegra234\0",
        )
        .file(&format!("{gpu}/min_freq"), gpu_min)
        .file(&format!("{cpu}/scaling_min_freq"), cpu_min)
        .file(&format!("{cpu}/scaling_max_freq"), "1984000\n")
        .file(&format!("{cpu}/scaling_governor"), "schedutil\n");
        t
    }

    #[test]
    fn conditions_with_jetson_clocks() {
        let t = conditions_tree(true);
        assert_eq!(
            read_conditions(t.root()),
            JetsonConditions {
                is_jetson: true,
                model: Some("NVIDIA Jetson Orin NX Engineering Reference Developer Kit".into()),
                l4t_release: Some("R36.4.0".into()),
                nvpmodel: None, // a fake root never runs commands
                jetson_clocks: Some(true),
                gpu_freq_mhz: Some((918.0, 918.0, 918.0)),
                emc_freq_mhz: Some(3199.0),
                cpu_governor: Some("schedutil".into()),
            }
        );
    }

    #[test]
    fn conditions_without_jetson_clocks() {
        let c = read_conditions(conditions_tree(false).root());
        assert_eq!(c.jetson_clocks, Some(false));
        assert_eq!(c.gpu_freq_mhz, Some((918.0, 306.0, 918.0)));
        // GPU pinned but CPU not: still not what jetson_clocks does.
        let t = conditions_tree(false);
        t.file(
            "sys/devices/platform/bus@0/17000000.ga10b/devfreq/17000000.ga10b/min_freq",
            "918000000",
        );
        assert_eq!(read_conditions(t.root()).jetson_clocks, Some(false));
    }

    #[test]
    fn conditions_with_missing_files() {
        let t = conditions_tree(true);
        t.remove("sys/devices/system/cpu/cpu0/cpufreq/scaling_min_freq");
        t.remove("etc/nv_tegra_release");
        t.remove("sys/class/devfreq/31b0000.emc/cur_freq");
        let c = read_conditions(t.root());
        assert_eq!(c.jetson_clocks, None);
        assert!(
            c.is_jetson,
            "device-tree compatible alone identifies a Jetson"
        );
        assert_eq!(c.l4t_release, None);
        assert_eq!(c.emc_freq_mhz, None);
        // JetPack 5 debugfs clock, readable as root.
        t.file("sys/kernel/debug/bpmp/debug/clk/emc/rate", "2133000000\n");
        assert_eq!(read_conditions(t.root()).emc_freq_mhz, Some(2133.0));
    }
}
