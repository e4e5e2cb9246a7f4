//! RAM, swap and GPU-mapped (NvMap) memory from /proc/meminfo.

use crate::sampler::Reading;

use super::metric_names::reading;

const KB_PER_MB: f64 = 1024.0;

/// `/proc/meminfo` (kB) to MB readings. NvMapMemUsed is memory the GPU driver
/// has mapped; on a Jetson CPU and GPU share RAM, so it is part of ram_used_mb.
pub(super) fn parse_meminfo(text: &str) -> Vec<Reading> {
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

#[cfg(test)]
mod tests {
    use super::super::test_trees::pairs;
    use super::*;

    #[test]
    fn meminfo_without_swap_or_nvmap() {
        let got = parse_meminfo("MemTotal: 2048 kB\nMemAvailable: 1024 kB\n");
        assert_eq!(
            pairs(&got),
            vec![("ram_used_mb", 1.0), ("ram_total_mb", 2.0)]
        );
        assert!(parse_meminfo("").is_empty());
    }
}
