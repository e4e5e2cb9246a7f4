//! Parser for NVIDIA Jetson `tegrastats` output lines (JetPack 4 to 7: Nano, TX1/TX2,
//! Xavier, Orin Nano/NX/AGX, Thor).
//!
//! The sections a line holds differ by board and release, and NVIDIA keeps adding
//! new ones, so the parser does not expect a fixed layout. It walks the
//! whitespace-separated tokens and, at each position, tries the section shapes it
//! knows (`RAM a/bMB (lfb NxSMB)`, `CPU [..]`, `NAME load%@freq`, `NAME cur/avg`,
//! `name@tempC`, ...). A section is taken only as far as it is understood; every run
//! of tokens that nothing understood is kept, joined, in `unparsed`. A line is an
//! error only when no section at all was understood.
//!
//! Std only: the token shapes are simple enough that a regex would add a dependency
//! without making the code shorter or clearer.

mod cpu_and_engines;
mod memory;
mod numbers;
mod temperatures_and_rails;
#[cfg(test)]
mod test_lines;
mod tokens;

use std::fmt;

use cpu_and_engines::{is_engine_name, parse_cpu, parse_engine, parse_mts};
use memory::{parse_iram, parse_ram, parse_swap};
use temperatures_and_rails::{parse_rail, parse_temperature};
use tokens::{split_timestamp, tokenize};

pub use super::Reading;

/// What one tegrastats line holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TegrastatsLine {
    /// `MM-DD-YYYY HH:MM:SS` as printed by `tegrastats --logfile` on newer JetPacks.
    pub timestamp: Option<String>,
    /// In the order the sections appear in the line.
    pub readings: Vec<Reading>,
    /// Runs of consecutive tokens that no known section shape matched, each joined
    /// with single spaces (e.g. `"EDP limit 1734"`).
    pub unparsed: Vec<String>,
}

impl TegrastatsLine {
    /// The value of the first reading with this metric name.
    pub fn value(&self, metric: &str) -> Option<f64> {
        self.readings
            .iter()
            .find(|r| r.metric == metric)
            .map(|r| r.value)
    }
}

/// Why a line gave nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TegrastatsError {
    /// Nothing but whitespace.
    Empty,
    /// No section recognised; holds the start of the line for the report.
    Unrecognised(String),
}

impl fmt::Display for TegrastatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TegrastatsError::Empty => write!(f, "empty line"),
            TegrastatsError::Unrecognised(start) => {
                write!(f, "no tegrastats fields recognised in {start:?}")
            }
        }
    }
}

impl std::error::Error for TegrastatsError {}

/// Counts for an imported log: nothing is dropped silently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Non-blank lines seen; always `parsed + failed.len()`.
    pub lines: usize,
    pub parsed: usize,
    /// (1-based line number, reason)
    pub failed: Vec<(usize, String)>,
}

/// Longest piece of a bad line quoted back in an error.
const EXCERPT_CHARS: usize = 60;

/// Parses one tegrastats line. Errs only when nothing in it is recognisable.
pub fn parse_tegrastats_line(line: &str) -> Result<TegrastatsLine, TegrastatsError> {
    let tokens = tokenize(line);
    if tokens.is_empty() {
        return Err(TegrastatsError::Empty);
    }
    let (timestamp, body) = split_timestamp(&tokens);
    let mut parsed = TegrastatsLine {
        timestamp,
        readings: Vec::new(),
        unparsed: Vec::new(),
    };
    let mut recognised = false;
    // Consecutive unknown tokens are reported together, so an unknown section such as
    // `EDP limit 1734` stays one readable entry.
    let mut pending: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match parse_section(&body[i..], &mut parsed.readings) {
            Some(used) => {
                flush_unparsed(&mut pending, &mut parsed.unparsed);
                recognised = true;
                i += used;
            }
            None => {
                pending.push(body[i]);
                i += 1;
            }
        }
    }
    flush_unparsed(&mut pending, &mut parsed.unparsed);
    // A lone timestamp (a log line cut off after it) carries no measurement.
    if !recognised {
        let excerpt: String = line.trim().chars().take(EXCERPT_CHARS).collect();
        return Err(TegrastatsError::Unrecognised(excerpt));
    }
    Ok(parsed)
}

/// Parses a whole `tegrastats --logfile` log. Never fails: bad lines are counted in
/// the report with their line number, blank lines are skipped.
pub fn parse_tegrastats_log(text: &str) -> (Vec<TegrastatsLine>, ImportReport) {
    // Editors on other systems may have added a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut report = ImportReport::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        match parse_tegrastats_line(line) {
            Ok(parsed) => {
                lines.push(parsed);
                report.parsed += 1;
            }
            Err(e) => report.failed.push((index + 1, e.to_string())),
        }
    }
    (lines, report)
}

fn flush_unparsed(pending: &mut Vec<&str>, unparsed: &mut Vec<String>) {
    if !pending.is_empty() {
        unparsed.push(pending.join(" "));
        pending.clear();
    }
}

/// Tries every known section shape at the start of `t` (never empty). Returns how
/// many tokens were understood, `None` when the first token starts no known section.
/// Readings are pushed only for what was understood.
fn parse_section(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let head = t[0];
    if parse_temperature(head, out) {
        return Some(1);
    }
    let next = t.get(1).copied();
    match head {
        // These keywords are never rails or engines, even when their value is
        // malformed: `SWAP 0/0` must not become a power rail.
        "RAM" => return parse_ram(t, out),
        "SWAP" => return parse_swap(t, out),
        "IRAM" => return parse_iram(t, out),
        "MTS" => return parse_mts(t, out),
        _ => {}
    }
    let next = next?;
    // `CPU [..]` is the core list (`cpu [..]@F` on old TX1 releases); a bare `CPU`
    // followed by `cur/avg` is an AGX Xavier power rail.
    let is_cpu = head.eq_ignore_ascii_case("CPU");
    if is_cpu && next.starts_with('[') {
        return parse_cpu(next, out).then_some(2);
    }
    if parse_rail(head, next, out) {
        return Some(2);
    }
    if !is_cpu && is_engine_name(head) && parse_engine(head, next, out) {
        return Some(2);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::test_lines::*;
    use super::*;

    #[test]
    fn orin_nano_jetpack5() {
        let p = parse(ORIN_NANO_JP5);
        assert_eq!(p.timestamp, None);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 2448.0),
                ("ram_total_mb", 7620.0),
                ("ram_lfb_blocks", 2810.0),
                ("ram_lfb_block_mb", 4.0),
                ("swap_used_mb", 0.0),
                ("swap_total_mb", 3810.0),
                ("swap_cached_mb", 0.0),
                ("cpu0_load_pct", 1.0),
                ("cpu0_freq_mhz", 729.0),
                ("cpu1_load_pct", 2.0),
                ("cpu1_freq_mhz", 729.0),
                ("cpu2_load_pct", 0.0),
                ("cpu2_freq_mhz", 729.0),
                ("cpu3_load_pct", 0.0),
                ("cpu3_freq_mhz", 729.0),
                ("cpu_cores_online", 4.0),
                ("cpu_cores_off", 2.0),
                ("cpu_load_pct", 0.75),
                ("emc_load_pct", 0.0),
                ("emc_freq_mhz", 2133.0),
                ("gpu_load_pct", 0.0),
                ("gpu_freq_mhz", 305.0),
                ("gpu_gpc0_freq_mhz", 305.0),
                ("vic_freq_mhz", 115.0),
                ("ape_freq_mhz", 200.0),
                ("temp_cpu_c", 47.156),
                ("temp_soc2_c", 43.843),
                ("temp_soc0_c", 44.343),
                ("temp_tj_c", 47.156),
                ("temp_soc1_c", 43.812),
                ("power_VDD_IN_mw", 4722.0),
                ("power_VDD_IN_avg_mw", 4722.0),
                ("power_VDD_CPU_GPU_CV_mw", 553.0),
                ("power_VDD_CPU_GPU_CV_avg_mw", 553.0),
                ("power_VDD_SOC_mw", 1416.0),
                ("power_VDD_SOC_avg_mw", 1416.0),
            ],
        );
    }

    #[test]
    fn readings_keep_line_order() {
        let p = parse(ORIN_NANO_JP5);
        let names: Vec<&str> = p.readings.iter().map(|r| r.metric.as_str()).collect();
        assert_eq!(
            names[..3],
            ["ram_used_mb", "ram_total_mb", "ram_lfb_blocks"]
        );
        assert_eq!(names.last(), Some(&"power_VDD_SOC_avg_mw"));
    }

    const CORE_NAMES: [(&str, &str); 8] = [
        ("cpu0_load_pct", "cpu0_freq_mhz"),
        ("cpu1_load_pct", "cpu1_freq_mhz"),
        ("cpu2_load_pct", "cpu2_freq_mhz"),
        ("cpu3_load_pct", "cpu3_freq_mhz"),
        ("cpu4_load_pct", "cpu4_freq_mhz"),
        ("cpu5_load_pct", "cpu5_freq_mhz"),
        ("cpu6_load_pct", "cpu6_freq_mhz"),
        ("cpu7_load_pct", "cpu7_freq_mhz"),
    ];

    #[test]
    fn orin_nx_jetpack6_with_timestamp() {
        let p = parse(ORIN_NX_JP6);
        assert_eq!(p.timestamp.as_deref(), Some("11-24-2026 05:43:48"));
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        let mut expected = vec![
            ("ram_used_mb", 3012.0),
            ("ram_total_mb", 15656.0),
            ("ram_lfb_blocks", 1796.0),
            ("ram_lfb_block_mb", 4.0),
            ("swap_used_mb", 0.0),
            ("swap_total_mb", 7828.0),
            ("swap_cached_mb", 0.0),
            ("cpu_cores_online", 8.0),
            ("cpu_cores_off", 0.0),
            ("cpu_load_pct", 1.25),
            ("emc_load_pct", 1.0),
            ("emc_freq_mhz", 3199.0),
            ("gpu_load_pct", 0.0),
            ("gpu_freq_mhz", 305.0),
            ("gpu_gpc0_freq_mhz", 305.0),
            ("gpu_gpc1_freq_mhz", 305.0),
            ("ape_freq_mhz", 174.0),
            ("temp_cpu_c", 45.5),
            ("temp_soc2_c", 44.125),
            ("temp_soc0_c", 44.812),
            ("temp_gpu_c", 43.968),
            ("temp_tj_c", 46.593),
            ("temp_soc1_c", 44.281),
            ("power_VDD_IN_mw", 7180.0),
            ("power_VDD_IN_avg_mw", 7180.0),
            ("power_VDD_CPU_GPU_CV_mw", 1232.0),
            ("power_VDD_CPU_GPU_CV_avg_mw", 1232.0),
            ("power_VDD_SOC_mw", 2103.0),
            ("power_VDD_SOC_avg_mw", 2103.0),
        ];
        let loads = [3.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 4.0];
        for (i, (load, freq)) in CORE_NAMES.iter().enumerate() {
            expected.push((load, loads[i]));
            expected.push((freq, 1984.0));
        }
        assert_readings(&p, &expected);
    }

    #[test]
    fn agx_orin_skips_nc_channels_and_keeps_all_rails() {
        let p = parse(AGX_ORIN);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_eq!(p.value("cpu_cores_online"), Some(12.0));
        assert_eq!(p.value("cpu_cores_off"), Some(0.0));
        assert_eq!(p.value("cpu_load_pct"), Some(2.0));
        assert_eq!(p.value("cpu11_load_pct"), Some(1.0));
        assert_eq!(p.value("cpu11_freq_mhz"), Some(2201.0));
        assert_eq!(p.value("gpu_load_pct"), Some(12.0));
        assert_eq!(p.value("gpu_freq_mhz"), Some(1300.0), "max of the GPCs");
        assert_eq!(p.value("gpu_gpc0_freq_mhz"), Some(1300.0));
        assert_eq!(p.value("gpu_gpc1_freq_mhz"), Some(1198.0));
        assert_eq!(p.value("vic_freq_mhz"), Some(729.0));
        assert_eq!(p.value("temp_tboard_c"), Some(38.0));
        assert_eq!(p.value("temp_tdiode_c"), Some(40.75));
        assert_eq!(p.value("temp_gpu_c"), Some(45.875));
        assert_eq!(p.value("temp_cv0_c"), None, "-256C is an offline sensor");
        let rails: Vec<(&str, f64)> = p
            .readings
            .iter()
            .filter(|r| r.metric.starts_with("power_"))
            .map(|r| (r.metric.as_str(), r.value))
            .collect();
        assert_eq!(
            rails,
            [
                ("power_VDD_GPU_SOC_mw", 2386.0),
                ("power_VDD_GPU_SOC_avg_mw", 2386.0),
                ("power_VDD_CPU_CV_mw", 397.0),
                ("power_VDD_CPU_CV_avg_mw", 397.0),
                ("power_VIN_SYS_5V0_mw", 2623.0),
                ("power_VIN_SYS_5V0_avg_mw", 2623.0),
                ("power_VDDQ_VDD2_1V8AO_mw", 302.0),
                ("power_VDDQ_VDD2_1V8AO_avg_mw", 302.0),
            ]
        );
        // The two `NC 0mW/0mW` channels would otherwise give duplicate metrics.
        let own: Vec<(&str, f64)> = p
            .readings
            .iter()
            .map(|r| (r.metric.as_str(), r.value))
            .collect();
        assert_readings(&p, &own);
    }

    #[test]
    fn xavier_nx_loads_without_clocks_and_unitless_rails() {
        let p = parse(XAVIER_NX);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 3456.0),
                ("ram_total_mb", 7764.0),
                ("ram_lfb_blocks", 234.0),
                ("ram_lfb_block_mb", 4.0),
                ("swap_used_mb", 0.0),
                ("swap_total_mb", 3882.0),
                ("swap_cached_mb", 0.0),
                ("cpu0_load_pct", 4.0),
                ("cpu0_freq_mhz", 1190.0),
                ("cpu1_load_pct", 2.0),
                ("cpu1_freq_mhz", 1190.0),
                ("cpu4_load_pct", 2.0),
                ("cpu4_freq_mhz", 1190.0),
                ("cpu5_load_pct", 1.0),
                ("cpu5_freq_mhz", 1190.0),
                ("cpu_cores_online", 4.0),
                ("cpu_cores_off", 2.0),
                ("cpu_load_pct", 2.25),
                ("emc_load_pct", 0.0),
                ("gpu_load_pct", 0.0),
                ("temp_ao_c", 37.0),
                ("temp_gpu_c", 36.5),
                ("temp_pmic_c", 50.0),
                ("temp_aux_c", 36.5),
                ("temp_cpu_c", 38.0),
                ("temp_thermal_c", 36.75),
                ("power_VDD_IN_mw", 3850.0),
                ("power_VDD_IN_avg_mw", 3850.0),
                ("power_VDD_CPU_GPU_CV_mw", 489.0),
                ("power_VDD_CPU_GPU_CV_avg_mw", 489.0),
                ("power_VDD_SOC_mw", 1183.0),
                ("power_VDD_SOC_avg_mw", 1183.0),
            ],
        );
    }

    #[test]
    fn agx_xavier_mts_engines_and_bare_cpu_gpu_rails() {
        let p = parse(AGX_XAVIER);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_eq!(p.value("cpu_cores_online"), Some(4.0));
        assert_eq!(p.value("cpu_cores_off"), Some(4.0));
        assert_eq!(p.value("cpu_load_pct"), Some(2.5));
        assert_eq!(p.value("gpu_load_pct"), Some(0.0));
        assert_eq!(p.value("gpu_freq_mhz"), Some(318.0));
        assert_eq!(
            p.value("gpu_gpc0_freq_mhz"),
            None,
            "single clock, no GPC list"
        );
        assert_eq!(p.value("mts_fg_load_pct"), Some(0.0));
        assert_eq!(p.value("mts_bg_load_pct"), Some(1.0));
        assert_eq!(p.value("nvdec_freq_mhz"), Some(1075.0));
        assert_eq!(p.value("nvenc_freq_mhz"), None, "off");
        assert_eq!(p.value("temp_thermal_c"), Some(40.2));
        assert_eq!(p.value("power_GPU_mw"), Some(155.0));
        assert_eq!(p.value("power_CPU_mw"), Some(311.0));
        assert_eq!(p.value("power_CPU_avg_mw"), Some(327.0));
        assert_eq!(p.value("power_CV_mw"), Some(0.0));
        assert_eq!(p.value("power_SYS5V_avg_mw"), Some(1820.0));
        // The CPU rail must not be mistaken for the core list's aggregate.
        assert_eq!(p.value("cpu_freq_mhz"), None);
    }

    #[test]
    fn nano_jetpack4_with_iram_and_pom_rails() {
        let p = parse(NANO_JP4);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 1500.0),
                ("ram_total_mb", 3964.0),
                ("ram_lfb_blocks", 1.0),
                ("ram_lfb_block_mb", 2.0),
                ("swap_used_mb", 0.0),
                ("swap_total_mb", 1982.0),
                ("swap_cached_mb", 0.0),
                ("iram_used_kb", 0.0),
                ("iram_total_kb", 252.0),
                ("iram_lfb_kb", 252.0),
                ("cpu0_load_pct", 2.0),
                ("cpu0_freq_mhz", 102.0),
                ("cpu1_load_pct", 1.0),
                ("cpu1_freq_mhz", 102.0),
                ("cpu2_load_pct", 0.0),
                ("cpu2_freq_mhz", 102.0),
                ("cpu3_load_pct", 0.0),
                ("cpu3_freq_mhz", 102.0),
                ("cpu_cores_online", 4.0),
                ("cpu_cores_off", 0.0),
                ("cpu_load_pct", 0.75),
                ("emc_load_pct", 0.0),
                ("emc_freq_mhz", 204.0),
                ("gpu_load_pct", 0.0),
                ("gpu_freq_mhz", 76.0),
                ("ape_freq_mhz", 25.0),
                ("temp_pll_c", 22.0),
                ("temp_cpu_c", 24.5),
                ("temp_pmic_c", 50.0),
                ("temp_gpu_c", 23.0),
                ("temp_ao_c", 29.0),
                ("temp_thermal_c", 23.75),
                ("power_POM_5V_IN_mw", 1120.0),
                ("power_POM_5V_IN_avg_mw", 1120.0),
                ("power_POM_5V_GPU_mw", 0.0),
                ("power_POM_5V_GPU_avg_mw", 0.0),
                ("power_POM_5V_CPU_mw", 123.0),
                ("power_POM_5V_CPU_avg_mw", 123.0),
            ],
        );
    }

    #[test]
    fn thor_jetpack7_three_value_rails() {
        let p = parse(THOR_JP7);
        assert_eq!(p.timestamp.as_deref(), Some("09-15-2026 14:02:11"));
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 41233.0),
                ("ram_total_mb", 125772.0),
                ("ram_lfb_blocks", 512.0),
                ("ram_lfb_block_mb", 4.0),
                ("swap_used_mb", 0.0),
                ("swap_total_mb", 0.0),
                ("swap_cached_mb", 0.0),
                ("cpu0_load_pct", 12.0),
                ("cpu0_freq_mhz", 2601.0),
                ("cpu1_load_pct", 8.0),
                ("cpu1_freq_mhz", 2601.0),
                ("cpu3_load_pct", 3.0),
                ("cpu3_freq_mhz", 2601.0),
                ("cpu4_load_pct", 1.0),
                ("cpu4_freq_mhz", 2601.0),
                ("cpu_cores_online", 4.0),
                ("cpu_cores_off", 1.0),
                ("cpu_load_pct", 6.0),
                ("emc_freq_mhz", 4266.0),
                ("gpu_load_pct", 45.0),
                ("gpu_freq_mhz", 1575.0),
                ("gpu_gpc0_freq_mhz", 1575.0),
                ("gpu_gpc1_freq_mhz", 1575.0),
                ("gpu_gpc2_freq_mhz", 1575.0),
                ("nvenc0_freq_mhz", 1692.0),
                ("temp_cpu_c", 55.5),
                ("temp_tj_c", 61.125),
                ("temp_gpu_c", 57.0),
                ("power_VDD_GPU_mw", -392.0),
                ("power_VDD_GPU_avg_mw", -392.0),
                ("power_VDD_GPU_max_mw", 0.0),
                ("power_VDD_IN_mw", 12000.0),
                ("power_VDD_IN_avg_mw", 11800.0),
                ("power_VDD_IN_max_mw", 13000.0),
                ("power_VIN_SYS_5V0_mw", 6050.0),
                ("power_VIN_SYS_5V0_avg_mw", 6000.0),
                ("power_VIN_SYS_5V0_max_mw", 6100.0),
            ],
        );
    }

    #[test]
    fn tx1_old_format_and_unknown_sections() {
        let p = parse(TX1_OLD);
        assert_eq!(p.unparsed, ["EDP limit 1734"]);
        assert_eq!(p.value("swap_used_mb"), Some(873.0));
        assert_eq!(p.value("swap_cached_mb"), Some(295.0));
        assert_eq!(p.value("cpu2_load_pct"), Some(29.0));
        assert_eq!(p.value("cpu2_freq_mhz"), Some(408.0));
        assert_eq!(p.value("cpu_load_pct"), Some(16.0));
        assert_eq!(p.value("emc_load_pct"), Some(1.0));
        assert_eq!(p.value("emc_freq_mhz"), Some(408.0));
        assert_eq!(p.value("gpu_load_pct"), Some(3.0));
        assert_eq!(p.value("gpu_freq_mhz"), Some(76.0));
    }

    #[test]
    fn all_cores_off_but_one() {
        let p = parse(ONE_CORE_ONLINE);
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 1024.0),
                ("ram_total_mb", 3964.0),
                ("ram_lfb_blocks", 100.0),
                ("ram_lfb_block_mb", 4.0),
                ("cpu2_load_pct", 37.0),
                ("cpu2_freq_mhz", 1479.0),
                ("cpu_cores_online", 1.0),
                ("cpu_cores_off", 3.0),
                ("cpu_load_pct", 37.0),
                ("gpu_load_pct", 0.0),
                ("gpu_freq_mhz", 76.0),
            ],
        );
    }

    #[test]
    fn missing_swap_and_gpu_is_just_fewer_readings() {
        let p = parse(NO_SWAP_NO_GPU);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 1800.0),
                ("ram_total_mb", 3964.0),
                ("ram_lfb_blocks", 50.0),
                ("ram_lfb_block_mb", 4.0),
                ("cpu0_load_pct", 10.0),
                ("cpu0_freq_mhz", 1428.0),
                ("cpu1_load_pct", 20.0),
                ("cpu1_freq_mhz", 1428.0),
                ("cpu2_load_pct", 30.0),
                ("cpu2_freq_mhz", 1428.0),
                ("cpu3_load_pct", 40.0),
                ("cpu3_freq_mhz", 1428.0),
                ("cpu_cores_online", 4.0),
                ("cpu_cores_off", 0.0),
                ("cpu_load_pct", 25.0),
                ("emc_load_pct", 5.0),
                ("emc_freq_mhz", 1600.0),
                ("power_POM_5V_IN_mw", 2500.0),
                ("power_POM_5V_IN_avg_mw", 2400.0),
            ],
        );
    }

    #[test]
    fn unknown_sections_go_to_unparsed_in_runs() {
        let p = parse("RAM 2448/7620MB (lfb 2810x4MB) FOO_BAR 12kHz baz@ CPU [1%@729] XYZ ?");
        assert_eq!(p.unparsed, ["FOO_BAR 12kHz baz@", "XYZ ?"]);
        assert_eq!(p.value("ram_used_mb"), Some(2448.0));
        assert_eq!(p.value("cpu0_load_pct"), Some(1.0));
    }

    #[test]
    fn malformed_parts_of_a_section_are_left_unparsed() {
        // The RAM values are fine; the lfb note is not.
        let p = parse("RAM 2448/7620MB (lfb lots) SWAP 0/0 CPU [1%@729,bad]");
        assert_readings(&p, &[("ram_used_mb", 2448.0), ("ram_total_mb", 7620.0)]);
        assert_eq!(p.unparsed, ["(lfb lots) SWAP 0/0 CPU [1%@729,bad]"]);
    }

    #[test]
    fn garbage_and_empty_lines_are_errors() {
        assert_eq!(parse_tegrastats_line(""), Err(TegrastatsError::Empty));
        assert_eq!(parse_tegrastats_line(" \t "), Err(TegrastatsError::Empty));
        for garbage in [
            "hello world",
            "tegrastats: command not found",
            "12345",
            "RAM",
            "11-24-2026 05:43:48",
            "inf/NaNMB 1e5%@1e3 @ / [] ()",
        ] {
            match parse_tegrastats_line(garbage) {
                Err(TegrastatsError::Unrecognised(excerpt)) => {
                    assert_eq!(excerpt, garbage.trim())
                }
                other => panic!("{garbage:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn error_excerpt_is_cut_on_a_char_boundary() {
        let long = "é".repeat(200);
        let Err(TegrastatsError::Unrecognised(excerpt)) = parse_tegrastats_line(&long) else {
            panic!("expected an error");
        };
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS);
    }

    #[test]
    fn a_line_with_only_engines_off_is_not_an_error() {
        let p = parse("NVENC off NVDEC off");
        assert!(p.readings.is_empty());
        assert!(p.unparsed.is_empty());
    }

    #[test]
    fn log_counts_failures_with_line_numbers_and_skips_blank_lines() {
        let text = format!(
            "\u{feff}{ORIN_NX_JP6}\n\n  this line is not tegrastats\n   \n{NANO_JP4}\r\n\
             RAM\n\u{0}\u{0}\u{0}\n{THOR_JP7}"
        );
        let (lines, report) = parse_tegrastats_log(&text);
        assert_eq!(report.lines, 6);
        assert_eq!(report.parsed, 3);
        let numbers: Vec<usize> = report.failed.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [3, 6, 7]);
        assert!(report.failed[0].1.contains("this line is not tegrastats"));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].timestamp.as_deref(), Some("11-24-2026 05:43:48"));
        assert_eq!(lines[1].value("power_POM_5V_IN_mw"), Some(1120.0));
        assert_eq!(lines[2].value("power_VDD_IN_max_mw"), Some(13000.0));
    }

    #[test]
    fn log_of_nothing_or_only_garbage_never_fails() {
        let (lines, report) = parse_tegrastats_log("");
        assert!(lines.is_empty());
        assert_eq!(report, ImportReport::default());
        let (lines, report) = parse_tegrastats_log("\n\n\r\n");
        assert!(lines.is_empty());
        assert_eq!(report.lines, 0);
        let (lines, report) = parse_tegrastats_log("a\nb\nc");
        assert!(lines.is_empty());
        assert_eq!(report.lines, 3);
        assert_eq!(report.parsed, 0);
        assert_eq!(report.failed.len(), 3);
    }

    /// A small deterministic generator, so the fuzz test needs no dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Must neither panic nor hand back a non-finite value.
    fn check_no_panic(line: &str) {
        if let Ok(p) = parse_tegrastats_line(line) {
            for r in &p.readings {
                assert!(r.value.is_finite(), "{r:?} from {line:?}");
            }
        }
    }

    /// What the mutations insert: the characters and words the section shapes hinge on.
    const MUTATION_PIECES: [&str; 26] = [
        "@",
        "%",
        "/",
        "[",
        "]",
        "(",
        ")",
        ",",
        "C",
        "-",
        ".",
        "x",
        "mW",
        "MB",
        "off",
        "0",
        "9",
        " ",
        "é",
        "\u{0}",
        "@[",
        "]@",
        "(lfb",
        "CPU",
        "RAM",
        "99999999999999999999999",
    ];

    /// Sections cut or garbled just where a parser could index past the end.
    const ODD_LINES: [&str; 31] = [
        "CPU [",
        "CPU []",
        "CPU [,]",
        "CPU [off",
        "CPU []@",
        "CPU [1%]@",
        "CPU [1%@[1,2]]",
        "RAM /MB",
        "RAM 1/2MB (lfb",
        "RAM 1/2MB (lfb x)",
        "RAM 1/2MB (lfb 1x)",
        "SWAP 1/2MB (cached",
        "x@-C",
        "x@C",
        "@1C",
        "x@1C/",
        "GR3D_FREQ 0%@[",
        "GR3D_FREQ 0%@[]",
        "GR3D_FREQ @",
        "GR3D_FREQ %@",
        "A 1/2/3/4",
        "A //",
        "A -/-",
        "(lfb",
        "((((",
        "MTS fg",
        "MTS fg 1% bg",
        "IRAM 0/252kB(",
        "IRAM 0/252kB(lfb",
        "\u{feff}RAM 1/2MB",
        "1-2-3 4:5:6 RAM 1/2MB",
    ];

    #[test]
    fn never_panics_on_prefixes_suffixes_or_mutations() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for sample in ALL_SAMPLES {
            for (i, _) in sample.char_indices() {
                check_no_panic(&sample[..i]);
                check_no_panic(&sample[i..]);
            }
            let chars: Vec<char> = sample.chars().collect();
            for _ in 0..300 {
                let mut mutated: String = chars.iter().collect();
                for _ in 0..1 + rng.below(4) {
                    let boundaries: Vec<usize> = mutated
                        .char_indices()
                        .map(|(i, _)| i)
                        .chain([mutated.len()])
                        .collect();
                    let at = boundaries[rng.below(boundaries.len())];
                    match rng.below(3) {
                        0 => {
                            let piece = MUTATION_PIECES[rng.below(MUTATION_PIECES.len())];
                            mutated.insert_str(at, piece)
                        }
                        1 if at < mutated.len() => {
                            mutated.remove(at);
                        }
                        _ => mutated.truncate(at),
                    }
                }
                check_no_panic(&mutated);
            }
        }
        for odd in ODD_LINES {
            check_no_panic(odd);
        }
    }

    /// Parse speed: `cargo test --release -- --ignored --nocapture parse_speed`.
    #[test]
    #[ignore = "timing, run on demand in release mode"]
    fn parse_speed() {
        let samples = &ALL_SAMPLES[..ALL_SAMPLES.len() - 1];
        let n = 100_000;
        let start = std::time::Instant::now();
        let mut readings = 0usize;
        for i in 0..n {
            let line = std::hint::black_box(samples[i % samples.len()]);
            readings += parse_tegrastats_line(line).map_or(0, |p| p.readings.len());
        }
        let elapsed = start.elapsed();
        println!(
            "{n} lines, {readings} readings: {:.0} ns/line, {:.0} ns/reading",
            elapsed.as_nanos() as f64 / n as f64,
            elapsed.as_nanos() as f64 / readings as f64
        );
    }
}
