//! Records how this binary was built, so every manifest.json can say which
//! build produced its numbers (flags change llama.cpp speed by 20% or more).
use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let commit = match (commit.is_empty(), dirty) {
        (true, _) => "unknown".to_string(),
        (false, true) => format!("{commit}-dirty"),
        (false, false) => commit,
    };
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .replace('\u{1f}', " ");
    let profile = std::env::var("PROFILE").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    let features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(|f| f.to_lowercase()))
        .collect();
    println!("cargo:rustc-env=EDGEBENCH_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=EDGEBENCH_RUSTFLAGS={rustflags}");
    println!("cargo:rustc-env=EDGEBENCH_PROFILE={profile}");
    println!("cargo:rustc-env=EDGEBENCH_TARGET={target}");
    println!("cargo:rustc-env=EDGEBENCH_FEATURES={}", features.join(","));
    // The flags llama.cpp's CPU backend was really compiled with (-march=native,
    // -mno-amx-*), read from llama-cpp-sys-2's CMake build: the manifest and
    // `edgebench doctor` show them, so a run says which kernels it could use.
    let cpu_flags = if std::env::var_os("CARGO_FEATURE_PORTABLE").is_some() {
        // One build per CPU variant, chosen at run time (manifest: llama_cpp.backends).
        "per CPU variant (portable build)".to_string()
    } else {
        llama_cpu_flags().unwrap_or_else(|| "unknown".into())
    };
    if std::env::var_os("CARGO_FEATURE_PORTABLE").is_some() {
        // The portable package keeps libllama/libggml beside the binary
        // (scripts/package.sh). DT_RPATH, not RUNPATH: it also serves the
        // libraries' own dependencies.
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN,--disable-new-dtags");
    }
    println!("cargo:rustc-env=EDGEBENCH_LLAMA_CPU_FLAGS={cpu_flags}");
    println!("cargo:rerun-if-env-changed=DEP_LLAMA_GGML_CMAKE_DIR");
    println!("cargo:rerun-if-env-changed=CFLAGS_x86_64_unknown_linux_gnu");
    println!("cargo:rerun-if-env-changed=CXXFLAGS_x86_64_unknown_linux_gnu");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
}

/// `CXX_FLAGS` of ggml-cpu's compile, from the CMake build beside the ggml
/// package that llama-cpp-sys-2 announces (DEP_LLAMA_GGML_CMAKE_DIR = OUT/lib/cmake).
fn llama_cpu_flags() -> Option<String> {
    let cmake_dir = std::path::PathBuf::from(std::env::var("DEP_LLAMA_GGML_CMAKE_DIR").ok()?);
    let out_dir = cmake_dir.parent()?.parent()?;
    let flags = out_dir.join("build/ggml/src/CMakeFiles/ggml-cpu.dir/flags.make");
    println!("cargo:rerun-if-changed={}", flags.display());
    let text = std::fs::read_to_string(flags).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("CXX_FLAGS = "))?;
    Some(line.split_whitespace().collect::<Vec<_>>().join(" "))
}
