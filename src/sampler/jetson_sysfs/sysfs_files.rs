//! Reading sysfs and procfs files that may be missing, empty or garbled: each
//! read gives None (or nothing) instead of an error, so a bad file only costs
//! its own reading.

use std::fs;
use std::path::{Path, PathBuf};

/// A file's text without surrounding whitespace or the NULs device-tree strings end in.
pub(super) fn read_text(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    Some(
        text.trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string(),
    )
}

/// A file holding one integer; None if missing, unreadable or not a number.
pub(super) fn read_i64(path: &Path) -> Option<i64> {
    read_text(path)?.parse().ok()
}

/// A directory's entries as (name, path), sorted by name; empty if unreadable.
pub(super) fn sorted_entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    out.sort();
    out
}
