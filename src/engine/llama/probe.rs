//! What llama.cpp was built with and which devices it sees, for the manifest.
use anyhow::Result;
use llama_cpp_2::llama_backend::LlamaBackend;

use crate::engine::{DeviceInfo, EngineProbe};

/// llama.cpp's build and devices, for the manifest. Runs in its own process
/// (`edgebench __probe`) so a GPU context never lives in the sweep's parent.
pub fn probe() -> Result<EngineProbe> {
    super::backends::load_runtime_backends()?;
    let backend = LlamaBackend::init()?;
    let system_info = unsafe {
        let ptr = llama_cpp_sys_2::llama_print_system_info();
        if ptr.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(ptr)
                .to_string_lossy()
                .trim()
                .to_string()
        }
    };
    let devices = llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .map(|d| DeviceInfo {
            name: d.name,
            description: d.description,
            backend: d.backend,
            kind: format!("{:?}", d.device_type),
            memory_total_bytes: d.memory_total as u64,
        })
        .collect();
    Ok(EngineProbe {
        llama_cpp_sys_version: LLAMA_CPP_SYS_VERSION.to_string(),
        system_info,
        supports_gpu_offload: backend.supports_gpu_offload(),
        devices,
        backends: super::backends::backend_loading(),
    })
}

/// The pinned binding crate that carries llama.cpp's sources (see Cargo.lock).
pub const LLAMA_CPP_SYS_VERSION: &str = "llama-cpp-sys-2 0.1.161";
