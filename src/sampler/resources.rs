//! Per-test resource figures from the samples (definitions in docs/results.md).
use super::SampleRow;
use crate::results::ResourceSummary;

/// What a test's measured repetitions took: seconds and tokens of prompt
/// processing and of generation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Measured {
    pub prefill_s: f64,
    pub gen_s: f64,
    pub prefill_tokens: f64,
    pub gen_tokens: f64,
}

impl Measured {
    fn seconds(&self) -> f64 {
        self.prefill_s + self.gen_s
    }

    fn tokens(&self) -> f64 {
        self.prefill_tokens + self.gen_tokens
    }
}

pub fn resource_summary(
    samples: &[&SampleRow],
    measured: &Measured,
    idle_power_w: Option<f64>,
) -> ResourceSummary {
    let max_of = |pick: &dyn Fn(&str) -> bool| {
        samples
            .iter()
            .filter(|s| pick(&s.metric))
            .map(|s| s.value)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let source = power_source(samples);
    let mean_power_w = source.as_ref().map(|s| s.mean_w);
    let energy_j = mean_power_w.map(|p| p * measured.seconds());
    // Energy per token of each phase: the phase's share of the time at the
    // test's mean power (a request's prefill is too short to sample apart).
    let per_token = |seconds: f64, tokens: f64| {
        mean_power_w
            .filter(|_| tokens > 0.0 && seconds > 0.0)
            .map(|p| p * seconds / tokens)
    };
    let ticks: Vec<f64> = samples.iter().map(|s| s.t_ms).collect();
    let throttled_ticks: Vec<f64> = samples
        .iter()
        .filter(|s| s.throttled)
        .map(|s| s.t_ms)
        .collect();
    let distinct = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v.len()
    };
    let n_ticks = distinct(&ticks);
    ResourceSummary {
        peak_rss_mb: max_of(&|m| m == "process_rss_mb"),
        peak_ram_used_mb: max_of(&|m| m == "ram_used_mb"),
        peak_vram_mb: peak_vram_mb(samples),
        max_gpu_temp_c: max_of(&|m| m.starts_with("temp_gpu")),
        max_cpu_temp_c: max_of(&is_cpu_temp),
        mean_power_w,
        energy_j,
        energy_above_idle_j: match (mean_power_w, idle_power_w) {
            (Some(p), Some(idle)) => Some((p - idle) * measured.seconds()),
            _ => None,
        },
        joules_per_token: energy_j
            .filter(|_| measured.tokens() > 0.0)
            .map(|e| e / measured.tokens()),
        joules_per_prefill_token: per_token(measured.prefill_s, measured.prefill_tokens),
        joules_per_gen_token: per_token(measured.gen_s, measured.gen_tokens),
        energy_source: source.map(|s| s.name),
        throttled_share: (n_ticks > 0).then(|| distinct(&throttled_ticks) as f64 / n_ticks as f64),
    }
}

/// CPU package/die sensors as each platform names them.
fn is_cpu_temp(metric: &str) -> bool {
    metric.starts_with("temp_")
        && ["cpu", "tctl", "tdie", "package", "coretemp", "k10temp"]
            .iter()
            .any(|k| metric.contains(k))
}

/// Whole-module input rails: Orin Nano/NX and Xavier NX (VDD_IN), Nano (POM_5V_IN),
/// Thor (VIN).
const MODULE_RAILS: [&str; 3] = ["power_VDD_IN_mw", "power_POM_5V_IN_mw", "power_VIN_mw"];

/// A test's mean power and where it came from (`energy_source`).
#[derive(Debug, Clone, PartialEq)]
struct PowerSource {
    name: String,
    mean_w: f64,
}

/// Mean power over the ticks, from the best source there is: a Jetson's
/// module input rail (`jetson-rails`); else the sum of its rails (AGX boards
/// have no single input rail: a lower bound, `jetson-rails-sum`); else, per
/// tick, the CPU packages and DRAM (RAPL) plus the GPUs (NVML), named for the
/// parts found (`rapl-package+dram`, `nvml`, `rapl-package+nvml`...).
fn power_source(samples: &[&SampleRow]) -> Option<PowerSource> {
    let found = |name: &str, watts: Option<f64>| {
        watts.map(|mean_w| PowerSource {
            name: name.into(),
            mean_w,
        })
    };
    for rail in MODULE_RAILS {
        let values = samples
            .iter()
            .filter(|s| s.metric == rail)
            .map(|s| s.value)
            .collect();
        if let Some(source) = found("jetson-rails", mean_w(values)) {
            return Some(source);
        }
    }
    if let Some(source) = found(
        "jetson-rails-sum",
        mean_w(sum_per_tick(samples, is_board_rail)),
    ) {
        return Some(source);
    }
    let gpu = gpu_power_metric(samples);
    let has = |pick: &dyn Fn(&str) -> bool| samples.iter().any(|s| pick(&s.metric));
    let mut parts = Vec::new();
    if has(&is_rapl_package) {
        parts.push("rapl-package");
    }
    if has(&is_rapl_dram) {
        parts.push(if parts.is_empty() {
            "rapl-dram"
        } else {
            "dram"
        });
    }
    if has(&gpu) {
        parts.push("nvml");
    }
    let part = |m: &str| is_rapl_package(m) || is_rapl_dram(m) || gpu(m);
    found(&parts.join("+"), mean_w(sum_per_tick(samples, part)))
}

/// Mean power over the ticks (W), from the best source there is ([`power_source`]).
pub fn mean_power_w(samples: &[&SampleRow]) -> Option<f64> {
    power_source(samples).map(|s| s.mean_w)
}

/// Milliwatt readings' mean in watts.
fn mean_w(values: Vec<f64>) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64 / 1000.0)
}

/// A Jetson board rail (`power_<RAIL>_mw`), not its average, a GPU's or RAPL's.
fn is_board_rail(m: &str) -> bool {
    m.starts_with("power_")
        && m.ends_with("_mw")
        && !m.ends_with("_avg_mw")
        && !m.ends_with("_max_mw")
        && !m.starts_with("power_gpu")
        && !m.starts_with("power_rapl_")
}

fn is_rapl_package(m: &str) -> bool {
    m.starts_with("power_rapl_package") && m.ends_with("_mw")
}

fn is_rapl_dram(m: &str) -> bool {
    m.starts_with("power_rapl_dram") && m.ends_with("_mw")
}

/// The GPUs' power: the mean since the previous tick from NVML's energy
/// counter where the samples have it, else NVML's power readings.
fn gpu_power_metric(samples: &[&SampleRow]) -> impl Fn(&str) -> bool {
    let is_gpu = |m: &str| m.starts_with("power_gpu") && m.ends_with("_mw");
    let counter = samples
        .iter()
        .any(|s| is_gpu(&s.metric) && s.metric.ends_with("_avg_mw"));
    move |m: &str| is_gpu(m) && m.ends_with("_avg_mw") == counter
}

fn peak_vram_mb(samples: &[&SampleRow]) -> Option<f64> {
    sum_per_tick(samples, |m| {
        m.starts_with("gpu") && m.ends_with("_mem_used_mb")
    })
    .into_iter()
    .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
}

/// Sums the matching metrics of each tick (several GPUs), one value per tick.
fn sum_per_tick(samples: &[&SampleRow], pick: impl Fn(&str) -> bool) -> Vec<f64> {
    let mut sums: Vec<(f64, f64)> = Vec::new();
    for s in samples.iter().filter(|s| pick(&s.metric)) {
        match sums.last_mut() {
            Some((t, sum)) if *t == s.t_ms => *sum += s.value,
            _ => sums.push((s.t_ms, s.value)),
        }
    }
    sums.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::Phase;

    fn row(t_ms: f64, metric: &str, value: f64, throttled: bool) -> SampleRow {
        SampleRow {
            t_ms,
            unix_ms: 0,
            unit_id: Some("c0-k0".into()),
            candidate: None,
            test: Some("tg128".into()),
            phase: Phase::Tg,
            backend: "test".into(),
            metric: metric.into(),
            value,
            throttled,
        }
    }

    #[test]
    fn summarises_peaks_power_and_energy() {
        let rows = vec![
            row(0.0, "process_rss_mb", 300.0, false),
            row(0.0, "ram_used_mb", 2000.0, false),
            row(0.0, "power_VDD_IN_mw", 9000.0, false),
            row(0.0, "temp_cpu_c", 60.0, false),
            row(0.0, "gpu0_mem_used_mb", 100.0, false),
            row(0.0, "gpu1_mem_used_mb", 50.0, false),
            row(250.0, "process_rss_mb", 350.0, true),
            row(250.0, "ram_used_mb", 1900.0, true),
            row(250.0, "power_VDD_IN_mw", 11000.0, true),
            row(250.0, "temp_gpu_c", 71.0, true),
            row(250.0, "gpu0_mem_used_mb", 120.0, true),
            row(250.0, "gpu1_mem_used_mb", 10.0, true),
        ];
        let refs: Vec<&SampleRow> = rows.iter().collect();
        let measured = Measured {
            gen_s: 2.0,
            gen_tokens: 100.0,
            ..Default::default()
        };
        let s = resource_summary(&refs, &measured, Some(4.0));
        assert_eq!(s.peak_rss_mb, Some(350.0));
        assert_eq!(s.peak_ram_used_mb, Some(2000.0));
        assert_eq!(s.peak_vram_mb, Some(150.0)); // 100 + 50 at the first tick
        assert_eq!(
            (s.max_cpu_temp_c, s.max_gpu_temp_c),
            (Some(60.0), Some(71.0))
        );
        assert_eq!(s.mean_power_w, Some(10.0));
        assert_eq!(s.energy_j, Some(20.0));
        assert_eq!(s.energy_above_idle_j, Some(12.0));
        assert_eq!(s.joules_per_token, Some(0.2));
        assert_eq!(s.joules_per_gen_token, Some(0.2));
        assert_eq!(s.joules_per_prefill_token, None);
        assert_eq!(s.energy_source.as_deref(), Some("jetson-rails"));
        assert_eq!(s.throttled_share, Some(0.5));
    }

    #[test]
    fn nothing_measured_gives_nulls() {
        let rows = [row(0.0, "ram_used_mb", 1.0, false)];
        let refs: Vec<&SampleRow> = rows.iter().collect();
        let measured = Measured {
            gen_s: 1.0,
            gen_tokens: 10.0,
            ..Default::default()
        };
        let s = resource_summary(&refs, &measured, None);
        assert_eq!(
            (
                s.mean_power_w,
                s.energy_j,
                s.joules_per_token,
                s.peak_vram_mb
            ),
            (None, None, None, None)
        );
        assert_eq!(s.energy_source, None);
    }

    /// On a PC: the packages and DRAM (RAPL) and the GPU (NVML) add up per
    /// tick; core, uncore and psys are inside or around them and never added.
    #[test]
    fn rapl_and_gpu_power_add_up_and_name_their_source() {
        let rows = vec![
            row(0.0, "power_rapl_package0_mw", 30_000.0, false),
            row(0.0, "power_rapl_core0_mw", 20_000.0, false),
            row(0.0, "power_rapl_dram0_mw", 4_000.0, false),
            row(0.0, "power_rapl_psys_mw", 60_000.0, false),
            row(0.0, "power_gpu0_mw", 100_000.0, false),
            row(250.0, "power_rapl_package0_mw", 34_000.0, false),
            row(250.0, "power_rapl_core0_mw", 22_000.0, false),
            row(250.0, "power_rapl_dram0_mw", 6_000.0, false),
            row(250.0, "power_rapl_psys_mw", 70_000.0, false),
            row(250.0, "power_gpu0_mw", 120_000.0, false),
        ];
        let all: Vec<&SampleRow> = rows.iter().collect();
        let source = power_source(&all).unwrap();
        assert_eq!(source.name, "rapl-package+dram+nvml");
        assert_eq!(source.mean_w, 147.0);
        let cpu_only: Vec<&SampleRow> = all
            .iter()
            .copied()
            .filter(|r| !r.metric.starts_with("power_gpu"))
            .collect();
        let source = power_source(&cpu_only).unwrap();
        assert_eq!(
            (source.name.as_str(), source.mean_w),
            ("rapl-package+dram", 37.0)
        );
        let package_only: Vec<&SampleRow> = cpu_only
            .iter()
            .copied()
            .filter(|r| !r.metric.contains("dram"))
            .collect();
        assert_eq!(power_source(&package_only).unwrap().name, "rapl-package");
    }

    /// An e2e test's energy splits by each phase's time, then per its tokens.
    #[test]
    fn energy_per_prefill_and_generated_token() {
        let rows = [
            row(0.0, "power_rapl_package0_mw", 40_000.0, false),
            row(250.0, "power_rapl_package0_mw", 40_000.0, false),
        ];
        let refs: Vec<&SampleRow> = rows.iter().collect();
        let measured = Measured {
            prefill_s: 0.5,
            gen_s: 2.0,
            prefill_tokens: 100.0,
            gen_tokens: 40.0,
        };
        let s = resource_summary(&refs, &measured, None);
        assert_eq!(s.energy_j, Some(100.0));
        assert_eq!(s.joules_per_prefill_token, Some(0.2));
        assert_eq!(s.joules_per_gen_token, Some(2.0));
        assert_eq!(s.energy_source.as_deref(), Some("rapl-package"));
    }
}
