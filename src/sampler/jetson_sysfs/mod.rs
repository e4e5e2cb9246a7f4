//! NVIDIA Jetson telemetry read straight from sysfs and procfs, for boards where
//! `tegrastats` is not installed (containers, minimal images), plus the run
//! conditions a Jetson benchmark must record (power mode, clocks, L4T release).
//!
//! Everything is read under a root directory: "/" in production, a fake tree in
//! tests. Discovery walks the tree once and keeps the file paths, so a sample is
//! a handful of small reads and no directory scans. The layouts covered are the
//! ones NVIDIA documents for JetPack 4 (Nano, TX2), 5 (Xavier, Orin) and 6 (Orin).
//! Nothing here panics on a missing or garbled file: that reading is left out.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use super::Reading;

/// A thermal zone reporting this is offline (Orin's cv* zones while the DLA/PVA
/// cluster is power-gated, for instance). Some kernels give it in degrees.
const OFFLINE_TEMPS: [i64; 2] = [-256_000, -256];

/// Names of the integrated GPU in its devfreq directory or device-tree node:
/// Orin, Xavier, TX2, then the generic one (Nano `57000000.gpu`, JetPack 6 `17000000.gpu`).
const GPU_NAMES: [&str; 4] = ["ga10b", "gv11b", "gp10b", "gpu"];

/// GPU load files for kernels whose devfreq device has none (per-mille, 0..1000).
const GPU_LOAD_FALLBACKS: [&str; 3] = [
    "sys/devices/gpu.0/load",
    "sys/devices/platform/gpu.0/load",
    "sys/devices/platform/bus@0/17000000.gpu/load",
];

/// Where the memory-controller clock can be read, in Hz, most usable first: the
/// EMC devfreq node needs no privileges; the two debugfs files need root.
/// `/sys/kernel/actmon_avg_activity/mc_all` is deliberately absent: it is the
/// memory controller's activity (a load figure), not its frequency.
const EMC_RATE_FILES: [&str; 2] = [
    "sys/kernel/debug/bpmp/debug/clk/emc/rate", // JetPack 5 and 6
    "sys/kernel/debug/clk/emc/clk_rate",        // JetPack 4
];

const KB_PER_MB: f64 = 1024.0;

// ---------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------

/// The telemetry nodes of one Jetson, found once by [`JetsonSysfs::discover`].
#[derive(Debug)]
pub struct JetsonSysfs {
    zones: Vec<Zone>,
    gpu_devfreq: Option<GpuDevfreq>,
    gpu_load: Option<PathBuf>,
    rails: Vec<Rail>,
    meminfo: Option<PathBuf>,
}

#[derive(Debug)]
struct Zone {
    metric: String,
    temp: PathBuf,
}

#[derive(Debug)]
struct GpuDevfreq {
    dir: PathBuf,
    /// What to call it in `describe`: the chip (ga10b) or the directory name.
    chip: String,
}

#[derive(Debug)]
struct Rail {
    label: String,
    metric: String,
    source: RailSource,
}

#[derive(Debug)]
enum RailSource {
    /// Mainline ina3221 hwmon driver (JetPack 5+): bus voltage and current.
    Hwmon {
        millivolts: PathBuf,
        milliamps: PathBuf,
    },
    /// NVIDIA's ina3221x IIO driver (JetPack 4): power directly.
    Iio { milliwatts: PathBuf },
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

// ---------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------

/// Thermal zones sorted by index, each with a unique metric name.
fn discover_zones(root: &Path) -> Vec<Zone> {
    // The class directory is the documented entry; its links point into
    // devices/virtual/thermal, which is used if only that one is mounted.
    let Some(dir) = ["sys/class/thermal", "sys/devices/virtual/thermal"]
        .iter()
        .map(|d| root.join(d))
        .find(|d| d.is_dir())
    else {
        return Vec::new();
    };
    let mut found: Vec<(u32, String, PathBuf)> = sorted_entries(&dir)
        .into_iter()
        .filter_map(|(name, path)| {
            let index = name.strip_prefix("thermal_zone")?.parse().ok()?;
            let kind = read_text(&path.join("type"))?;
            Some((index, kind, path.join("temp")))
        })
        .collect();
    found.sort_by_key(|z| z.0);
    let bases: Vec<String> = found
        .iter()
        .map(|(index, kind, _)| zone_base_name(kind).unwrap_or_else(|| format!("zone{index}")))
        .collect();
    let tags: Vec<String> = found.iter().map(|z| z.0.to_string()).collect();
    disambiguate(&bases, &tags)
        .into_iter()
        .zip(found)
        .map(|(base, (_, _, temp))| Zone {
            metric: format!("temp_{base}_c"),
            temp,
        })
        .collect()
}

/// "cpu-thermal" / "CPU-therm" -> "cpu"; "PMIC-Die" -> "pmic_die". None if nothing is left.
fn zone_base_name(kind: &str) -> Option<String> {
    let lower = kind.trim().to_ascii_lowercase();
    let stem = ["-thermal", "_thermal", "-therm", "_therm"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
        .unwrap_or(&lower);
    let name = metric_safe(stem);
    (!name.is_empty()).then_some(name)
}

/// The GPU's devfreq directory: matched on its name or its device-tree node's name.
fn find_gpu_devfreq(root: &Path) -> Option<GpuDevfreq> {
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
fn find_gpu_load(root: &Path, devfreq: Option<&GpuDevfreq>) -> Option<PathBuf> {
    let own = devfreq.map(|d| d.dir.join("device/load"));
    own.into_iter()
        .chain(GPU_LOAD_FALLBACKS.iter().map(|p| root.join(p)))
        .find(|p| read_i64(p).is_some())
}

/// Every labelled ina3221 channel, hwmon (JetPack 5+) then IIO (JetPack 4).
fn discover_rails(root: &Path) -> Vec<Rail> {
    let mut rails: Vec<Rail> = ina3221_hwmon_dirs(root)
        .iter()
        .flat_map(|dir| hwmon_rails(dir))
        .collect();
    for dir in ina3221x_iio_dirs(root) {
        rails.extend(iio_rails(&dir));
    }
    // Boards with two monitors could repeat a label; number the repeats.
    let bases: Vec<String> = rails
        .iter()
        .map(|r| metric_safe_keep_case(&r.label))
        .collect();
    let tags: Vec<String> = (0..bases.len())
        .map(|i| {
            bases[..=i]
                .iter()
                .filter(|b| **b == bases[i])
                .count()
                .to_string()
        })
        .collect();
    for (rail, name) in rails.iter_mut().zip(disambiguate(&bases, &tags)) {
        rail.metric = format!("power_{name}_mw");
    }
    rails
}

/// hwmon directories of ina3221 chips, each once: the driver's device list and
/// the bus's device list reach the same chip through different links.
fn ina3221_hwmon_dirs(root: &Path) -> Vec<PathBuf> {
    let by_driver = sorted_entries(&root.join("sys/bus/i2c/drivers/ina3221"))
        .into_iter()
        .flat_map(|(_, dev)| hwmon_subdirs(&dev));
    let by_bus = sorted_entries(&root.join("sys/bus/i2c/devices"))
        .into_iter()
        .flat_map(|(_, dev)| hwmon_subdirs(&dev))
        .filter(|hw| read_text(&hw.join("name")).as_deref() == Some("ina3221"));
    let mut seen = HashSet::new();
    by_driver
        .chain(by_bus)
        .filter(|dir| seen.insert(fs::canonicalize(dir).unwrap_or_else(|_| dir.clone())))
        .collect()
}

fn hwmon_subdirs(device: &Path) -> Vec<PathBuf> {
    sorted_entries(&device.join("hwmon"))
        .into_iter()
        .filter(|(name, _)| name.starts_with("hwmon"))
        .map(|(_, path)| path)
        .collect()
}

/// Channels N with `inN_label`, `inN_input` (mV) and `currN_input` (mA).
fn hwmon_rails(dir: &Path) -> Vec<Rail> {
    let mut channels: Vec<(u32, String)> = sorted_entries(dir)
        .into_iter()
        .filter_map(|(name, path)| {
            let n = name
                .strip_prefix("in")?
                .strip_suffix("_label")?
                .parse()
                .ok()?;
            Some((n, read_text(&path)?))
        })
        .collect();
    channels.sort_by_key(|c| c.0);
    channels
        .into_iter()
        .filter(|(_, label)| is_rail_label(label))
        .filter_map(|(n, label)| {
            let millivolts = dir.join(format!("in{n}_input"));
            let milliamps = dir.join(format!("curr{n}_input"));
            (millivolts.is_file() && milliamps.is_file()).then(|| Rail {
                label,
                metric: String::new(),
                source: RailSource::Hwmon {
                    millivolts,
                    milliamps,
                },
            })
        })
        .collect()
}

/// JetPack 4: `sys/bus/i2c/drivers/ina3221x/*/iio:device*`.
fn ina3221x_iio_dirs(root: &Path) -> Vec<PathBuf> {
    sorted_entries(&root.join("sys/bus/i2c/drivers/ina3221x"))
        .into_iter()
        .flat_map(|(_, dev)| sorted_entries(&dev))
        .filter(|(name, _)| name.starts_with("iio:device"))
        .map(|(_, path)| path)
        .collect()
}

/// Channels N with `rail_name_N` and `in_powerN_input` (mW).
fn iio_rails(dir: &Path) -> Vec<Rail> {
    let mut channels: Vec<(u32, String)> = sorted_entries(dir)
        .into_iter()
        .filter_map(|(name, path)| {
            let n = name.strip_prefix("rail_name_")?.parse().ok()?;
            Some((n, read_text(&path)?))
        })
        .collect();
    channels.sort_by_key(|c| c.0);
    channels
        .into_iter()
        .filter(|(_, label)| is_rail_label(label))
        .filter_map(|(n, label)| {
            let milliwatts = dir.join(format!("in_power{n}_input"));
            milliwatts.is_file().then(|| Rail {
                label,
                metric: String::new(),
                source: RailSource::Iio { milliwatts },
            })
        })
        .collect()
}

/// Not a rail: the chip's "sum of shunt voltages" channel (its current would
/// count the rails twice) and "NC", what AGX Orin calls an unconnected channel.
fn is_rail_label(label: &str) -> bool {
    !label.is_empty()
        && !label.eq_ignore_ascii_case("nc")
        && !label.to_ascii_lowercase().contains("shunt")
}

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

/// `/proc/meminfo` (kB) to MB readings. NvMapMemUsed is memory the GPU driver
/// has mapped; on a Jetson CPU and GPU share RAM, so it is part of ram_used_mb.
fn parse_meminfo(text: &str) -> Vec<Reading> {
    let kb = |key: &str| -> Option<f64> {
        text.lines()
            .find_map(|line| {
                let value = line.strip_prefix(key)?.strip_prefix(':')?;
                value.split_whitespace().next()?.parse::<u64>().ok()
            })
            .map(|v| v as f64)
    };
    let mut out = Vec::with_capacity(5);
    if let (Some(total), Some(available)) = (kb("MemTotal"), kb("MemAvailable")) {
        out.push(reading(
            "ram_used_mb",
            (total - available).max(0.0) / KB_PER_MB,
        ));
        out.push(reading("ram_total_mb", total / KB_PER_MB));
    }
    if let (Some(total), Some(free)) = (kb("SwapTotal"), kb("SwapFree")) {
        out.push(reading("swap_used_mb", (total - free).max(0.0) / KB_PER_MB));
        out.push(reading("swap_total_mb", total / KB_PER_MB));
    }
    if let Some(nvmap) = kb("NvMapMemUsed") {
        out.push(reading("nvmap_used_mb", nvmap / KB_PER_MB));
    }
    out
}

// ---------------------------------------------------------------------------
// Run conditions
// ---------------------------------------------------------------------------

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

/// Runs `nvpmodel -q`; None if it is missing or prints no mode. Warnings may go to
/// either stream, so both are searched.
fn query_nvpmodel() -> Option<String> {
    let output = Command::new("nvpmodel").arg("-q").output().ok()?;
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

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

fn reading(metric: &str, value: f64) -> Reading {
    Reading {
        metric: metric.to_string(),
        value,
    }
}

/// A file's text without surrounding whitespace or the NULs device-tree strings end in.
fn read_text(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    Some(
        text.trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string(),
    )
}

/// A file holding one integer; None if missing, unreadable or not a number.
fn read_i64(path: &Path) -> Option<i64> {
    read_text(path)?.parse().ok()
}

/// A directory's entries as (name, path), sorted by name; empty if unreadable.
fn sorted_entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    out.sort();
    out
}

/// Colliding names get their tag appended so no reading overwrites another.
fn disambiguate(bases: &[String], tags: &[String]) -> Vec<String> {
    bases
        .iter()
        .zip(tags)
        .map(|(base, tag)| {
            if bases.iter().filter(|b| *b == base).count() > 1 {
                format!("{base}_{tag}")
            } else {
                base.clone()
            }
        })
        .collect()
}

/// Lower-case ASCII letters, digits and single underscores.
fn metric_safe(text: &str) -> String {
    metric_safe_keep_case(&text.to_ascii_lowercase())
}

/// Letters, digits and single underscores, case kept (rail labels are upper-case by convention).
fn metric_safe_keep_case(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    mapped
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fake filesystem root in a temporary directory.
    struct Tree(tempfile::TempDir);

    impl Tree {
        fn new() -> Tree {
            Tree(tempfile::tempdir().unwrap())
        }

        fn root(&self) -> &Path {
            self.0.path()
        }

        fn file(&self, rel: &str, content: &str) -> &Tree {
            let path = self.root().join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
            self
        }

        /// root/rel becomes a link to root/target, as sysfs class entries are.
        fn link(&self, rel: &str, target: &str) -> &Tree {
            let path = self.root().join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::create_dir_all(self.root().join(target)).unwrap();
            symlink(self.root().join(target), path).unwrap();
            self
        }

        fn remove(&self, rel: &str) {
            fs::remove_file(self.root().join(rel)).unwrap();
        }

        fn zone(&self, index: u32, kind: &str, temp: &str) -> &Tree {
            let dir = format!("sys/class/thermal/thermal_zone{index}");
            self.file(&format!("{dir}/type"), &format!("{kind}\n"))
                .file(&format!("{dir}/temp"), &format!("{temp}\n"))
        }
    }

    /// Orin NX 16GB on JetPack 6: zones behind class links (three cv* offline), the
    /// GPU's devfreq under the platform bus, one ina3221 reachable two ways.
    fn orin_nx_jp6() -> Tree {
        let t = Tree::new();
        let zones = [
            ("cpu-thermal", "45531"),
            ("gpu-thermal", "43218"),
            ("cv0-thermal", "-256000"),
            ("cv1-thermal", "-256000"),
            ("cv2-thermal", "-256000"),
            ("soc0-thermal", "44093"),
            ("soc1-thermal", "42750"),
            ("soc2-thermal", "43500"),
            ("tj-thermal", "46125"),
        ];
        for (i, (kind, temp)) in zones.iter().enumerate() {
            let real = format!("sys/devices/virtual/thermal/thermal_zone{i}");
            t.file(&format!("{real}/type"), &format!("{kind}\n"))
                .file(&format!("{real}/temp"), &format!("{temp}\n"))
                .link(&format!("sys/class/thermal/thermal_zone{i}"), &real);
        }
        t.link(
            "sys/class/thermal/cooling_device0",
            "sys/devices/virtual/thermal/cooling_device0",
        );
        let gpu = "sys/devices/platform/bus@0/17000000.ga10b";
        let gpu_devfreq = format!("{gpu}/devfreq/17000000.ga10b");
        t.file(&format!("{gpu}/load"), "537\n")
            .file(&format!("{gpu}/of_node/name"), "gpu\0")
            .file(&format!("{gpu_devfreq}/cur_freq"), "918000000\n")
            .file(&format!("{gpu_devfreq}/min_freq"), "306000000\n")
            .file(&format!("{gpu_devfreq}/max_freq"), "918000000\n")
            .link(&format!("{gpu_devfreq}/device"), gpu)
            .link("sys/class/devfreq/17000000.ga10b", &gpu_devfreq);
        // Other engines have devfreq nodes too; they must not be taken for the GPU.
        t.file("sys/class/devfreq/15340000.vic/cur_freq", "115200000\n")
            .file("sys/class/devfreq/31b0000.emc/cur_freq", "3199000000\n");
        let chip = "sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040";
        let hw = format!("{chip}/hwmon/hwmon1");
        t.file(&format!("{hw}/name"), "ina3221\n");
        for (n, label, mv, ma) in [
            (1, "VDD_IN", "5008", "1264"),
            (2, "VDD_CPU_GPU_CV", "5000", "440"),
            (3, "VDD_SOC", "5000", "800"),
        ] {
            t.file(&format!("{hw}/in{n}_label"), &format!("{label}\n"))
                .file(&format!("{hw}/in{n}_input"), &format!("{mv}\n"))
                .file(&format!("{hw}/curr{n}_input"), &format!("{ma}\n"));
        }
        // Shunt channels: in4..in6 unlabelled, in7 the sum, curr4 its current.
        t.file(&format!("{hw}/in4_input"), "10\n")
            .file(&format!("{hw}/in7_label"), "sum of shunt voltages\n")
            .file(&format!("{hw}/in7_input"), "30\n")
            .file(&format!("{hw}/curr4_input"), "2504\n")
            .link("sys/bus/i2c/drivers/ina3221/1-0040", chip)
            .link("sys/bus/i2c/devices/1-0040", chip);
        // An unrelated hwmon chip on the same bus.
        t.file("sys/bus/i2c/devices/0-004c/hwmon/hwmon0/name", "tmp451\n")
            .file(
                "sys/bus/i2c/devices/0-004c/hwmon/hwmon0/in1_label",
                "VDD_X\n",
            )
            .file("sys/bus/i2c/devices/0-004c/hwmon/hwmon0/in1_input", "1\n")
            .file("sys/bus/i2c/devices/0-004c/hwmon/hwmon0/curr1_input", "1\n");
        t.file(
            "proc/meminfo",
            "MemTotal:       16000000 kB\nMemFree:         9000000 kB\n\
             MemAvailable:   12000000 kB\nBuffers:           12345 kB\n\
             SwapCached:            0 kB\nSwapTotal:       8192000 kB\n\
             SwapFree:        7168000 kB\nNvMapMemUsed:     204800 kB\n",
        );
        t
    }

    /// Readings as (metric, value) for compact exact comparison.
    fn pairs(readings: &[Reading]) -> Vec<(&str, f64)> {
        readings
            .iter()
            .map(|r| (r.metric.as_str(), r.value))
            .collect()
    }

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

    #[test]
    fn zone_names() {
        assert_eq!(zone_base_name("cpu-thermal").as_deref(), Some("cpu"));
        assert_eq!(zone_base_name("CPU-therm").as_deref(), Some("cpu"));
        assert_eq!(zone_base_name("tj-thermal").as_deref(), Some("tj"));
        assert_eq!(zone_base_name("soc0-thermal").as_deref(), Some("soc0"));
        assert_eq!(
            zone_base_name("Tboard_tegra").as_deref(),
            Some("tboard_tegra")
        );
        assert_eq!(
            zone_base_name("x86_pkg_temp").as_deref(),
            Some("x86_pkg_temp")
        );
        assert_eq!(zone_base_name(" -- "), None);
    }

    #[test]
    fn duplicate_zone_names_get_the_zone_index() {
        let t = Tree::new();
        t.zone(0, "acpitz", "30000")
            .zone(1, "cpu-thermal", "40000")
            .zone(2, "acpitz", "31000")
            .zone(3, "", "32000")
            .file("sys/devices/gpu.0/load", "5\n");
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![
                ("temp_acpitz_0_c", 30.0),
                ("temp_cpu_c", 40.0),
                ("temp_acpitz_2_c", 31.0),
                ("temp_zone3_c", 32.0),
                ("gpu_load_pct", 0.5),
            ]
        );
    }

    #[test]
    fn duplicate_and_unconnected_rails() {
        // AGX Orin labels unused channels "NC"; two chips could repeat a label.
        let t = Tree::new();
        for (dev, label) in [("1-0040", "VDD_IN"), ("1-0041", "VDD_IN")] {
            let hw = format!("sys/bus/i2c/drivers/ina3221/{dev}/hwmon/hwmon0");
            t.file(&format!("{hw}/in1_label"), label)
                .file(&format!("{hw}/in1_input"), "1000")
                .file(&format!("{hw}/curr1_input"), "1000")
                .file(&format!("{hw}/in2_label"), "NC")
                .file(&format!("{hw}/in2_input"), "1000")
                .file(&format!("{hw}/curr2_input"), "1000")
                .file(&format!("{hw}/in4_label"), "Sum of shunt voltages")
                .file(&format!("{hw}/in4_input"), "1000")
                .file(&format!("{hw}/curr4_input"), "1000");
        }
        let s = JetsonSysfs::discover(t.root()).unwrap();
        assert_eq!(
            pairs(&s.read()),
            vec![("power_VDD_IN_1_mw", 1000.0), ("power_VDD_IN_2_mw", 1000.0)]
        );
    }

    #[test]
    fn meminfo_without_swap_or_nvmap() {
        let got = parse_meminfo("MemTotal: 2048 kB\nMemAvailable: 1024 kB\n");
        assert_eq!(
            pairs(&got),
            vec![("ram_used_mb", 1.0), ("ram_total_mb", 2.0)]
        );
        assert!(parse_meminfo("").is_empty());
    }

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
