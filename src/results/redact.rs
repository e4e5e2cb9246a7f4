//! `--redact`: the host name and the user's paths kept out of what a run
//! writes (manifest, rows, logs, report), for result files that are uploaded
//! as CI artifacts. Absolute model paths become `~/...` under the home
//! directory, else the file name alone; the home directory anywhere becomes
//! `~`; the host name becomes `redacted`.
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// What a redacted host name reads.
pub const REDACTED: &str = "redacted";

/// What stands for the directory of a model outside the home directory.
const MODEL_DIR: &str = "[model dir]";

/// Text replacements, longest first so a model's full path wins over its directory.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    pairs: Vec<(String, String)>,
}

impl Redaction {
    /// For these model files (as given) and host names, and this user's home.
    pub fn new(models: &[&str], hosts: &[&str]) -> Redaction {
        let home = home_dir();
        let mut pairs = Vec::new();
        for model in models.iter().map(Path::new).filter(|p| p.is_absolute()) {
            pairs.push((show(model), redacted_path(model, home.as_deref())));
            let dir = model.parent().filter(|d| d.parent().is_some());
            if let Some(dir) = dir.filter(|d| home.as_deref().is_none_or(|h| !d.starts_with(h))) {
                pairs.push((show(dir), MODEL_DIR.to_string()));
            }
        }
        if let Some(home) = &home {
            pairs.push((show(home), "~".into()));
        }
        let this_host = sysinfo::System::host_name();
        for host in hosts.iter().copied().chain(this_host.as_deref()) {
            pairs.push((host.to_string(), REDACTED.into()));
        }
        pairs.retain(|(needle, _)| !needle.is_empty());
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        pairs.dedup_by(|a, b| a.0 == b.0);
        Redaction { pairs }
    }

    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (needle, replacement) in &self.pairs {
            text = replace_bounded(&text, needle, replacement);
        }
        text
    }

    /// Every string in a JSON tree (object keys are field names, left alone).
    pub fn json(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.json(v)),
            _ => {}
        }
    }

    /// A copy of `item` with every string redacted.
    pub fn value<T: Serialize + DeserializeOwned>(&self, item: &T) -> Result<T> {
        let mut value = serde_json::to_value(item)?;
        self.json(&mut value);
        Ok(serde_json::from_value(value)?)
    }
}

/// `~/rel` back to a path in this user's home (a redacted run resumed).
pub fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// `~/rel` under the home directory, else the file name alone.
fn redacted_path(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rel) => show(&Path::new("~").join(rel)),
        None => path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    }
}

/// $HOME when it is a real directory path (not `/`, which would match every path).
fn home_dir() -> Option<PathBuf> {
    let home = PathBuf::from(std::env::var_os("HOME")?);
    (home.is_absolute() && home.parent().is_some()).then_some(home)
}

pub(super) fn show(path: &Path) -> String {
    path.display().to_string()
}

/// Replaces `needle` where it is not part of a longer name or path: `/home/ann`
/// in `/home/ann/x` but not in `/home/anna`, host `vm` but not in `kvm`.
fn replace_bounded(text: &str, needle: &str, replacement: &str) -> String {
    let inside = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let (mut out, mut copied, mut from) = (String::with_capacity(text.len()), 0, 0);
    while let Some(found) = text[from..].find(needle) {
        let (at, end) = (from + found, from + found + needle.len());
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(|c| inside(c) || c == '.' || c == '/') && !after.is_some_and(inside)
        {
            out.push_str(&text[copied..at]);
            out.push_str(replacement);
            copied = end;
        }
        from = end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_replaced_only_whole() {
        assert_eq!(replace_bounded("kvm vm vm.lan", "vm", "x"), "kvm x x.lan");
        assert_eq!(
            replace_bounded("/home/ann/m /home/anna /x/home/ann", "/home/ann", "~"),
            "~/m /home/anna /x/home/ann"
        );
    }

    #[test]
    fn model_paths_become_file_names_or_home_relative() {
        let home = Path::new("/home/ann");
        let inside = redacted_path(Path::new("/home/ann/m/a.gguf"), Some(home));
        assert_eq!(inside, "~/m/a.gguf");
        let outside = redacted_path(Path::new("/data/m/a.gguf"), Some(home));
        assert_eq!(outside, "a.gguf");
        let r = Redaction::new(&["/data/m/a.gguf"], &["builder-7"]);
        let line = "loaded /data/m/a.gguf from /data/m on builder-7";
        assert_eq!(r.text(line), "loaded a.gguf from [model dir] on redacted");
    }
}
