//! A Hugging Face reference as llama.cpp writes it (`-hf ORG/REPO[:QUANT]`) and
//! the GGUF file of a repository it names, chosen as llama.cpp's
//! `common_download_get_hf_plan` chooses (common/download.cpp).
use crate::error::UsageError;

/// `hf:ORG/REPO[:QUANT]`.
#[derive(Debug, Clone, PartialEq)]
pub struct HfRef {
    pub repo: String,
    /// The quant tag (`Q4_K_M`); empty: Q4_K_M, else Q8_0, else the first model file.
    pub tag: String,
}

pub const PREFIX: &str = "hf:";

impl HfRef {
    /// None when `text` is no `hf:` reference.
    pub fn parse(text: &str) -> Option<Result<HfRef, UsageError>> {
        let rest = text.strip_prefix(PREFIX)?;
        let (repo, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) => (repo, tag),
            None => (rest, ""),
        };
        if !is_valid_repo_id(repo) {
            return Some(Err(UsageError::new(format!(
                "`{text}`: expected hf:ORG/REPO[:QUANT], e.g. hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF:Q4_K_M"
            ))));
        }
        if !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Some(Err(UsageError::new(format!(
                "`{text}`: the quant tag `{tag}` may hold only letters, digits and `_`"
            ))));
        }
        Some(Ok(HfRef {
            repo: repo.to_string(),
            tag: tag.to_string(),
        }))
    }
}

impl std::fmt::Display for HfRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tag.as_str() {
            "" => write!(f, "{PREFIX}{}", self.repo),
            tag => write!(f, "{PREFIX}{}:{tag}", self.repo),
        }
    }
}

/// llama.cpp's rule (hf-cache.cpp): `[A-Za-z0-9_]` runs joined by single
/// `/`, `.` or `-`, exactly one `/`; so no `..`, no absolute path.
pub fn is_valid_repo_id(repo: &str) -> bool {
    if repo.is_empty() || repo.len() > 256 || repo.matches('/').count() != 1 {
        return false;
    }
    let mut after_special = true;
    for c in repo.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            after_special = false;
        } else if "/.-".contains(c) && !after_special {
            after_special = true;
        } else {
            return false;
        }
    }
    !after_special
}

/// The model file for `tag` among a repository's paths: the first that holds
/// `TAG.` or `TAG-` (any case), the first shard of a split model.
pub fn find_best_model<'a>(paths: &[&'a str], tag: &str) -> Option<&'a str> {
    let tags: Vec<&str> = if tag.is_empty() {
        vec!["Q4_K_M", "Q8_0"]
    } else {
        vec![tag]
    };
    let candidate = |p: &&str| is_model_file(p) && split_info(p).is_none_or(|s| s.index == 1);
    for t in tags {
        let upper = t.to_ascii_uppercase();
        let (dot, dash) = (format!("{upper}."), format!("{upper}-"));
        let tagged = |p: &&str| {
            let path = p.to_ascii_uppercase();
            path.contains(&dot) || path.contains(&dash)
        };
        if let Some(p) = paths.iter().find(|p| candidate(p) && tagged(p)) {
            return Some(p);
        }
    }
    // Only without a tag: any model at all.
    if tag.is_empty() {
        return paths.iter().find(|p| candidate(p)).copied();
    }
    None
}

/// Every shard of the model `primary` belongs to (itself when not split), in order.
pub fn shards_of<'a>(paths: &[&'a str], primary: &'a str) -> Vec<&'a str> {
    let Some(split) = split_info(primary) else {
        return vec![primary];
    };
    let mut shards: Vec<(u32, &str)> = paths
        .iter()
        .filter_map(|p| {
            split_info(p)
                .filter(|s| s.prefix == split.prefix && s.count == split.count)
                .map(|s| (s.index, *p))
        })
        .collect();
    shards.sort();
    shards.into_iter().map(|(_, p)| p).collect()
}

/// A GGUF that is a model, not a projector, an importance matrix or a draft head.
pub fn is_model_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.ends_with(".gguf")
        && !["mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"]
            .iter()
            .any(|s| name.contains(s))
}

struct Split<'a> {
    prefix: &'a str,
    index: u32,
    count: u32,
}

/// `name-00001-of-00003.gguf`.
fn split_info(path: &str) -> Option<Split<'_>> {
    let stem = path.strip_suffix(".gguf")?;
    let (rest, count) = stem.rsplit_once("-of-")?;
    let (prefix, index) = rest.rsplit_once('-')?;
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(index) || !digits(count) {
        return None;
    }
    let count: u32 = count.parse().ok()?;
    (count > 1).then_some(Split {
        prefix,
        index: index.parse().ok()?,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPO: &[&str] = &[
        "README.md",
        "qwen2.5-coder-0.5b-instruct-fp16.gguf",
        "qwen2.5-coder-0.5b-instruct-q8_0.gguf",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "qwen2.5-coder-0.5b-instruct-q4_k_s.gguf",
        "mmproj-q4_k_m.gguf",
    ];

    #[test]
    fn references_parse_as_llama_cpp_writes_them() {
        let r = HfRef::parse("hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF:Q4_K_M")
            .unwrap()
            .unwrap();
        assert_eq!(r.repo, "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF");
        assert_eq!(r.tag, "Q4_K_M");
        assert_eq!(
            r.to_string(),
            "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF:Q4_K_M"
        );
        let bare = HfRef::parse("hf:org/repo").unwrap().unwrap();
        assert_eq!(bare.tag, "");
        assert!(HfRef::parse("models/x.gguf").is_none());
        for bad in [
            "hf:repo",
            "hf:a/b/c",
            "hf:../x",
            "hf:org/..:Q4",
            "hf:org/r:Q4/x",
            "hf:/r",
        ] {
            assert!(HfRef::parse(bad).unwrap().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_quant_tag_picks_the_file_in_any_case() {
        assert_eq!(
            find_best_model(REPO, "Q4_K_M"),
            Some("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        );
        assert_eq!(
            find_best_model(REPO, "q8_0"),
            Some("qwen2.5-coder-0.5b-instruct-q8_0.gguf")
        );
        assert_eq!(
            find_best_model(REPO, "Q4_K_S"),
            Some("qwen2.5-coder-0.5b-instruct-q4_k_s.gguf")
        );
        assert_eq!(find_best_model(REPO, "IQ2_XS"), None);
    }

    #[test]
    fn no_tag_means_q4_k_m_then_q8_0_then_the_first_model() {
        assert_eq!(
            find_best_model(REPO, ""),
            Some("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        );
        let no_q4 = &REPO[..3];
        assert_eq!(
            find_best_model(no_q4, ""),
            Some("qwen2.5-coder-0.5b-instruct-q8_0.gguf")
        );
        let only_f16 = &REPO[..2];
        assert_eq!(
            find_best_model(only_f16, ""),
            Some("qwen2.5-coder-0.5b-instruct-fp16.gguf")
        );
        assert_eq!(find_best_model(&["mmproj-f16.gguf"], ""), None);
    }

    #[test]
    fn a_split_model_starts_at_its_first_shard_and_brings_all() {
        let paths = [
            "Q8_0/big-Q8_0-00002-of-00002.gguf",
            "Q8_0/big-Q8_0-00001-of-00002.gguf",
            "big-Q4_K_M.gguf",
        ];
        let first = find_best_model(&paths, "Q8_0").unwrap();
        assert_eq!(first, "Q8_0/big-Q8_0-00001-of-00002.gguf");
        assert_eq!(
            shards_of(&paths, first),
            [
                "Q8_0/big-Q8_0-00001-of-00002.gguf",
                "Q8_0/big-Q8_0-00002-of-00002.gguf"
            ]
        );
        assert_eq!(shards_of(&paths, "big-Q4_K_M.gguf"), ["big-Q4_K_M.gguf"]);
    }
}
