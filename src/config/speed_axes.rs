//! The axes llama-bench has beyond threads and batches (physical batch, K/V
//! cache types, mmap, depth, ppN+tgM) and `--reps auto`, resolved from the
//! command line and the sweep file (command line first).
use serde::Deserialize;

use super::{KvCacheType, DEFAULT_UBATCH};
use crate::error::UsageError;
use crate::results::plan::{
    AutoReps, AutoWarmup, Pacing, AUTO_MIN_REPS, DEFAULT_MAX_REPS, DEFAULT_PRECISION,
    MAX_AUTO_WARMUP, MAX_DELAY_SECS,
};

/// `--reps N` or `--reps auto` (`reps = 5` or `reps = "auto"` in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepsSetting {
    Count(u32),
    Auto,
}

impl<'de> Deserialize<'de> for RepsSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Count(u32),
            Word(String),
        }
        let bad = |what: &str| {
            serde::de::Error::custom(format!(
                "`{what}` is not a repetition count (a number, or \"auto\")"
            ))
        };
        match Written::deserialize(d).map_err(|_| bad("this value"))? {
            Written::Count(n) => Ok(RepsSetting::Count(n)),
            Written::Word(w) => w.parse().map_err(|_| bad(&w)),
        }
    }
}

impl std::str::FromStr for RepsSetting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(RepsSetting::Auto),
            n => n
                .parse()
                .map(RepsSetting::Count)
                .map_err(|_| format!("`{s}` is not a repetition count (a number, or auto)")),
        }
    }
}

/// What the command line and the file say about `--reps auto`.
#[derive(Debug, Clone, Default)]
pub struct AutoRepsInput<'a> {
    pub precision: Option<&'a str>,
    pub max_reps: Option<u32>,
    pub budget_secs: Option<u64>,
    /// `--warmup auto` reads `--precision` too.
    pub warmup_auto: bool,
}

/// The stop rule of `--reps auto`, or None for a fixed count; the options of
/// auto repetitions without `--reps auto` are a usage error, not ignored.
pub fn auto_reps(
    reps: Option<RepsSetting>,
    input: &AutoRepsInput,
) -> Result<Option<AutoReps>, UsageError> {
    let precision_given = input.precision.is_some() && !input.warmup_auto;
    let given = precision_given || input.max_reps.is_some() || input.budget_secs.is_some();
    if reps != Some(RepsSetting::Auto) {
        return match given {
            true => Err(UsageError::new(
                "--precision, --max-reps and --rep-budget need --reps auto (--precision: or --warmup auto)",
            )),
            false => Ok(None),
        };
    }
    let precision = precision(input)?;
    let max_reps = input.max_reps.unwrap_or(DEFAULT_MAX_REPS);
    if max_reps < AUTO_MIN_REPS {
        return Err(UsageError::new(format!(
            "--max-reps {max_reps}: auto repetitions need at least {AUTO_MIN_REPS}"
        )));
    }
    if input.budget_secs == Some(0) {
        return Err(UsageError::new("--rep-budget must be at least 1 second"));
    }
    Ok(Some(AutoReps {
        precision,
        min_reps: AUTO_MIN_REPS,
        max_reps,
        budget_secs: input.budget_secs,
    }))
}

/// `--precision`, 2% when not given; 0 is refused.
fn precision(input: &AutoRepsInput) -> Result<f64, UsageError> {
    let precision = match input.precision {
        Some(text) => parse_percent("--precision", text)?,
        None => DEFAULT_PRECISION,
    };
    if precision == 0.0 {
        return Err(UsageError::new(
            "--precision 0: give a percentage such as 2%",
        ));
    }
    Ok(precision)
}

/// `--delay` (checked by `validate`) and `--warmup auto` with its precision.
pub fn pacing(
    delay_secs: Option<f64>,
    warmup: Option<RepsSetting>,
    input: &AutoRepsInput,
) -> Result<Pacing, UsageError> {
    let auto_warmup = match warmup {
        Some(RepsSetting::Auto) => Some(AutoWarmup {
            precision: precision(input)?,
            max_warmup: MAX_AUTO_WARMUP,
        }),
        _ => None,
    };
    Ok(Pacing {
        delay_secs,
        auto_warmup,
    })
}

/// A pause of 0 to an hour, a number (not NaN or infinite).
pub fn check_delay(delay_secs: Option<f64>) -> Result<(), UsageError> {
    match delay_secs {
        Some(d) if !(d.is_finite() && (0.0..=MAX_DELAY_SECS).contains(&d)) => Err(UsageError::new(
            format!("--delay {d}: give 0 to {MAX_DELAY_SECS} seconds"),
        )),
        _ => Ok(()),
    }
}

/// "2%" or "0.02" -> 0.02: a number with `%` is a percentage, a bare one a
/// fraction. A bare number of 1 or more is refused: "1" (1%? 100%?) and "0.5"
/// (50%) would otherwise follow different rules. 0 means "none", allowed
/// except for thresholds.
pub fn parse_percent(flag: &str, text: &str) -> Result<f64, UsageError> {
    let bad = |why: &str| UsageError::new(format!("{flag} {text}: {why}"));
    let (number, percent) = match text.trim().strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (text.trim(), false),
    };
    let value: f64 = (number.parse().ok())
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| bad("expected a percentage such as 5% or a fraction such as 0.05"))?;
    if !percent && value >= 1.0 {
        return Err(bad(&format!(
            "a bare number is a fraction; write {value}% or {}",
            value / 100.0
        )));
    }
    let fraction = if percent { value / 100.0 } else { value };
    if !(0.0..1.0).contains(&fraction) || (fraction == 0.0 && flag == "--threshold") {
        return Err(bad("expected more than 0% and less than 100%"));
    }
    Ok(fraction)
}

/// `512,128` -> [512, 128] (llama-bench's `-pg` syntax).
pub fn parse_pg(text: &str) -> Result<[u32; 2], String> {
    let numbers: Vec<Option<u32>> = text.split(',').map(|n| n.trim().parse().ok()).collect();
    match numbers[..] {
        [Some(p), Some(g)] if p > 0 && g > 0 => Ok([p, g]),
        _ => Err(format!(
            "`{text}` is not a prompt,generation pair such as 512,128"
        )),
    }
}

/// A cache-type axis: the command line's list, else the file's, else f16.
pub fn cache_types(cli: &[KvCacheType], file: &Option<Vec<KvCacheType>>) -> Vec<KvCacheType> {
    first_list(cli, file, vec![KvCacheType::F16])
}

pub fn ubatches(cli: &[u32], file: &Option<Vec<u32>>) -> Vec<u32> {
    first_list(cli, file, vec![DEFAULT_UBATCH])
}

pub fn mmaps(cli: &[bool], file: &Option<Vec<bool>>) -> Vec<bool> {
    first_list(cli, file, vec![true])
}

/// Depths in the order given, 0 (the empty cache) when none.
pub fn depths(cli: &[u32], file: &Option<Vec<u32>>) -> Vec<u32> {
    first_list(cli, file, vec![0])
}

fn first_list<T: Clone>(cli: &[T], file: &Option<Vec<T>>, default: Vec<T>) -> Vec<T> {
    if !cli.is_empty() {
        return cli.to_vec();
    }
    match file {
        Some(list) if !list.is_empty() => list.clone(),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(precision: Option<&str>, max_reps: Option<u32>) -> AutoRepsInput<'_> {
        AutoRepsInput {
            precision,
            max_reps,
            budget_secs: None,
            warmup_auto: false,
        }
    }

    #[test]
    fn auto_reps_defaults_and_overrides() {
        let auto = auto_reps(Some(RepsSetting::Auto), &input(None, None))
            .unwrap()
            .unwrap();
        assert_eq!(
            (auto.precision, auto.min_reps, auto.max_reps),
            (0.02, 3, 30)
        );
        let auto = auto_reps(Some(RepsSetting::Auto), &input(Some("5%"), Some(10)))
            .unwrap()
            .unwrap();
        assert_eq!((auto.precision, auto.max_reps), (0.05, 10));
        assert_eq!(
            auto_reps(Some(RepsSetting::Count(5)), &input(None, None)).unwrap(),
            None
        );
        assert_eq!(auto_reps(None, &input(None, None)).unwrap(), None);
    }

    #[test]
    fn auto_reps_options_are_checked() {
        let e = |reps, i| auto_reps(reps, &i).unwrap_err().to_string();
        assert!(e(Some(RepsSetting::Count(5)), input(Some("2%"), None)).contains("--reps auto"));
        assert!(e(Some(RepsSetting::Auto), input(None, Some(2))).contains("at least 3"));
        assert!(e(Some(RepsSetting::Auto), input(Some("0"), None)).contains("--precision 0"));
        assert!(e(Some(RepsSetting::Auto), input(Some("lots"), None)).contains("lots"));
    }

    #[test]
    fn warmup_auto_takes_the_precision_and_the_delay_is_bounded() {
        let auto = AutoRepsInput {
            warmup_auto: true,
            ..input(Some("5%"), None)
        };
        // --precision without --reps auto is fine with --warmup auto.
        assert_eq!(auto_reps(None, &auto).unwrap(), None);
        let pacing = pacing(Some(2.5), Some(RepsSetting::Auto), &auto).unwrap();
        let warm = pacing.auto_warmup.unwrap();
        assert_eq!((warm.precision, warm.max_warmup), (0.05, MAX_AUTO_WARMUP));
        assert_eq!(pacing.delay_secs, Some(2.5));
        let fixed = super::pacing(None, Some(RepsSetting::Count(3)), &auto).unwrap();
        assert_eq!(fixed, Pacing::default());
        assert!(check_delay(Some(0.0)).is_ok() && check_delay(None).is_ok());
        for bad in [-1.0, f64::NAN, f64::INFINITY, 3601.0] {
            let e = check_delay(Some(bad)).unwrap_err().to_string();
            assert!(e.starts_with("--delay") && e.contains("0 to 3600"), "{e}");
        }
        let zero = AutoRepsInput {
            warmup_auto: true,
            ..input(Some("0%"), None)
        };
        assert!(super::pacing(None, Some(RepsSetting::Auto), &zero).is_err());
    }

    #[test]
    fn reps_parse_from_the_command_line_and_the_file() {
        assert_eq!("auto".parse::<RepsSetting>(), Ok(RepsSetting::Auto));
        assert_eq!("7".parse::<RepsSetting>(), Ok(RepsSetting::Count(7)));
        assert!("often"
            .parse::<RepsSetting>()
            .unwrap_err()
            .contains("often"));
        #[derive(Deserialize)]
        struct F {
            reps: RepsSetting,
        }
        let f: F = toml::from_str("reps = \"auto\"").unwrap();
        assert_eq!(f.reps, RepsSetting::Auto);
        let f: F = toml::from_str("reps = 4").unwrap();
        assert_eq!(f.reps, RepsSetting::Count(4));
        assert!(toml::from_str::<F>("reps = \"often\"").is_err());
    }

    #[test]
    fn pg_pairs_parse_and_bad_ones_are_named() {
        assert_eq!(parse_pg("512,128"), Ok([512, 128]));
        assert!(parse_pg("512").unwrap_err().contains("`512`"));
        assert!(parse_pg("512,0").is_err());
        assert!(parse_pg("a,b").is_err());
    }

    #[test]
    fn lists_come_from_the_command_line_first() {
        assert_eq!(depths(&[512], &Some(vec![2048])), vec![512]);
        assert_eq!(depths(&[], &Some(vec![2048])), vec![2048]);
        assert_eq!(depths(&[], &None), vec![0]);
        assert_eq!(cache_types(&[], &None), vec![KvCacheType::F16]);
        assert_eq!(ubatches(&[], &Some(vec![])), vec![512]);
    }
}
