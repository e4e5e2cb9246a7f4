//! The prompt text a llama.cpp model sees: its chat template (or an override,
//! or the sweep's fallback) applied to the turns, or the raw turns.
use anyhow::{anyhow, Result};
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;

use crate::checks::reasoning::{opens_inside, template_markers, ThinkMarkers};
use crate::engine::TemplateChoice;
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
    let markers = template_markers(template.to_str().ok()?)?;
    opens_inside(prompt, markers).then_some(markers)
}
