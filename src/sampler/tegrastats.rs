//! Parser for NVIDIA Jetson `tegrastats` lines, across JetPack 4 to 7 and boards
//! (Nano, Xavier, Orin Nano/NX/AGX, Thor). Sections differ by board and release,
//! so the parser walks the tokens and takes what it recognises; anything else is
//! kept in `unparsed`, never an error.
use super::Reading;

#[derive(Debug, Clone, PartialEq)]
pub struct TegrastatsLine {
    /// `MM-DD-YYYY HH:MM:SS` as printed by `tegrastats --logfile` on newer JetPacks.
    pub timestamp: Option<String>,
    pub readings: Vec<Reading>,
    pub unparsed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct TegrastatsError(pub String);

/// Counts for an imported log: nothing is dropped silently.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub lines: usize,
    pub parsed: usize,
    /// (1-based line number, reason)
    pub failed: Vec<(usize, String)>,
}

pub fn parse_tegrastats_line(line: &str) -> Result<TegrastatsLine, TegrastatsError> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let mut parsed = TegrastatsLine {
        timestamp: None,
        readings: Vec::new(),
        unparsed: Vec::new(),
    };
    let mut i = 0;
    if tokens.len() >= 2 && is_date(tokens[0]) && is_time(tokens[1]) {
        parsed.timestamp = Some(format!("{} {}", tokens[0], tokens[1]));
        i = 2;
    }
    let out = &mut parsed.readings;
    while i < tokens.len() {
        let token = tokens[i];
        let next = tokens.get(i + 1).copied();
        let used = match (token, next) {
            ("RAM", Some(v)) => {
                memory_pair(v, "ram", out).then(|| 2 + lfb(tokens.get(i + 2..).unwrap_or(&[]), out))
            }
            ("SWAP", Some(v)) => memory_pair(v, "swap", out)
                .then(|| 2 + swap_cached(tokens.get(i + 2..).unwrap_or(&[]), out)),
            ("IRAM", Some(_)) => Some(skip_parenthesised(&tokens[i..], &mut parsed.unparsed)),
            ("CPU", Some(v)) if v.starts_with('[') => cpu_list(v, out).then_some(2),
            ("GR3D_FREQ", Some(v)) => engine(v, "gpu", out).then_some(2),
            ("MTS", _) => Some(skip_mts(&tokens[i..], &mut parsed.unparsed)),
            (name, Some(v)) if name.ends_with("_FREQ") => {
                engine(v, &name.trim_end_matches("_FREQ").to_ascii_lowercase(), out).then_some(2)
            }
            (name, Some(v)) if is_rail_name(name) && is_rail_value(v) => {
                rail(name, v, out).then_some(2)
            }
            (name, Some(v)) if is_engine_name(name) => {
                engine(v, &name.to_ascii_lowercase(), out).then_some(2)
            }
            _ => temperature(token, out).then_some(1),
        };
        match used {
            Some(n) => i += n,
            None => {
                parsed.unparsed.push(token.to_string());
                i += 1;
            }
        }
    }
    if parsed.readings.is_empty() {
        let shown: String = line.trim().chars().take(60).collect();
        return Err(TegrastatsError(if shown.is_empty() {
            "empty line".into()
        } else {
            format!("no tegrastats field recognised in `{shown}`")
        }));
    }
    Ok(parsed)
}

/// Parses a whole `tegrastats --logfile` log; blank lines are skipped, bad ones counted.
pub fn parse_tegrastats_log(text: &str) -> (Vec<TegrastatsLine>, ImportReport) {
    let mut lines = Vec::new();
    let mut report = ImportReport::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        match parse_tegrastats_line(line) {
            Ok(parsed) => {
                report.parsed += 1;
                lines.push(parsed);
            }
            Err(e) => report.failed.push((index + 1, e.0)),
        }
    }
    (lines, report)
}

fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 10
        && b[2] == b'-'
        && b[5] == b'-'
        && t.chars().filter(|c| c.is_ascii_digit()).count() == 8
}

fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && t.chars().filter(|c| c.is_ascii_digit()).count() == 6
}

fn number(t: &str) -> Option<f64> {
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// "1234MB", "252kB", "3.5GB", "1234" -> MB.
fn megabytes(t: &str) -> Option<f64> {
    let t = t.trim_end_matches(|c| c == ')' || c == ',');
    let (digits, factor) = if let Some(v) = t.strip_suffix("kB").or_else(|| t.strip_suffix("KB")) {
        (v, 1.0 / 1024.0)
    } else if let Some(v) = t.strip_suffix("MB") {
        (v, 1.0)
    } else if let Some(v) = t.strip_suffix("GB") {
        (v, 1024.0)
    } else {
        (t, 1.0)
    };
    number(digits).map(|v| v * factor)
}

/// "2448/15656MB": the unit is printed once, after the total.
fn memory_pair(v: &str, name: &str, out: &mut Vec<Reading>) -> bool {
    let Some((used, total)) = v.split_once('/') else {
        return false;
    };
    let unit: String = total
        .chars()
        .skip_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let (Some(used), Some(total)) = (megabytes(&format!("{used}{unit}")), megabytes(total)) else {
        return false;
    };
    out.push(Reading::new(format!("{name}_used_mb"), used));
    out.push(Reading::new(format!("{name}_total_mb"), total));
    true
}

/// "(lfb 2810x4MB)": largest free blocks; returns the tokens used.
fn lfb(rest: &[&str], out: &mut Vec<Reading>) -> usize {
    if rest.len() < 2 || rest[0] != "(lfb" {
        return 0;
    }
    let Some((count, size)) = rest[1].trim_end_matches(')').split_once('x') else {
        return 0;
    };
    match (number(count), megabytes(size)) {
        (Some(c), Some(s)) => {
            out.push(Reading::new("ram_lfb_blocks", c));
            out.push(Reading::new("ram_lfb_block_mb", s));
            2
        }
        _ => 0,
    }
}

/// "(cached 0MB)"
fn swap_cached(rest: &[&str], out: &mut Vec<Reading>) -> usize {
    if rest.len() < 2 || rest[0] != "(cached" {
        return 0;
    }
    match megabytes(rest[1]) {
        Some(v) => {
            out.push(Reading::new("swap_cached_mb", v));
            2
        }
        None => 0,
    }
}

/// IRAM's "0/252kB(lfb 252kB)" spans tokens up to the closing parenthesis.
fn skip_parenthesised(tokens: &[&str], unparsed: &mut Vec<String>) -> usize {
    let end = tokens
        .iter()
        .position(|t| t.ends_with(')'))
        .map_or(2, |p| p + 1)
        .min(tokens.len());
    unparsed.push(tokens[..end].join(" "));
    end
}

/// "MTS fg 0% bg 0%"
fn skip_mts(tokens: &[&str], unparsed: &mut Vec<String>) -> usize {
    let end = 5.min(tokens.len());
    unparsed.push(tokens[..end].join(" "));
    end
}

/// "[12%@1190,5%@1190,off,3%]": per-core load and clock; `off` cores are counted.
fn cpu_list(v: &str, out: &mut Vec<Reading>) -> bool {
    let Some(inner) = v.strip_prefix('[').and_then(|v| v.strip_suffix(']')) else {
        return false;
    };
    let (mut online, mut off, mut load_sum) = (0usize, 0usize, 0.0);
    for (core, entry) in inner.split(',').enumerate() {
        if entry == "off" {
            off += 1;
            continue;
        }
        let (load, freq) = match entry.split_once('@') {
            Some((l, f)) => (l, number(f)),
            None => (entry, None),
        };
        let Some(load) = load.strip_suffix('%').and_then(number) else {
            return false;
        };
        online += 1;
        load_sum += load;
        out.push(Reading::new(format!("cpu{core}_load_pct"), load));
        if let Some(f) = freq {
            out.push(Reading::new(format!("cpu{core}_freq_mhz"), f));
        }
    }
    out.push(Reading::new("cpu_cores_online", online as f64));
    out.push(Reading::new("cpu_cores_off", off as f64));
    if online > 0 {
        out.push(Reading::new("cpu_load_pct", load_sum / online as f64));
    }
    true
}

/// "0%@[305,305]" (per-GPC clocks), "0%@1377", "0%", or a bare clock "115".
fn engine(v: &str, name: &str, out: &mut Vec<Reading>) -> bool {
    if let Some(freq) = number(v) {
        out.push(Reading::new(format!("{name}_freq_mhz"), freq));
        return true;
    }
    let (load, freq) = match v.split_once('@') {
        Some((l, f)) => (l, Some(f)),
        None => (v, None),
    };
    let Some(load) = load.strip_suffix('%').and_then(number) else {
        return false;
    };
    out.push(Reading::new(format!("{name}_load_pct"), load));
    match freq.map(|f| f.trim_start_matches('[').trim_end_matches(']')) {
        Some(list) if list.contains(',') || freq.is_some_and(|f| f.starts_with('[')) => {
            let clocks: Vec<f64> = list.split(',').filter_map(number).collect();
            for (i, c) in clocks.iter().enumerate() {
                out.push(Reading::new(format!("{name}_gpc{i}_freq_mhz"), *c));
            }
            if let Some(max) = clocks.iter().cloned().reduce(f64::max) {
                out.push(Reading::new(format!("{name}_freq_mhz"), max));
            }
        }
        Some(f) => {
            if let Some(f) = number(f) {
                out.push(Reading::new(format!("{name}_freq_mhz"), f));
            }
        }
        None => {}
    }
    true
}

/// Engines printed without a _FREQ suffix (APE, NVDEC, NVENC, NVJPG, NVDLA0, PVA0...).
fn is_engine_name(name: &str) -> bool {
    [
        "APE", "NVENC", "NVENC1", "NVDEC", "NVDEC1", "NVJPG", "NVJPG1", "NVDLA0", "NVDLA1", "PVA0",
        "PVA1", "OFA", "SE",
    ]
    .contains(&name)
}

/// Power rails are upper-case identifiers: VDD_IN, POM_5V_IN, VIN_SYS_5V0, VDDQ_VDD2_1V8AO...
fn is_rail_name(name: &str) -> bool {
    name.len() >= 2
        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// "5332mW/5332mW", "4120/3980", "12000mW/11800mW/13000mW".
fn is_rail_value(v: &str) -> bool {
    let parts: Vec<&str> = v.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| number(p.trim_end_matches("mW")).is_some())
}

fn rail(name: &str, v: &str, out: &mut Vec<Reading>) -> bool {
    let values: Vec<f64> = v
        .split('/')
        .filter_map(|p| number(p.trim_end_matches("mW")))
        .collect();
    for (value, suffix) in values.iter().zip(["mw", "avg_mw", "max_mw"]) {
        out.push(Reading::new(format!("power_{name}_{suffix}"), *value));
    }
    true
}

/// "cpu@45.5C", "Tboard@32C", "GPU@-256C" (offline sensor: skipped but recognised).
fn temperature(token: &str, out: &mut Vec<Reading>) -> bool {
    let Some((name, value)) = token.split_once('@') else {
        return false;
    };
    let Some(celsius) = value.strip_suffix('C').and_then(number) else {
        return false;
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    if celsius > -255.0 {
        out.push(Reading::new(
            format!("temp_{}_c", name.to_ascii_lowercase()),
            celsius,
        ));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(line: &TegrastatsLine, metric: &str) -> Option<f64> {
        line.readings
            .iter()
            .find(|r| r.metric == metric)
            .map(|r| r.value)
    }

    const ORIN_NX_JP5: &str = "RAM 2448/7620MB (lfb 2810x4MB) SWAP 0/3810MB (cached 0MB) CPU [1%@729,2%@729,0%@729,0%@729,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] VIC_FREQ 115 APE 200 CV0@-256C CPU@47.156C SOC2@43.843C SOC0@44.343C CV1@-256C GPU@-256C tj@47.156C SOC1@43.812C CV2@-256C VDD_IN 4722mW/4722mW VDD_CPU_GPU_CV 553mW/553mW VDD_SOC 1416mW/1416mW";
    const ORIN_NX_JP6: &str = "11-24-2026 05:43:48 RAM 3021/15656MB (lfb 2810x4MB) SWAP 0/7828MB (cached 0MB) CPU [12%@1190,5%@1190,8%@1190,3%@1190,off,off,2%@729,0%@729] EMC_FREQ 1%@2133 GR3D_FREQ 45%@[612,612] NVENC off NVDEC off NVJPG off NVJPG1 off VIC off OFA off APE 200 cpu@45.5C soc2@43.843C soc0@44.343C gpu@46.1C tj@46.593C soc1@43.812C VDD_IN 5332mW/5332mW VDD_CPU_GPU_CV 1553mW/1353mW VDD_SOC 1416mW/1416mW";
    const AGX_ORIN: &str = "RAM 5123/30536MB (lfb 6123x4MB) SWAP 0/15268MB (cached 0MB) CPU [3%@2201,1%@2201,0%@2201,0%@2201,2%@2201,0%@2201,0%@2201,0%@2201,1%@2201,0%@2201,0%@2201,0%@2201] EMC_FREQ 0%@3199 GR3D_FREQ 0%@[0,0] VIC_FREQ 729 APE 174 CV0@-256C CPU@43.5C Tboard@33C SOC2@39.8C Tdiode@36.25C SOC0@40.2C CV1@-256C GPU@-256C tj@43.5C SOC1@39.5C CV2@-256C VDD_GPU_SOC 2386mW/2386mW VDD_CPU_CV 397mW/397mW VIN_SYS_5V0 2623mW/2623mW VDDQ_VDD2_1V8AO 302mW/302mW";
    const XAVIER_NX: &str = "RAM 3456/7764MB (lfb 234x4MB) SWAP 0/3882MB (cached 0MB) CPU [4%@1190,2%@1190,off,off,2%@1190,1%@1190] EMC_FREQ 0% GR3D_FREQ 0% AO@37C GPU@36.5C PMIC@50C AUX@36.5C CPU@38C thermal@36.75C VDD_IN 3850/3850 VDD_CPU_GPU_CV 489/489 VDD_SOC 1183/1183";
    const NANO_JP4: &str = "RAM 1500/3964MB (lfb 1x2MB) SWAP 0/1982MB (cached 0MB) IRAM 0/252kB(lfb 252kB) CPU [2%@102,1%@102,0%@102,0%@102] EMC_FREQ 0%@204 GR3D_FREQ 0%@76 APE 25 PLL@22C CPU@24.5C PMIC@50C GPU@23C AO@29C thermal@23.75C POM_5V_IN 1120/1120 POM_5V_GPU 0/0 POM_5V_CPU 123/123";
    const THOR_JP7: &str = "11-24-2026 06:00:01 RAM 20480/125772MB (lfb 100x4MB) SWAP 0/0MB (cached 0MB) CPU [5%@2601,3%@2601] GR3D_FREQ 80%@[1575,1575,1575] cpu@52.1C tj@55C VDD_IN 42000mW/41800mW/43000mW VDD_GPU 20000mW/19000mW/21000mW";

    #[test]
    fn orin_nx_jetpack5() {
        let l = parse_tegrastats_line(ORIN_NX_JP5).unwrap();
        assert_eq!(l.timestamp, None);
        assert_eq!(get(&l, "ram_used_mb"), Some(2448.0));
        assert_eq!(get(&l, "ram_total_mb"), Some(7620.0));
        assert_eq!(
            (get(&l, "ram_lfb_blocks"), get(&l, "ram_lfb_block_mb")),
            (Some(2810.0), Some(4.0))
        );
        assert_eq!(
            (
                get(&l, "swap_used_mb"),
                get(&l, "swap_total_mb"),
                get(&l, "swap_cached_mb")
            ),
            (Some(0.0), Some(3810.0), Some(0.0))
        );
        assert_eq!(
            (get(&l, "cpu_cores_online"), get(&l, "cpu_cores_off")),
            (Some(4.0), Some(2.0))
        );
        assert_eq!(
            (get(&l, "cpu1_load_pct"), get(&l, "cpu1_freq_mhz")),
            (Some(2.0), Some(729.0))
        );
        assert_eq!(get(&l, "cpu_load_pct"), Some(0.75));
        assert_eq!(get(&l, "cpu4_load_pct"), None);
        assert_eq!(
            (get(&l, "emc_load_pct"), get(&l, "emc_freq_mhz")),
            (Some(0.0), Some(2133.0))
        );
        assert_eq!(
            (get(&l, "gpu_load_pct"), get(&l, "gpu_freq_mhz")),
            (Some(0.0), Some(305.0))
        );
        assert_eq!(get(&l, "vic_freq_mhz"), Some(115.0));
        assert_eq!(get(&l, "ape_freq_mhz"), Some(200.0));
        assert_eq!(get(&l, "temp_cpu_c"), Some(47.156));
        assert_eq!(get(&l, "temp_tj_c"), Some(47.156));
        assert_eq!(get(&l, "temp_gpu_c"), None, "-256 is an offline sensor");
        assert_eq!(
            (get(&l, "power_VDD_IN_mw"), get(&l, "power_VDD_IN_avg_mw")),
            (Some(4722.0), Some(4722.0))
        );
        assert_eq!(get(&l, "power_VDD_SOC_mw"), Some(1416.0));
        assert!(l.unparsed.is_empty(), "{:?}", l.unparsed);
    }

    #[test]
    fn orin_nx_jetpack6_with_timestamp() {
        let l = parse_tegrastats_line(ORIN_NX_JP6).unwrap();
        assert_eq!(l.timestamp.as_deref(), Some("11-24-2026 05:43:48"));
        assert_eq!(get(&l, "ram_used_mb"), Some(3021.0));
        assert_eq!(
            (get(&l, "cpu6_load_pct"), get(&l, "cpu6_freq_mhz")),
            (Some(2.0), Some(729.0))
        );
        assert_eq!(get(&l, "cpu_cores_online"), Some(6.0));
        assert_eq!(get(&l, "gpu_load_pct"), Some(45.0));
        assert_eq!(
            (
                get(&l, "gpu_gpc0_freq_mhz"),
                get(&l, "gpu_gpc1_freq_mhz"),
                get(&l, "gpu_freq_mhz")
            ),
            (Some(612.0), Some(612.0), Some(612.0))
        );
        assert_eq!(get(&l, "temp_gpu_c"), Some(46.1));
        assert_eq!(
            (
                get(&l, "power_VDD_CPU_GPU_CV_mw"),
                get(&l, "power_VDD_CPU_GPU_CV_avg_mw")
            ),
            (Some(1553.0), Some(1353.0))
        );
        // Engines that are off are kept as unparsed words, not errors.
        assert!(l.unparsed.contains(&"off".to_string()));
    }

    #[test]
    fn agx_orin_rails_and_sensors() {
        let l = parse_tegrastats_line(AGX_ORIN).unwrap();
        assert_eq!(get(&l, "cpu_cores_online"), Some(12.0));
        assert_eq!(get(&l, "cpu11_freq_mhz"), Some(2201.0));
        assert_eq!(get(&l, "gpu_freq_mhz"), Some(0.0));
        assert_eq!(get(&l, "temp_tboard_c"), Some(33.0));
        assert_eq!(get(&l, "temp_tdiode_c"), Some(36.25));
        for (rail, mw) in [
            ("VDD_GPU_SOC", 2386.0),
            ("VDD_CPU_CV", 397.0),
            ("VIN_SYS_5V0", 2623.0),
            ("VDDQ_VDD2_1V8AO", 302.0),
        ] {
            assert_eq!(get(&l, &format!("power_{rail}_mw")), Some(mw), "{rail}");
        }
    }

    #[test]
    fn xavier_without_units_or_clocks() {
        let l = parse_tegrastats_line(XAVIER_NX).unwrap();
        assert_eq!(
            (get(&l, "emc_load_pct"), get(&l, "emc_freq_mhz")),
            (Some(0.0), None)
        );
        assert_eq!(
            (get(&l, "gpu_load_pct"), get(&l, "gpu_freq_mhz")),
            (Some(0.0), None)
        );
        assert_eq!(get(&l, "temp_pmic_c"), Some(50.0));
        assert_eq!(get(&l, "temp_thermal_c"), Some(36.75));
        assert_eq!(
            (get(&l, "power_VDD_IN_mw"), get(&l, "power_VDD_IN_avg_mw")),
            (Some(3850.0), Some(3850.0))
        );
    }

    #[test]
    fn nano_jetpack4_with_iram_and_pom_rails() {
        let l = parse_tegrastats_line(NANO_JP4).unwrap();
        assert_eq!(
            (get(&l, "ram_lfb_blocks"), get(&l, "ram_lfb_block_mb")),
            (Some(1.0), Some(2.0))
        );
        assert_eq!(get(&l, "cpu_cores_off"), Some(0.0));
        assert_eq!(get(&l, "cpu3_freq_mhz"), Some(102.0));
        assert_eq!(
            (get(&l, "gpu_load_pct"), get(&l, "gpu_freq_mhz")),
            (Some(0.0), Some(76.0))
        );
        assert_eq!(get(&l, "ape_freq_mhz"), Some(25.0));
        assert_eq!(get(&l, "temp_pll_c"), Some(22.0));
        assert_eq!(get(&l, "power_POM_5V_IN_mw"), Some(1120.0));
        assert_eq!(get(&l, "power_POM_5V_CPU_avg_mw"), Some(123.0));
        assert_eq!(l.unparsed, vec!["IRAM 0/252kB(lfb 252kB)".to_string()]);
    }

    #[test]
    fn thor_three_value_rails() {
        let l = parse_tegrastats_line(THOR_JP7).unwrap();
        assert_eq!(get(&l, "ram_total_mb"), Some(125772.0));
        assert_eq!(get(&l, "gpu_gpc2_freq_mhz"), Some(1575.0));
        assert_eq!(
            (
                get(&l, "power_VDD_IN_mw"),
                get(&l, "power_VDD_IN_avg_mw"),
                get(&l, "power_VDD_IN_max_mw")
            ),
            (Some(42000.0), Some(41800.0), Some(43000.0))
        );
    }

    #[test]
    fn missing_sections_and_units() {
        let l = parse_tegrastats_line("RAM 1/2GB CPU [off,off,7%@800,off] cpu@40C").unwrap();
        assert_eq!(
            (get(&l, "ram_used_mb"), get(&l, "ram_total_mb")),
            (Some(1024.0), Some(2048.0))
        );
        assert_eq!(
            (
                get(&l, "cpu_cores_online"),
                get(&l, "cpu_cores_off"),
                get(&l, "cpu_load_pct")
            ),
            (Some(1.0), Some(3.0), Some(7.0))
        );
        assert_eq!(get(&l, "cpu2_load_pct"), Some(7.0));
        assert_eq!(get(&l, "swap_used_mb"), None);
        assert_eq!(get(&l, "gpu_load_pct"), None);
        let kb = parse_tegrastats_line("RAM 512000/1024000kB").unwrap();
        assert_eq!(get(&kb, "ram_used_mb"), Some(500.0));
    }

    #[test]
    fn garbage_and_empty_lines_are_errors() {
        assert!(parse_tegrastats_line("").unwrap_err().0.contains("empty"));
        let e = parse_tegrastats_line("hello world, not tegrastats").unwrap_err();
        assert!(e.0.contains("hello world"), "{e}");
    }

    #[test]
    fn logs_count_failures_with_line_numbers_and_never_fail() {
        let log = format!("{ORIN_NX_JP6}\n\ngarbage here\n{XAVIER_NX}\n");
        let (lines, report) = parse_tegrastats_log(&log);
        assert_eq!(lines.len(), 2);
        assert_eq!((report.lines, report.parsed), (3, 2));
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0, 3);
        let (none, empty) = parse_tegrastats_log("");
        assert!(none.is_empty() && empty.lines == 0);
    }

    #[test]
    fn every_prefix_and_corruption_parses_without_panic() {
        for line in [
            ORIN_NX_JP5,
            ORIN_NX_JP6,
            AGX_ORIN,
            XAVIER_NX,
            NANO_JP4,
            THOR_JP7,
        ] {
            for end in 0..=line.len() {
                if line.is_char_boundary(end) {
                    let _ = parse_tegrastats_line(&line[..end]);
                }
            }
            let mangled: String = line
                .chars()
                .map(|c| match c {
                    '%' => '@',
                    '/' => '[',
                    'C' => '%',
                    c => c,
                })
                .collect();
            let _ = parse_tegrastats_line(&mangled);
        }
    }
}
