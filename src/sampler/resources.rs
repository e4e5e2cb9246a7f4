//! Per-test resource figures from the samples (definitions in docs/results.md).
use super::SampleRow;
use crate::results::ResourceSummary;

/// `measured_s`: total time of the measured repetitions; `tokens`: tokens they processed.
pub fn resource_summary(
    samples: &[&SampleRow],
    measured_s: f64,
    tokens: f64,
    idle_power_w: Option<f64>,
) -> ResourceSummary {
    let max_of = |pick: &dyn Fn(&str) -> bool| {
        samples
            .iter()
            .filter(|s| pick(&s.metric))
            .map(|s| s.value)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let mean_power_w = mean_power_w(samples);
    let energy_j = mean_power_w.map(|p| p * measured_s);
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
            (Some(p), Some(idle)) => Some((p - idle) * measured_s),
            _ => None,
        },
        joules_per_token: energy_j.filter(|_| tokens > 0.0).map(|e| e / tokens),
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

/// Mean power over the ticks, from the best source there is: the module's input rail;
/// else the sum of the board's rails (AGX boards have no single input rail: a lower
/// bound); else the sum of the GPUs' power (NVML).
pub fn mean_power_w(samples: &[&SampleRow]) -> Option<f64> {
    let mean_w =
        |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64 / 1000.0);
    for rail in MODULE_RAILS {
        let values = samples
            .iter()
            .filter(|s| s.metric == rail)
            .map(|s| s.value)
            .collect();
        if let Some(w) = mean_w(values) {
            return Some(w);
        }
    }
    let is_board_rail = |m: &str| {
        m.starts_with("power_")
            && m.ends_with("_mw")
            && !m.ends_with("_avg_mw")
            && !m.ends_with("_max_mw")
            && !m.starts_with("power_gpu")
    };
    mean_w(sum_per_tick(samples, is_board_rail)).or_else(|| {
        mean_w(sum_per_tick(samples, |m| {
            m.starts_with("power_gpu") && m.ends_with("_mw")
        }))
    })
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
        let s = resource_summary(&refs, 2.0, 100.0, Some(4.0));
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
        assert_eq!(s.throttled_share, Some(0.5));
    }

    #[test]
    fn nothing_measured_gives_nulls() {
        let rows = [row(0.0, "ram_used_mb", 1.0, false)];
        let refs: Vec<&SampleRow> = rows.iter().collect();
        let s = resource_summary(&refs, 1.0, 10.0, None);
        assert_eq!(
            (
                s.mean_power_w,
                s.energy_j,
                s.joules_per_token,
                s.peak_vram_mb
            ),
            (None, None, None, None)
        );
    }
}
