//! sysinfo backend: system RAM and swap, the RSS and CPU use of the child's
//! process tree, CPU use and what other processes take of it, the CPU clock,
//! temperatures.
use sysinfo::{Components, Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};

use super::process_tree::process_tree;
use super::{Backend, Reading};

const MB: f64 = 1024.0 * 1024.0;

pub struct SystemBackend {
    system: System,
    components: Components,
    /// x86 Linux counts thermal throttling events per package; a rise between ticks
    /// means this tick's numbers were taken at reduced clocks.
    throttle_count: Option<(std::path::PathBuf, u64)>,
    /// ARM boards (Jetson included) throttle by lowering cpufreq's ceiling: a ceiling
    /// below the one at the start of the run means capped clocks (a fixed power-mode
    /// cap is not counted: it was there at the start).
    clock_ceiling: Option<(std::path::PathBuf, u64)>,
}

const THROTTLE_COUNT: &str = "/sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count";
const CLOCK_CEILING: &str = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq";

fn read_count(path: &std::path::Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

impl SystemBackend {
    pub fn detect() -> Result<(Box<dyn Backend>, String), String> {
        let system = System::new_with_specifics(RefreshKind::nothing());
        let components = Components::new_with_refreshed_list();
        let detail = format!(
            "system RAM and swap, measuring process RSS, CPU use, {} temperature sensor(s)",
            components.len()
        );
        let path = std::path::PathBuf::from(THROTTLE_COUNT);
        let throttle_count = read_count(&path).map(|n| (path, n));
        let path = std::path::PathBuf::from(CLOCK_CEILING);
        let clock_ceiling = read_count(&path).map(|n| (path, n));
        Ok((
            Box::new(SystemBackend {
                system,
                components,
                throttle_count,
                clock_ceiling,
            }),
            detail,
        ))
    }
}

impl SystemBackend {
    /// The child's RSS and CPU use, with those of the processes it started
    /// (a served candidate's server): 100 = one core busy. Returns the CPU
    /// use of everything measuring: that tree and edgebench itself.
    fn sample_process_tree(&mut self, pid: Option<u32>, out: &mut Vec<Reading>) -> f64 {
        let this = Pid::from_u32(std::process::id());
        let tree: Vec<Pid> = (pid.map(process_tree).unwrap_or_default().into_iter())
            .map(Pid::from_u32)
            .collect();
        let mut refreshed = tree.clone();
        if !tree.contains(&this) {
            refreshed.push(this);
        }
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&refreshed),
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        // edgebench's own use counts once, also when it is the one measured (tests).
        let own_cpu = match tree.contains(&this) {
            true => 0.0,
            false => self.system.process(this).map_or(0.0, |p| p.cpu_usage()),
        };
        let alive: Vec<_> = tree
            .iter()
            .filter_map(|p| self.system.process(*p))
            .collect();
        if alive.is_empty() {
            return own_cpu as f64;
        }
        let rss: u64 = alive.iter().map(|p| p.memory()).sum();
        let cpu: f32 = alive.iter().map(|p| p.cpu_usage()).sum();
        out.push(Reading::new("process_rss_mb", rss as f64 / MB));
        out.push(Reading::new("process_cpu_pct", cpu as f64));
        (cpu + own_cpu) as f64
    }

    /// The mean clock of the CPUs (MHz), when the system says it.
    fn sample_clock(&mut self, out: &mut Vec<Reading>) {
        self.system.refresh_cpu_frequency();
        let clocks: Vec<f64> = (self.system.cpus().iter())
            .map(|c| c.frequency() as f64)
            .filter(|f| *f > 0.0)
            .collect();
        if !clocks.is_empty() {
            let mean = clocks.iter().sum::<f64>() / clocks.len() as f64;
            out.push(Reading::new("cpu_freq_mhz", mean));
        }
    }
}

impl Backend for SystemBackend {
    fn name(&self) -> &'static str {
        "sysinfo"
    }

    fn sample(&mut self, pid: Option<u32>, out: &mut Vec<Reading>) {
        self.system.refresh_memory();
        self.system.refresh_cpu_usage();
        let s = &self.system;
        out.push(Reading::new("ram_used_mb", s.used_memory() as f64 / MB));
        out.push(Reading::new("ram_total_mb", s.total_memory() as f64 / MB));
        out.push(Reading::new("swap_used_mb", s.used_swap() as f64 / MB));
        let (busy, cores) = (s.global_cpu_usage() as f64, s.cpus().len());
        out.push(Reading::new("cpu_load_pct", busy));
        let measuring = self.sample_process_tree(pid, out);
        out.push(Reading::new(
            "other_cpu_pct",
            other_cpu_pct(busy, measuring, cores),
        ));
        self.sample_clock(out);
        let mut throttled = None;
        if let Some((path, last)) = &mut self.throttle_count {
            if let Some(now) = read_count(path) {
                throttled = Some(now > *last);
                *last = now;
            }
        }
        if let Some((path, at_start)) = &self.clock_ceiling {
            if let Some(now) = read_count(path) {
                throttled = Some(throttled.unwrap_or(false) || now < *at_start);
            }
        }
        if let Some(t) = throttled {
            out.push(Reading::new("throttled", if t { 1.0 } else { 0.0 }));
        }
        self.components.refresh(false);
        for c in self.components.iter() {
            if let Some(t) = c.temperature().filter(|t| t.is_finite() && *t > -100.0) {
                out.push(Reading::new(
                    format!("temp_{}_c", sensor_name(c.label())),
                    t as f64,
                ));
            }
        }
    }
}

/// Other processes' CPU use, % of all cores: all CPU use (`busy`, % of all
/// cores) less the measuring processes' (`measuring`, 100 = one core).
fn other_cpu_pct(busy: f64, measuring: f64, cores: usize) -> f64 {
    (busy - measuring / cores.max(1) as f64).clamp(0.0, 100.0)
}

/// "k10temp Tctl" -> "k10temp_tctl": metric-safe and stable.
fn sensor_name(label: &str) -> String {
    let mut name: String = label
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    name.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_names_are_metric_safe() {
        assert_eq!(sensor_name("k10temp Tctl"), "k10temp_tctl");
        assert_eq!(
            sensor_name("coretemp Package id 0"),
            "coretemp_package_id_0"
        );
        assert_eq!(sensor_name(" acpitz-- temp1 "), "acpitz_temp1");
    }

    #[test]
    fn other_processes_cpu_is_all_cpu_use_less_the_measuring_ones() {
        // 2 cores, 80% busy, the child using 1.2 cores: others take 20% of all.
        assert!((other_cpu_pct(80.0, 120.0, 2) - 20.0).abs() < 1e-9);
        assert_eq!(
            other_cpu_pct(10.0, 120.0, 2),
            0.0,
            "sampling skew, never below 0"
        );
        assert_eq!(other_cpu_pct(50.0, 0.0, 0), 50.0);
    }

    #[test]
    fn samples_this_process_memory() {
        let (mut backend, _) = SystemBackend::detect().unwrap();
        let mut out = Vec::new();
        backend.sample(Some(std::process::id()), &mut out);
        let get = |m: &str| out.iter().find(|r| r.metric == m).map(|r| r.value);
        let rss = get("process_rss_mb").expect("own RSS readable");
        assert!(rss > 1.0 && rss < get("ram_total_mb").unwrap(), "{rss}");
        assert!(get("ram_used_mb").unwrap() > rss);
    }
}
