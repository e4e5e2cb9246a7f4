//! `edgebench import bfcl`: the Berkeley Function Calling Leaderboard's single-turn
//! categories (BFCL v4, from the bfcl-eval wheel) as one quality suite, each case
//! scored by the `bfcl` check as bfcl-eval scores it. The data is never committed:
//! scripts/setup.sh fetches the pinned wheel, this reads it.
pub mod pinned;
mod read;
mod sample;
mod write;

use std::path::{Path, PathBuf};

pub use sample::DEFAULT_SEED;
pub use write::PROMPT_FORMAT;

use crate::error::UsageError;
use read::{entries, read_file, BfclEntry, ReadFile};
use write::{suite_toml, SuiteHeader};

/// What to import.
pub struct ImportRequest {
    /// The unpacked wheel (or a directory of BFCL_v4_*.json files).
    pub from: PathBuf,
    /// BFCL category names; empty: all single-turn ones.
    pub categories: Vec<String>,
    /// At most this many entries per category.
    pub sample: Option<usize>,
    pub seed: u64,
    /// Skip the version and sha256 checks (BFCL-format files of one's own).
    pub any_version: bool,
    pub name: String,
}

/// The suite file's text, and per category (name, cases imported, entries in the file).
pub struct Imported {
    pub toml: String,
    pub counts: Vec<(String, usize, usize)>,
}

pub fn import(request: &ImportRequest) -> Result<Imported, UsageError> {
    let usage = |message: String| UsageError::new(message);
    let categories = chosen_categories(&request.categories)?;
    let data = data_dir(&request.from)?;
    if !request.any_version {
        check_version(&request.from).map_err(usage)?;
    }
    let mut all = Vec::new();
    let mut counts = Vec::new();
    let mut files = Vec::new();
    for category in &categories {
        let (found, read) = read_category(&data, category, request.any_version).map_err(usage)?;
        let in_file = found.len();
        let kept = sample::sample(found, request.sample, request.seed);
        counts.push((category.to_string(), kept.len(), in_file));
        all.extend(kept);
        files.extend(read);
    }
    let header = header(request, &counts, &files);
    let toml = suite_toml(&header, &all).map_err(usage)?;
    Ok(Imported { toml, counts })
}

fn chosen_categories(asked: &[String]) -> Result<Vec<&'static str>, UsageError> {
    if asked.is_empty() {
        return Ok(pinned::names());
    }
    asked
        .iter()
        .map(|name| {
            pinned::find(name).map(|c| c.name).ok_or_else(|| {
                UsageError::new(format!(
                    "unknown BFCL category `{name}` (single-turn categories: {})",
                    pinned::names().join(", ")
                ))
            })
        })
        .collect()
}

/// The directory holding BFCL_v4_*.json: the wheel's bfcl_eval/data, or `from` itself.
fn data_dir(from: &Path) -> Result<PathBuf, UsageError> {
    let candidates = [from.join("bfcl_eval").join("data"), from.to_path_buf()];
    candidates
        .into_iter()
        .find(|dir| dir.join("BFCL_v4_simple_python.json").is_file() || has_bfcl_files(dir))
        .ok_or_else(|| {
            UsageError::new(format!(
                "BFCL data not found in {}: run scripts/setup.sh (it fetches {} {}) or pass --from DIR",
                from.display(),
                pinned::PACKAGE,
                pinned::VERSION
            ))
        })
}

fn has_bfcl_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("BFCL_v4_"))
    })
}

/// The wheel's METADATA must name the pinned version.
fn check_version(from: &Path) -> Result<(), String> {
    let metadata = from
        .join(format!("bfcl_eval-{}.dist-info", pinned::VERSION))
        .join("METADATA");
    let text = std::fs::read_to_string(&metadata).map_err(|_| {
        format!(
            "{}: not found, so the data is not {} {} (pass --any-version for BFCL-format files of your own)",
            metadata.display(),
            pinned::PACKAGE,
            pinned::VERSION
        )
    })?;
    let version = text.lines().find_map(|l| l.strip_prefix("Version: "));
    if version != Some(pinned::VERSION) {
        return Err(format!(
            "{}: version {} is not the pinned {}",
            metadata.display(),
            version.unwrap_or("(none)"),
            pinned::VERSION
        ));
    }
    Ok(())
}

fn read_category(
    data: &Path,
    category: &str,
    any_version: bool,
) -> Result<(Vec<BfclEntry>, Vec<ReadFile>), String> {
    let pin = pinned::find(category).ok_or_else(|| format!("unknown category {category}"))?;
    let file_name = format!("BFCL_v4_{category}.json");
    let questions = read_file(&data.join(&file_name))?;
    let answers = match pin.answers_sha256 {
        Some(_) => Some(read_file(&data.join("possible_answer").join(&file_name))?),
        None => None,
    };
    if !any_version {
        check_sha(&questions, pin.questions_sha256)?;
        if let (Some(file), Some(sha)) = (&answers, pin.answers_sha256) {
            check_sha(file, sha)?;
        }
    }
    let found = entries(category, &questions, answers.as_ref())?;
    Ok((
        found,
        [Some(questions), answers].into_iter().flatten().collect(),
    ))
}

fn check_sha(file: &ReadFile, pinned_sha: &str) -> Result<(), String> {
    if file.sha256 == pinned_sha {
        return Ok(());
    }
    Err(format!(
        "{}: sha256 {} is not {} {}'s ({}): the file is damaged or from another version; run scripts/setup.sh again",
        file.path.display(),
        file.sha256,
        pinned::PACKAGE,
        pinned::VERSION,
        pinned_sha
    ))
}

fn header(
    request: &ImportRequest,
    counts: &[(String, usize, usize)],
    files: &[ReadFile],
) -> SuiteHeader {
    let total: usize = counts.iter().map(|(_, n, _)| n).sum();
    let names: Vec<&str> = counts.iter().map(|(c, _, _)| c.as_str()).collect();
    let sampled = match request.sample {
        Some(n) => format!(", at most {n} per category (seed {})", request.seed),
        None => String::new(),
    };
    let origin = if request.any_version {
        format!(
            "BFCL-format files from {} (version not checked)",
            request.from.display()
        )
    } else {
        format!(
            "Berkeley Function Calling Leaderboard v4, PyPI {} {} (wheel sha256 {})",
            pinned::PACKAGE,
            pinned::VERSION,
            pinned::WHEEL_SHA256
        )
    };
    let file_list: Vec<String> = files
        .iter()
        .map(|f| {
            // The answers file has the questions file's name, one directory down.
            let parent = f.path.parent().and_then(|p| p.file_name());
            let answers = parent.is_some_and(|p| p == "possible_answer");
            let name = f.path.file_name().unwrap_or_default().to_string_lossy();
            let name = if answers {
                format!("possible_answer/{name}")
            } else {
                name.into()
            };
            format!("{name} {}", &f.sha256[..12])
        })
        .collect();
    SuiteHeader {
        name: request.name.clone(),
        description: format!(
            "BFCL v4 single-turn ({}): {total} cases{sampled}, scored as bfcl-eval's AST checker",
            names.join(", ")
        ),
        source: format!("{origin}; files: {}", file_list.join(", ")),
        licence: if request.any_version {
            "as the files' own".into()
        } else {
            pinned::LICENCE.into()
        },
    }
}

#[cfg(test)]
mod tests;
