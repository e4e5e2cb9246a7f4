//! Whether a server answers yet, and which server it is: the readiness poll a
//! started server waits on (`/health`, else `/v1/models`), and the identity
//! pages kept in the manifest (llama-server `/props`, Ollama `/api/version`,
//! `/v1/models`).
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Map, Value};
use ureq::http::Uri;

use super::client::{Client, Secret};
use super::OpenAiConfig;

/// The most of a page read for readiness or identity.
const MAX_PAGE: u64 = 256 * 1024;

pub struct ServerProbe {
    client: Client,
    /// "http://127.0.0.1:8080": where `/health`, `/props` and `/api/version` are.
    root: String,
}

impl ServerProbe {
    /// A probe of the server `config` points at, each request bounded by `timeout`.
    pub fn new(config: &OpenAiConfig, timeout: Duration) -> Result<Self> {
        let key = match &config.api_key_env {
            Some(name) => std::env::var(name).ok().map(Secret::new),
            None => None,
        };
        let client = Client::new(&config.base_url, &config.model, key, timeout)?;
        let root = server_root(client.base());
        Ok(ServerProbe { client, root })
    }

    /// Ok when the server serves: `/health` says 200 (llama-server answers 503
    /// while it loads), or, where there is no `/health` (Ollama, some others),
    /// `/v1/models` says 200. Otherwise why not yet, in one line.
    pub fn ready(&self) -> Result<(), String> {
        let health = format!("{}/health", self.root);
        match self.client.get(&health, MAX_PAGE) {
            Ok((200, _)) => return Ok(()),
            Ok((404, _)) => {}
            Ok((status, body)) => {
                return Err(format!("{health}: HTTP {status} {}", first_line(&body)))
            }
            Err(e) => return Err(format!("{e:#}")),
        }
        let models = format!("{}/models", self.client.base());
        match self.client.get(&models, MAX_PAGE) {
            Ok((200, _)) => Ok(()),
            Ok((status, body)) => Err(format!("{models}: HTTP {status} {}", first_line(&body))),
            Err(e) => Err(format!("{e:#}")),
        }
    }

    /// What the server says it is, for the manifest: each identity page that
    /// answered 200 with JSON (a chat template is kept as its length only).
    pub fn identity(&self) -> Value {
        let pages = [
            ("props", format!("{}/props", self.root)),
            ("api_version", format!("{}/api/version", self.root)),
            ("models", format!("{}/models", self.client.base())),
        ];
        let mut identity = Map::new();
        for (name, url) in pages {
            if let Ok((200, body)) = self.client.get(&url, MAX_PAGE) {
                if let Ok(page) = serde_json::from_str::<Value>(&body) {
                    identity.insert(name.into(), without_templates(page));
                }
            }
        }
        Value::Object(identity)
    }
}

/// The scheme and authority of the API root: "http://h:p/v1" -> "http://h:p".
pub(super) fn server_root(base: &str) -> String {
    match base.parse::<Uri>() {
        Ok(uri) => match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => base.to_string(),
        },
        Err(_) => base.to_string(),
    }
}

/// llama-server's `/props` carries the whole chat template (kilobytes): its
/// length says whether it changed, the text belongs to the model file.
fn without_templates(mut page: Value) -> Value {
    if let Some(object) = page.as_object_mut() {
        let templates: Vec<String> = object
            .keys()
            .filter(|k| k.starts_with("chat_template"))
            .cloned()
            .collect();
        for key in templates {
            if let Some(Value::String(text)) = object.remove(&key) {
                object.insert(format!("{key}_chars"), json!(text.chars().count()));
            }
        }
    }
    page
}

fn first_line(body: &str) -> String {
    body.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_api_roots_scheme_and_authority() {
        assert_eq!(
            server_root("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            server_root("http://localhost:11434/v1"),
            "http://localhost:11434"
        );
        assert_eq!(server_root("http://[::1]:9/x/v1"), "http://[::1]:9");
    }

    #[test]
    fn chat_templates_are_kept_as_their_length() {
        let page = json!({"chat_template": "{{ hi }}", "model_path": "m.gguf"});
        let kept = without_templates(page);
        assert_eq!(
            kept,
            json!({"chat_template_chars": 8, "model_path": "m.gguf"})
        );
    }
}
