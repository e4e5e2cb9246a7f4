//! `name@tempC` sensors and `NAME cur/avg[/max]` power rails.

use crate::sampler::Reading;

use super::numbers::{parse_signed, push};

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
pub(super) fn parse_temperature(token: &str, out: &mut Vec<Reading>) -> bool {
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
pub(super) fn parse_rail(name: &str, value: &str, out: &mut Vec<Reading>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::super::test_lines::{assert_readings, parse};

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
}
