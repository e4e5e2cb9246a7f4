//! `edgebench doctor`'s llama.cpp part: how the backends came in (native or
//! portable, which libraries, which CPU variant and why), which CPU kernels
//! this build has, which the CPU offers, and the flags they were compiled with.
use crate::results::manifest::{BackendLoading, BuildInfo, CpuPaths};

pub fn print_llama_build() {
    let build = BuildInfo::current();
    let probe = match super::plan::try_probe_engine() {
        Ok(probe) => probe,
        Err(why) => {
            println!("llama.cpp build: could not be loaded: {why}");
            return;
        }
    };
    let paths = CpuPaths::detect(&probe.system_info);
    let yes_no = |b: bool| if b { "yes" } else { "no " };
    println!(
        "llama.cpp build ({}): {}",
        probe.llama_cpp_sys_version, probe.backends.build_kind
    );
    print_backends(&probe.backends);
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

fn print_backends(loading: &BackendLoading) {
    println!("  backends registered: {}", loading.registered.join(", "));
    if loading.build_kind != "portable" {
        println!("  backends linked into the binary, compiled for the build machine's CPU");
        return;
    }
    println!(
        "  backend libraries beside the binary: {}",
        loading.libraries.join(", ")
    );
    let chosen = loading.cpu_variant.as_deref().unwrap_or("none");
    let score = loading
        .cpu_variant_scores
        .iter()
        .find(|s| Some(s.variant.as_str()) == loading.cpu_variant.as_deref())
        .and_then(|s| s.score);
    match score {
        Some(score) => println!(
            "  CPU variant: {chosen} (ggml score {score}, the highest here: a variant scores 0 when \
             this CPU lacks an instruction set it was compiled for, more the more it uses)"
        ),
        None => println!("  CPU variant: {chosen}"),
    }
    let scores: Vec<String> = loading
        .cpu_variant_scores
        .iter()
        .map(|s| match (&s.score, &s.error) {
            (Some(score), _) => format!("{} {score}", s.variant),
            (None, Some(error)) => format!("{} (not loadable: {error})", s.variant),
            (None, None) => format!("{} ?", s.variant),
        })
        .collect();
    println!("  CPU variant scores: {}", scores.join(", "));
    for why in &loading.not_loaded {
        println!("  not loaded: {why}");
    }
}
