//! Cutting an API key out of what a server says. A server may echo the
//! `Authorization` header in an answer, log its request headers, or print the
//! key as it exits; whatever of that reaches a file or the terminal passes
//! through `KeyRedactor` first. Besides the key itself it cuts the key's
//! base64 forms: base64 of the key alone, and of the key inside a longer
//! value such as HTTP Basic's `user:key`, where the key starts at any offset
//! (the characters that also encode its unknown neighbours are left, a few
//! bits of the key at most).
use base64::Engine as _;
use serde_json::Value;

/// What replaces the key.
pub const REDACTED: &str = "<redacted>";

/// A base64 form shorter than this (a key under 6 bytes) would match
/// ordinary text; only the key itself is cut then.
const MIN_BASE64_FORM: usize = 8;

/// The key's forms to cut out, longest first; none without a key.
#[derive(Clone, Default)]
pub struct KeyRedactor {
    forms: Vec<String>,
}

impl std::fmt::Debug for KeyRedactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRedactor({} forms)", self.forms.len())
    }
}

impl KeyRedactor {
    pub fn new(key: &str) -> Self {
        if key.is_empty() {
            return KeyRedactor::default();
        }
        let mut forms = vec![key.to_string()];
        forms.extend(base64_forms(key.as_bytes()));
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        KeyRedactor { forms }
    }

    /// The key in the variable `name` (none when unset: then nothing was sent either).
    pub fn from_env(name: Option<&str>) -> Self {
        match name.and_then(|n| std::env::var(n).ok()) {
            Some(key) => KeyRedactor::new(&key),
            None => KeyRedactor::default(),
        }
    }

    /// `text` with every form of the key replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }

    /// Every string of `value` (object keys too) redacted in place.
    pub fn redact_json(&self, value: &mut Value) {
        if self.forms.is_empty() {
            return;
        }
        match value {
            Value::String(text) => *text = self.redact(text),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (name, mut item) in entries {
                    self.redact_json(&mut item);
                    map.insert(self.redact(&name), item);
                }
            }
            _ => {}
        }
    }

    /// The longest form, in bytes: a cut piece of text shorter than this
    /// from its end may hold the start of one.
    pub fn longest_form(&self) -> usize {
        self.forms.first().map_or(0, String::len)
    }
}

/// The base64 characters that encode only the key's bytes, for each of the
/// three offsets the key can start at inside an encoded value, in the
/// standard and the URL-safe alphabets.
fn base64_forms(key: &[u8]) -> Vec<String> {
    let engines = [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut forms = Vec::new();
    for engine in engines {
        for offset in 0..3usize {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(key);
            let encoded = engine.encode(&bytes);
            // Character i holds bits 6i..6i+6: it is the key's alone when
            // it starts past the offset's bytes and ends within the key.
            let first = (offset * 8).div_ceil(6);
            let last = bytes.len() * 8 / 6;
            if last > first && last - first >= MIN_BASE64_FORM {
                forms.push(encoded[first..last].to_string());
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    const KEY: &str = "sk-edgebench-test-4242";

    #[test]
    fn the_key_and_its_base64_forms_are_cut_wherever_they_start() {
        let redactor = KeyRedactor::new(KEY);
        let mut said = vec![
            format!("Authorization: Bearer {KEY}"),
            format!("b64 {}", STANDARD.encode(KEY)),
            format!("b64url {}", URL_SAFE.encode(format!("~~{KEY}~"))),
        ];
        for user in ["", "u", "us", "use", "user", "a-much-longer-user"] {
            let basic = STANDARD.encode(format!("{user}:{KEY}"));
            said.push(format!("Authorization: Basic {basic}"));
        }
        for text in said {
            let cut = redactor.redact(&text);
            assert!(cut.contains(REDACTED), "{text} -> {cut}");
            for form in &redactor.forms {
                assert!(!cut.contains(form.as_str()), "{text} -> {cut}");
            }
        }
    }

    #[test]
    fn json_strings_and_names_are_redacted_and_other_text_kept() {
        let redactor = KeyRedactor::new(KEY);
        let mut value = serde_json::json!({
            "kind": "answered",
            "output_text": format!("you sent {KEY}"),
            KEY: [format!("x{KEY}y"), 3],
        });
        redactor.redact_json(&mut value);
        let text = value.to_string();
        assert!(!text.contains(KEY), "{text}");
        assert_eq!(value["kind"], "answered");
        assert_eq!(value["output_text"], "you sent <redacted>");
        assert_eq!(value[REDACTED][0], "x<redacted>y");
        assert_eq!(KeyRedactor::default().redact("as is"), "as is");
        assert!(!format!("{redactor:?}").contains(KEY));
    }

    #[test]
    fn a_short_key_is_cut_without_base64_forms_that_would_match_anything() {
        let redactor = KeyRedactor::new("abc");
        assert_eq!(redactor.forms, ["abc"]);
        assert_eq!(redactor.redact("xabcx YWJj"), "x<redacted>x YWJj");
    }
}
