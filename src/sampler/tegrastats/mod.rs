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

use std::fmt;

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

// ---------------------------------------------------------------------------
// Tokens and the section dispatcher
// ---------------------------------------------------------------------------

/// Splits on ASCII whitespace, and also before a `(` glued to a value: IRAM prints
/// `0/252kB(lfb 252kB)` where RAM prints `2448/7620MB (lfb 2810x4MB)`, and splitting
/// makes both look alike.
fn tokenize(line: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    for word in line.split_ascii_whitespace() {
        let mut rest = word;
        // `(` is ASCII, so a byte position is always a char boundary.
        while let Some(pos) = rest.bytes().skip(1).position(|b| b == b'(') {
            let (head, tail) = rest.split_at(pos + 1);
            tokens.push(head);
            rest = tail;
        }
        tokens.push(rest);
    }
    tokens
}

fn flush_unparsed(pending: &mut Vec<&str>, unparsed: &mut Vec<String>) {
    if !pending.is_empty() {
        unparsed.push(pending.join(" "));
        pending.clear();
    }
}

/// `11-24-2026 05:43:48` at the start of the line, as `tegrastats --logfile` writes it.
fn split_timestamp<'a>(tokens: &'a [&'a str]) -> (Option<String>, &'a [&'a str]) {
    match tokens {
        [date, time, rest @ ..] if is_date(date) && is_time(time) => {
            (Some(format!("{date} {time}")), rest)
        }
        _ => (None, tokens),
    }
}

/// `MM-DD-YYYY`; also accepts `/` separators and `YYYY-MM-DD`, which cost nothing.
fn is_date(t: &str) -> bool {
    let parts: Vec<&str> = t.split(['-', '/']).collect();
    parts.len() == 3 && parts.iter().all(|p| is_digits(p)) && t.len() == 10
}

/// `HH:MM:SS`, optionally with fractional seconds.
fn is_time(t: &str) -> bool {
    let parts: Vec<&str> = t.split(':').collect();
    parts.len() == 3
        && parts[..2].iter().all(|p| p.len() == 2 && is_digits(p))
        && parse_unsigned(parts[2]).is_some()
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
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

// ---------------------------------------------------------------------------
// Numbers and units
// ---------------------------------------------------------------------------

/// A plain decimal (`12`, `47.156`). Stricter than `f64::from_str`, which would
/// also take `inf`, `NaN` and `1e5` from a garbled line.
fn parse_unsigned(s: &str) -> Option<f64> {
    let starts_with_digit = s.bytes().next().is_some_and(|b| b.is_ascii_digit());
    let plain = s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !starts_with_digit || !plain {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// As `parse_unsigned`, with an optional `-`: temperatures (`-256C`) and power
/// rails, which Thor prints with a negative calibration offset at idle.
fn parse_signed(s: &str) -> Option<f64> {
    match s.strip_prefix('-') {
        Some(magnitude) => parse_unsigned(magnitude).map(|v| -v),
        None => parse_unsigned(s),
    }
}

/// `2448MB` -> (`2448`, `MB`): the number and whatever unit follows it.
fn split_unit(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// A size in kibibytes. tegrastats uses binary units (it reads /proc/meminfo's kB).
fn to_kib(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit {
        "B" => 1.0 / 1024.0,
        "kB" | "KB" | "K" | "KiB" => 1.0,
        "MB" | "M" | "MiB" => 1024.0,
        "GB" | "G" | "GiB" => 1024.0 * 1024.0,
        _ => return None,
    };
    Some(value * factor)
}

/// `252kB`, `4MB` -> KiB. The unit is required.
fn parse_size_kib(s: &str) -> Option<f64> {
    let (number, unit) = split_unit(s);
    to_kib(parse_unsigned(number)?, unit)
}

/// `2448/15656MB` -> (used, total) in KiB. tegrastats prints the unit on the total
/// only; a unit on the used part is accepted too.
fn parse_used_total_kib(s: &str) -> Option<(f64, f64)> {
    let (used, total) = s.split_once('/')?;
    let (total_number, unit) = split_unit(total);
    let total_kib = to_kib(parse_unsigned(total_number)?, unit)?;
    let (used_number, used_unit) = split_unit(used);
    let used_unit = if used_unit.is_empty() {
        unit
    } else {
        used_unit
    };
    let used_kib = to_kib(parse_unsigned(used_number)?, used_unit)?;
    Some((used_kib, total_kib))
}

/// The value of a parenthesised note that tegrastats splits over two tokens:
/// `["(lfb", "2810x4MB)"]` with opener `(lfb` -> `2810x4MB`.
fn paren_value<'a>(t: &[&'a str], opener: &str) -> Option<&'a str> {
    match t {
        [first, value, ..] if *first == opener => value.strip_suffix(')'),
        _ => None,
    }
}

fn push(out: &mut Vec<Reading>, metric: impl Into<String>, value: f64) {
    out.push(Reading {
        metric: metric.into(),
        value,
    });
}

// ---------------------------------------------------------------------------
// Memory: RAM, SWAP, IRAM
// ---------------------------------------------------------------------------

/// `RAM 2448/7620MB (lfb 2810x4MB)`; the lfb note is optional.
fn parse_ram(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let (used, total) = parse_used_total_kib(t.get(1)?)?;
    push(out, "ram_used_mb", used / 1024.0);
    push(out, "ram_total_mb", total / 1024.0);
    let lfb = paren_value(&t[2..], "(lfb").and_then(parse_lfb_blocks);
    let Some((blocks, block_kib)) = lfb else {
        return Some(2);
    };
    push(out, "ram_lfb_blocks", blocks);
    push(out, "ram_lfb_block_mb", block_kib / 1024.0);
    Some(4)
}

/// `2810x4MB` -> (2810 blocks, 4096 KiB each): the largest free blocks.
fn parse_lfb_blocks(s: &str) -> Option<(f64, f64)> {
    let (count, size) = s.split_once('x')?;
    Some((parse_unsigned(count)?, parse_size_kib(size)?))
}

/// `SWAP 0/3810MB (cached 0MB)`; the cached note is optional.
fn parse_swap(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let (used, total) = parse_used_total_kib(t.get(1)?)?;
    push(out, "swap_used_mb", used / 1024.0);
    push(out, "swap_total_mb", total / 1024.0);
    let Some(cached) = paren_value(&t[2..], "(cached").and_then(parse_size_kib) else {
        return Some(2);
    };
    push(out, "swap_cached_mb", cached / 1024.0);
    Some(4)
}

/// `IRAM 0/252kB(lfb 252kB)` (Nano, TX1): a small on-chip memory, kept in kB.
fn parse_iram(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let (used, total) = parse_used_total_kib(t.get(1)?)?;
    push(out, "iram_used_kb", used);
    push(out, "iram_total_kb", total);
    let Some(lfb) = paren_value(&t[2..], "(lfb").and_then(parse_size_kib) else {
        return Some(2);
    };
    push(out, "iram_lfb_kb", lfb);
    Some(4)
}

/// `MTS fg 0% bg 0%` (TX2, Nano, Xavier): Denver/MTS foreground and background load.
fn parse_mts(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let [_, "fg", fg, "bg", bg, ..] = t else {
        return None;
    };
    let fg = parse_unsigned(fg.strip_suffix('%')?)?;
    let bg = parse_unsigned(bg.strip_suffix('%')?)?;
    push(out, "mts_fg_load_pct", fg);
    push(out, "mts_bg_load_pct", bg);
    Some(5)
}

// ---------------------------------------------------------------------------
// Load/frequency values: CPU cores and engines
// ---------------------------------------------------------------------------

/// The frequency part of a load/frequency value.
#[derive(Debug, Clone, PartialEq)]
enum Freq {
    None,
    /// `@1190`
    Single(f64),
    /// `@[305,305]`: one clock per GPU GPC (Orin on JetPack 5/6, Thor).
    List(Vec<f64>),
}

impl Freq {
    /// The clock to report as `<name>_freq_mhz`: for a list, the fastest one.
    fn headline(&self) -> Option<f64> {
        match self {
            Freq::None => None,
            Freq::Single(f) => Some(*f),
            Freq::List(list) => list.iter().copied().reduce(f64::max),
        }
    }
}

/// One load/frequency value: `12%@1190`, `12%`, `0%@[305,305]`, `@4266` (Thor: clock
/// with no load), or a bare `115` (clock only, e.g. `APE 200`).
#[derive(Debug, Clone, PartialEq)]
struct Activity {
    load: Option<f64>,
    freq: Freq,
}

fn parse_activity(s: &str) -> Option<Activity> {
    let Some((load, freq)) = s.split_once('@') else {
        return match s.strip_suffix('%') {
            Some(load) => Some(Activity {
                load: Some(parse_unsigned(load)?),
                freq: Freq::None,
            }),
            None => Some(Activity {
                load: None,
                freq: Freq::Single(parse_unsigned(s)?),
            }),
        };
    };
    let load = match load {
        "" => None,
        _ => Some(parse_unsigned(load.strip_suffix('%')?)?),
    };
    Some(Activity {
        load,
        freq: parse_freq(freq)?,
    })
}

/// `1190` or `[305,305]`.
fn parse_freq(s: &str) -> Option<Freq> {
    let Some(list) = s.strip_prefix('[') else {
        return Some(Freq::Single(parse_unsigned(s)?));
    };
    let items: Option<Vec<f64>> = list
        .strip_suffix(']')?
        .split(',')
        .map(parse_unsigned)
        .collect();
    Some(Freq::List(items?))
}

/// `[12%@1190,5%@1190,off,off]`, `[2%,3%,off]`, or with a clock shared by all cores
/// after the bracket: `[0%,5%,off]@2601` (Thor), `[17%,13%]@408` (TX1).
/// All or nothing: one bad item leaves the whole list unparsed.
fn parse_cpu(token: &str, out: &mut Vec<Reading>) -> bool {
    let Some(cores) = parse_cpu_cores(token) else {
        return false;
    };
    let mut online = 0usize;
    let mut load_sum = 0.0;
    for (index, core) in cores.iter().enumerate() {
        // An `off` core is hotplugged out (power model); it has no load or clock.
        let Some((load, freq)) = core else { continue };
        online += 1;
        load_sum += load;
        push(out, format!("cpu{index}_load_pct"), *load);
        if let Some(freq) = freq {
            push(out, format!("cpu{index}_freq_mhz"), *freq);
        }
    }
    push(out, "cpu_cores_online", online as f64);
    push(out, "cpu_cores_off", (cores.len() - online) as f64);
    if online > 0 {
        push(out, "cpu_load_pct", load_sum / online as f64);
    }
    true
}

/// One entry per core: `None` when off, else (load, clock if printed).
type Core = Option<(f64, Option<f64>)>;

fn parse_cpu_cores(token: &str) -> Option<Vec<Core>> {
    let (list, after) = token.strip_prefix('[')?.split_once(']')?;
    let shared_freq = match after {
        "" => None,
        _ => Some(parse_unsigned(after.strip_prefix('@')?)?),
    };
    list.split(',')
        .map(|item| {
            if item == "off" {
                return Some(None);
            }
            let activity = parse_activity(item)?;
            let freq = match activity.freq {
                Freq::None => shared_freq,
                Freq::Single(f) => Some(f),
                Freq::List(_) => return None,
            };
            Some(Some((activity.load?, freq)))
        })
        .collect()
}

/// Engine names are upper-case identifiers: `EMC_FREQ`, `GR3D_FREQ`, `VIC_FREQ`,
/// `APE`, `NVENC`, `NVDLA0`, `PVA0_FREQ`, ... Requiring upper case keeps a stray
/// lower-case word followed by a number from passing for an engine.
fn is_engine_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `EMC_FREQ` -> `emc`, `GR3D_FREQ` (or old `GR3D`) -> `gpu`, `NVDLA0` -> `nvdla0`.
fn engine_prefix(name: &str) -> String {
    let base = name.strip_suffix("_FREQ").unwrap_or(name);
    match base {
        "GR3D" => "gpu".to_string(),
        _ => base.to_ascii_lowercase(),
    }
}

/// `NAME value` for an engine. `off` (clock-gated) is understood but gives no
/// reading: there is no load or clock to report.
fn parse_engine(name: &str, value: &str, out: &mut Vec<Reading>) -> bool {
    if value == "off" {
        return true;
    }
    let Some(activity) = parse_activity(value) else {
        return false;
    };
    let prefix = engine_prefix(name);
    if let Some(load) = activity.load {
        push(out, format!("{prefix}_load_pct"), load);
    }
    if let Some(freq) = activity.freq.headline() {
        push(out, format!("{prefix}_freq_mhz"), freq);
    }
    // Per-GPC clocks only mean something for the GPU.
    if let (Freq::List(list), "gpu") = (&activity.freq, prefix.as_str()) {
        for (i, freq) in list.iter().enumerate() {
            push(out, format!("gpu_gpc{i}_freq_mhz"), *freq);
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Temperatures and power rails
// ---------------------------------------------------------------------------

/// A sensor or rail name as printed: an ASCII letter, then letters, digits or `_`.
fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `CPU@47.156C`, `tj@46.593C`, `CV0@-256C`, or Thor's `cpu@58.25C/61.75C`.
/// Returns whether the token is a temperature (an offline sensor, `-256C`, is one
/// but gives no reading). Of Thor's two values only the first, the current one,
/// is kept: what the second is (a peak, a limit) is not documented.
fn parse_temperature(token: &str, out: &mut Vec<Reading>) -> bool {
    let Some((name, rest)) = token.split_once('@') else {
        return false;
    };
    if !is_identifier(name) {
        return false;
    }
    let (current, second) = match rest.split_once('/') {
        Some((current, second)) => (current, Some(second)),
        None => (rest, None),
    };
    let celsius = |s: &str| s.strip_suffix('C').and_then(parse_signed);
    let Some(value) = celsius(current) else {
        return false;
    };
    if second.is_some_and(|s| celsius(s).is_none()) {
        return false;
    }
    // -256 is how tegrastats marks a sensor that is powered off or absent.
    if value > -256.0 {
        push(out, format!("temp_{}_c", name.to_ascii_lowercase()), value);
    }
    true
}

/// Rails are `NAME cur/avg` or (JetPack 7) `NAME cur/avg/max`, in mW, with the unit
/// printed on newer JetPacks only: `VDD_IN 5332mW/5332mW`, `POM_5V_IN 4120/3980`.
fn parse_rail(name: &str, value: &str, out: &mut Vec<Reading>) -> bool {
    let starts_upper = name.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    if !starts_upper || !is_identifier(name) {
        return false;
    }
    let Some(values) = parse_rail_values(value) else {
        return false;
    };
    // AGX Orin prints unconnected monitor channels as `NC 0mW/0mW`, twice per line:
    // not a rail, and the duplicates would collide.
    if name == "NC" {
        return true;
    }
    let suffixes = ["mw", "avg_mw", "max_mw"];
    for (suffix, v) in suffixes.iter().zip(values) {
        push(out, format!("power_{name}_{suffix}"), v);
    }
    true
}

/// `5332mW/5332mW`, `4120/3980`, `12000mW/11800mW/13000mW` -> 2 or 3 values.
fn parse_rail_values(s: &str) -> Option<Vec<f64>> {
    let values: Option<Vec<f64>> = s
        .split('/')
        .map(|part| parse_signed(part.strip_suffix("mW").unwrap_or(part)))
        .collect();
    values.filter(|v| (2..=3).contains(&v.len()))
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    // Sample lines in the formats tegrastats prints, one per board family.

    /// Orin Nano 8GB, JetPack 5 (L4T r35): per-GPC GPU list with one GPC,
    /// upper-case sensors, offline CV/GPU sensors at -256C, rails with mW.
    const ORIN_NANO_JP5: &str = "RAM 2448/7620MB (lfb 2810x4MB) SWAP 0/3810MB (cached 0MB) \
        CPU [1%@729,2%@729,0%@729,0%@729,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] \
        VIC_FREQ 115 APE 200 CV0@-256C CPU@47.156C SOC2@43.843C SOC0@44.343C CV1@-256C \
        GPU@-256C tj@47.156C SOC1@43.812C CV2@-256C VDD_IN 4722mW/4722mW \
        VDD_CPU_GPU_CV 553mW/553mW VDD_SOC 1416mW/1416mW";

    /// Orin NX 16GB, JetPack 6 (L4T r36) `--logfile`: timestamp prefix, two GPCs,
    /// engines printed `off`, lower-case sensors.
    const ORIN_NX_JP6: &str = "11-24-2026 05:43:48 RAM 3012/15656MB (lfb 1796x4MB) \
        SWAP 0/7828MB (cached 0MB) CPU [3%@1984,0%@1984,1%@1984,0%@1984,2%@1984,0%@1984,0%@1984,4%@1984] \
        EMC_FREQ 1%@3199 GR3D_FREQ 0%@[305,305] NVENC off NVDEC off NVJPG off NVJPG1 off \
        VIC off OFA off NVDLA0 off NVDLA1 off PVA0_FREQ off APE 174 cpu@45.5C soc2@44.125C \
        soc0@44.812C gpu@43.968C tj@46.593C soc1@44.281C VDD_IN 7180mW/7180mW \
        VDD_CPU_GPU_CV 1232mW/1232mW VDD_SOC 2103mW/2103mW";

    /// AGX Orin 64GB, JetPack 5: 12 cores, its own rails, two `NC` channels.
    const AGX_ORIN: &str = "RAM 5420/62841MB (lfb 9982x4MB) SWAP 0/31421MB (cached 0MB) \
        CPU [5%@2201,3%@2201,0%@2201,1%@2201,10%@2201,2%@2201,0%@2201,0%@2201,1%@2201,0%@2201,1%@2201,1%@2201] \
        EMC_FREQ 3%@3199 GR3D_FREQ 12%@[1300,1198] VIC_FREQ 729 APE 174 CV0@-256C CPU@49.5C \
        Tboard@38C SOC2@46.25C Tdiode@40.75C SOC0@47.125C CV1@-256C GPU@45.875C tj@49.5C \
        SOC1@46.375C CV2@-256C VDD_GPU_SOC 2386mW/2386mW VDD_CPU_CV 397mW/397mW \
        VIN_SYS_5V0 2623mW/2623mW NC 0mW/0mW VDDQ_VDD2_1V8AO 302mW/302mW NC 0mW/0mW";

    /// Xavier NX, JetPack 4/5: loads without clocks, rails without unit.
    const XAVIER_NX: &str = "RAM 3456/7764MB (lfb 234x4MB) SWAP 0/3882MB (cached 0MB) \
        CPU [4%@1190,2%@1190,off,off,2%@1190,1%@1190] EMC_FREQ 0% GR3D_FREQ 0% AO@37C \
        GPU@36.5C PMIC@50C AUX@36.5C CPU@38C thermal@36.75C VDD_IN 3850/3850 \
        VDD_CPU_GPU_CV 489/489 VDD_SOC 1183/1183";

    /// AGX Xavier, JetPack 4: MTS, clock-only engines, bare `GPU`/`CPU` rail names.
    const AGX_XAVIER: &str = "RAM 4017/31919MB (lfb 6425x4MB) SWAP 0/15959MB (cached 0MB) \
        CPU [7%@1190,3%@1190,0%@1190,0%@1190,off,off,off,off] EMC_FREQ 1%@1331 GR3D_FREQ 0%@318 \
        APE 150 MTS fg 0% bg 1% NVENC off NVDEC 1075 AO@39.5C GPU@40C Tdiode@42.25C \
        AUX@39.5C CPU@41.5C thermal@40.2C Tboard@38C GPU 155/155 CPU 311/327 SOC 1243/1243 \
        CV 0/0 VDDRQ 155/155 SYS5V 1813/1820";

    /// Nano, JetPack 4: IRAM with a glued `(lfb`, POM_ rails.
    const NANO_JP4: &str = "RAM 1500/3964MB (lfb 1x2MB) SWAP 0/1982MB (cached 0MB) \
        IRAM 0/252kB(lfb 252kB) CPU [2%@102,1%@102,0%@102,0%@102] EMC_FREQ 0%@204 \
        GR3D_FREQ 0%@76 APE 25 PLL@22C CPU@24.5C PMIC@50C GPU@23C AO@29C thermal@23.75C \
        POM_5V_IN 1120/1120 POM_5V_GPU 0/0 POM_5V_CPU 123/123";

    /// Thor, JetPack 7: three-value rails, clock-only engines (`@4266`), a clock
    /// shared by all cores after the list, `cur/second` temperatures, negative rail.
    const THOR_JP7: &str = "09-15-2026 14:02:11 RAM 41233/125772MB (lfb 512x4MB) \
        SWAP 0/0MB (cached 0MB) CPU [12%,8%,off,3%,1%]@2601 EMC_FREQ @4266 \
        GR3D_FREQ 45%@[1575,1575,1575] NVENC0_FREQ @1692 VIC off cpu@55.5C/60.25C \
        tj@61.125C/61.125C gpu@57C/61.125C VDD_GPU -392mW/-392mW/0mW \
        VDD_IN 12000mW/11800mW/13000mW VIN_SYS_5V0 6050mW/6000mW/6100mW";

    /// TX1, L4T r24-r28: lower-case `cpu`, one clock for all cores, old engine names,
    /// and a section nobody parses.
    const TX1_OLD: &str = "RAM 3468/3983MB (lfb 48x4MB) SWAP 873/8192MB (cached 295MB) \
        cpu [17%,13%,29%,5%]@408 EMC 1%@408 APE 25 GR3D 3%@76 EDP limit 1734";

    /// A Nano with three cores hotplugged out.
    const ONE_CORE_ONLINE: &str =
        "RAM 1024/3964MB (lfb 100x4MB) CPU [off,off,37%@1479,off] GR3D_FREQ 0%@76";

    /// No SWAP, no GR3D, no temperatures: just fewer readings.
    const NO_SWAP_NO_GPU: &str = "RAM 1800/3964MB (lfb 50x4MB) \
        CPU [10%@1428,20%@1428,30%@1428,40%@1428] EMC_FREQ 5%@1600 POM_5V_IN 2500/2400";

    const ALL_SAMPLES: [&str; 11] = [
        ORIN_NANO_JP5,
        ORIN_NX_JP6,
        AGX_ORIN,
        XAVIER_NX,
        AGX_XAVIER,
        NANO_JP4,
        THOR_JP7,
        TX1_OLD,
        ONE_CORE_ONLINE,
        NO_SWAP_NO_GPU,
        "",
    ];

    fn parse(line: &str) -> TegrastatsLine {
        parse_tegrastats_line(line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    /// Asserts the exact set of readings: every expected metric with its value,
    /// nothing else, and no metric twice.
    fn assert_readings(parsed: &TegrastatsLine, expected: &[(&str, f64)]) {
        let mut got = BTreeMap::new();
        for r in &parsed.readings {
            let previous = got.insert(r.metric.as_str(), r.value);
            assert!(previous.is_none(), "duplicate metric {}", r.metric);
        }
        let want: BTreeMap<&str, f64> = expected.iter().copied().collect();
        assert_eq!(want.len(), expected.len(), "duplicate in expected list");
        assert_eq!(got, want);
    }

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
    fn all_cores_off_gives_no_mean() {
        let p = parse("CPU [off,off]");
        assert_readings(&p, &[("cpu_cores_online", 0.0), ("cpu_cores_off", 2.0)]);
    }

    #[test]
    fn cpu_loads_without_clocks() {
        let p = parse("CPU [2%,3%,off]");
        assert_readings(
            &p,
            &[
                ("cpu0_load_pct", 2.0),
                ("cpu1_load_pct", 3.0),
                ("cpu_cores_online", 2.0),
                ("cpu_cores_off", 1.0),
                ("cpu_load_pct", 2.5),
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
    fn kilobyte_and_gigabyte_memory_units_become_megabytes() {
        let p = parse("RAM 2506752/16031744kB (lfb 512x4096kB) SWAP 1.5/7.6GB (cached 512kB)");
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 2448.0),
                ("ram_total_mb", 15656.0),
                ("ram_lfb_blocks", 512.0),
                ("ram_lfb_block_mb", 4.0),
                ("swap_used_mb", 1536.0),
                ("swap_total_mb", 7.6 * 1024.0),
                ("swap_cached_mb", 0.5),
            ],
        );
    }

    #[test]
    fn engine_value_shapes() {
        let p = parse(
            "EMC_FREQ 0% GR3D_FREQ 99%@1377 NVDEC 0%@716 PVA0_FREQ 0%@1152 NVDLA0 1395 APE 150 NVENC off",
        );
        assert_readings(
            &p,
            &[
                ("emc_load_pct", 0.0),
                ("gpu_load_pct", 99.0),
                ("gpu_freq_mhz", 1377.0),
                ("nvdec_load_pct", 0.0),
                ("nvdec_freq_mhz", 716.0),
                ("pva0_load_pct", 0.0),
                ("pva0_freq_mhz", 1152.0),
                ("nvdla0_freq_mhz", 1395.0),
                ("ape_freq_mhz", 150.0),
            ],
        );
        assert!(p.unparsed.is_empty());
    }

    #[test]
    fn thor_temperature_with_second_value_keeps_the_current_one() {
        let p = parse("soc012@55.375C/58.781C");
        assert_readings(&p, &[("temp_soc012_c", 55.375)]);
    }

    #[test]
    fn any_upper_case_rail_name_is_taken() {
        let p = parse("VDD_IN 12000mW/11800mW/13000mW VDD_SYS_GPU 152/152 VDD_4V0_WIFI 0/0");
        assert_readings(
            &p,
            &[
                ("power_VDD_IN_mw", 12000.0),
                ("power_VDD_IN_avg_mw", 11800.0),
                ("power_VDD_IN_max_mw", 13000.0),
                ("power_VDD_SYS_GPU_mw", 152.0),
                ("power_VDD_SYS_GPU_avg_mw", 152.0),
                ("power_VDD_4V0_WIFI_mw", 0.0),
                ("power_VDD_4V0_WIFI_avg_mw", 0.0),
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

    #[test]
    fn never_panics_on_prefixes_suffixes_or_mutations() {
        let pieces = [
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
                        0 => mutated.insert_str(at, pieces[rng.below(pieces.len())]),
                        1 if at < mutated.len() => {
                            mutated.remove(at);
                        }
                        _ => mutated.truncate(at),
                    }
                }
                check_no_panic(&mutated);
            }
        }
        for odd in [
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
        ] {
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
