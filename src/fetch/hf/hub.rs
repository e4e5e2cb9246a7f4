//! The hub's API, the two calls llama.cpp makes: the commit of `main`
//! (`api/models/REPO/refs`) and its files (`api/models/REPO/tree/COMMIT?recursive=true`).
use anyhow::{bail, Result};
use serde_json::Value;

use super::cache::is_commit;
use crate::fetch::http::Http;
use crate::fetch::registry::is_sha256;

/// A file of a repository at a commit.
#[derive(Debug, Clone, PartialEq)]
pub struct HubFile {
    pub path: String,
    /// The LFS sha256 (64 hex) or the git blob id (40 hex): the blob's name.
    pub oid: String,
    pub size: Option<u64>,
}

impl HubFile {
    /// An LFS file's oid is its content's sha256, checked after download.
    pub fn sha256(&self) -> Option<String> {
        is_sha256(&self.oid).then(|| self.oid.clone())
    }
}

pub struct Hub<'a> {
    pub http: &'a Http,
    /// With its trailing `/`.
    pub endpoint: String,
    pub token: Option<String>,
}

impl Hub<'_> {
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("Accept", "application/json".to_string())];
        if let Some(token) = &self.token {
            headers.push(("Authorization", format!("Bearer {token}")));
        }
        headers
    }

    /// The commit `main` points at (another branch's when there is no main).
    pub fn main_commit(&self, repo: &str) -> Result<String> {
        let url = format!("{}api/models/{repo}/refs", self.endpoint);
        let json = self.http.get_json(&url, &self.headers())?;
        let branches = json["branches"].as_array().cloned().unwrap_or_default();
        let named = |b: &Value| {
            Some((
                b["name"].as_str()?.to_string(),
                b["targetCommit"].as_str()?.to_string(),
            ))
        };
        let valid: Vec<(String, String)> = branches
            .iter()
            .filter_map(named)
            .filter(|(_, c)| is_commit(c))
            .collect();
        let main = valid
            .iter()
            .find(|(name, _)| name == "main")
            .or(valid.first());
        match main {
            Some((_, commit)) => Ok(commit.clone()),
            None => bail!("{url}: no branch with a commit"),
        }
    }

    pub fn files(&self, repo: &str, commit: &str) -> Result<Vec<HubFile>> {
        let url = format!(
            "{}api/models/{repo}/tree/{commit}?recursive=true",
            self.endpoint
        );
        let json = self.http.get_json(&url, &self.headers())?;
        let Some(items) = json.as_array() else {
            bail!("{url}: not a list of files");
        };
        Ok(items.iter().filter_map(hub_file).collect())
    }

    pub fn resolve_url(&self, repo: &str, commit: &str, path: &str) -> String {
        format!("{}{repo}/resolve/{commit}/{path}", self.endpoint)
    }
}

/// A file entry whose path stays inside the snapshot and whose oid can name a blob.
fn hub_file(item: &Value) -> Option<HubFile> {
    if item["type"].as_str() != Some("file") {
        return None;
    }
    let path = item["path"].as_str()?;
    let safe = !path.starts_with('/')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    let lfs = &item["lfs"];
    let oid = lfs["oid"].as_str().or(item["oid"].as_str())?;
    let hex = oid.bytes().all(|b| b.is_ascii_hexdigit());
    if !safe || !hex || !(oid.len() == 40 || oid.len() == 64) {
        return None;
    }
    Some(HubFile {
        path: path.to_string(),
        oid: oid.to_ascii_lowercase(),
        size: lfs["size"].as_u64().or(item["size"].as_u64()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_entries_give_path_lfs_oid_and_size() {
        let sha = "c".repeat(64);
        let lfs = serde_json::json!({"type": "file", "path": "m-Q4_K_M.gguf", "oid": "a".repeat(40), "size": 9,
            "lfs": {"oid": sha, "size": 1000}});
        let f = hub_file(&lfs).unwrap();
        assert_eq!(
            (f.path.as_str(), f.oid.as_str(), f.size),
            ("m-Q4_K_M.gguf", sha.as_str(), Some(1000))
        );
        assert_eq!(f.sha256(), Some(sha));
        let git = serde_json::json!({"type": "file", "path": "README.md", "oid": "a".repeat(40), "size": 9});
        assert_eq!(hub_file(&git).unwrap().sha256(), None);
    }

    #[test]
    fn entries_that_could_leave_the_snapshot_are_dropped() {
        for path in ["../x.gguf", "/etc/x.gguf", "a//b.gguf", "a/./b.gguf"] {
            let item = serde_json::json!({"type": "file", "path": path, "oid": "a".repeat(40)});
            assert_eq!(hub_file(&item), None, "{path}");
        }
        let bad_oid = serde_json::json!({"type": "file", "path": "x.gguf", "oid": "../../x"});
        assert_eq!(hub_file(&bad_oid), None);
        let dir = serde_json::json!({"type": "directory", "path": "d", "oid": "a".repeat(40)});
        assert_eq!(hub_file(&dir), None);
    }
}
