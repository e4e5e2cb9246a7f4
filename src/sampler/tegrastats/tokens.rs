//! A line cut into tokens, and the `tegrastats --logfile` timestamp that may
//! start it.

use super::numbers::parse_unsigned;

/// Splits on ASCII whitespace, and also before a `(` glued to a value: IRAM prints
/// `0/252kB(lfb 252kB)` where RAM prints `2448/7620MB (lfb 2810x4MB)`, and splitting
/// makes both look alike.
pub(super) fn tokenize(line: &str) -> Vec<&str> {
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

/// `11-24-2026 05:43:48` at the start of the line, as `tegrastats --logfile` writes it.
pub(super) fn split_timestamp<'a>(tokens: &'a [&'a str]) -> (Option<String>, &'a [&'a str]) {
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
