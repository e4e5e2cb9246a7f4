//! The HTTP side: a ureq agent held to one loopback server (no proxy, no
//! redirect, one time limit per request from connect to the last byte), the
//! API key kept out of every message, and each failure phrased as one line.
use std::fmt;
use std::io;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

use super::address::{check_loopback, loopback_addresses, CheckedAddresses};
use super::key::KeyRedactor;
use super::wire::{error_message, one_line};
use crate::engine::TimedOut;

/// The most of an error body read for its message.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The most of a JSON reply read whole.
const MAX_JSON_REPLY: u64 = 16 << 20;

/// An API key: its Debug form never shows it.
pub(super) struct Secret(String);

impl Secret {
    pub(super) fn new(key: String) -> Self {
        Secret(key)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A 2xx reply to a POST.
pub(super) struct Reply {
    /// `Content-Type: application/json`: a whole reply, not an event stream.
    pub json: bool,
    pub body: ureq::Body,
}

impl Reply {
    pub(super) fn into_reader(self) -> ureq::BodyReader<'static> {
        self.body.into_reader()
    }
}

pub(super) struct Client {
    agent: ureq::Agent,
    /// The API root without its trailing slash ("http://127.0.0.1:8080/v1").
    base: String,
    model: String,
    key: Option<Secret>,
    /// The key's forms, cut out of everything the server says.
    redactor: KeyRedactor,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("model", &self.model)
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Client {
    pub(super) fn new(
        base_url: &str,
        model: &str,
        key: Option<Secret>,
        timeout: Duration,
    ) -> Result<Self> {
        let addresses = loopback_addresses(base_url)?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            // A redirect could lead off this machine; a proxy would.
            .max_redirects(0)
            .proxy(None)
            .build();
        // The checked addresses, not a second lookup per request: a name
        // that resolved to loopback once cannot resolve elsewhere later.
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            CheckedAddresses::new(addresses),
        );
        let redactor = key
            .as_ref()
            .map_or_else(KeyRedactor::default, |k| KeyRedactor::new(&k.0));
        Ok(Client {
            agent,
            base: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            key,
            redactor,
            timeout,
        })
    }

    pub(super) fn model(&self) -> &str {
        &self.model
    }

    /// POSTs `body` as JSON to `path` under the API root; the reply's body to
    /// read and whether it is JSON (not an event stream), or an error with
    /// the server's reason when it is not a 2xx.
    pub(super) fn post(&self, path: &str, body: &Value) -> Result<Reply> {
        self.post_to(&format!("{}{path}", self.base), body)
    }

    /// POSTs `body` to `url` on this server and reads its JSON reply whole
    /// (at most 16 MiB): for the few requests that are not completions.
    pub(super) fn post_for_json(&self, url: &str, body: &Value) -> Result<Value> {
        check_loopback(url)?;
        let reply = self.post_to(url, body)?;
        let text = reply
            .body
            .into_with_config()
            .limit(MAX_JSON_REPLY)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| self.failed(&e))?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow!("{url} sent no JSON ({e}): {}", self.quote(&text, 120)))
    }

    fn post_to(&self, url: &str, body: &Value) -> Result<Reply> {
        let url = url.to_string();
        let mut request = self
            .agent
            .post(&url)
            .header("Accept", "text/event-stream, application/json");
        if let Some(key) = &self.key {
            request = request.header("Authorization", format!("Bearer {}", key.0));
        }
        let response = request.send_json(body).map_err(|e| self.failed(&e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let text = response
                .into_body()
                .into_with_config()
                .limit(MAX_ERROR_BODY)
                .lossy_utf8(true)
                .read_to_string()
                .unwrap_or_default();
            bail!(self.status_error(status, &url, &text));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        Ok(Reply {
            json: content_type.starts_with("application/json"),
            body: response.into_body(),
        })
    }

    /// GETs `url` (on this server: the API root's host); the status and at
    /// most `limit` bytes of the body. For readiness and identity, not answers.
    pub(super) fn get(&self, url: &str, limit: u64) -> Result<(u16, String)> {
        check_loopback(url)?;
        let mut request = self.agent.get(url);
        if let Some(key) = &self.key {
            request = request.header("Authorization", format!("Bearer {}", key.0));
        }
        let response = request.call().map_err(|e| self.failed(&e))?;
        let status = response.status().as_u16();
        let text = response
            .into_body()
            .into_with_config()
            .limit(limit)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| self.failed(&e))?;
        Ok((status, self.redact(&text)))
    }

    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// A transport failure in one line (a [`TimedOut`] when it was the timeout).
    pub(super) fn failed(&self, error: &ureq::Error) -> anyhow::Error {
        let timed_out = match error {
            ureq::Error::Timeout(_) => true,
            ureq::Error::Io(e) => e.kind() == io::ErrorKind::TimedOut,
            _ => false,
        };
        let reason = match error {
            ureq::Error::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                "connection refused (is the server running?)".to_string()
            }
            ureq::Error::Io(e) if is_disconnect(e.kind()) => {
                format!("the server closed the connection ({e})")
            }
            ureq::Error::Timeout(what) => format!(
                "no complete answer within {:.1} s (timeout: {what})",
                self.timeout.as_secs_f64()
            ),
            ureq::Error::ConnectionFailed => "could not connect".to_string(),
            ureq::Error::HostNotFound => "host not found".to_string(),
            other => other.to_string(),
        };
        let line = format!("{}: {}", self.base, self.quote(&reason, 300));
        match timed_out {
            true => TimedOut(line).into(),
            false => anyhow!(line),
        }
    }

    /// A reading failure of the reply's body, as `failed` words it.
    pub(super) fn read_failed(&self, error: io::Error) -> anyhow::Error {
        self.failed(&ureq::Error::from(error))
    }

    fn status_error(&self, status: u16, url: &str, body: &str) -> String {
        let what = match status {
            401 | 403 if self.key.is_some() => "the server refused the API key".to_string(),
            401 | 403 => "the server wants an API key (set api_key_env)".to_string(),
            404 => format!("not found (is \"{}\" a model of this server?)", self.model),
            300..=399 => "a redirect, not followed (only this loopback server is used)".into(),
            _ => "the server failed".to_string(),
        };
        let reason = error_message(body).unwrap_or_else(|| body.to_string());
        let reason = self.quote(&reason, 300);
        let line = if reason.is_empty() {
            format!("HTTP {status} from {url}: {what}")
        } else {
            format!("HTTP {status} from {url}: {what}: {reason}")
        };
        self.redact(&line)
    }

    /// What a server sent, for a message: the key cut out first (so that it
    /// cannot leak in part where the text is cut short), on one line, `max` chars.
    pub(super) fn quote(&self, text: &str, max: usize) -> String {
        one_line(&self.redact(text), max)
    }

    /// `text` with the API key and its base64 forms cut out (a server may
    /// echo it back).
    pub(super) fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

fn is_disconnect(kind: io::ErrorKind) -> bool {
    use io::ErrorKind::*;
    matches!(
        kind,
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
    )
}
