//! Power rails: the ina3221 monitor channels, through the mainline hwmon driver
//! (JetPack 5+) or NVIDIA's IIO driver (JetPack 4), each metric named for its
//! board label (`power_VDD_IN_mw`).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::metric_names::{disambiguate, metric_safe_keep_case};
use super::sysfs_files::{read_text, sorted_entries};

/// One monitor channel: its board label, metric name and where its power is read.
#[derive(Debug)]
pub(super) struct Rail {
    pub(super) label: String,
    pub(super) metric: String,
    pub(super) source: RailSource,
}

#[derive(Debug)]
pub(super) enum RailSource {
    /// Mainline ina3221 hwmon driver (JetPack 5+): bus voltage and current.
    Hwmon {
        millivolts: PathBuf,
        milliamps: PathBuf,
    },
    /// NVIDIA's ina3221x IIO driver (JetPack 4): power directly.
    Iio { milliwatts: PathBuf },
}

/// Every labelled ina3221 channel, hwmon (JetPack 5+) then IIO (JetPack 4).
pub(super) fn discover_rails(root: &Path) -> Vec<Rail> {
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
    labelled_channels(dir, |name| name.strip_prefix("in")?.strip_suffix("_label"))
        .into_iter()
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
    labelled_channels(dir, |name| name.strip_prefix("rail_name_"))
        .into_iter()
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

/// The rail channels of a sensor directory, in channel order: (N, label) for
/// every file whose name `number_of` reduces to N and whose text is a rail label.
fn labelled_channels(dir: &Path, number_of: impl Fn(&str) -> Option<&str>) -> Vec<(u32, String)> {
    let mut channels: Vec<(u32, String)> = sorted_entries(dir)
        .into_iter()
        .filter_map(|(name, path)| {
            let n = number_of(&name)?.parse().ok()?;
            Some((n, read_text(&path)?))
        })
        .filter(|(_, label)| is_rail_label(label))
        .collect();
    channels.sort_by_key(|c| c.0);
    channels
}

/// Not a rail: the chip's "sum of shunt voltages" channel (its current would
/// count the rails twice) and "NC", what AGX Orin calls an unconnected channel.
fn is_rail_label(label: &str) -> bool {
    !label.is_empty()
        && !label.eq_ignore_ascii_case("nc")
        && !label.to_ascii_lowercase().contains("shunt")
}

#[cfg(test)]
mod tests {
    use super::super::test_trees::{pairs, Tree};
    use super::super::JetsonSysfs;

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
}
