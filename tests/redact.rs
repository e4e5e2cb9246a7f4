//! `run --redact`: no file of the run directory names this host, the home
//! directory or the models' directory. Runs SmolLM2 once with the quick settings.
mod common;
use std::path::{Path, PathBuf};

use common::*;
use polars::prelude::*;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => found.extend(files(&path)),
            false => found.push(path),
        }
    }
    found
}

/// `word` in `text` not as part of a longer name (a short host name such as
/// `vm` is inside many words).
fn has_word(text: &str, word: &str) -> bool {
    let inside = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
    text.match_indices(word).any(|(at, _)| {
        !inside(text[..at].chars().next_back()) && !inside(text[at + word.len()..].chars().next())
    })
}

/// Every string cell of a Parquet file (its bytes are compressed).
fn parquet_strings(path: &Path) -> Vec<String> {
    let frame = read_parquet(path);
    let mut cells = Vec::new();
    for column in frame.get_column_names() {
        if frame.column(column).unwrap().dtype() == &DataType::String {
            cells.extend(strings(&frame, column).into_iter().flatten());
        }
    }
    cells
}

#[test]
fn a_redacted_run_names_neither_host_nor_home_nor_model_directory() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let model = smollm();
    let o = quick_run(&[&model], out.path(), &["--redact"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = run_dir(&o);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let home = std::env::var("HOME").unwrap();
    let model_dir = model.parent().unwrap().to_str().unwrap().to_string();
    let all = files(&dir);
    assert!(
        all.iter().any(|f| f.starts_with(dir.join("logs"))),
        "{all:?}"
    );
    assert!(all.iter().any(|f| f.ends_with("report.html")), "{all:?}");
    for file in &all {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for path in [&home, &model_dir] {
            assert!(
                !text.contains(path.as_str()),
                "{} names {path}",
                file.display()
            );
        }
        let cells = match file.extension().and_then(|e| e.to_str()) {
            Some("parquet") => parquet_strings(file),
            Some("png") => Vec::new(),
            _ => vec![text.into_owned()],
        };
        for cell in cells {
            assert!(!has_word(&cell, host.trim()), "{}: {cell}", file.display());
            assert!(
                !cell.contains(&home) && !cell.contains(&model_dir),
                "{cell}"
            );
        }
    }
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["redacted"], true);
    assert_eq!(manifest["host"]["hostname"], "redacted");
    let speed = read_parquet(&dir.join("speed.parquet"));
    let file_name = model.file_name().unwrap().to_str().unwrap();
    assert_eq!(strings(&speed, "model_file")[0].as_deref(), Some(file_name));
}
