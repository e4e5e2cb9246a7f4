//! `doctor` says how llama.cpp's backends came in: linked into a native build,
//! or loaded at start from the binary's directory in a portable one (whose
//! package is checked by scripts/package-check.sh, outside CI).
mod common;
use common::*;

#[test]
#[cfg(not(feature = "portable"))]
fn doctor_names_a_native_build_and_its_linked_cpu_backend() {
    let o = edgebench().arg("doctor").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("llama.cpp build (llama-cpp-sys-2 0.1.161): native\n"),
        "{text}"
    );
    assert!(text.contains("  backends registered: CPU"), "{text}");
    assert!(text.contains("backends linked into the binary"), "{text}");
    assert!(!text.contains("CPU variant"), "{text}");
}

/// A portable binary run where cargo left it has no backend libraries beside
/// it: `doctor` says so in one line instead of listing nothing.
#[test]
#[cfg(feature = "portable")]
fn doctor_of_a_portable_binary_without_its_libraries_says_what_is_missing() {
    let o = edgebench().arg("doctor").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("llama.cpp build: could not be loaded: portable build: no CPU backend (libggml-cpu-*.so) in "),
        "{text}"
    );
}
