//! Checks on a model's answer, as written in quality suite files (`checks = [...]`).
//!
//! Each check gives a pass/fail [`CheckVerdict`] with a one-line reason. The module only
//! depends on std, serde, serde_json, regex, jsonschema and whatlang, so it can be
//! compiled and tested on its own.

mod bfcl;
mod choice;
mod degeneration;
mod ifeval;
mod json;
pub mod reasoning;
mod text;
mod tool_call;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use bfcl::{expects_call as bfcl_expects_call, is_category as is_bfcl_category};
pub use choice::{choice_picks, ChoicePicks};
pub use degeneration::seq_rep_n;
pub use json::strip_code_fence;
pub use tool_call::{match_tool_calls, parse_tool_calls, ExpectedCall, ToolCall};

/// One check as written in a suite file: `{ type = "contains", value = "Paris" }`.
// `deny_unknown_fields` covers the variants with fields; the ones without go through
// `no_fields`, because serde ignores extra fields on unit variants of a tagged enum.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    Contains {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        values: Option<Vec<String>>,
        #[serde(default)]
        mode: MatchMode,
        #[serde(default)]
        case_sensitive: bool,
    },
    NotContains {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        values: Option<Vec<String>>,
        #[serde(default)]
        case_sensitive: bool,
        /// Only whole words (`\bword\b`), as IFEval's forbidden words; default substrings.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        whole_words: bool,
    },
    Regex {
        pattern: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    Exact {
        value: String,
        #[serde(default = "default_true")]
        case_sensitive: bool,
    },
    Number {
        value: f64,
        #[serde(default)]
        tolerance: f64,
    },
    Choice {
        answer: usize,
    },
    #[serde(deserialize_with = "no_fields")]
    Json,
    JsonSchema {
        schema: Value,
    },
    ToolCall {
        calls: Vec<ExpectedCall>,
    },
    #[serde(deserialize_with = "no_fields")]
    NoToolCall,
    /// A BFCL case: function docs and possible answers as BFCL's JSON text.
    Bfcl {
        category: String,
        #[serde(with = "bfcl::json_text")]
        functions: Value,
        #[serde(with = "bfcl::json_text")]
        ground_truth: Value,
    },
    MaxWords {
        value: usize,
    },
    MinWords {
        value: usize,
    },
    MaxSentences {
        value: usize,
    },
    #[serde(deserialize_with = "no_fields")]
    NoCommas,
    /// With `language`, the answer must also be in it (IFEval's `english_lowercase`).
    AllLowercase {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    AllUppercase {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    StartsWith {
        value: String,
        #[serde(default)]
        case_sensitive: bool,
    },
    EndsWith {
        value: String,
        #[serde(default)]
        case_sensitive: bool,
    },
    NBullets {
        value: usize,
    },
    NParagraphs {
        value: usize,
    },
    LanguageIs {
        value: String,
    },
}

/// Whether `contains` needs every value or just one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    #[default]
    All,
    Any,
}

fn default_true() -> bool {
    true
}

/// Accepts a check table that has nothing besides its `type`.
fn no_fields<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoFields {}
    NoFields::deserialize(deserializer).map(|_| ())
}

/// What a check looks at: the generated text, and for `choice` cases the option scores.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnswerUnderCheck<'a> {
    pub text: &'a str,
    pub choice_scores: Option<&'a [OptionScore]>,
}

impl<'a> AnswerUnderCheck<'a> {
    pub fn text(text: &'a str) -> Self {
        AnswerUnderCheck {
            text,
            choice_scores: None,
        }
    }
}

/// Log-likelihood of one option of a multiple-choice case, as a continuation of the prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionScore {
    pub option: String,
    pub logprob: f64,
    pub n_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckVerdict {
    /// The check's type, e.g. "contains".
    pub check: String,
    pub pass: bool,
    /// One line saying why, e.g. `62 words > 50`.
    pub reason: String,
    /// Filled for `tool_call` and `no_tool_call` only.
    pub tool: Option<ToolOutcome>,
    /// `number` only: the answer read as lm-evaluation-harness's flexible-extract
    /// reads it (the last number); `pass` is the strict reading (the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flexible: Option<FlexibleVerdict>,
}

/// A check's second reading of the same answer (not always the more lenient one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlexibleVerdict {
    pub pass: bool,
    pub reason: String,
}

impl CheckVerdict {
    fn new(check: &Check, pass: bool, reason: impl Into<String>) -> Self {
        CheckVerdict {
            check: check.name().to_string(),
            pass,
            reason: reason.into(),
            tool: None,
            flexible: None,
        }
    }

    /// The verdict under the flexible reading: the flexible one where the
    /// check has it, else the only one.
    pub fn flexible_pass(&self) -> bool {
        self.flexible.as_ref().map_or(self.pass, |f| f.pass)
    }
}

/// The three tool-calling rates: parse rate, name accuracy, argument accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ToolOutcome {
    pub parsed: bool,
    pub names_ok: bool,
    pub args_ok: bool,
}

impl Check {
    pub fn name(&self) -> &'static str {
        match self {
            Check::Contains { .. } => "contains",
            Check::NotContains { .. } => "not_contains",
            Check::Regex { .. } => "regex",
            Check::Exact { .. } => "exact",
            Check::Number { .. } => "number",
            Check::Choice { .. } => "choice",
            Check::Json => "json",
            Check::JsonSchema { .. } => "json_schema",
            Check::ToolCall { .. } => "tool_call",
            Check::NoToolCall => "no_tool_call",
            Check::Bfcl { .. } => "bfcl",
            Check::MaxWords { .. } => "max_words",
            Check::MinWords { .. } => "min_words",
            Check::MaxSentences { .. } => "max_sentences",
            Check::NoCommas => "no_commas",
            Check::AllLowercase { .. } => "all_lowercase",
            Check::AllUppercase { .. } => "all_uppercase",
            Check::StartsWith { .. } => "starts_with",
            Check::EndsWith { .. } => "ends_with",
            Check::NBullets { .. } => "n_bullets",
            Check::NParagraphs { .. } => "n_paragraphs",
            Check::LanguageIs { .. } => "language_is",
        }
    }

    /// Problems found before any model runs: bad regex, schema that does not compile,
    /// unknown language code, empty values, negative tolerance...
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Check::Contains { value, values, .. } | Check::NotContains { value, values, .. } => {
                text::validate_values(value, values).map(|_| ())
            }
            Check::Regex {
                pattern,
                case_insensitive,
            } => text::compile_regex(pattern, *case_insensitive).map(|_| ()),
            Check::Exact { value, .. } => non_empty("value", value),
            Check::Number { value, tolerance } => text::validate_number(*value, *tolerance),
            Check::Choice { .. } | Check::Json | Check::NoToolCall => Ok(()),
            Check::JsonSchema { schema } => json::compile_schema(schema).map(|_| ()),
            Check::ToolCall { calls } => tool_call::validate_expected(calls),
            Check::Bfcl {
                category,
                functions,
                ground_truth,
            } => bfcl::validate(category, functions, ground_truth),
            Check::MaxWords { value }
            | Check::MinWords { value }
            | Check::MaxSentences { value }
            | Check::NParagraphs { value } => match value {
                0 => Err("value must be at least 1".to_string()),
                _ => Ok(()),
            },
            Check::NoCommas | Check::NBullets { .. } => Ok(()),
            Check::AllLowercase { language } | Check::AllUppercase { language } => match language {
                Some(code) => ifeval::language_from_code(code).map(|_| ()),
                None => Ok(()),
            },
            Check::StartsWith { value, .. } | Check::EndsWith { value, .. } => {
                non_empty("value", value)
            }
            Check::LanguageIs { value } => ifeval::language_from_code(value).map(|_| ()),
        }
    }

    /// IFEval's checks, which it fails on a blank answer whatever they ask
    /// (`response.strip() and check_following(response)`).
    fn fails_blank_answer(&self) -> bool {
        matches!(
            self,
            Check::NotContains { .. }
                | Check::MaxWords { .. }
                | Check::MinWords { .. }
                | Check::MaxSentences { .. }
                | Check::NoCommas
                | Check::AllLowercase { .. }
                | Check::AllUppercase { .. }
                | Check::StartsWith { .. }
                | Check::EndsWith { .. }
                | Check::NBullets { .. }
                | Check::NParagraphs { .. }
                | Check::LanguageIs { .. }
        )
    }

    pub fn evaluate(&self, answer: &AnswerUnderCheck) -> CheckVerdict {
        let text = answer.text;
        if self.fails_blank_answer() && text.trim().is_empty() {
            return CheckVerdict::new(self, false, "blank answer");
        }
        let (pass, reason) = match self {
            Check::Contains {
                value,
                values,
                mode,
                case_sensitive,
            } => text::contains(text, value, values, *mode, *case_sensitive),
            Check::NotContains {
                value,
                values,
                case_sensitive,
                whole_words,
            } => text::not_contains(text, value, values, *case_sensitive, *whole_words),
            Check::Regex {
                pattern,
                case_insensitive,
            } => text::regex(text, pattern, *case_insensitive),
            Check::Exact {
                value,
                case_sensitive,
            } => text::exact(text, value, *case_sensitive),
            Check::Number { value, tolerance } => {
                let (pass, reason) = text::number(text, *value, *tolerance);
                let (flexible_pass, flexible_reason) =
                    text::number_flexible(text, *value, *tolerance);
                return CheckVerdict {
                    flexible: Some(FlexibleVerdict {
                        pass: flexible_pass,
                        reason: flexible_reason,
                    }),
                    ..CheckVerdict::new(self, pass, reason)
                };
            }
            Check::Choice { answer: expected } => choice::evaluate(answer.choice_scores, *expected),
            Check::Json => json::is_json(text),
            Check::JsonSchema { schema } => json::matches_schema(text, schema),
            Check::ToolCall { calls } => {
                let (outcome, reason) = tool_call::evaluate(text, calls);
                return CheckVerdict {
                    tool: Some(outcome),
                    ..CheckVerdict::new(self, outcome.args_ok, reason)
                };
            }
            Check::NoToolCall => {
                let (outcome, reason) = tool_call::evaluate_none(text);
                return CheckVerdict {
                    tool: Some(outcome),
                    ..CheckVerdict::new(self, !outcome.parsed, reason)
                };
            }
            Check::Bfcl {
                category,
                functions,
                ground_truth,
            } => {
                let (outcome, reason) = bfcl::evaluate(category, functions, ground_truth, text);
                return CheckVerdict {
                    tool: Some(outcome),
                    ..CheckVerdict::new(self, outcome.args_ok, reason)
                };
            }
            Check::MaxWords { value } => ifeval::max_words(text, *value),
            Check::MinWords { value } => ifeval::min_words(text, *value),
            Check::MaxSentences { value } => ifeval::max_sentences(text, *value),
            Check::NoCommas => ifeval::no_commas(text),
            Check::AllLowercase { language } => {
                ifeval::in_language(text, ifeval::all_lowercase(text), language)
            }
            Check::AllUppercase { language } => {
                ifeval::in_language(text, ifeval::all_uppercase(text), language)
            }
            Check::StartsWith {
                value,
                case_sensitive,
            } => ifeval::starts_with(text, value, *case_sensitive),
            Check::EndsWith {
                value,
                case_sensitive,
            } => ifeval::ends_with(text, value, *case_sensitive),
            Check::NBullets { value } => ifeval::n_bullets(text, *value),
            Check::NParagraphs { value } => ifeval::n_paragraphs(text, *value),
            Check::LanguageIs { value } => ifeval::language_is(text, value),
        };
        CheckVerdict::new(self, pass, reason)
    }
}

/// Evaluates every check of a case against one answer, in order.
pub fn evaluate(checks: &[Check], answer: &AnswerUnderCheck) -> Vec<CheckVerdict> {
    checks.iter().map(|check| check.evaluate(answer)).collect()
}

/// Validates every check of a case; errors name the check by position and type.
pub fn validate(checks: &[Check]) -> Result<(), String> {
    for (index, check) in checks.iter().enumerate() {
        check
            .validate()
            .map_err(|problem| format!("check {} ({}): {problem}", index + 1, check.name()))?;
    }
    Ok(())
}

fn non_empty(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("{field} must not be empty"))
    } else {
        Ok(())
    }
}

/// Quotes a piece of the answer for a reason: one line, at most `max_chars` characters.
fn quote(text: &str, max_chars: usize) -> String {
    let mut shown: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        shown.push('…');
    }
    // Debug formatting escapes newlines, which keeps the reason on one line.
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Case {
        checks: Vec<Check>,
    }

    fn parse(toml_text: &str) -> Result<Vec<Check>, String> {
        toml::from_str::<Case>(toml_text)
            .map(|case| case.checks)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn deserializes_every_documented_form() {
        let checks = parse(
            r#"checks = [
                { type = "contains", value = "Paris" },
                { type = "contains", values = ["a", "b"], mode = "any", case_sensitive = true },
                { type = "not_contains", values = ["x"] },
                { type = "regex", pattern = "\\d+", case_insensitive = true },
                { type = "exact", value = "42", case_sensitive = false },
                { type = "number", value = 42, tolerance = 0.5 },
                { type = "choice", answer = 1 },
                { type = "json" },
                { type = "json_schema", schema = { type = "object", required = ["a"] } },
                { type = "tool_call", calls = [{ name = "f", arguments = { a = 1 }, allowed = { a = [1, 2] }, optional = ["b"] }] },
                { type = "no_tool_call" },
                { type = "max_words", value = 40 },
                { type = "min_words", value = 4 },
                { type = "max_sentences", value = 2 },
                { type = "no_commas" },
                { type = "all_lowercase" },
                { type = "starts_with", value = "dear" },
                { type = "ends_with", value = "bye", case_sensitive = true },
                { type = "n_bullets", value = 3 },
                { type = "language_is", value = "fr" },
                { type = "all_uppercase", language = "en" },
                { type = "n_paragraphs", value = 2 },
                { type = "not_contains", values = ["x"], whole_words = true },
            ]"#,
        )
        .unwrap();
        assert_eq!(checks.len(), 23);
        assert_eq!(
            checks[5],
            Check::Number {
                value: 42.0,
                tolerance: 0.5
            }
        );
        for check in &checks {
            check.validate().unwrap();
        }
        assert_eq!(checks[9].name(), "tool_call");
    }

    #[test]
    fn unknown_type_is_an_error() {
        let error = parse(r#"checks = [{ type = "contans", value = "x" }]"#).unwrap_err();
        assert!(error.contains("contans"), "{error}");
    }

    #[test]
    fn unknown_field_is_an_error() {
        let error = parse(r#"checks = [{ type = "contains", vaule = "x" }]"#).unwrap_err();
        assert!(error.contains("vaule"), "{error}");
    }

    #[test]
    fn unknown_field_on_check_without_fields_is_an_error() {
        for kind in [
            "json",
            "no_tool_call",
            "no_commas",
            "all_lowercase",
            "all_uppercase",
        ] {
            let check = parse(&format!(r#"checks = [{{ type = "{kind}" }}]"#)).unwrap();
            assert_eq!(check[0].name(), kind);
            let error = parse(&format!(
                r#"checks = [{{ type = "{kind}", strict = true }}]"#
            ))
            .unwrap_err();
            assert!(error.contains("unknown field `strict`"), "{error}");
        }
    }

    #[test]
    fn wrong_value_type_is_an_error() {
        // serde buffers tagged enums, so toml can only point at the enclosing array.
        let error = parse(r#"checks = [{ type = "max_words", value = -1 }]"#).unwrap_err();
        assert!(error.contains("invalid value: integer `-1`"), "{error}");
    }

    #[test]
    fn unknown_field_in_expected_call_is_an_error() {
        assert!(parse(
            r#"checks = [{ type = "tool_call", calls = [{ name = "f", args = { a = 1 } }] }]"#
        )
        .is_err());
    }

    #[test]
    fn serializes_back_to_the_same_check() {
        let checks =
            parse(r#"checks = [{ type = "contains", value = "Paris" }, { type = "json" }]"#)
                .unwrap();
        let json = serde_json::to_string(&checks).unwrap();
        assert_eq!(
            json,
            r#"[{"type":"contains","value":"Paris","mode":"all","case_sensitive":false},{"type":"json"}]"#
        );
        let back: Vec<Check> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, checks);
    }

    #[test]
    fn validate_names_the_failing_check() {
        let checks = vec![
            Check::Json,
            Check::Regex {
                pattern: "(".into(),
                case_insensitive: false,
            },
        ];
        let error = validate(&checks).unwrap_err();
        assert!(error.starts_with("check 2 (regex): "), "{error}");
    }

    #[test]
    fn validate_rejects_zero_word_limit_and_empty_values() {
        assert!(Check::MaxWords { value: 0 }.validate().is_err());
        assert!(Check::StartsWith {
            value: " ".into(),
            case_sensitive: false
        }
        .validate()
        .is_err());
        assert!(Check::Exact {
            value: "".into(),
            case_sensitive: true
        }
        .validate()
        .is_err());
    }

    #[test]
    fn evaluate_runs_every_check() {
        let checks = vec![Check::NoCommas, Check::MaxWords { value: 2 }];
        let verdicts = evaluate(&checks, &AnswerUnderCheck::text("one, two, three"));
        assert_eq!(verdicts.len(), 2);
        assert!(verdicts.iter().all(|verdict| !verdict.pass));
        assert_eq!(verdicts[1].check, "max_words");
        assert_eq!(verdicts[1].reason, "3 words > 2");
        assert_eq!(verdicts[0].tool, None);
    }

    #[test]
    fn quote_keeps_one_line() {
        assert_eq!(quote("a\nb", 10), r#""a\nb""#);
        assert_eq!(quote("abcdef", 3), r#""abc…""#);
    }
}
