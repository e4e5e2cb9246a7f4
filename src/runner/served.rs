//! Candidates served by an OpenAI-compatible server (`engine = "openai"` in the
//! sweep file): their up-front check and the engine the child talks to them with.
//! A server edgebench starts itself is started_server.rs.
use std::time::Duration;

use super::started_server::program_exists;
use crate::config::server_launch::{fill_placeholders, LaunchValues};
use crate::config::{Configuration, FlashAttn};
use crate::engine::{Dialect, OpenAiConfig, OpenAiEngine};
use crate::results::plan::{Candidate, ServerEndpoint, ServerKind, ToolChoice};
use crate::results::ModelMeta;

/// The longest one request may take (the unit's timeout still bounds them all).
const MAX_REQUEST: Duration = Duration::from_secs(300);

/// Placeholder values for checking a base_url template before any unit runs.
const ANY_CONFIGURATION: Configuration = Configuration {
    n_threads: 1,
    n_gpu_layers: 0,
    n_batch: 1,
    flash_attn: FlashAttn::Auto,
    n_ctx: 1,
    n_ubatch: crate::config::DEFAULT_UBATCH,
    cache_type_k: crate::config::KvCacheType::F16,
    cache_type_v: crate::config::KvCacheType::F16,
    use_mmap: true,
    power_mode: None,
    jetson_clocks: None,
    speculative: None,
};

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
        tool_choice: server.tool_choice.map(ToolChoice::as_str),
        ..OpenAiConfig::new(&server.base_url, &server.model)
    }
}

/// A served candidate is checked like a file, before anything runs: a loopback
/// address, and its API key variable set. Nothing is sent yet. Without a GGUF
/// path, what the server serves is named by its model id.
pub(super) fn check_served(c: &Candidate, server: &ServerEndpoint) -> Result<ModelMeta, String> {
    let bad = |e: String| format!("candidate `{}`: {e}", c.name);
    let mut config = openai_config(server);
    if let Some(launch) = &server.launch {
        let program = &launch.command[0];
        if !program_exists(program) {
            return Err(bad(format!(
                "server.command: program `{program}` not found"
            )));
        }
        // Any port: the address is checked, the port is chosen per unit.
        config.base_url = fill_placeholders(
            &server.base_url,
            &LaunchValues {
                model: &c.path,
                port: 1,
                config: &ANY_CONFIGURATION,
                parallel: 1,
            },
        );
    }
    OpenAiEngine::new(config).map_err(|e| bad(format!("{e:#}")))?;
    Ok(ModelMeta {
        candidate: c.name.clone(),
        model_file: format!("{} at {}", server.model, server.base_url),
        arch: "unknown".into(),
        ..ModelMeta::default()
    })
}
