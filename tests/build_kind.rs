//! `doctor` says how llama.cpp's backends came in: linked into a native build,
//! or loaded at start from the binary's directory in a portable one. A portable
//! binary cannot start from cargo's target directory (its libraries are there
//! under other names), so the portable side is checked from its package by
//! scripts/package-check.sh, outside CI.
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
