//! Draft models before anything runs: a name becomes a file (a path as
//! given, `hf:ORG/REPO:QUANT` as `--model`, else a models.toml name fetched
//! into `models/`), and each draft must share its target's vocabulary.
use std::path::{Path, PathBuf};

use crate::config::Sweep;
use crate::error::UsageError;
use crate::fetch::registry::Registry;
use crate::gguf::read_raw_kvs;
use crate::results::ModelMeta;

/// Where `edgebench fetch` puts registry models by default.
const MODELS_DIR: &str = "models";

/// Every candidate's draft as a file on this machine.
pub(super) fn resolve_drafts(sweep: &mut Sweep) -> Result<(), UsageError> {
    for candidate in &mut sweep.candidates {
        if let Some(draft) = &candidate.draft {
            candidate.draft = Some(resolve_draft(draft, Path::new(MODELS_DIR))?);
        }
    }
    Ok(())
}

fn resolve_draft(draft: &Path, models_dir: &Path) -> Result<PathBuf, UsageError> {
    let text = draft.to_string_lossy();
    if draft.is_file() || text.starts_with(crate::fetch::hf::PREFIX) {
        return crate::fetch::resolve_model_arg(draft);
    }
    let registry = Registry::built_in()?;
    let Ok(model) = registry.find(&text) else {
        return Err(UsageError::new(format!(
            "draft model {text}: no such file, and no model of that name in models.toml"
        )));
    };
    let file = models_dir.join(&model.file);
    match file.is_file() {
        true => Ok(file),
        false => Err(UsageError::new(format!(
            "draft model {text}: {} is not there yet: run `edgebench fetch {}` first",
            file.display(),
            model.name
        ))),
    }
}

/// The tokenizer keys a draft must share with its target, as llama.cpp's
/// speculative example requires the same vocabulary.
const TOKENIZER_KEYS: [&str; 2] = ["tokenizer.ggml.model", "tokenizer.ggml.tokens"];

/// Each candidate's draft has the target's tokenizer (same type, same
/// tokens in the same order): a draft's token ids mean nothing otherwise.
/// A candidate whose own file is unusable (`--keep-going`) is left to its
/// load_failed row.
pub(super) fn check_draft_vocabularies(
    sweep: &Sweep,
    models: &[ModelMeta],
) -> Result<(), UsageError> {
    for (c, meta) in sweep.candidates.iter().zip(models) {
        if let (Some(draft), None) = (&c.draft, &meta.unusable) {
            check_pair(&c.path, draft)?;
        }
    }
    Ok(())
}

fn check_pair(target: &Path, draft: &Path) -> Result<(), UsageError> {
    let keep = |key: &str| TOKENIZER_KEYS.contains(&key);
    let read = |path: &Path| {
        read_raw_kvs(path, &keep)
            .map_err(|e| UsageError::new(format!("draft check: {}: {e}", path.display())))
    };
    let (t, d) = (read(target)?, read(draft)?);
    if t.len() < TOKENIZER_KEYS.len() || t != d {
        let n = |kvs: &[crate::gguf::RawKv]| {
            let tokens = kvs.iter().find(|kv| kv.key == TOKENIZER_KEYS[1]);
            tokens.and_then(|kv| kv.array_len).unwrap_or(0)
        };
        return Err(UsageError::new(format!(
            "draft model {} does not fit {}: their tokenizers differ ({} and {} tokens); a draft must share the target's vocabulary",
            draft.display(),
            target.display(),
            n(&d),
            n(&t)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{write_gguf, GgufHeader, TensorData};

    fn gguf(dir: &Path, name: &str, tokens: &[&str]) -> PathBuf {
        let mut header = GgufHeader::default();
        header.put_str("general.architecture", "llama");
        header.put_str("tokenizer.ggml.model", "gpt2");
        header.put_strings("tokenizer.ggml.tokens", tokens);
        let path = dir.join(name);
        write_gguf(&path, &header, TensorData::SparseZeros).unwrap();
        path
    }

    #[test]
    fn a_draft_with_another_vocabulary_is_refused_in_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let target = gguf(dir.path(), "t.gguf", &["a", "b", "c"]);
        let same = gguf(dir.path(), "d.gguf", &["a", "b", "c"]);
        let other = gguf(dir.path(), "o.gguf", &["a", "b", "x", "y"]);
        check_pair(&target, &same).unwrap();
        let e = check_pair(&target, &other).unwrap_err().to_string();
        assert!(e.contains("tokenizers differ (4 and 3 tokens)"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn a_draft_is_a_file_or_a_fetched_registry_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = gguf(dir.path(), "d.gguf", &["a"]);
        assert_eq!(resolve_draft(&file, dir.path()).unwrap(), file);
        let e = resolve_draft(Path::new("no-such-model"), dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such file, and no model of that name"), "{e}");
        let name = Path::new("qwen2.5-coder-0.5b-instruct-q4_k_m");
        let e = resolve_draft(name, dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("edgebench fetch qwen2.5-coder-0.5b-instruct-q4_k_m"),
            "{e}"
        );
        let fetched = dir.path().join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
        std::fs::write(&fetched, b"GGUF").unwrap();
        assert_eq!(resolve_draft(name, dir.path()).unwrap(), fetched);
    }
}
