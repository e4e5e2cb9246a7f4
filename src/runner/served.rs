//! Candidates served by an OpenAI-compatible server (`engine = "openai"` in the
//! sweep file): their up-front check and the engine the child talks to them with.
use std::time::Duration;

use crate::engine::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::results::plan::{Candidate, ServerEndpoint, ServerKind};
use crate::results::ModelMeta;

/// The longest one request may take (the unit's timeout still bounds them all).
const MAX_REQUEST: Duration = Duration::from_secs(300);

/// The engine's settings for a served candidate.
pub(super) fn openai_config(server: &ServerEndpoint) -> OpenAiConfig {
    let dialect = match server.kind {
        ServerKind::LlamaServer => Dialect::LlamaServer,
        ServerKind::Generic => Dialect::Generic,
    };
    OpenAiConfig {
        api_key_env: server.api_key_env.clone(),
        timeout: MAX_REQUEST,
        dialect,
        // llama-server can go past the end of generation, so the user path
        // measures its 50th token as in-process; others stop at the model's end.
        ignore_eos: server.kind == ServerKind::LlamaServer,
        ..OpenAiConfig::new(&server.base_url, &server.model)
    }
}

/// A served candidate is checked like a file, before anything runs: a loopback
/// address, and its API key variable set. Nothing is sent yet. Without a GGUF
/// path, what the server serves is named by its model id.
pub(super) fn check_served(c: &Candidate, server: &ServerEndpoint) -> Result<ModelMeta, String> {
    OpenAiEngine::new(openai_config(server))
        .map_err(|e| format!("candidate `{}`: {e:#}", c.name))?;
    Ok(ModelMeta {
        candidate: c.name.clone(),
        model_file: format!("{} at {}", server.model, server.base_url),
        arch: "unknown".into(),
        ..ModelMeta::default()
    })
}
