//! Where llama.cpp's backends come from. The native build (the default) links
//! them into the binary, compiled for the build machine's CPU. The portable
//! build (`--features portable`, `scripts/package.sh`) loads them at start from
//! the binary's own directory: ggml scores every CPU variant
//! (`libggml-cpu-<variant>.so`) for this CPU and loads the best, and any GPU
//! backend placed there (`libggml-cuda.so`) is loaded beside it.
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::results::manifest::{BackendLoading, VariantScore};

/// "native" or "portable": how this binary gets llama.cpp's backends.
pub const BUILD_KIND: &str = if cfg!(feature = "portable") {
    "portable"
} else {
    "native"
};

const CPU_PREFIX: &str = "libggml-cpu-";

/// Loads the backends beside the binary, once per process; nothing to do in a
/// native build. Fails with one line when the CPU backend cannot be loaded.
pub fn load_runtime_backends() -> Result<()> {
    #[cfg(feature = "portable")]
    {
        static LOADED: std::sync::OnceLock<std::result::Result<(), String>> =
            std::sync::OnceLock::new();
        LOADED
            .get_or_init(load_from_binary_dir)
            .clone()
            .map_err(anyhow::Error::msg)
    }
    #[cfg(not(feature = "portable"))]
    Ok(())
}

#[cfg(feature = "portable")]
fn load_from_binary_dir() -> std::result::Result<(), String> {
    let dir = binary_dir().ok_or("portable build: cannot find its own directory")?;
    if !backend_libraries(&dir).iter().any(|l| is_cpu_library(l)) {
        return Err(format!(
            "portable build: no CPU backend (libggml-cpu-*.so) in {}: unpack the whole package \
             (scripts/package.sh) and run the edgebench beside its libraries",
            dir.display()
        ));
    }
    llama_cpp_2::llama_backend::load_backends_from_path(&dir);
    if !registered_backends().iter().any(|b| b == "CPU") {
        return Err(format!(
            "portable build: none of the CPU variants in {} runs on this CPU (all scored 0)",
            dir.display()
        ));
    }
    Ok(())
}

/// What the manifest and `doctor` say about the backends of this process
/// (after [`load_runtime_backends`]).
pub fn backend_loading() -> BackendLoading {
    let mut loading = BackendLoading {
        build_kind: BUILD_KIND.to_string(),
        registered: registered_backends(),
        ..BackendLoading::default()
    };
    if BUILD_KIND == "portable" {
        if let Some(dir) = binary_dir() {
            loading.cpu_variant = loaded_cpu_variant();
            loading.libraries = backend_libraries(&dir);
            loading.cpu_variant_scores = variant_scores(&dir, &loading.libraries);
            loading.not_loaded = not_loaded(&dir, &loading.libraries, &loading.registered);
        }
    }
    loading
}

fn binary_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()?
        .canonicalize()
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

/// ggml backend modules in `dir` (`libggml-<name>.so`, `libggml-cpu-<variant>.so`),
/// sorted. ggml's own libraries (libggml.so, libggml-base.so) are not backends.
pub fn backend_libraries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("libggml-") && n.ends_with(".so"))
        .filter(|n| n != "libggml-base.so")
        .collect();
    names.sort();
    names
}

fn is_cpu_library(name: &str) -> bool {
    name.starts_with(CPU_PREFIX) || name == "libggml-cpu.so"
}

/// `zen4` from `libggml-cpu-zen4.so`.
fn variant_name(library: &str) -> Option<&str> {
    library.strip_prefix(CPU_PREFIX)?.strip_suffix(".so")
}

/// Non-CPU backend libraries (`libggml-cuda.so`...) whose backend did not
/// register, each with the loader's reason (a missing CUDA runtime...).
fn not_loaded(dir: &Path, libraries: &[String], registered: &[String]) -> Vec<String> {
    libraries
        .iter()
        .filter(|lib| !is_cpu_library(lib))
        .filter(|lib| {
            let name = lib.trim_start_matches("libggml-").trim_end_matches(".so");
            !registered.iter().any(|r| r.eq_ignore_ascii_case(name))
        })
        .map(|lib| match open_error(&dir.join(lib)) {
            Some(error) => format!("{lib}: {error}"),
            None => format!("{lib}: loads, but registered no backend (no device?)"),
        })
        .collect()
}

/// Why `path` cannot be loaded, or None when it can.
fn open_error(path: &Path) -> Option<String> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: dlopen/dlclose with a valid C string.
    unsafe {
        let handle = libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            return Some(last_dl_error());
        }
        libc::dlclose(handle);
    }
    None
}

/// Each CPU variant's score by ggml's own function (`ggml_backend_score` in the
/// library: 0 when the CPU lacks a feature the variant was compiled for, else
/// higher for more features), best first. ggml loads the highest.
pub fn variant_scores(dir: &Path, libraries: &[String]) -> Vec<VariantScore> {
    let mut scores: Vec<VariantScore> = libraries
        .iter()
        .filter_map(|lib| {
            let variant = variant_name(lib)?.to_string();
            Some(match library_score(&dir.join(lib)) {
                Ok(score) => VariantScore {
                    variant,
                    score: Some(score),
                    error: None,
                },
                Err(error) => VariantScore {
                    variant,
                    score: None,
                    error: Some(error),
                },
            })
        })
        .collect();
    scores.sort_by_key(|s| std::cmp::Reverse(s.score.unwrap_or(-1)));
    scores
}

/// Calls `ggml_backend_score` of one backend library, as ggml's loader does.
fn library_score(path: &Path) -> std::result::Result<i32, String> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: dlopen/dlsym/dlclose with valid C strings; the symbol is ggml's
    // `int ggml_backend_score(void)` (GGML_BACKEND_DL_SCORE_IMPL), which only reads cpuid.
    unsafe {
        let handle = libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            return Err(last_dl_error());
        }
        let symbol = libc::dlsym(handle, c"ggml_backend_score".as_ptr());
        let result = if symbol.is_null() {
            Err("no ggml_backend_score in the library".to_string())
        } else {
            let score: extern "C" fn() -> libc::c_int = std::mem::transmute(symbol);
            Ok(score())
        };
        libc::dlclose(handle);
        result
    }
}

fn last_dl_error() -> String {
    // SAFETY: dlerror returns null or a C string valid until the next dl* call.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        "dlopen failed".to_string()
    } else {
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    }
}

/// The CPU variant this process has mapped (the one ggml loaded), from /proc/self/maps.
fn loaded_cpu_variant() -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|l| l.rsplit('/').next())
        .find_map(variant_name)
        .map(str::to_string)
}

/// Names of the backends registered with ggml (`CPU`, `CUDA`...).
fn registered_backends() -> Vec<String> {
    // SAFETY: ggml's registry getters; names are static C strings owned by ggml.
    unsafe {
        (0..llama_cpp_sys_2::ggml_backend_reg_count())
            .map(|i| {
                let reg = llama_cpp_sys_2::ggml_backend_reg_get(i);
                CStr::from_ptr(llama_cpp_sys_2::ggml_backend_reg_name(reg))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared library exporting `ggml_backend_score` returning `score`, built with cc.
    fn fake_backend(dir: &Path, name: &str, score: i32) {
        let source = dir.join(format!("{name}.c"));
        std::fs::write(
            &source,
            format!("int ggml_backend_score(void) {{ return {score}; }}\n"),
        )
        .unwrap();
        let status = std::process::Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(dir.join(name))
            .arg(&source)
            .status()
            .expect("a C compiler (cc) builds the fake backend");
        assert!(status.success());
    }

    #[test]
    fn backend_libraries_lists_ggml_modules_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "libggml-cpu-zen4.so",
            "libggml-cuda.so",
            "libggml-base.so",
            "libggml.so.0",
            "libllama.so",
            "README",
            "libggml-cpu-haswell.so",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(
            backend_libraries(dir.path()),
            [
                "libggml-cpu-haswell.so",
                "libggml-cpu-zen4.so",
                "libggml-cuda.so"
            ]
        );
        assert!(backend_libraries(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn variant_scores_come_from_each_library_best_first() {
        let dir = tempfile::tempdir().unwrap();
        fake_backend(dir.path(), "libggml-cpu-haswell.so", 63);
        fake_backend(dir.path(), "libggml-cpu-zen4.so", 1984);
        fake_backend(dir.path(), "libggml-cpu-sapphirerapids.so", 0);
        std::fs::write(dir.path().join("libggml-cpu-broken.so"), "not an ELF file").unwrap();
        fake_backend(dir.path(), "libggml-cuda.so", 5);
        let libraries = backend_libraries(dir.path());
        let scores = variant_scores(dir.path(), &libraries);
        let summary: Vec<(&str, Option<i32>)> = scores
            .iter()
            .map(|s| (s.variant.as_str(), s.score))
            .collect();
        assert_eq!(
            summary,
            [
                ("zen4", Some(1984)),
                ("haswell", Some(63)),
                ("sapphirerapids", Some(0)),
                ("broken", None)
            ]
        );
        let broken = scores.iter().find(|s| s.variant == "broken").unwrap();
        assert!(broken
            .error
            .as_deref()
            .unwrap()
            .contains("libggml-cpu-broken.so"));
    }

    #[test]
    fn a_gpu_library_that_did_not_register_says_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("libggml-cuda.so"), "not an ELF file").unwrap();
        fake_backend(dir.path(), "libggml-vulkan.so", 1);
        fake_backend(dir.path(), "libggml-cpu-zen4.so", 1);
        let libraries = backend_libraries(dir.path());
        let registered = ["CPU".to_string()];
        let why = not_loaded(dir.path(), &libraries, &registered);
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(why[0].starts_with("libggml-cuda.so: ") && why[0].contains("libggml-cuda.so"));
        assert_eq!(
            why[1],
            "libggml-vulkan.so: loads, but registered no backend (no device?)"
        );
        let registered = ["CPU".to_string(), "CUDA".to_string(), "Vulkan".to_string()];
        assert!(not_loaded(dir.path(), &libraries, &registered).is_empty());
    }

    #[test]
    #[cfg(not(feature = "portable"))]
    fn a_native_build_reports_no_libraries_and_its_linked_cpu_backend() {
        load_runtime_backends().unwrap();
        let loading = backend_loading();
        assert_eq!(loading.build_kind, "native");
        assert!(loading.libraries.is_empty() && loading.cpu_variant.is_none());
        assert!(loading.registered.iter().any(|b| b == "CPU"), "{loading:?}");
    }
}
