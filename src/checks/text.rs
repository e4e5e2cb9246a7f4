//! Plain-text checks: contains, not_contains, regex, exact, number.

use super::{quote, MatchMode};
use regex::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// The values of a `contains` / `not_contains` check: `value` or `values`, never both.
pub(super) fn validate_values<'a>(
    value: &'a Option<String>,
    values: &'a Option<Vec<String>>,
) -> Result<Vec<&'a str>, String> {
    let all: Vec<&str> = match (value, values) {
        (Some(_), Some(_)) => return Err("give `value` or `values`, not both".to_string()),
        (None, None) => return Err("missing `value` (or `values`)".to_string()),
        (Some(value), None) => vec![value.as_str()],
        (None, Some(values)) => values.iter().map(String::as_str).collect(),
    };
    if all.is_empty() {
        return Err("`values` must not be empty".to_string());
    }
    if all.iter().any(|value| value.is_empty()) {
        return Err("values must not be empty strings".to_string());
    }
    Ok(all)
}

fn quote_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|value| quote(value, 40)).collect();
    quoted.join(", ")
}

/// `needle` between word boundaries, as IFEval's forbidden words are searched
/// (`\bword\b`): "flower" is not found in "flowers".
fn finds_word(text: &str, needle: &str, case_sensitive: bool) -> bool {
    let pattern = format!(r"\b{}\b", regex::escape(needle));
    RegexBuilder::new(&pattern)
        .case_insensitive(!case_sensitive)
        .build()
        .is_ok_and(|word| word.is_match(text))
}

fn finds(text: &str, needle: &str, case_sensitive: bool) -> bool {
    if case_sensitive {
        text.contains(needle)
    } else {
        text.to_lowercase().contains(&needle.to_lowercase())
    }
}

pub(super) fn contains(
    text: &str,
    value: &Option<String>,
    values: &Option<Vec<String>>,
    mode: MatchMode,
    case_sensitive: bool,
) -> (bool, String) {
    let wanted = match validate_values(value, values) {
        Ok(wanted) => wanted,
        Err(problem) => return (false, format!("invalid check: {problem}")),
    };
    let (found, missing): (Vec<&str>, Vec<&str>) = wanted
        .iter()
        .partition(|needle| finds(text, needle, case_sensitive));
    match mode {
        MatchMode::All if missing.is_empty() => (true, format!("found {}", quote_list(&found))),
        MatchMode::All => (
            false,
            format!("expected {}, not found", quote_list(&missing)),
        ),
        MatchMode::Any if found.is_empty() => (
            false,
            format!("expected one of {}, none found", quote_list(&missing)),
        ),
        MatchMode::Any => (true, format!("found {}", quote_list(&found))),
    }
}

pub(super) fn not_contains(
    text: &str,
    value: &Option<String>,
    values: &Option<Vec<String>>,
    case_sensitive: bool,
    whole_words: bool,
) -> (bool, String) {
    let banned = match validate_values(value, values) {
        Ok(banned) => banned,
        Err(problem) => return (false, format!("invalid check: {problem}")),
    };
    let found: Vec<&str> = banned
        .iter()
        .copied()
        .filter(|needle| match whole_words {
            true => finds_word(text, needle, case_sensitive),
            false => finds(text, needle, case_sensitive),
        })
        .collect();
    if found.is_empty() {
        (true, format!("none of {} found", quote_list(&banned)))
    } else {
        (
            false,
            format!("found {}, which must not appear", quote_list(&found)),
        )
    }
}

pub(super) fn compile_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("pattern must not be empty".to_string());
    }
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        // The regex error spans several lines (it draws the pattern); keep its last line.
        .map_err(|error| {
            let message = error.to_string();
            let last_line = message
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string();
            format!("bad regex {pattern:?}: {last_line}")
        })
}

pub(super) fn regex(text: &str, pattern: &str, case_insensitive: bool) -> (bool, String) {
    let regex = match compile_regex(pattern, case_insensitive) {
        Ok(regex) => regex,
        Err(problem) => return (false, format!("invalid check: {problem}")),
    };
    match regex.find(text) {
        Some(found) => (
            true,
            format!("/{pattern}/ matched {}", quote(found.as_str(), 60)),
        ),
        None => (false, format!("/{pattern}/ did not match")),
    }
}

pub(super) fn exact(text: &str, value: &str, case_sensitive: bool) -> (bool, String) {
    let (answer, expected) = (text.trim(), value.trim());
    let equal = if case_sensitive {
        answer == expected
    } else {
        answer.to_lowercase() == expected.to_lowercase()
    };
    if equal {
        (true, format!("answer is exactly {}", quote(expected, 60)))
    } else {
        (
            false,
            format!(
                "expected exactly {}, got {}",
                quote(expected, 60),
                quote(answer, 60)
            ),
        )
    }
}

pub(super) fn validate_number(value: f64, tolerance: f64) -> Result<(), String> {
    if !value.is_finite() {
        return Err(format!("value {value} is not a finite number"));
    }
    if !(tolerance >= 0.0 && tolerance.is_finite()) {
        return Err(format!("tolerance {tolerance} must be a number >= 0"));
    }
    Ok(())
}

/// lm-evaluation-harness's strict-match reading, as edgebench names it: the
/// answer's first number must be the value.
pub(super) fn number(text: &str, value: f64, tolerance: f64) -> (bool, String) {
    number_at(first_number(text), "first", value, tolerance)
}

/// lm-evaluation-harness's flexible-extract reading (GSM8K): the answer's
/// *last* number must be the value, so "12 times 15 is 180" passes for 180.
pub(super) fn number_flexible(text: &str, value: f64, tolerance: f64) -> (bool, String) {
    number_at(last_number(text), "last", value, tolerance)
}

fn number_at(found: Option<f64>, which: &str, value: f64, tolerance: f64) -> (bool, String) {
    let Some(found) = found else {
        return (
            false,
            format!("no number found, expected {value} ± {tolerance}"),
        );
    };
    // A little slack so that 0.1 + 0.2 style rounding in the answer does not fail.
    let slack = 1e-9 * value.abs().max(1.0);
    if (found - value).abs() <= tolerance + slack {
        (
            true,
            format!("{which} number {found} is {value} ± {tolerance}"),
        )
    } else {
        (
            false,
            format!("{which} number {found} is not {value} ± {tolerance}"),
        )
    }
}

/// The first number in the text: `-3.5`, `1,234` (thousands), `42.` and `50%` are read as
/// -3.5, 1234, 42 and 50. A number glued to the end of a word (`gpt4`, `GPT-4`) is only
/// taken when no standalone number follows it.
pub fn first_number(text: &str) -> Option<f64> {
    let numbers = numbers(text);
    let standalone = numbers.iter().find(|n| !n.glued);
    standalone.or(numbers.first()).map(|n| n.value)
}

/// The last number in the text, read as `first_number` reads numbers; a number
/// glued to a word only when the text has no standalone one.
pub fn last_number(text: &str) -> Option<f64> {
    let numbers = numbers(text);
    let standalone = numbers.iter().rev().find(|n| !n.glued);
    standalone.or(numbers.last()).map(|n| n.value)
}

struct NumberInText {
    value: f64,
    /// Glued to the end of a word (`gpt4`): a name more likely than an answer.
    glued: bool,
}

/// Every number in the text, in order.
fn numbers(text: &str) -> Vec<NumberInText> {
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    let number = NUMBER.get_or_init(|| {
        Regex::new(r"([-+−]?)((?:\d+(?:,\d{3})*|)(?:\.\d+)?)").expect("number pattern compiles")
    });
    let mut found_numbers = Vec::new();
    for found in number.captures_iter(text) {
        let whole = found.get(0).expect("group 0 always exists");
        let (sign, digits) = (&found[1], &found[2]);
        if !digits.bytes().any(|byte| byte.is_ascii_digit()) {
            continue;
        }
        let before = text[..whole.start()].chars().next_back();
        let after_digits = text[whole.end()..].chars().next();
        // `1,2345` is not a thousands group: keep the digits before the first comma.
        let digits = match after_digits {
            Some(next) if next.is_ascii_digit() && digits.contains(',') => {
                digits.split(',').next().unwrap_or(digits)
            }
            _ => digits,
        };
        let glued = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let negative = !sign.is_empty() && sign != "+" && !glued;
        let Ok(magnitude) = digits.replace(',', "").parse::<f64>() else {
            continue;
        };
        found_numbers.push(NumberInText {
            value: if negative { -magnitude } else { magnitude },
            glued,
        });
    }
    found_numbers
}

#[cfg(test)]
mod tests {
    use super::super::{AnswerUnderCheck, Check, MatchMode};
    use super::*;

    fn run(check: Check, text: &str) -> (bool, String) {
        let verdict = check.evaluate(&AnswerUnderCheck::text(text));
        (verdict.pass, verdict.reason)
    }

    fn contains(value: &str) -> Check {
        Check::Contains {
            value: Some(value.into()),
            values: None,
            mode: MatchMode::All,
            case_sensitive: false,
        }
    }

    #[test]
    fn contains_is_case_insensitive_by_default() {
        assert_eq!(
            run(contains("Paris"), "the capital is paris."),
            (true, r#"found "Paris""#.into())
        );
        assert_eq!(
            run(contains("Paris"), "It is Lyon."),
            (false, r#"expected "Paris", not found"#.into())
        );
    }

    #[test]
    fn contains_case_sensitive_and_modes() {
        let sensitive = Check::Contains {
            value: Some("Paris".into()),
            values: None,
            mode: MatchMode::All,
            case_sensitive: true,
        };
        assert!(!run(sensitive, "paris").0);
        let all = Check::Contains {
            value: None,
            values: Some(vec!["red".into(), "blue".into()]),
            mode: MatchMode::All,
            case_sensitive: false,
        };
        assert_eq!(
            run(all.clone(), "red only"),
            (false, r#"expected "blue", not found"#.into())
        );
        assert!(run(all, "red and blue").0);
        let any = Check::Contains {
            value: None,
            values: Some(vec!["red".into(), "blue".into()]),
            mode: MatchMode::Any,
            case_sensitive: false,
        };
        assert!(run(any.clone(), "blue").0);
        assert_eq!(
            run(any, "green"),
            (false, r#"expected one of "red", "blue", none found"#.into())
        );
    }

    #[test]
    fn not_contains_passes_and_fails() {
        let check = Check::NotContains {
            value: None,
            values: Some(vec!["sorry".into(), "as an ai".into()]),
            case_sensitive: false,
            whole_words: false,
        };
        assert!(run(check.clone(), "Here you go.").0);
        assert_eq!(
            run(check, "As an AI, I cannot."),
            (false, r#"found "as an ai", which must not appear"#.into())
        );
    }

    #[test]
    fn not_contains_whole_words_as_ifeval() {
        let check = Check::NotContains {
            value: None,
            values: Some(vec!["flower".into(), "blue".into()]),
            case_sensitive: false,
            whole_words: true,
        };
        assert!(!run(check.clone(), "Flowers and bluebells, the sea's blue-green").0);
        assert!(run(check.clone(), "Flowers and bluebells.").0);
        assert_eq!(
            run(check, "A FLOWER."),
            (false, r#"found "flower", which must not appear"#.into())
        );
        let blank = Check::NotContains {
            value: Some("x".into()),
            values: None,
            case_sensitive: false,
            whole_words: false,
        };
        assert_eq!(run(blank, "  \n"), (false, "blank answer".into()));
    }

    #[test]
    fn contains_validation() {
        let both = Check::Contains {
            value: Some("a".into()),
            values: Some(vec!["b".into()]),
            mode: MatchMode::All,
            case_sensitive: false,
        };
        assert!(both.validate().is_err());
        let neither = Check::NotContains {
            value: None,
            values: None,
            case_sensitive: false,
            whole_words: false,
        };
        assert!(neither.validate().is_err());
        let empty = Check::NotContains {
            value: None,
            values: Some(vec![]),
            case_sensitive: false,
            whole_words: false,
        };
        assert!(empty.validate().is_err());
        assert!(contains("").validate().is_err());
    }

    #[test]
    fn regex_matches_and_validates() {
        let check = Check::Regex {
            pattern: r"\b\d{4}\b".into(),
            case_insensitive: false,
        };
        assert_eq!(
            run(check.clone(), "It was 1969."),
            (true, r#"/\b\d{4}\b/ matched "1969""#.into())
        );
        assert!(!run(check, "It was long ago.").0);
        let insensitive = Check::Regex {
            pattern: "^yes".into(),
            case_insensitive: true,
        };
        assert!(run(insensitive, "YES, indeed").0);
        let bad = Check::Regex {
            pattern: "(unclosed".into(),
            case_insensitive: false,
        };
        let problem = bad.validate().unwrap_err();
        assert!(problem.starts_with("bad regex"), "{problem}");
        assert!(!problem.contains('\n'), "{problem}");
    }

    #[test]
    fn exact_trims_and_respects_case() {
        let check = Check::Exact {
            value: "Paris".into(),
            case_sensitive: true,
        };
        assert!(run(check.clone(), "  Paris\n").0);
        assert_eq!(
            run(check, "paris"),
            (false, r#"expected exactly "Paris", got "paris""#.into())
        );
        let insensitive = Check::Exact {
            value: "Paris".into(),
            case_sensitive: false,
        };
        assert!(run(insensitive, "PARIS").0);
    }

    #[test]
    fn number_reasons() {
        let check = Check::Number {
            value: 42.0,
            tolerance: 0.0,
        };
        assert_eq!(
            run(check.clone(), "The answer is 41."),
            (false, "first number 41 is not 42 ± 0".into())
        );
        assert_eq!(
            run(check.clone(), "The answer is 42."),
            (true, "first number 42 is 42 ± 0".into())
        );
        assert_eq!(
            run(check, "I don't know"),
            (false, "no number found, expected 42 ± 0".into())
        );
        let tolerant = Check::Number {
            value: 2.5,
            tolerance: 0.01,
        };
        assert!(run(tolerant, "about 2.509").0);
        assert!(Check::Number {
            value: 1.0,
            tolerance: -1.0
        }
        .validate()
        .is_err());
    }

    #[test]
    fn first_number_forms() {
        assert_eq!(first_number("it is -3.5 degrees"), Some(-3.5));
        assert_eq!(first_number("costs $1,234 total"), Some(1234.0));
        assert_eq!(first_number("1,234,567.5"), Some(1234567.5));
        assert_eq!(first_number("The answer is 42."), Some(42.0));
        assert_eq!(first_number("50% of them"), Some(50.0));
        assert_eq!(first_number("+7"), Some(7.0));
        assert_eq!(first_number("−2"), Some(-2.0));
        assert_eq!(first_number(".5 cups"), Some(0.5));
        assert_eq!(first_number("1,2345"), Some(1.0));
        assert_eq!(first_number("1, 2, 3"), Some(1.0));
        assert_eq!(first_number("5km away"), Some(5.0));
        assert_eq!(first_number("no digits"), None);
    }

    #[test]
    fn number_is_read_strictly_and_flexibly() {
        let check = Check::Number {
            value: 180.0,
            tolerance: 0.0,
        };
        // SmolLM2's answer to reasoning.multiply: it restates the question first.
        let verdict = check.evaluate(&AnswerUnderCheck::text("12 multiplied by 15 equals 180."));
        assert!(!verdict.pass);
        assert_eq!(verdict.reason, "first number 12 is not 180 ± 0");
        let flexible = verdict.flexible.expect("a number check reads flexibly too");
        assert!(flexible.pass);
        assert_eq!(flexible.reason, "last number 180 is 180 ± 0");
        // The readings differ both ways: the last number can be the wrong one.
        assert!(run(check.clone(), "180, not 12").0);
        assert!(!verdict_flexibly(&check, "180, not 12"));
        assert!(!verdict_flexibly(&check, "no idea"));
        let other = Check::NoCommas.evaluate(&AnswerUnderCheck::text("a, b"));
        assert_eq!(other.flexible, None, "only number checks read two ways");
        assert_eq!(other.flexible_pass(), other.pass);
    }

    fn verdict_flexibly(check: &Check, text: &str) -> bool {
        check
            .evaluate(&AnswerUnderCheck::text(text))
            .flexible_pass()
    }

    #[test]
    fn last_number_forms() {
        assert_eq!(last_number("12 times 15 is 180."), Some(180.0));
        assert_eq!(last_number("from -3 to -7.5 degrees"), Some(-7.5));
        assert_eq!(last_number("costs 12 or $1,234"), Some(1234.0));
        assert_eq!(last_number("42 by gpt4"), Some(42.0), "glued numbers last");
        assert_eq!(last_number("only gpt4"), Some(4.0));
        assert_eq!(last_number("1,2345"), Some(1.0));
        assert_eq!(last_number("no digits"), None);
    }

    #[test]
    fn first_number_prefers_standalone_numbers() {
        assert_eq!(first_number("gpt4 says 42"), Some(42.0));
        assert_eq!(first_number("GPT-4 says 42"), Some(42.0));
        assert_eq!(first_number("3-4 days"), Some(3.0));
        assert_eq!(first_number("only gpt4"), Some(4.0));
    }
}
