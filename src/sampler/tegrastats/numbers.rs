//! The number shapes tegrastats prints (plain decimals, sizes with binary units,
//! `used/total`, parenthesised notes), strict enough that a garbled line gives
//! no reading rather than a wrong one.

use crate::sampler::Reading;

/// A plain decimal (`12`, `47.156`). Stricter than `f64::from_str`, which would
/// also take `inf`, `NaN` and `1e5` from a garbled line.
pub(super) fn parse_unsigned(s: &str) -> Option<f64> {
    let starts_with_digit = s.bytes().next().is_some_and(|b| b.is_ascii_digit());
    let plain = s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !starts_with_digit || !plain {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// As `parse_unsigned`, with an optional `-`: temperatures (`-256C`) and power
/// rails, which Thor prints with a negative calibration offset at idle.
pub(super) fn parse_signed(s: &str) -> Option<f64> {
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
pub(super) fn parse_size_kib(s: &str) -> Option<f64> {
    let (number, unit) = split_unit(s);
    to_kib(parse_unsigned(number)?, unit)
}

/// `2448/15656MB` -> (used, total) in KiB. tegrastats prints the unit on the total
/// only; a unit on the used part is accepted too.
pub(super) fn parse_used_total_kib(s: &str) -> Option<(f64, f64)> {
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
pub(super) fn paren_value<'a>(t: &[&'a str], opener: &str) -> Option<&'a str> {
    match t {
        [first, value, ..] if *first == opener => value.strip_suffix(')'),
        _ => None,
    }
}

pub(super) fn push(out: &mut Vec<Reading>, metric: impl Into<String>, value: f64) {
    out.push(Reading {
        metric: metric.into(),
        value,
    });
}
