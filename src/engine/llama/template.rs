//! The prompt text a llama.cpp model sees: its chat template (or an override,
//! or the sweep's fallback) applied to the turns, or the raw turns.
use anyhow::{anyhow, Result};
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;

use super::jinja::{TemplateProblem, ToolTemplate};
use crate::checks::reasoning::{opens_inside, template_markers, ThinkMarkers};
use crate::engine::{Capability, TemplateChoice, Unsupported};
use crate::suite::tools::ToolSpec;
use crate::suite::Message;

/// Which template this candidate gets: an explicit override, else the model's own,
/// else the sweep's fallback, else the raw prompt. Returns its name and the template.
fn resolve(model: &LlamaModel, choice: TemplateChoice) -> (String, Option<LlamaChatTemplate>) {
    let named = |name: &str| {
        if name == "raw" {
            ("raw".to_string(), None)
        } else {
            (name.to_string(), LlamaChatTemplate::new(name).ok())
        }
    };
    if let Some(name) = choice.override_name {
        return named(name);
    }
    if let Ok(t) = model.chat_template(None) {
        return ("model".to_string(), Some(t));
    }
    named(choice.fallback.unwrap_or("raw"))
}

/// The prompt text and the template's name: the template applied to `messages`
/// (with the assistant's turn opened), or without one the contents joined by blank lines.
pub(super) fn render(
    model: &LlamaModel,
    messages: &[Message],
    choice: Option<TemplateChoice>,
) -> Result<(String, String)> {
    let (name, template) = match choice {
        Some(choice) => resolve(model, choice),
        None => ("raw".to_string(), None),
    };
    let Some(template) = template else {
        let text = messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        return Ok((text, name));
    };
    let chat = messages
        .iter()
        .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let text = model
        .apply_chat_template(&template, &chat, true)
        .map_err(|e| anyhow!("chat template `{name}` could not be applied: {e}"))?;
    Ok((text, name))
}

/// The text as the model's tokens, with BOS when the vocabulary wants one and
/// special tokens (the template's markers) parsed.
pub(super) fn tokenize(model: &LlamaModel, text: &str) -> Vec<LlamaToken> {
    model.vocab().tokenize(text.as_bytes(), true, true)
}

/// The reasoning block the rendered `prompt` leaves open, if any: the model's
/// own template (`chat_template` "model") names its markers, and the prompt
/// ends with the open one (DeepSeek-R1's and Qwen3-Thinking's templates).
pub(super) fn opened_block(
    model: &LlamaModel,
    chat_template: &str,
    prompt: &str,
) -> Option<ThinkMarkers> {
    if chat_template != "model" {
        return None;
    }
    let template = model.chat_template(None).ok()?;
    opened_by(template.to_str().ok()?, prompt)
}

/// The reasoning block `source`, a template, leaves open at the end of `prompt`.
pub(super) fn opened_by(source: &str, prompt: &str) -> Option<ThinkMarkers> {
    let markers = template_markers(source)?;
    opens_inside(prompt, markers).then_some(markers)
}

/// The Jinja template native tool calls are rendered with, compiled once per
/// conversation: `name` is the rows' `chat_template` (`model-jinja`, or
/// `override-jinja` / `fallback-jinja` for a Jinja text given in the sweep).
pub(super) struct NativeTemplate {
    pub name: &'static str,
    pub source: String,
    template: ToolTemplate,
    /// The BOS text the tokenizer adds itself, cut from the rendered front
    /// (as llama.cpp's common_chat does with a Jinja template).
    bos_added: Option<String>,
}

/// Why a conversation has no native template: a capability the candidate
/// lacks (an `unsupported` row) or a template minijinja cannot compile (a
/// failed row); kept to answer every native case the same way.
#[derive(Debug, Clone)]
pub(super) enum NoNativeTemplate {
    Unsupported(Capability),
    Broken(String),
}

impl NoNativeTemplate {
    pub(super) fn error(&self) -> anyhow::Error {
        match self {
            NoNativeTemplate::Unsupported(capability) => Unsupported {
                engine: "llama.cpp",
                capability: *capability,
            }
            .into(),
            NoNativeTemplate::Broken(e) => anyhow!("{e}"),
        }
    }
}

/// The Jinja text native tool calls use: the candidate's `chat_template` (or
/// the sweep's fallback where the model has none) when it is Jinja, else the
/// model's own; a llama.cpp template name or `raw` cannot show tools.
fn jinja_source(
    model: &LlamaModel,
    choice: Option<TemplateChoice>,
) -> Result<(&'static str, String), NoNativeTemplate> {
    let none = NoNativeTemplate::Unsupported(Capability::NativeToolsWithoutJinja);
    let choice = choice.ok_or(none.clone())?;
    let is_jinja = |text: &str| text.contains("{{") || text.contains("{%");
    if let Some(text) = choice.override_name {
        return match is_jinja(text) {
            true => Ok(("override-jinja", text.to_string())),
            false => Err(none),
        };
    }
    if let Some(text) = model
        .chat_template(None)
        .ok()
        .and_then(|t| t.to_string().ok())
    {
        return Ok(("model-jinja", text));
    }
    match choice.fallback.filter(|text| is_jinja(text)) {
        Some(text) => Ok(("fallback-jinja", text.to_string())),
        None => Err(none),
    }
}

/// The conversation's native template (`choice` None: the case asks for no
/// chat template).
pub(super) fn native_template(
    model: &LlamaModel,
    choice: Option<TemplateChoice>,
) -> Result<NativeTemplate, NoNativeTemplate> {
    let (name, source) = jinja_source(model, choice)?;
    let vocab = model.vocab();
    let piece = |token: LlamaToken| match token.0 < 0 {
        true => String::new(),
        false => String::from_utf8_lossy(&vocab.token_to_piece(token, true, None)).into_owned(),
    };
    let (bos, eos) = (piece(vocab.bos()), piece(vocab.eos()));
    let template = ToolTemplate::new(&source, &bos, &eos).map_err(|problem| match problem {
        TemplateProblem::NoTools => {
            NoNativeTemplate::Unsupported(Capability::NativeToolsTemplateIgnoresTools)
        }
        TemplateProblem::Compile(e) => NoNativeTemplate::Broken(format!(
            "the chat template ({name}) is not Jinja minijinja can compile: {e}"
        )),
    })?;
    let bos_added = (vocab.should_add_bos() && !bos.is_empty()).then_some(bos);
    Ok(NativeTemplate {
        name,
        source,
        template,
        bos_added,
    })
}

impl NativeTemplate {
    /// The prompt text: the turns with the tools, the assistant's turn opened.
    pub(super) fn render(&self, messages: &[Message], tools: &[ToolSpec]) -> Result<String> {
        let text = self.template.render(messages, tools)?;
        Ok(match &self.bos_added {
            Some(bos) if text.starts_with(bos.as_str()) => text[bos.len()..].to_string(),
            _ => text,
        })
    }
}
