//! Models named as llama.cpp names them, `hf:ORG/REPO[:QUANT]`: the file is
//! chosen as llama.cpp's `-hf` chooses it, downloaded from `$HF_ENDPOINT`
//! (with `$HF_TOKEN`) into the Hugging Face cache, and taken from that cache
//! when `HF_HUB_OFFLINE` is set or the hub cannot be reached.
mod cache;
mod hub;
mod quant;

use std::path::PathBuf;

use anyhow::{anyhow, Result};

pub use cache::{cache_root_from, HfCache};
pub use quant::{HfRef, PREFIX};

use super::download::{fetch_file, Download, Expected, Meter};
use super::http::{Http, HttpStatus};
use hub::{Hub, HubFile};
use quant::{find_best_model, shards_of};

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co/";

/// Where the hub is, who asks, where the cache is, whether to go online.
#[derive(Debug, Clone)]
pub struct HfSettings {
    /// With its trailing `/`.
    pub endpoint: String,
    pub token: Option<String>,
    pub cache: PathBuf,
    pub offline: bool,
}

impl HfSettings {
    pub fn from_env() -> HfSettings {
        HfSettings::from_vars(&|name| std::env::var(name).ok())
    }

    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> HfSettings {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut endpoint = set("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        if !endpoint.ends_with('/') {
            endpoint.push('/');
        }
        let offline = set("HF_HUB_OFFLINE")
            .is_some_and(|v| ["1", "on", "yes", "true"].contains(&v.to_ascii_lowercase().as_str()));
        HfSettings {
            endpoint,
            token: set("HF_TOKEN"),
            cache: cache_root_from(var),
            offline,
        }
    }
}

/// The local path of the model `reference` names, downloaded if need be.
/// `note` hears why a cached copy was used.
pub fn resolve(
    http: &Http,
    settings: &HfSettings,
    reference: &HfRef,
    meter: &dyn Meter,
    note: &mut dyn FnMut(String),
) -> Result<PathBuf> {
    let cache = HfCache {
        root: settings.cache.clone(),
    };
    if settings.offline {
        return from_cache(&cache, reference).ok_or_else(|| {
            anyhow!(
                "{reference}: not in the Hugging Face cache {} (HF_HUB_OFFLINE is set)",
                cache.root.display()
            )
        })?;
    }
    let hub = Hub {
        http,
        endpoint: settings.endpoint.clone(),
        token: settings.token.clone(),
    };
    let listing = hub
        .main_commit(&reference.repo)
        .and_then(|commit| Ok((hub.files(&reference.repo, &commit)?, commit)));
    match listing {
        Ok((files, commit)) => download(&hub, &cache, reference, &files, &commit, meter),
        // The repository or the token is wrong: the cache would hide it.
        Err(e) if is_client_error(&e) => {
            let hint = client_error_hint(&e);
            Err(e.context(format!("{reference}: {hint}")))
        }
        Err(e) => match from_cache(&cache, reference) {
            Some(Ok(path)) => {
                note(format!(
                    "{reference}: the hub did not answer ({e:#}); using the cached copy"
                ));
                Ok(path)
            }
            Some(Err(cached)) => {
                Err(cached.context(format!("{reference}: the hub did not answer ({e:#})")))
            }
            None => Err(anyhow!(
                "{reference}: the hub did not answer ({e:#}) and nothing is cached in {}",
                cache.root.display()
            )),
        },
    }
}

fn download(
    hub: &Hub,
    cache: &HfCache,
    reference: &HfRef,
    files: &[HubFile],
    commit: &str,
    meter: &dyn Meter,
) -> Result<PathBuf> {
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let primary = find_best_model(&paths, &reference.tag)
        .ok_or_else(|| no_model(reference, &paths, "repository"))?;
    let repo = &reference.repo;
    for shard in shards_of(&paths, primary) {
        let file = files
            .iter()
            .find(|f| f.path == shard)
            .expect("a listed path");
        if cache.snapshot(repo, commit, shard).is_file() {
            continue;
        }
        let mut headers = Vec::new();
        if let Some(token) = &hub.token {
            headers.push(("Authorization", format!("Bearer {token}")));
        }
        let request = Download {
            url: &hub.resolve_url(repo, commit, shard),
            headers,
            expected: Expected {
                sha256: file.sha256(),
                size: file.size,
            },
            label: shard,
        };
        fetch_file(hub.http, &request, &cache.blob(repo, &file.oid), meter)?;
        cache.link(repo, commit, shard, &file.oid)?;
    }
    cache.write_ref(repo, commit)?;
    Ok(cache.snapshot(repo, commit, primary))
}

/// The cached model for `reference`: None when nothing of the repository is
/// cached, an error when the cached snapshot lacks the quant or a shard.
fn from_cache(cache: &HfCache, reference: &HfRef) -> Option<Result<PathBuf>> {
    let (commit, files) = cache.cached_files(&reference.repo)?;
    let paths: Vec<&str> = files.iter().map(String::as_str).collect();
    let Some(primary) = find_best_model(&paths, &reference.tag) else {
        return Some(Err(no_model(reference, &paths, "cached copy")));
    };
    let shards = shards_of(&paths, primary);
    let missing = shards
        .iter()
        .find(|s| !cache.snapshot(&reference.repo, &commit, s).is_file());
    if let Some(shard) = missing {
        return Some(Err(anyhow!("{reference}: the cached copy lacks {shard}")));
    }
    Some(Ok(cache.snapshot(&reference.repo, &commit, primary)))
}

fn no_model(reference: &HfRef, paths: &[&str], place: &str) -> anyhow::Error {
    let ggufs: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| p.ends_with(".gguf"))
        .collect();
    let quant = if reference.tag.is_empty() {
        "a model"
    } else {
        reference.tag.as_str()
    };
    anyhow!(
        "{reference}: no GGUF file for {quant} in the {place} (GGUF files: {})",
        if ggufs.is_empty() {
            "none".to_string()
        } else {
            ggufs.join(", ")
        }
    )
}

fn is_client_error(e: &anyhow::Error) -> bool {
    e.downcast_ref::<HttpStatus>()
        .is_some_and(|s| (400..500).contains(&s.status))
}

fn client_error_hint(e: &anyhow::Error) -> &'static str {
    match e.downcast_ref::<HttpStatus>().map(|s| s.status) {
        Some(401 | 403) => "access refused: a gated or private repository needs HF_TOKEN",
        Some(404) => "no such repository on the hub",
        _ => "the hub refused the request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::standin::{sha256, StandIn};

    struct Quiet;
    impl Meter for Quiet {
        fn start(&self, _: &str, _: u64, _: Option<u64>) {}
        fn advance(&self, _: u64) {}
        fn finish(&self) {}
    }

    const COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn settings(endpoint: &str, cache: &std::path::Path, offline: bool) -> HfSettings {
        HfSettings {
            endpoint: format!("{endpoint}/"),
            token: None,
            cache: cache.to_path_buf(),
            offline,
        }
    }

    fn resolve_quietly(s: &HfSettings, reference: &str) -> (Result<PathBuf>, Vec<String>) {
        let reference = HfRef::parse(reference).unwrap().unwrap();
        let mut notes = Vec::new();
        let result = resolve(&Http::new(), s, &reference, &Quiet, &mut |n| notes.push(n));
        (result, notes)
    }

    #[test]
    fn online_then_offline_then_unreachable() {
        let server = StandIn::start();
        let q4 = b"GGUF q4".to_vec();
        server.hub_repo(
            "o/r-GGUF",
            COMMIT,
            &[
                ("r-Q8_0.gguf", b"GGUF q8".to_vec()),
                ("r-Q4_K_M.gguf", q4.clone()),
            ],
        );
        let cache = tempfile::tempdir().unwrap();
        let (path, _) = resolve_quietly(
            &settings(&server.base, cache.path(), false),
            "hf:o/r-GGUF:Q4_K_M",
        );
        let path = path.unwrap();
        let snapshot = cache
            .path()
            .join("models--o--r-GGUF/snapshots")
            .join(COMMIT)
            .join("r-Q4_K_M.gguf");
        assert_eq!(path, snapshot);
        assert_eq!(std::fs::read(&path).unwrap(), q4);
        assert!(cache
            .path()
            .join("models--o--r-GGUF/blobs")
            .join(sha256(&q4))
            .is_file());
        // Offline: no request at all.
        server.forget_seen();
        let (offline, notes) = resolve_quietly(
            &settings(&server.base, cache.path(), true),
            "hf:o/r-GGUF:q4_k_m",
        );
        assert_eq!(offline.unwrap(), snapshot);
        assert!(server.seen().is_empty() && notes.is_empty());
        // Nothing listens on port 9 of loopback (discard is not served here).
        let (fallback, notes) = resolve_quietly(
            &settings("http://127.0.0.1:9", cache.path(), false),
            "hf:o/r-GGUF",
        );
        assert_eq!(fallback.unwrap(), snapshot);
        assert!(notes[0].contains("using the cached copy"), "{notes:?}");
        let (missing, _) = resolve_quietly(
            &settings(&server.base, cache.path(), true),
            "hf:o/r-GGUF:Q8_0",
        );
        let e = format!("{:#}", missing.unwrap_err());
        assert!(
            e.contains("no GGUF file for Q8_0 in the cached copy (GGUF files: r-Q4_K_M.gguf)"),
            "{e}"
        );
    }

    #[test]
    fn nothing_cached_offline_is_one_line() {
        let cache = tempfile::tempdir().unwrap();
        let (result, _) = resolve_quietly(
            &settings("http://127.0.0.1:9", cache.path(), true),
            "hf:o/r",
        );
        let e = format!("{:#}", result.unwrap_err());
        assert!(
            e.starts_with("hf:o/r: not in the Hugging Face cache")
                && e.ends_with("(HF_HUB_OFFLINE is set)"),
            "{e}"
        );
    }

    #[test]
    fn settings_read_the_hub_variables() {
        let vars = |pairs: Vec<(&'static str, &'static str)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = HfSettings::from_vars(&vars(vec![("HOME", "/h")]));
        assert_eq!(s.endpoint, DEFAULT_ENDPOINT);
        assert!(!s.offline && s.token.is_none());
        let s = HfSettings::from_vars(&vars(vec![
            ("HF_ENDPOINT", "http://127.0.0.1:9"),
            ("HF_TOKEN", "hf_x"),
            ("HF_HUB_OFFLINE", "1"),
            ("HF_HUB_CACHE", "/c"),
        ]));
        assert_eq!(s.endpoint, "http://127.0.0.1:9/");
        assert_eq!(s.token.as_deref(), Some("hf_x"));
        assert!(s.offline);
        assert_eq!(s.cache, PathBuf::from("/c"));
    }
}
