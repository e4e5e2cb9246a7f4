//! The Hugging Face cache, laid out as huggingface_hub and llama.cpp lay it
//! out, so each sees what the other fetched:
//! `models--ORG--REPO/{blobs/OID, refs/main, snapshots/COMMIT/PATH -> ../../blobs/OID}`.
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::results::write_atomic;

pub struct HfCache {
    pub root: PathBuf,
}

/// `$HF_HUB_CACHE`, `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`.
pub fn cache_root_from(var: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("HF_HUB_CACHE").or_else(|| set("HUGGINGFACE_HUB_CACHE")) {
        return dir;
    }
    if let Some(home) = set("HF_HOME") {
        return home.join("hub");
    }
    let cache =
        set("XDG_CACHE_HOME").unwrap_or_else(|| set("HOME").unwrap_or_default().join(".cache"));
    cache.join("huggingface").join("hub")
}

impl HfCache {
    pub fn repo_dir(&self, repo: &str) -> PathBuf {
        self.root
            .join(format!("models--{}", repo.replace('/', "--")))
    }

    pub fn blob(&self, repo: &str, oid: &str) -> PathBuf {
        self.repo_dir(repo).join("blobs").join(oid)
    }

    pub fn snapshot(&self, repo: &str, commit: &str, path: &str) -> PathBuf {
        self.repo_dir(repo)
            .join("snapshots")
            .join(commit)
            .join(path)
    }

    /// The commit `refs/main` names (else any ref's), if it is a commit id.
    pub fn cached_commit(&self, repo: &str) -> Option<String> {
        let refs = self.repo_dir(repo).join("refs");
        let read = |p: &Path| {
            let text = std::fs::read_to_string(p).ok()?;
            Some(text.trim().to_string()).filter(|c| is_commit(c))
        };
        if let Some(commit) = read(&refs.join("main")) {
            return Some(commit);
        }
        let entries = std::fs::read_dir(&refs).ok()?;
        entries.flatten().find_map(|e| read(&e.path()))
    }

    pub fn write_ref(&self, repo: &str, commit: &str) -> Result<()> {
        let refs = self.repo_dir(repo).join("refs");
        std::fs::create_dir_all(&refs)
            .with_context(|| format!("cannot create {}", refs.display()))?;
        write_atomic(&refs.join("main"), |f| {
            Ok(std::io::Write::write_all(f, commit.as_bytes())?)
        })
    }

    /// The files of the cached snapshot (relative paths), with its commit.
    pub fn cached_files(&self, repo: &str) -> Option<(String, Vec<String>)> {
        let commit = self.cached_commit(repo)?;
        let root = self.repo_dir(repo).join("snapshots").join(&commit);
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        files.sort();
        Some((commit, files))
    }

    /// Points `snapshots/COMMIT/PATH` at the blob (a relative link, as
    /// huggingface_hub makes; the blob moved there where links fail).
    pub fn link(&self, repo: &str, commit: &str, path: &str, oid: &str) -> Result<PathBuf> {
        let snapshot = self.snapshot(repo, commit, path);
        let dir = snapshot.parent().expect("a snapshot path has a parent");
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let depth = path.matches('/').count() + 2;
        let target = PathBuf::from("../".repeat(depth)).join("blobs").join(oid);
        let _ = std::fs::remove_file(&snapshot);
        #[cfg(unix)]
        if std::os::unix::fs::symlink(&target, &snapshot).is_ok() {
            return Ok(snapshot);
        }
        std::fs::rename(self.blob(repo, oid), &snapshot)
            .with_context(|| format!("cannot place {}", snapshot.display()))?;
        Ok(snapshot)
    }
}

/// Regular files and links under `dir`, relative to `root`, `/`-separated.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(root, &path, out),
            Ok(_) if path.is_file() => {
                if let Ok(rel) = path.strip_prefix(root) {
                    let parts: Vec<String> = rel
                        .iter()
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect();
                    out.push(parts.join("/"));
                }
            }
            _ => {}
        }
    }
}

pub fn is_commit(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_cache_root_follows_huggingface_hub() {
        let root = |pairs: &[(&str, &str)]| cache_root_from(&env(pairs));
        assert_eq!(
            root(&[("HF_HUB_CACHE", "/c"), ("HF_HOME", "/h")]),
            Path::new("/c")
        );
        assert_eq!(
            root(&[("HF_HOME", "/h"), ("HOME", "/home/u")]),
            Path::new("/h/hub")
        );
        assert_eq!(
            root(&[("XDG_CACHE_HOME", "/x")]),
            Path::new("/x/huggingface/hub")
        );
        assert_eq!(
            root(&[("HOME", "/home/u")]),
            Path::new("/home/u/.cache/huggingface/hub")
        );
    }

    #[test]
    fn a_linked_blob_is_found_again_through_refs_and_snapshots() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = HfCache {
            root: tmp.path().to_path_buf(),
        };
        let (repo, commit, oid) = ("org/repo", "a".repeat(40), "b".repeat(64));
        assert_eq!(cache.cached_files(repo), None);
        let blob = cache.blob(repo, &oid);
        std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
        std::fs::write(&blob, b"GGUF").unwrap();
        let linked = cache
            .link(repo, &commit, "sub/m-Q4_K_M.gguf", &oid)
            .unwrap();
        cache.write_ref(repo, &commit).unwrap();
        assert_eq!(std::fs::read(&linked).unwrap(), b"GGUF");
        let expected = tmp
            .path()
            .join("models--org--repo/snapshots")
            .join(&commit)
            .join("sub/m-Q4_K_M.gguf");
        assert_eq!(linked, expected);
        let target = std::fs::read_link(&linked).unwrap();
        assert_eq!(target, Path::new("../../../blobs").join(&oid));
        assert_eq!(
            cache.cached_files(repo),
            Some((commit, vec!["sub/m-Q4_K_M.gguf".to_string()]))
        );
    }

    #[test]
    fn a_ref_that_is_no_commit_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = HfCache {
            root: tmp.path().to_path_buf(),
        };
        let refs = cache.repo_dir("o/r").join("refs");
        std::fs::create_dir_all(&refs).unwrap();
        std::fs::write(refs.join("main"), "../../etc").unwrap();
        assert_eq!(cache.cached_commit("o/r"), None);
    }
}
