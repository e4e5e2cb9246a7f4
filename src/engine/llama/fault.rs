//! Test-only native faults: a crash inside ggml itself, so the tests can check
//! that a real native crash is reported with its frame.

/// "segv": a null tensor into ggml_nbytes, which reads it; "abort": ggml_abort.
/// Anything else does nothing.
pub fn native_fault(kind: &str) {
    // SAFETY: none; faulting is the point. Reached only when a test asks for it.
    unsafe {
        match kind {
            "segv" => {
                std::hint::black_box(llama_cpp_sys_2::ggml_nbytes(std::hint::black_box(
                    std::ptr::null(),
                )));
            }
            "abort" => llama_cpp_sys_2::ggml_abort(
                c"edgebench-test".as_ptr(),
                1,
                c"deliberate abort for a test".as_ptr(),
            ),
            _ => {}
        }
    }
}
