//! Instruction-following checks in the style of IFEval: length, form and language.

use super::quote;
use regex::Regex;
use std::sync::OnceLock;
use whatlang::Lang;

/// Words as IFEval counts them (`nltk.tokenize.RegexpTokenizer(r"\w+")`): runs of
/// letters, digits and `_`, so "don't" is two words and a lone "-" none.
pub fn word_count(text: &str) -> usize {
    static WORD: OnceLock<Regex> = OnceLock::new();
    WORD.get_or_init(|| Regex::new(r"\w+").expect("word pattern compiles"))
        .find_iter(text)
        .count()
}

/// Sentences end at `.`, `!` or `?` followed by whitespace or the end of the text
/// (closing quotes and brackets may sit in between). A run of terminators (`...`, `?!`)
/// ends one sentence; pieces without a letter or digit are not sentences.
pub fn sentence_count(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut count = 0;
    let mut current_has_content = false;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_alphanumeric() {
            current_has_content = true;
        }
        if matches!(c, '.' | '!' | '?') {
            let mut next = index + 1;
            while next < chars.len() && matches!(chars[next], '.' | '!' | '?') {
                next += 1;
            }
            let mut after_closers = next;
            while after_closers < chars.len() && is_closer(chars[after_closers]) {
                after_closers += 1;
            }
            let at_boundary = after_closers == chars.len() || chars[after_closers].is_whitespace();
            if at_boundary {
                if current_has_content {
                    count += 1;
                }
                current_has_content = false;
                index = after_closers;
                continue;
            }
        }
        index += 1;
    }
    if current_has_content {
        count += 1;
    }
    count
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»' | '*' | '_')
}

pub(super) fn max_words(text: &str, limit: usize) -> (bool, String) {
    let words = word_count(text);
    if words <= limit {
        (true, format!("{words} words <= {limit}"))
    } else {
        (false, format!("{words} words > {limit}"))
    }
}

pub(super) fn min_words(text: &str, minimum: usize) -> (bool, String) {
    let words = word_count(text);
    if words >= minimum {
        (true, format!("{words} words >= {minimum}"))
    } else {
        (false, format!("{words} words < {minimum}"))
    }
}

pub(super) fn max_sentences(text: &str, limit: usize) -> (bool, String) {
    let sentences = sentence_count(text);
    if sentences <= limit {
        (true, format!("{sentences} sentences <= {limit}"))
    } else {
        (false, format!("{sentences} sentences > {limit}"))
    }
}

pub(super) fn no_commas(text: &str) -> (bool, String) {
    match text.matches(',').count() {
        0 => (true, "no commas".to_string()),
        1 => (false, "1 comma found".to_string()),
        commas => (false, format!("{commas} commas found")),
    }
}

/// IFEval's `english_lowercase` without its language test (`value.islower()`): at least
/// one lowercase letter and no uppercase one; letters without case (CJK) do not count.
pub(super) fn all_lowercase(text: &str) -> (bool, String) {
    let uppercase: Vec<char> = text.chars().filter(|c| c.is_uppercase()).collect();
    match uppercase.first() {
        Some(first) => (
            false,
            format!("{} uppercase letters, first {first:?}", uppercase.len()),
        ),
        None if !text.chars().any(char::is_lowercase) => {
            (false, "no lowercase letter in the answer".to_string())
        }
        None => (true, "all letters are lowercase".to_string()),
    }
}

/// IFEval's `english_capital` without its language test (`value.isupper()`): at least
/// one uppercase letter and no lowercase one.
pub(super) fn all_uppercase(text: &str) -> (bool, String) {
    let lowercase: Vec<char> = text.chars().filter(|c| c.is_lowercase()).collect();
    match lowercase.first() {
        Some(first) => (
            false,
            format!("{} lowercase letters, first {first:?}", lowercase.len()),
        ),
        None if !text.chars().any(char::is_uppercase) => {
            (false, "no uppercase letter in the answer".to_string())
        }
        None => (true, "all letters are uppercase".to_string()),
    }
}

fn fold(text: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        text.to_string()
    } else {
        text.to_lowercase()
    }
}

/// As IFEval's `repeat_prompt` compares: both trimmed.
pub(super) fn starts_with(text: &str, value: &str, case_sensitive: bool) -> (bool, String) {
    let answer = text.trim();
    if fold(answer, case_sensitive).starts_with(&fold(value.trim(), case_sensitive)) {
        (true, format!("starts with {}", quote(value, 60)))
    } else {
        let opening: String = answer.chars().take(value.chars().count().max(20)).collect();
        (
            false,
            format!(
                "expected to start with {}, starts with {}",
                quote(value, 60),
                quote(&opening, 60)
            ),
        )
    }
}

/// As IFEval's `end_checker` compares: both trimmed, and the answer's outer double
/// quotes removed (`value.strip().strip('"')`), so a quoted answer may end inside them.
pub(super) fn ends_with(text: &str, value: &str, case_sensitive: bool) -> (bool, String) {
    let answer = text.trim().trim_matches('"');
    if fold(answer, case_sensitive).ends_with(&fold(value.trim(), case_sensitive)) {
        (true, format!("ends with {}", quote(value, 60)))
    } else {
        let shown = value.chars().count().max(20);
        let skip = answer.chars().count().saturating_sub(shown);
        let ending: String = answer.chars().skip(skip).collect();
        (
            false,
            format!(
                "expected to end with {}, ends with {}",
                quote(value, 60),
                quote(&ending, 60)
            ),
        )
    }
}

/// Markdown bullets as IFEval counts them: its patterns `^\s*\*[^\*].*$` and `^\s*-.*$`
/// (multiline) found in turn. A line whose first non-blank character is `-` counts, and
/// one whose first is `*` followed by anything but `*` (`*bold*` too); a `*` alone on
/// its line counts when a line follows, which that match swallows.
pub fn bullet_count(text: &str) -> usize {
    let lines: Vec<&str> = text.split('\n').map(str::trim_start).collect();
    let dashes = lines.iter().filter(|line| line.starts_with('-')).count();
    let mut stars = 0;
    let mut index = 0;
    while index < lines.len() {
        let mut chars = lines[index].chars();
        index += 1;
        if chars.next() != Some('*') {
            continue;
        }
        match chars.next() {
            Some('*') => {}
            Some(_) => stars += 1,
            None if index < lines.len() => {
                stars += 1;
                index += 1;
            }
            None => {}
        }
    }
    dashes + stars
}

pub(super) fn n_bullets(text: &str, expected: usize) -> (bool, String) {
    let bullets = bullet_count(text);
    if bullets == expected {
        (true, format!("{bullets} bullets"))
    } else {
        (false, format!("{bullets} bullets, expected {expected}"))
    }
}

/// Paragraphs as IFEval counts them: the answer split at the markdown divider `***`
/// (`\s?\*\*\*\s?`); a blank piece at either end does not count, a blank piece between
/// two dividers makes the count invalid (`None`).
pub fn paragraph_count(text: &str) -> Option<usize> {
    static DIVIDER: OnceLock<Regex> = OnceLock::new();
    let divider =
        DIVIDER.get_or_init(|| Regex::new(r"\s?\*\*\*\s?").expect("divider pattern compiles"));
    let pieces: Vec<&str> = divider.split(text).collect();
    let last = pieces.len() - 1;
    let mut count = pieces.len();
    for (index, piece) in pieces.iter().enumerate() {
        if piece.trim().is_empty() {
            if index == 0 || index == last {
                count -= 1;
            } else {
                return None;
            }
        }
    }
    Some(count)
}

pub(super) fn n_paragraphs(text: &str, expected: usize) -> (bool, String) {
    match paragraph_count(text) {
        None => (
            false,
            "an empty paragraph between two *** dividers".to_string(),
        ),
        Some(count) if count == expected => (true, format!("{count} paragraphs")),
        Some(count) => (false, format!("{count} paragraphs, expected {expected}")),
    }
}

/// ISO 639-1 codes of the languages whatlang detects (it names them by ISO 639-3).
#[rustfmt::skip]
const LANGUAGES: &[(&str, Lang)] = &[
    ("af", Lang::Afr), ("ak", Lang::Aka), ("am", Lang::Amh), ("ar", Lang::Ara),
    ("az", Lang::Aze), ("be", Lang::Bel), ("bg", Lang::Bul), ("bn", Lang::Ben),
    ("ca", Lang::Cat), ("cs", Lang::Ces), ("cy", Lang::Cym), ("da", Lang::Dan),
    ("de", Lang::Deu), ("el", Lang::Ell), ("en", Lang::Eng), ("eo", Lang::Epo),
    ("es", Lang::Spa), ("et", Lang::Est), ("fa", Lang::Pes), ("fi", Lang::Fin),
    ("fr", Lang::Fra), ("gu", Lang::Guj), ("he", Lang::Heb), ("hi", Lang::Hin),
    ("hr", Lang::Hrv), ("hu", Lang::Hun), ("hy", Lang::Hye), ("id", Lang::Ind),
    ("it", Lang::Ita), ("ja", Lang::Jpn), ("jv", Lang::Jav), ("ka", Lang::Kat),
    ("km", Lang::Khm), ("kn", Lang::Kan), ("ko", Lang::Kor), ("la", Lang::Lat),
    ("lt", Lang::Lit), ("lv", Lang::Lav), ("mk", Lang::Mkd), ("ml", Lang::Mal),
    ("mr", Lang::Mar), ("my", Lang::Mya), ("nb", Lang::Nob), ("ne", Lang::Nep),
    ("nl", Lang::Nld), ("no", Lang::Nob), ("or", Lang::Ori), ("pa", Lang::Pan),
    ("pl", Lang::Pol), ("pt", Lang::Por), ("ro", Lang::Ron), ("ru", Lang::Rus),
    ("si", Lang::Sin), ("sk", Lang::Slk), ("sl", Lang::Slv), ("sn", Lang::Sna),
    ("sr", Lang::Srp), ("sv", Lang::Swe), ("ta", Lang::Tam), ("te", Lang::Tel),
    ("th", Lang::Tha), ("tk", Lang::Tuk), ("tl", Lang::Tgl), ("tr", Lang::Tur),
    ("uk", Lang::Ukr), ("ur", Lang::Urd), ("uz", Lang::Uzb), ("vi", Lang::Vie),
    ("yi", Lang::Yid), ("zh", Lang::Cmn), ("zu", Lang::Zul),
];

pub(super) fn language_from_code(code: &str) -> Result<Lang, String> {
    LANGUAGES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(code.trim()))
        .map(|(_, lang)| *lang)
        .ok_or_else(|| {
            format!("unknown language code {code:?}: use an ISO 639-1 code such as en, fr, de, es")
        })
}

fn code_of(lang: Lang) -> &'static str {
    LANGUAGES
        .iter()
        .find(|(_, known)| *known == lang)
        .map_or_else(|| lang.code(), |(code, _)| *code)
}

/// A case check that also wants the answer in `language`, as IFEval's
/// `english_lowercase` and `english_capital` do; like them, an answer whose language
/// cannot be told (no detection, or one whatlang itself calls unreliable: short text,
/// digits and symbols) is not held to it.
pub(super) fn in_language(
    text: &str,
    (pass, reason): (bool, String),
    language: &Option<String>,
) -> (bool, String) {
    let Some(code) = language else {
        return (pass, reason);
    };
    if !pass || !whatlang::detect(text).is_some_and(|info| info.is_reliable()) {
        return (pass, reason);
    }
    let (in_it, detected) = language_is(text, code);
    match in_it {
        true => (true, reason),
        false => (false, format!("{reason}, but {detected}")),
    }
}

pub(super) fn language_is(text: &str, code: &str) -> (bool, String) {
    let expected = match language_from_code(code) {
        Ok(lang) => lang,
        Err(problem) => return (false, format!("invalid check: {problem}")),
    };
    match whatlang::detect(text) {
        None => (
            false,
            format!("no language detected, expected {}", code_of(expected)),
        ),
        Some(info) if info.lang() == expected => (
            true,
            format!(
                "detected {} (confidence {:.2})",
                code_of(expected),
                info.confidence()
            ),
        ),
        Some(info) => (
            false,
            format!(
                "detected {} (confidence {:.2}), expected {}",
                code_of(info.lang()),
                info.confidence(),
                code_of(expected)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AnswerUnderCheck, Check};
    use super::*;

    fn run(check: Check, text: &str) -> (bool, String) {
        let verdict = check.evaluate(&AnswerUnderCheck::text(text));
        (verdict.pass, verdict.reason)
    }

    #[test]
    fn word_limits() {
        let text = "one two  three\nfour";
        assert_eq!(word_count(text), 4);
        // IFEval's \w+ tokens: a contraction is two words, a dash none.
        assert_eq!(word_count("don't - stop_now 3.5"), 5);
        assert_eq!(
            run(Check::MaxWords { value: 4 }, text),
            (true, "4 words <= 4".into())
        );
        assert_eq!(
            run(Check::MaxWords { value: 3 }, text),
            (false, "4 words > 3".into())
        );
        assert_eq!(
            run(Check::MinWords { value: 4 }, text),
            (true, "4 words >= 4".into())
        );
        assert_eq!(
            run(Check::MinWords { value: 5 }, text),
            (false, "4 words < 5".into())
        );
    }

    #[test]
    fn sentence_counting() {
        assert_eq!(sentence_count("One. Two! Three?"), 3);
        assert_eq!(sentence_count("No terminator at all"), 1);
        assert_eq!(sentence_count("Pi is 3.14 roughly. Yes"), 2);
        assert_eq!(sentence_count("Wait... what?! Really."), 3);
        assert_eq!(sentence_count("He said \"hi.\" Then left."), 2);
        assert_eq!(sentence_count("   "), 0);
        assert_eq!(sentence_count("Visit example.com today."), 1);
        assert_eq!(
            run(Check::MaxSentences { value: 2 }, "A. B."),
            (true, "2 sentences <= 2".into())
        );
        assert_eq!(
            run(Check::MaxSentences { value: 1 }, "A. B."),
            (false, "2 sentences > 1".into())
        );
    }

    #[test]
    fn commas() {
        assert_eq!(
            run(Check::NoCommas, "no commas here"),
            (true, "no commas".into())
        );
        assert_eq!(
            run(Check::NoCommas, "a, b, c"),
            (false, "2 commas found".into())
        );
    }

    #[test]
    fn lowercase() {
        assert!(
            run(
                Check::AllLowercase { language: None },
                "all lower, 123 ünïcode"
            )
            .0
        );
        assert_eq!(
            run(Check::AllLowercase { language: None }, "Hello World"),
            (false, "2 uppercase letters, first 'H'".into())
        );
        assert_eq!(
            run(Check::AllLowercase { language: None }, "123 !!"),
            (false, "no lowercase letter in the answer".into())
        );
        // Python's islower(): letters without case are not lowercase letters.
        assert!(!run(Check::AllLowercase { language: None }, "你好").0);
        assert_eq!(
            run(Check::AllLowercase { language: None }, " "),
            (false, "blank answer".into())
        );
        let english = Check::AllLowercase {
            language: Some("en".into()),
        };
        assert!(
            run(
                english.clone(),
                "the cat sat on the mat and looked at the birds"
            )
            .0
        );
        let (pass, reason) = run(
            english.clone(),
            "le chat est assis sur le tapis et regarde les oiseaux",
        );
        assert!(!pass);
        assert!(
            reason.starts_with("all letters are lowercase, but detected fr"),
            "{reason}"
        );
        assert!(Check::AllUppercase {
            language: Some("xx".into())
        }
        .validate()
        .is_err());
    }

    #[test]
    fn uppercase() {
        assert!(run(Check::AllUppercase { language: None }, "WET FLOOR! 2 ÜBER").0);
        assert_eq!(
            run(Check::AllUppercase { language: None }, "WET floor"),
            (false, "5 lowercase letters, first 'f'".into())
        );
        assert_eq!(
            run(Check::AllUppercase { language: None }, "123"),
            (false, "no uppercase letter in the answer".into())
        );
    }

    #[test]
    fn paragraphs() {
        assert_eq!(paragraph_count("One.\n***\nTwo."), Some(2));
        assert_eq!(paragraph_count("***\nOne.\n***\nTwo.\n***"), Some(2));
        assert_eq!(paragraph_count("One.\n***\n***\nTwo."), None);
        assert_eq!(paragraph_count("No divider at all."), Some(1));
        assert_eq!(paragraph_count("A****B"), Some(2));
        assert!(run(Check::NParagraphs { value: 2 }, "One.\n***\nTwo.").0);
        assert_eq!(
            run(Check::NParagraphs { value: 2 }, "One.\n\nTwo."),
            (false, "1 paragraphs, expected 2".into())
        );
    }

    #[test]
    fn starts_and_ends() {
        let starts = Check::StartsWith {
            value: "Dear".into(),
            case_sensitive: false,
        };
        assert!(run(starts.clone(), "  dear John,").0);
        assert_eq!(
            run(starts, "Hello John"),
            (
                false,
                r#"expected to start with "Dear", starts with "Hello John""#.into()
            )
        );
        let sensitive = Check::StartsWith {
            value: "Dear".into(),
            case_sensitive: true,
        };
        assert!(!run(sensitive, "dear John").0);
        let ends = Check::EndsWith {
            value: "Any questions?".into(),
            case_sensitive: false,
        };
        assert!(run(ends.clone(), "That is all. any questions?\n").0);
        // IFEval's end_checker strips the answer's outer double quotes.
        assert!(run(ends.clone(), "\"That is all. Any questions?\"").0);
        let (pass, reason) = run(ends, "That is all.");
        assert!(!pass);
        assert_eq!(
            reason,
            r#"expected to end with "Any questions?", ends with "That is all.""#
        );
    }

    #[test]
    fn bullets() {
        let text = "Intro\n* one\n  - two\n**bold**\n- four";
        assert_eq!(bullet_count(text), 3);
        assert_eq!(
            run(Check::NBullets { value: 3 }, text),
            (true, "3 bullets".into())
        );
        assert_eq!(
            run(Check::NBullets { value: 2 }, text),
            (false, "3 bullets, expected 2".into())
        );
        // As IFEval's patterns count: `-three`, a `---` rule and `*bold*` are bullets,
        // `**bold**` is not; a lone `*` swallows the next line, at the end it is nothing.
        assert_eq!(bullet_count("-three\n---\n*bold* start\n**b**"), 3);
        assert_eq!(bullet_count("*\n* two\n*"), 1);
        assert!(run(Check::NBullets { value: 0 }, "no list").0);
    }

    #[test]
    fn language_detection() {
        let french = Check::LanguageIs { value: "fr".into() };
        let text = "Le chat est assis sur le tapis et regarde les oiseaux dans le jardin.";
        assert!(run(french, text).0);
        let english = Check::LanguageIs { value: "en".into() };
        let (pass, reason) = run(english, text);
        assert!(!pass);
        assert!(reason.starts_with("detected fr (confidence"), "{reason}");
        assert!(reason.ends_with("expected en"), "{reason}");
        let (pass, reason) = run(Check::LanguageIs { value: "de".into() }, "123 456");
        assert!(!pass);
        assert_eq!(reason, "no language detected, expected de");
        let (pass, reason) = run(Check::LanguageIs { value: "de".into() }, "");
        assert!(!pass);
        assert_eq!(reason, "blank answer");
    }

    #[test]
    fn language_codes_validate() {
        assert!(Check::LanguageIs { value: "EN".into() }.validate().is_ok());
        assert!(Check::LanguageIs { value: "zh".into() }.validate().is_ok());
        let problem = Check::LanguageIs { value: "xx".into() }
            .validate()
            .unwrap_err();
        assert!(
            problem.contains("unknown language code \"xx\""),
            "{problem}"
        );
        assert!(Check::LanguageIs {
            value: "eng".into()
        }
        .validate()
        .is_err());
        assert_eq!(
            LANGUAGES.len(),
            Lang::all().len() + 1,
            "every whatlang language, plus no/nb"
        );
    }
}
