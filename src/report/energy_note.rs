//! One line per run: where its energy figures came from, or why it has none
//! (docs/report.md).
use super::load::RunData;
use crate::results::manifest::BackendStatus;

/// `energy from rapl-package+dram`, or `energy: not measured: ...` with why.
pub fn energy_note(run: &RunData) -> String {
    let rows = || run.summary.iter().chain(&run.units_without_speed);
    let mut sources: Vec<&str> = rows()
        .filter_map(|r| r.resources.energy_source.as_deref())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let power_measured = rows().any(|r| r.resources.mean_power_w.is_some());
    let backends = run
        .manifest
        .as_ref()
        .and_then(|m| m.sampling.as_ref())
        .map(|s| s.backends.as_slice());
    describe(&sources, power_measured, backends)
}

fn describe(sources: &[&str], power_measured: bool, backends: Option<&[BackendStatus]>) -> String {
    if !sources.is_empty() {
        return format!("energy from {}", sources.join(", "));
    }
    if power_measured {
        return "energy from the power sensors (a run from before energy_source)".into();
    }
    let Some(backends) = backends else {
        return "energy: not measured (the run has no sampling record)".into();
    };
    let status = |name: &str| backends.iter().find(|b| b.name == name);
    let mut reasons = Vec::new();
    match status("rapl") {
        None => reasons.push("RAPL not tried (a run from before edgebench read it)".to_string()),
        Some(b) if !b.available => reasons.push(rapl_reason(&b.detail)),
        Some(_) => {}
    }
    if status("nvml").is_some_and(|b| !b.available) {
        reasons.push("no NVIDIA GPU (NVML)".into());
    }
    if status("jetson").is_some_and(|b| !b.available) {
        reasons.push("not a Jetson".into());
    }
    let found = |name: &str| status(name).is_some_and(|b| b.available);
    if ["rapl", "nvml", "jetson"].into_iter().any(found) {
        // A power source was there, yet no test has a reading.
        reasons.push("no power reading fell within a measured test (lower --sample-ms)".into());
    }
    format!("energy: not measured: {}", reasons.join("; "))
}

/// The RAPL backend's reason, short: `not measured: <why> (<where>)...` is `<why>`.
fn rapl_reason(detail: &str) -> String {
    if let Some(why) = detail.strip_prefix("not measured: ") {
        return why.split(" (").next().unwrap_or(why).to_string();
    }
    if detail.starts_with("no RAPL zone") {
        return "no RAPL zone (/sys/class/powercap)".into();
    }
    format!("RAPL: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, available: bool, detail: &str) -> BackendStatus {
        BackendStatus {
            name: name.into(),
            available,
            detail: detail.into(),
        }
    }

    #[test]
    fn a_run_without_a_source_says_why() {
        let root_only = "not measured: energy_uj is readable by root only (/sys/class/powercap/intel-rapl:0/energy_uj; ...)";
        let backends = [
            status("sysinfo", true, "system RAM"),
            status("nvml", false, "NVML unavailable: ..."),
            status("jetson", false, "not a Jetson: ..."),
            status("rapl", false, root_only),
        ];
        assert_eq!(
            describe(&[], false, Some(&backends[..])),
            "energy: not measured: energy_uj is readable by root only; no NVIDIA GPU (NVML); not a Jetson"
        );
        let backends = [
            status("nvml", false, "NVML unavailable: ..."),
            status("jetson", false, "not a Jetson: ..."),
            status(
                "rapl",
                false,
                "no RAPL zone (/sys/class/powercap/intel-rapl:*): ...",
            ),
        ];
        assert_eq!(
            describe(&[], false, Some(&backends[..])),
            "energy: not measured: no RAPL zone (/sys/class/powercap); no NVIDIA GPU (NVML); not a Jetson"
        );
        let rapl_found = [
            status("nvml", false, "NVML unavailable: ..."),
            status("jetson", false, "not a Jetson: ..."),
            status("rapl", true, "1 RAPL domain(s) (package-0)"),
        ];
        assert!(describe(&[], false, Some(&rapl_found[..]))
            .ends_with("no power reading fell within a measured test (lower --sample-ms)"));
        assert_eq!(
            describe(&["nvml", "rapl-package+dram"], true, Some(&rapl_found[..])),
            "energy from nvml, rapl-package+dram"
        );
        assert_eq!(
            describe(&[], false, None),
            "energy: not measured (the run has no sampling record)"
        );
    }
}
