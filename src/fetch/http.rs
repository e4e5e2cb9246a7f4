//! The HTTP client of `edgebench fetch`: ureq over rustls trusting the
//! system's roots (SSL_CERT_FILE / SSL_CERT_DIR honoured, as pip and curl do),
//! redirects followed (the hub hands files to a CDN), statuses returned rather
//! than raised, and every failure phrased as one line naming the URL.
use std::io::Read;
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// Seconds to connect, and to wait for a reply's head or the next bytes of a body.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// The most of a JSON reply (an index page, a repository's file list) read.
const MAX_JSON: u64 = 32 << 20;

pub struct Http {
    agent: ureq::Agent,
}

/// A reply with its status; the body is read by the caller.
pub struct Reply {
    pub status: u16,
    pub content_range_start: Option<u64>,
    pub content_length: Option<u64>,
    pub body: ureq::Body,
}

impl Http {
    pub fn new() -> Http {
        let tls = TlsConfig::builder().root_certs(system_roots()).build();
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(READ_TIMEOUT))
            .timeout_recv_body(None)
            .http_status_as_error(false)
            .user_agent(concat!("edgebench/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// GET with the given headers; any status comes back, a transport failure is an error.
    pub fn get(&self, url: &str, headers: &[(&str, String)]) -> Result<Reply> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .call()
            .map_err(|e| anyhow!("{}: {}", redact(url), e))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            let value = response.headers().get(name)?.to_str().ok()?;
            Some(value.to_string())
        };
        let content_range_start = header("content-range").and_then(|v| range_start(&v));
        let content_length = header("content-length").and_then(|v| v.trim().parse().ok());
        Ok(Reply {
            status,
            content_range_start,
            content_length,
            body: response.into_body(),
        })
    }

    /// GET a JSON document; a status other than 200 is an error naming it.
    pub fn get_json(&self, url: &str, headers: &[(&str, String)]) -> Result<serde_json::Value> {
        let reply = self.get(url, headers)?;
        if reply.status != 200 {
            return Err(HttpStatus {
                url: redact(url),
                status: reply.status,
            }
            .into());
        }
        let mut text = String::new();
        reply
            .body
            .into_reader()
            .take(MAX_JSON)
            .read_to_string(&mut text)
            .with_context(|| format!("{}: reading the reply", redact(url)))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", redact(url)))
    }
}

/// A reply whose status was not the one asked for.
#[derive(Debug)]
pub struct HttpStatus {
    pub url: String,
    pub status: u16,
}

impl std::fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: HTTP {}", self.url, self.status)
    }
}

impl std::error::Error for HttpStatus {}

/// The system's roots; Mozilla's bundled ones only if none can be read.
fn system_roots() -> RootCerts {
    let found = rustls_native_certs::load_native_certs();
    let certs: Vec<Certificate<'static>> = found
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    if certs.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::new_with_certs(&certs)
    }
}

/// `bytes 100-199/200` -> 100.
fn range_start(value: &str) -> Option<u64> {
    let spec = value.trim().strip_prefix("bytes")?.trim_start();
    spec.split('-').next()?.trim().parse().ok()
}

/// A URL without user:password, as it may appear in an error.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => {
            format!("{}://{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_gives_the_first_byte() {
        assert_eq!(range_start("bytes 100-199/200"), Some(100));
        assert_eq!(range_start("bytes 0-0/*"), Some(0));
        assert_eq!(range_start("items 1-2"), None);
    }

    #[test]
    fn credentials_never_reach_a_message() {
        assert_eq!(redact("https://u:p@host/simple/"), "https://host/simple/");
        assert_eq!(redact("http://127.0.0.1:9/a@b"), "http://127.0.0.1:9/a@b");
    }
}
