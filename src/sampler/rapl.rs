//! RAPL backend: the CPU's energy counters through the kernel's powercap tree,
//! `sys/class/powercap/intel-rapl:N` (a package or `psys`) and
//! `intel-rapl:N:M` (its `dram`, `core`, `uncore`), each zone's domain in its
//! `name` file. AMD Zen CPUs are served by the same `intel_rapl_msr` driver
//! under the same names (package and core only). `intel-rapl-mmio:*` repeats
//! the package counter through another path and is left out.
//!
//! A counter (`energy_uj`, microjoules) wraps at `max_energy_range_uj`; each
//! tick turns the energy since the previous tick into that interval's mean
//! power, `power_rapl_<domain>_mw`, so energy is computed as for every other
//! power source (resources.rs). Since Linux 5.10 `energy_uj` is readable by
//! root only (CVE-2020-8694): the backend then says so and measures nothing.
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{Backend, Reading};

/// Shown by `doctor` and the report where the counters exist but are not readable.
const ROOT_ONLY: &str = "not measured: energy_uj is readable by root only";

#[derive(Debug)]
struct Zone {
    /// The kernel's domain name: `package-0`, `dram`, `core`, `uncore`, `psys`.
    domain: String,
    metric: String,
    energy_uj: PathBuf,
    /// Where the counter wraps to 0 (None: unreadable, so a wrap is not bridged).
    max_range_uj: Option<u64>,
    /// The previous reading and when it was taken.
    last: Option<(u64, Instant)>,
}

#[derive(Debug)]
pub struct RaplBackend {
    zones: Vec<Zone>,
}

impl RaplBackend {
    pub fn detect(root: &Path) -> Result<(Box<dyn Backend>, String), String> {
        let backend = RaplBackend::discover(root, Instant::now())?;
        let domains: Vec<&str> = backend.zones.iter().map(|z| z.domain.as_str()).collect();
        let detail = format!(
            "{} RAPL domain(s) ({}): energy counters as mean power per tick",
            domains.len(),
            domains.join(", ")
        );
        Ok((Box::new(backend), detail))
    }

    /// Finds the zones and reads each counter once (the first tick's start).
    /// Err: why nothing can be measured here, in one line.
    fn discover(root: &Path, now: Instant) -> Result<RaplBackend, String> {
        let dir = root.join("sys/class/powercap");
        let found = zone_dirs(&dir);
        if found.is_empty() {
            return Err(format!(
                "no RAPL zone ({}/intel-rapl:*): not an x86 CPU with RAPL, a virtual machine, \
                 or the intel_rapl_msr driver is not loaded",
                dir.display()
            ));
        }
        let mut zones = Vec::new();
        let mut problems = Vec::new();
        for (id, path) in &found {
            let Some(domain) = read_text(&path.join("name")) else {
                continue;
            };
            let energy_uj = path.join("energy_uj");
            match read_counter(&energy_uj) {
                Ok(value) => zones.push(Zone {
                    metric: metric_name(id, &domain, &found),
                    domain,
                    max_range_uj: read_counter(&path.join("max_energy_range_uj")).ok(),
                    energy_uj,
                    last: Some((value, now)),
                }),
                Err(e) => problems.push((energy_uj, e)),
            }
        }
        if zones.is_empty() {
            return Err(match problems.first() {
                Some((path, e)) => unreadable(path, e),
                None => format!("RAPL zones under {} have no name file", dir.display()),
            });
        }
        Ok(RaplBackend { zones })
    }

    /// One tick at `now`: each zone's mean power since its previous reading.
    fn read_at(&mut self, now: Instant, out: &mut Vec<Reading>) {
        for zone in &mut self.zones {
            let Ok(value) = read_counter(&zone.energy_uj) else {
                continue;
            };
            if let Some((before, then)) = zone.last {
                let seconds = now.saturating_duration_since(then).as_secs_f64();
                let delta = energy_delta_uj(before, value, zone.max_range_uj);
                if let (Some(uj), true) = (delta, seconds > 1e-3) {
                    // µJ per second is µW.
                    out.push(Reading::new(zone.metric.clone(), uj as f64 / seconds / 1e3));
                }
            }
            zone.last = Some((value, now));
        }
    }
}

impl Backend for RaplBackend {
    fn name(&self) -> &'static str {
        "rapl"
    }

    fn sample(&mut self, _pid: Option<u32>, out: &mut Vec<Reading>) {
        self.read_at(Instant::now(), out);
    }
}

/// Energy between two readings of a counter that wraps to 0 past `max_range`;
/// None when it went back and the wrap point is unknown (or the reading is off).
fn energy_delta_uj(before: u64, now: u64, max_range: Option<u64>) -> Option<u64> {
    if now >= before {
        return Some(now - before);
    }
    max_range
        .filter(|&max| max >= before)
        .map(|max| max - before + now)
}

/// Why a zone's counter cannot be read, in one line.
fn unreadable(path: &Path, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "{ROOT_ONLY} ({}; Linux 5.10 and later): run as root, or make the energy_uj files readable, to measure energy",
            path.display()
        ),
        _ => format!("{}: {error}", path.display()),
    }
}

/// `intel-rapl:N` and `intel-rapl:N:M` under the powercap class, as (the
/// numbers, the directory), in numeric order.
fn zone_dirs(dir: &Path) -> Vec<(Vec<u32>, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut zones: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let numbers: Option<Vec<u32>> = name
                .strip_prefix("intel-rapl:")?
                .split(':')
                .map(|n| n.parse().ok())
                .collect();
            Some((numbers.filter(|n| n.len() <= 2)?, e.path()))
        })
        .collect();
    zones.sort();
    zones
}

/// `power_rapl_package0_mw` for `package-0`, `power_rapl_dram0_mw` for the
/// `dram` inside it, `power_rapl_psys_mw`: the domain, metric-safe, with its
/// package's number when it is inside one.
fn metric_name(id: &[u32], domain: &str, zones: &[(Vec<u32>, PathBuf)]) -> String {
    let base: String = domain
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let package = match id {
        [parent, _] => zones
            .iter()
            .find(|(z, _)| z.len() == 1 && z[0] == *parent)
            .and_then(|(_, path)| read_text(&path.join("name")))
            .and_then(|name| name.strip_prefix("package-").map(str::to_string))
            .unwrap_or_else(|| parent.to_string()),
        _ => String::new(),
    };
    format!("power_rapl_{base}{package}_mw")
}

fn read_text(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

fn read_counter(path: &Path) -> io::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    text.trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not a counter: {e}")))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A powercap tree as an Intel client CPU has it: package-0 with core,
    /// uncore and dram inside, and psys beside it.
    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for (zone, name, energy) in [
            ("intel-rapl:0", "package-0", "1000000"),
            ("intel-rapl:0:0", "core", "500000"),
            ("intel-rapl:0:1", "uncore", "10000"),
            ("intel-rapl:0:2", "dram", "200000"),
            ("intel-rapl:1", "psys", "3000000"),
            ("intel-rapl-mmio:0", "package-0", "999"),
        ] {
            set(&t, zone, "name", name);
            set(&t, zone, "energy_uj", energy);
            set(&t, zone, "max_energy_range_uj", "262143328850");
        }
        std::fs::create_dir_all(t.path().join("sys/class/powercap/intel-rapl")).unwrap();
        t
    }

    fn set(t: &tempfile::TempDir, zone: &str, file: &str, value: &str) {
        let dir = t.path().join("sys/class/powercap").join(zone);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), format!("{value}\n")).unwrap();
    }

    fn read(backend: &mut RaplBackend, at: Instant) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        backend.read_at(at, &mut out);
        out.into_iter().map(|r| (r.metric, r.value)).collect()
    }

    #[test]
    fn each_domain_gives_its_mean_power_since_the_last_tick() {
        let t = tree();
        let start = Instant::now();
        let mut rapl = RaplBackend::discover(t.path(), start).unwrap();
        // Half a second later: 5 J in the package (10 W), 1 J in DRAM (2 W).
        set(&t, "intel-rapl:0", "energy_uj", "6000000");
        set(&t, "intel-rapl:0:0", "energy_uj", "2500000");
        set(&t, "intel-rapl:0:2", "energy_uj", "1200000");
        set(&t, "intel-rapl:1", "energy_uj", "9000000");
        let got = read(&mut rapl, start + Duration::from_millis(500));
        assert_eq!(
            got,
            vec![
                ("power_rapl_package0_mw".to_string(), 10_000.0),
                ("power_rapl_core0_mw".to_string(), 4_000.0),
                ("power_rapl_uncore0_mw".to_string(), 0.0),
                ("power_rapl_dram0_mw".to_string(), 2_000.0),
                ("power_rapl_psys_mw".to_string(), 12_000.0),
            ]
        );
    }

    #[test]
    fn a_counter_that_wraps_mid_test_still_gives_the_energy_since_the_last_tick() {
        let t = tree();
        set(&t, "intel-rapl:0", "max_energy_range_uj", "10000000");
        set(&t, "intel-rapl:0", "energy_uj", "9500000");
        // DRAM's wrap point is unreadable: a wrap there cannot be bridged.
        std::fs::remove_file(
            t.path()
                .join("sys/class/powercap/intel-rapl:0:2/max_energy_range_uj"),
        )
        .unwrap();
        let start = Instant::now();
        let mut rapl = RaplBackend::discover(t.path(), start).unwrap();
        // 0.5 J to the wrap at 10 J, then 1.5 J more: 2 J in 1 s.
        set(&t, "intel-rapl:0", "energy_uj", "1500000");
        set(&t, "intel-rapl:0:2", "energy_uj", "100");
        let got = read(&mut rapl, start + Duration::from_secs(1));
        let power = |m: &str| got.iter().find(|(n, _)| n == m).map(|(_, v)| *v);
        assert_eq!(power("power_rapl_package0_mw"), Some(2_000.0));
        assert_eq!(power("power_rapl_dram0_mw"), None, "{got:?}");
        // The next tick goes on from the wrapped value.
        set(&t, "intel-rapl:0", "energy_uj", "2500000");
        set(&t, "intel-rapl:0:2", "energy_uj", "1000100");
        let got = read(&mut rapl, start + Duration::from_secs(2));
        let power = |m: &str| got.iter().find(|(n, _)| n == m).map(|(_, v)| *v);
        assert_eq!(power("power_rapl_package0_mw"), Some(1_000.0));
        assert_eq!(power("power_rapl_dram0_mw"), Some(1_000.0));
    }

    /// A test whose package counter wraps halfway: its energy columns come
    /// out as if it had not, from package and DRAM.
    #[test]
    fn a_fake_tree_gives_a_tests_energy_through_a_wrap() {
        use crate::sampler::{resource_summary, Measured, Phase, SampleRow};
        let t = tree();
        set(&t, "intel-rapl:0", "max_energy_range_uj", "20000000");
        set(&t, "intel-rapl:0", "energy_uj", "12000000");
        let start = Instant::now();
        let mut rapl = RaplBackend::discover(t.path(), start).unwrap();
        let mut rows = Vec::new();
        // Each second: 6 J in the package (it wraps at 20 J), 1 J in DRAM.
        for (second, package_j, dram_uj) in [
            (1, 18, 1_200_000),
            (2, 4, 2_200_000),
            (3, 10, 3_200_000),
            (4, 16, 4_200_000),
        ] {
            let package_uj = package_j * 1_000_000;
            set(&t, "intel-rapl:0", "energy_uj", &package_uj.to_string());
            set(&t, "intel-rapl:0:2", "energy_uj", &dram_uj.to_string());
            let at = start + Duration::from_secs(second);
            for (metric, value) in read(&mut rapl, at) {
                rows.push(SampleRow {
                    t_ms: second as f64 * 1e3,
                    unix_ms: 0,
                    unit_id: Some("c0-k0".into()),
                    candidate: None,
                    test: Some("tg64".into()),
                    phase: Phase::Tg,
                    backend: "rapl".into(),
                    metric,
                    value,
                    throttled: false,
                });
            }
        }
        let refs: Vec<&SampleRow> = rows.iter().collect();
        let measured = Measured {
            gen_s: 4.0,
            gen_tokens: 56.0,
            ..Default::default()
        };
        let s = resource_summary(&refs, &measured, Some(2.0));
        assert_eq!(s.energy_source.as_deref(), Some("rapl-package+dram"));
        assert_eq!(s.mean_power_w, Some(7.0));
        assert_eq!(s.energy_j, Some(28.0));
        assert_eq!(s.energy_above_idle_j, Some(20.0));
        assert_eq!(s.joules_per_gen_token, Some(0.5));
    }

    #[test]
    fn an_amd_package_is_read_under_the_same_names() {
        let t = tempfile::tempdir().unwrap();
        set(&t, "intel-rapl:0", "name", "package-0");
        set(&t, "intel-rapl:0", "energy_uj", "0");
        set(&t, "intel-rapl:0:0", "name", "core");
        set(&t, "intel-rapl:0:0", "energy_uj", "0");
        let (_, detail) = RaplBackend::detect(t.path()).unwrap();
        assert_eq!(
            detail,
            "2 RAPL domain(s) (package-0, core): energy counters as mean power per tick"
        );
    }

    #[test]
    fn no_zone_and_unreadable_counters_are_explained() {
        let empty = tempfile::tempdir().unwrap();
        let err = RaplBackend::discover(empty.path(), Instant::now()).unwrap_err();
        assert!(err.starts_with("no RAPL zone ("), "{err}");
        // Root reads any file, so the kernel's refusal is built here.
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let why = unreadable(
            Path::new("/sys/class/powercap/intel-rapl:0/energy_uj"),
            &denied,
        );
        assert!(
            why.starts_with("not measured: energy_uj is readable by root only (/sys/class/powercap/intel-rapl:0/energy_uj;"),
            "{why}"
        );
        let t = tempfile::tempdir().unwrap();
        set(&t, "intel-rapl:0", "name", "package-0");
        set(&t, "intel-rapl:0", "energy_uj", "garbage");
        let err = RaplBackend::discover(t.path(), Instant::now()).unwrap_err();
        assert!(
            err.contains("intel-rapl:0/energy_uj: not a counter"),
            "{err}"
        );
    }

    #[test]
    fn deltas_bridge_a_known_wrap_only() {
        assert_eq!(energy_delta_uj(10, 25, None), Some(15));
        assert_eq!(energy_delta_uj(90, 5, Some(100)), Some(15));
        assert_eq!(energy_delta_uj(90, 5, None), None);
        assert_eq!(energy_delta_uj(150, 5, Some(100)), None);
    }
}
