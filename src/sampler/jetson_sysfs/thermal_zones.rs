//! Thermal zones: found once under sys/class/thermal, each named for its sensor
//! type so the metric (`temp_cpu_c`) says what it measures, not where it sits.

use std::path::{Path, PathBuf};

use super::metric_names::{disambiguate, metric_safe};
use super::sysfs_files::{read_text, sorted_entries};

/// A thermal zone reporting this is offline (Orin's cv* zones while the DLA/PVA
/// cluster is power-gated, for instance). Some kernels give it in degrees.
pub(super) const OFFLINE_TEMPS: [i64; 2] = [-256_000, -256];

/// A zone's temperature file and the metric it is reported as.
#[derive(Debug)]
pub(super) struct Zone {
    pub(super) metric: String,
    pub(super) temp: PathBuf,
}

/// Thermal zones sorted by index, each with a unique metric name.
pub(super) fn discover_zones(root: &Path) -> Vec<Zone> {
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

#[cfg(test)]
mod tests {
    use super::super::test_trees::{pairs, Tree};
    use super::super::JetsonSysfs;
    use super::*;

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
}
