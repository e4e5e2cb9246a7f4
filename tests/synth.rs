//! `edgebench synth` end to end: synthetic models of both architectures and
//! every weight type load in llama.cpp and run through the speed suite, their
//! rows marked synthetic; one larger than this machine's memory is one clear
//! failure row while the sweep goes on.
mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A tiny model of `arch` and `weight_type` with SmolLM2's tokenizer.
fn synth(dir: &Path, name: &str, arch: &str, weight_type: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let o = edgebench()
        .args(["synth", "--arch", arch, "--type", weight_type])
        .args(["--layers", "2", "--embd", "256", "--ff", "512"])
        .args(["--heads", "4", "--kv-heads", "2"])
        .arg("--tokenizer-from")
        .arg(smollm())
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "synth failed:\n{}", stderr(&o));
    assert!(stdout(&o).contains("synthetic"), "{}", stdout(&o));
    out
}

#[test]
fn synthetic_models_run_through_the_speed_suite_marked_synthetic() {
    let dir = tempfile::tempdir().unwrap();
    let models = [
        synth(dir.path(), "llama-q8_0.gguf", "llama", "q8_0", &[]),
        synth(dir.path(), "qwen2-q4_k.gguf", "qwen2", "q4_k", &[]),
        synth(dir.path(), "llama-f16.gguf", "llama", "f16", &[]),
        synth(dir.path(), "qwen2-q4_0.gguf", "qwen2", "q4_0", &[]),
    ];
    let _lock = one_at_a_time();
    let out = dir.path().join("results");
    let refs: Vec<&Path> = models.iter().map(PathBuf::as_path).collect();
    // The real SmolLM2 beside them: its rows must say it is not synthetic.
    let smol = smollm();
    let mut all = refs.clone();
    all.push(&smol);
    let o = quick_run(&all, &out, &["--suite", "engine-only"]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let run = run_dir(&o);
    let speed = read_parquet(&run.join("speed.parquet"));
    let candidates = strings(&speed, "candidate");
    let synthetic = strings(&speed, "synthetic");
    let status = strings(&speed, "status");
    let (pp, tg) = (floats(&speed, "pp_tps"), floats(&speed, "tg_tps"));
    for name in ["llama-q8_0", "qwen2-q4_k", "llama-f16", "qwen2-q4_0", "SmolLM2-135M-Instruct-Q4_1"] {
        let rows: Vec<usize> = (0..speed.height())
            .filter(|&i| candidates[i].as_deref() == Some(name))
            .collect();
        assert_eq!(rows.len(), 2, "{name}: pp32 and tg8");
        for &i in &rows {
            assert_eq!(status[i].as_deref(), Some("ok"), "{name}");
            let tps = pp[i].or(tg[i]).unwrap_or(0.0);
            assert!(tps > 0.0, "{name}: {tps}");
            let expected = if name.starts_with("SmolLM2") { "false" } else { "true" };
            assert_eq!(synthetic[i].as_deref(), Some(expected), "{name}");
        }
    }
    let summary = read_parquet(&run.join("summary.parquet"));
    assert!(strings(&summary, "synthetic").iter().any(|s| s.as_deref() == Some("true")));
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    assert_eq!(manifest.matches("\"synthetic\": true").count(), 4, "{manifest}");
}

#[test]
fn a_synthetic_model_larger_than_memory_is_one_failure_row_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    // F16 blocks of width 4096 and ff 11008: 354 MB per layer; enough layers to
    // outweigh all the memory there is (so whatever else runs, it cannot fit).
    let per_layer = 2 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 11008u64);
    let layers = (system.total_memory() + (1 << 30)) / per_layer + 1;
    let big = synth(
        dir.path(),
        "big.gguf",
        "llama",
        "f16",
        &["--sparse", "--layers", &layers.to_string(), "--embd", "4096", "--ff", "11008", "--heads", "32", "--kv-heads", "8"],
    );
    let size = std::fs::metadata(&big).unwrap().len();
    assert!(size > system.total_memory(), "{size}");
    // Sparse: the file takes (almost) no disk.
    use std::os::unix::fs::MetadataExt;
    assert!(std::fs::metadata(&big).unwrap().blocks() * 512 < 64 << 20);
    let small = synth(dir.path(), "small.gguf", "llama", "q8_0", &[]);
    let _lock = one_at_a_time();
    let out = dir.path().join("results");
    let o = quick_run(&[&big, &small], &out, &["--suite", "engine-only", "--mmap", "0"]);
    assert_eq!(o.status.code(), Some(1), "some candidate failed:\n{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let candidates = strings(&speed, "candidate");
    let (status, error) = (strings(&speed, "status"), strings(&speed, "error"));
    let big_rows: Vec<usize> = (0..speed.height()).filter(|&i| candidates[i].as_deref() == Some("big")).collect();
    assert_eq!(big_rows.len(), 1, "one failure row");
    let i = big_rows[0];
    assert_eq!(status[i].as_deref(), Some("load_failed"));
    let reason = error[i].clone().unwrap_or_default();
    assert!(reason.contains("out of memory: the weights alone need"), "{reason}");
    assert!(strings(&speed, "synthetic")[i].as_deref() == Some("true"));
    let small_ok = (0..speed.height())
        .filter(|&i| candidates[i].as_deref() == Some("small") && status[i].as_deref() == Some("ok"))
        .count();
    assert_eq!(small_ok, 2, "the small model still ran pp and tg");
    drop(dir); // the sparse file goes with it
}
