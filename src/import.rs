//! `edgebench import llama-bench FILE.json`: llama-bench's JSON output as a run
//! directory, so teams can compare against the llama-bench tables they keep and
//! check that edgebench and llama-bench agree on one machine.
use std::path::Path;

use anyhow::Result;
use serde::Deserialize;

mod bfcl;

use crate::cli::ImportCommand;
use crate::error::{exit, UsageError};
use crate::results::{
    create_run_dir, summarize, with_depth, write_atomic, write_table, RowConfig, RowIdentity,
    SpeedRow, Status,
};

/// The fields of one llama-bench JSON test that edgebench uses.
#[derive(Debug, Deserialize)]
struct LlamaBenchTest {
    build_commit: Option<String>,
    cpu_info: Option<String>,
    gpu_info: Option<String>,
    backends: Option<String>,
    model_filename: String,
    model_type: Option<String>,
    model_size: Option<u64>,
    model_n_params: Option<u64>,
    n_batch: Option<u32>,
    n_ubatch: Option<u32>,
    n_threads: Option<u32>,
    n_gpu_layers: Option<i64>,
    flash_attn: Option<serde_json::Value>,
    type_k: Option<String>,
    type_v: Option<String>,
    use_mmap: Option<bool>,
    n_prompt: u32,
    n_gen: u32,
    #[serde(default)]
    n_depth: u32,
    test_time: Option<String>,
    samples_ns: Vec<f64>,
    samples_ts: Vec<f64>,
}

pub fn run(command: &ImportCommand) -> Result<i32> {
    match command {
        ImportCommand::LlamaBench { file, out } => import_llama_bench(file, out),
        ImportCommand::Bfcl(args) => bfcl::run(args),
    }
}

fn import_llama_bench(file: &Path, out: &Path) -> Result<i32> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", file.display())))?;
    let tests: Vec<LlamaBenchTest> = serde_json::from_str(&text).map_err(|e| {
        UsageError::new(format!(
            "{}: not llama-bench JSON output (`llama-bench -o json`): {e}",
            file.display()
        ))
    })?;
    if tests.is_empty() {
        return Err(UsageError::new(format!("{}: no tests in the file", file.display())).into());
    }
    let stem = file
        .file_stem()
        .map_or("llama-bench".into(), |s| s.to_string_lossy().into_owned());
    // Two imports in one second get `-2`: never one directory written twice.
    let base = format!(
        "llama-bench-{stem}-{}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    let (run_id, dir) = create_run_dir(out, &base)?;
    let rows = to_rows(&tests, &run_id)
        .map_err(|e| UsageError::new(format!("{}: {e}", file.display())))?;
    write_table(&dir, &rows)?;
    write_table(&dir, &summarize(&rows))?;
    write_manifest(&dir, &run_id, file, &tests[0])?;
    println!(
        "imported {} tests ({} repetitions) from {}",
        tests.len(),
        rows.len(),
        file.display()
    );
    println!("results: {}", dir.display());
    Ok(exit::OK)
}

/// One row per repetition, named and configured the way edgebench names its own
/// rows, so `compare` matches them with an edgebench run of the same model.
fn to_rows(tests: &[LlamaBenchTest], run_id: &str) -> Result<Vec<SpeedRow>, String> {
    let mut rows = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        // The context is n_depth + n_prompt + n_gen tokens, a u32 like every n_ctx.
        let n_ctx = (t.n_prompt.checked_add(t.n_gen))
            .and_then(|n| n.checked_add(t.n_depth))
            .ok_or_else(|| {
                format!(
                    "test {}: n_depth {} + n_prompt {} + n_gen {} is more than {} tokens",
                    i + 1,
                    t.n_depth,
                    t.n_prompt,
                    t.n_gen,
                    u32::MAX
                )
            })?;
        let candidate = Path::new(&t.model_filename)
            .file_stem()
            .map_or(t.model_filename.clone(), |s| {
                s.to_string_lossy().into_owned()
            });
        let test = if t.n_gen == 0 {
            format!("pp{}", t.n_prompt)
        } else if t.n_prompt == 0 {
            format!("tg{}", t.n_gen)
        } else {
            format!("pp{}+tg{}", t.n_prompt, t.n_gen)
        };
        let test = with_depth(&test, t.n_depth);
        let config = row_config(t, n_ctx, i)?;
        // Configurations that differ only in their memory axes stay apart.
        let axes = config
            .label()
            .split_once(" fa=")
            .map_or(String::new(), |(_, rest)| {
                rest.split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("-")
            });
        for (rep, (&ns, &ts)) in t.samples_ns.iter().zip(&t.samples_ts).enumerate() {
            let ms = ns / 1e6;
            rows.push(SpeedRow {
                id: RowIdentity {
                    run_id: run_id.to_string(),
                    unit_id: match axes.as_str() {
                        "" => format!("{candidate}-{}", t.n_threads.unwrap_or(0)),
                        axes => format!("{candidate}-{}-{axes}", t.n_threads.unwrap_or(0)),
                    },
                    candidate: candidate.clone(),
                    ..Default::default()
                },
                model_file: t.model_filename.clone(),
                arch: t.model_type.clone().unwrap_or_default(),
                params: t.model_n_params.unwrap_or(0),
                size_bytes: t.model_size.unwrap_or(0),
                config: config.clone(),
                test: test.clone(),
                mode: "engine".into(),
                rep: Some(rep as u32),
                n_depth: t.n_depth,
                n_prompt: t.n_prompt,
                n_gen: t.n_gen,
                t_prompt_ms: (t.n_gen == 0).then_some(ms),
                t_gen_ms: (t.n_prompt == 0).then_some(ms),
                pp_tps: (t.n_gen == 0).then_some(ts),
                tg_tps: (t.n_prompt == 0).then_some(ts),
                // llama-bench's t/s of ppN+tgM: every token over the whole time.
                pg_tps: (t.n_prompt > 0 && t.n_gen > 0).then_some(ts),
                status: Status::Ok,
                ..Default::default()
            });
        }
    }
    Ok(rows)
}

/// The configuration columns of a llama-bench test.
fn row_config(t: &LlamaBenchTest, n_ctx: u32, i: usize) -> Result<RowConfig, String> {
    // llama-bench: -1 = every layer (edgebench says 999); flash attention -1/0/1.
    let n_gpu_layers = match t.n_gpu_layers {
        Some(n) if n >= 0 => u32::try_from(n)
            .map_err(|_| format!("test {}: n_gpu_layers {n} is more than {}", i + 1, u32::MAX))?,
        _ => crate::config::ALL_LAYERS,
    };
    let flash_attn = match t
        .flash_attn
        .as_ref()
        .and_then(|v| v.as_i64().or(v.as_bool().map(i64::from)))
    {
        Some(1) => "on",
        Some(0) => "off",
        _ => "auto",
    };
    let n_batch = t.n_batch.unwrap_or(2048);
    let f16 = || "f16".to_string();
    Ok(RowConfig {
        backend: t.backends.clone().unwrap_or_default(),
        n_threads: t.n_threads.unwrap_or(0),
        n_gpu_layers,
        n_ctx,
        n_batch,
        n_ubatch: t.n_ubatch.unwrap_or(512).min(n_batch),
        flash_attn: flash_attn.into(),
        type_k: t.type_k.clone().unwrap_or_else(f16),
        type_v: t.type_v.clone().unwrap_or_else(f16),
        use_mmap: t.use_mmap.unwrap_or(true),
        ..Default::default()
    })
}

fn write_manifest(dir: &Path, run_id: &str, source: &Path, first: &LlamaBenchTest) -> Result<()> {
    let manifest = serde_json::json!({
        "run_id": run_id,
        "state": "finished",
        "imported_from": { "tool": "llama-bench", "file": source.display().to_string() },
        "started_at": first.test_time,
        "llama_cpp": { "build_commit": first.build_commit, "backends": first.backends },
        "host": { "cpu_model": first.cpu_info, "gpu": first.gpu_info },
    });
    write_atomic(&dir.join("manifest.json"), |f| {
        Ok(serde_json::to_writer_pretty(&mut *f, &manifest)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One llama-bench test as JSON, with `n_prompt` and `n_gpu_layers` given.
    fn bench_json(n_prompt: u64, n_gpu_layers: i64) -> String {
        serde_json::json!([{
            "model_filename": "m.gguf", "n_prompt": n_prompt, "n_gen": 1,
            "n_gpu_layers": n_gpu_layers, "samples_ns": [1e6], "samples_ts": [1e3],
        }])
        .to_string()
    }

    fn import(json: &str) -> Result<i32> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bench.json");
        std::fs::write(&file, json).unwrap();
        let out = dir.path().join("out");
        run(&ImportCommand::LlamaBench { file, out })
    }

    #[test]
    fn sizes_past_u32_are_one_line_errors() {
        assert_eq!(import(&bench_json(512, 99)).unwrap(), exit::OK);
        // n_prompt + n_gen = 2^32 wrapped to a context of 0 tokens.
        let e = import(&bench_json(u32::MAX as u64, 99)).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e:#}");
        let e = e.to_string();
        assert!(!e.contains('\n'), "one line: {e}");
        assert!(
            e.contains(
                "bench.json: test 1: n_depth 0 + n_prompt 4294967295 + n_gen 1 is more than 4294967295"
            ),
            "{e}"
        );
        let e = import(&bench_json(512, 1 << 32)).unwrap_err().to_string();
        assert!(
            e.contains("n_gpu_layers 4294967296 is more than 4294967295"),
            "{e}"
        );
    }
}
