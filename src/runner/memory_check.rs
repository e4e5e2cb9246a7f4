//! Refuse a context that cannot fit before llama.cpp tries: with Linux memory
//! overcommit a huge KV cache is "allocated" fine and the process is killed
//! later, far from the cause. One clear line beats an OOM kill.
use std::path::Path;

use crate::config::Configuration;
use crate::gguf::read_gguf_info;

const GIB: f64 = (1u64 << 30) as f64;

/// `n_ctx`: the largest context the unit makes (the user path's, or an
/// engine test's depth + prompt + generation).
pub fn check_fits(path: &Path, config: &Configuration, n_ctx: u32) -> Result<(), String> {
    // With layers on a discrete GPU, the KV cache lives there: llama.cpp reports that
    // itself. On a Jetson GPU memory is system RAM, so the check below still holds.
    let unified = Path::new("/etc/nv_tegra_release").exists();
    if cfg!(feature = "cuda") && config.n_gpu_layers > 0 && !unified {
        return Ok(());
    }
    let Some((mut weights_bytes, mut kv_bytes)) = needs(path, config, n_ctx)? else {
        return Ok(());
    };
    // A draft model is loaded beside the target, with a context of the same size.
    let draft = config.speculative.as_ref().and_then(|s| s.draft_model());
    if let Some(draft) = draft {
        let Some((w, kv)) = needs(draft, config, n_ctx)? else {
            return Ok(());
        };
        weights_bytes = weights_bytes.saturating_add(w);
        kv_bytes = kv_bytes.saturating_add(kv);
    }
    let with_draft = match draft {
        Some(_) => ", the draft model's included",
        None => "",
    };
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    let available = system.available_memory();
    let needed = kv_bytes.saturating_add(weights_bytes);
    if available == 0 || needed <= available {
        return Ok(());
    }
    let gib = |bytes: u64| bytes as f64 / GIB;
    // A smaller context cannot help a model whose weights alone do not fit.
    if weights_bytes > available {
        return Err(format!(
            "{}: out of memory: the weights alone need {:.1} GiB{with_draft} but only {:.1} GiB of memory is available; this model cannot run on this machine",
            path.display(),
            gib(weights_bytes),
            gib(available)
        ));
    }
    Err(format!(
        "{}: a context of {n_ctx} tokens needs about {:.1} GiB (weights {:.1} GiB + KV cache {:.1} GiB{with_draft}) but only {:.1} GiB of memory is available; use a smaller {}",
        path.display(),
        gib(needed),
        gib(weights_bytes),
        gib(kv_bytes),
        gib(available),
        match n_ctx > config.n_ctx {
            true => "--pp, --tg, --pg or --depth",
            false => "--ctx",
        }
    ))
}

/// A model's weights and its KV cache at `n_ctx`, in bytes (None: not known
/// for this architecture).
fn needs(path: &Path, config: &Configuration, n_ctx: u32) -> Result<Option<(u64, u64)>, String> {
    let info = read_gguf_info(path).map_err(|e| e.to_string())?;
    Ok(crate::fit::weights_and_kv(
        &info,
        u64::from(n_ctx),
        (config.cache_type_k, config.cache_type_v),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FlashAttn, KvCacheType, DEFAULT_UBATCH};
    use crate::gguf::{write_gguf, GgmlType, GgufHeader, TensorData, TensorInfo};

    fn config(n_ctx: u32) -> Configuration {
        Configuration {
            n_threads: 2,
            n_gpu_layers: 0,
            n_batch: 512,
            flash_attn: FlashAttn::Auto,
            n_ctx,
            n_ubatch: DEFAULT_UBATCH,
            cache_type_k: KvCacheType::F16,
            cache_type_v: KvCacheType::F16,
            use_mmap: false,
            power_mode: None,
            jetson_clocks: None,
            speculative: None,
        }
    }

    /// A sparse model with `weights` bytes of F32 (no disk used) and a KV cache
    /// of 2 x 4 layers x 256 x 2 bytes per token.
    fn model(dir: &Path, weights: u64) -> std::path::PathBuf {
        let mut h = GgufHeader::default();
        h.put_str("general.architecture", "llama");
        h.put_u32("llama.block_count", 4);
        h.put_u32("llama.embedding_length", 256);
        h.put_u32("llama.attention.head_count", 4);
        let rows = weights / (4 * 1024);
        let w = TensorInfo {
            name: "w".into(),
            dims: vec![1024, rows],
            ggml_type: GgmlType::F32,
        };
        h.add_tensor(w).unwrap();
        let path = dir.join(format!("m-{weights}.gguf"));
        write_gguf(&path, &h, TensorData::SparseZeros).unwrap();
        path
    }

    #[test]
    fn weights_larger_than_memory_are_out_of_memory_not_a_context_problem() {
        let dir = tempfile::tempdir().unwrap();
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        let total = system.total_memory();
        let big = model(dir.path(), total + (1 << 30));
        let err = check_fits(&big, &config(512), 512).unwrap_err();
        assert!(
            err.contains("out of memory: the weights alone need"),
            "{err}"
        );
        assert!(
            err.contains("cannot run on this machine") && !err.contains("--ctx"),
            "{err}"
        );
        // Small weights with a KV cache larger than memory: the context is the problem.
        let small = model(dir.path(), 1 << 20);
        let per_token = 2 * 4 * 256 * 2;
        let n_ctx = u32::try_from(total / per_token + 1).unwrap_or(u32::MAX);
        let err = check_fits(&small, &config(n_ctx), n_ctx).unwrap_err();
        assert!(err.contains("use a smaller --ctx"), "{err}");
        assert_eq!(check_fits(&small, &config(512), 512), Ok(()));
    }

    #[test]
    fn a_draft_model_counts_against_memory_with_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        let total = system.total_memory();
        let target = model(dir.path(), 1 << 20);
        let draft = model(dir.path(), total + (1 << 30));
        let mut with_draft = config(512);
        assert_eq!(check_fits(&target, &with_draft, 512), Ok(()));
        with_draft.speculative = Some(crate::results::plan::Speculation {
            method: crate::results::plan::SpecMethod::Draft { model: draft },
            draft_max: 4,
            draft_min: 0,
        });
        let err = check_fits(&target, &with_draft, 512).unwrap_err();
        assert!(
            err.contains("the weights alone need") && err.contains("the draft model's included"),
            "{err}"
        );
    }
}
