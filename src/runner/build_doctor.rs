//! `edgebench doctor`'s llama.cpp part: which CPU kernels this build has, which
//! the CPU offers, and the flags they were compiled with.
use crate::results::manifest::{BuildInfo, CpuPaths};

pub fn print_llama_build() {
    let build = BuildInfo::current();
    let probe = super::plan::probe_engine();
    let paths = CpuPaths::detect(&probe.system_info);
    let yes_no = |b: bool| if b { "yes" } else { "no " };
    println!("llama.cpp build ({}):", probe.llama_cpp_sys_version);
    println!(
        "  compiled for this CPU (GGML_NATIVE): {}",
        yes_no(build.ggml_native).trim()
    );
    println!("  ggml-cpu flags: {}", build.llama_cpu_flags);
    println!("  system_info: {}", probe.system_info);
    println!("  {} CPU has AMX", yes_no(paths.cpu_has_amx));
    println!("  {} AMX kernels compiled", yes_no(paths.amx_compiled));
    println!(
        "  {} weight repacking compiled (CPU_REPACK)",
        yes_no(paths.repack_compiled)
    );
    if paths.cpu_has_amx && !paths.amx_compiled {
        println!("  note: AMX is left out on purpose (it faults on some cloud Xeons); docs/build.md says how to opt in");
    }
}
