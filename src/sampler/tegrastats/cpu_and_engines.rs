//! Load/frequency sections: the CPU core list, MTS, and the engines (`EMC_FREQ`,
//! `GR3D_FREQ`, `NVENC`, ...), whose values share one `load%@clock` shape.

use crate::sampler::Reading;

use super::numbers::{parse_unsigned, push};

/// `MTS fg 0% bg 0%` (TX2, Nano, Xavier): Denver/MTS foreground and background load.
pub(super) fn parse_mts(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let [_, "fg", fg, "bg", bg, ..] = t else {
        return None;
    };
    let fg = parse_unsigned(fg.strip_suffix('%')?)?;
    let bg = parse_unsigned(bg.strip_suffix('%')?)?;
    push(out, "mts_fg_load_pct", fg);
    push(out, "mts_bg_load_pct", bg);
    Some(5)
}

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
pub(super) fn parse_cpu(token: &str, out: &mut Vec<Reading>) -> bool {
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
pub(super) fn is_engine_name(name: &str) -> bool {
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
pub(super) fn parse_engine(name: &str, value: &str, out: &mut Vec<Reading>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::super::test_lines::{assert_readings, parse};

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
}
