//! Refuse a context that cannot fit before llama.cpp tries: with Linux memory
//! overcommit a huge KV cache is "allocated" fine and the process is killed
//! later, far from the cause. One clear line beats an OOM kill.
use std::path::Path;

use crate::config::Configuration;
use crate::gguf::read_gguf_info;

const GIB: f64 = (1u64 << 30) as f64;

pub fn check_fits(path: &Path, config: &Configuration) -> Result<(), String> {
    let info = read_gguf_info(path).map_err(|e| e.to_string())?;
    // With layers on a discrete GPU, the KV cache lives there: llama.cpp reports that
    // itself. On a Jetson GPU memory is system RAM, so the check below still holds.
    let unified = Path::new("/etc/nv_tegra_release").exists();
    if cfg!(feature = "cuda") && config.n_gpu_layers > 0 && !unified {
        return Ok(());
    }
    let Some((weights_bytes, kv_bytes)) = crate::fit::weights_and_kv(
        &info,
        config.n_ctx as u64,
        (config.cache_type_k, config.cache_type_v),
    ) else {
        return Ok(());
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
            "{}: out of memory: the weights alone need {:.1} GiB but only {:.1} GiB of memory is available; this model cannot run on this machine",
            path.display(),
            gib(weights_bytes),
            gib(available)
        ));
    }
    Err(format!(
        "{}: a context of {} tokens needs about {:.1} GiB (weights {:.1} GiB + KV cache {:.1} GiB) but only {:.1} GiB of memory is available; use a smaller --ctx",
        path.display(),
        config.n_ctx,
        gib(needed),
        gib(weights_bytes),
        gib(kv_bytes),
        gib(available)
    ))
}
