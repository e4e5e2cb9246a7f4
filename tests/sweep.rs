//! A real sweep on both default models: every file and column of the contract.
mod common;
use common::*;

const SPEED_COLUMNS: [&str; 27] = [
    "run_id",
    "candidate",
    "model_file",
    "model_sha256",
    "arch",
    "quant",
    "params",
    "size_bytes",
    "backend",
    "n_threads",
    "n_gpu_layers",
    "n_ctx",
    "n_batch",
    "test",
    "rep",
    "n_prompt",
    "n_gen",
    "t_prompt_ms",
    "t_gen_ms",
    "pp_tps",
    "tg_tps",
    "ttft_ms",
    "latency_50_ms",
    "load_ms",
    "status",
    "error",
    "chat_template",
];

#[test]
fn sweep_on_both_default_models_writes_every_file_and_column() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let (gemma, smol) = (gemma(), smollm());
    let o = quick_run(&[&gemma, &smol], out.path(), &["--reps", "2"]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let dir = run_dir(&o);
    assert!(dir.starts_with(out.path()));
    for f in [
        "manifest.json",
        "speed.parquet",
        "speed.csv",
        "summary.parquet",
        "summary.csv",
        "summary.md",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing in {}", dir.display());
    }

    let speed = read_parquet(&dir.join("speed.parquet"));
    let names: Vec<String> = speed
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in SPEED_COLUMNS {
        assert!(
            names.contains(&c.to_string()),
            "speed.parquet lacks {c}: {names:?}"
        );
    }
    // 2 models x (pp32 + tg8 + 3 prompts) x 2 reps
    assert_eq!(speed.height(), 2 * 5 * 2);
    assert!(strings(&speed, "status")
        .iter()
        .all(|s| s.as_deref() == Some("ok")));
    let csv = std::fs::read_to_string(dir.join("speed.csv")).unwrap();
    assert!(csv.starts_with("run_id,unit_id,candidate,"));
    // Replies may span lines inside quotes; every record starts with the run id.
    let run_id = dir.file_name().unwrap().to_str().unwrap();
    let records = csv
        .lines()
        .filter(|l| l.starts_with(&format!("{run_id},")))
        .count();
    assert_eq!(records, speed.height(), "csv has the same rows");

    let tests = strings(&speed, "test");
    let pp = floats(&speed, "pp_tps");
    let tg = floats(&speed, "tg_tps");
    let ttft = floats(&speed, "ttft_ms");
    let l50 = floats(&speed, "latency_50_ms");
    let candidates = strings(&speed, "candidate");
    let templates = strings(&speed, "chat_template");
    let outputs = strings(&speed, "output_text");
    for i in 0..speed.height() {
        let test = tests[i].as_deref().unwrap();
        match test {
            "pp32" => assert!(pp[i].unwrap() > 10.0 && tg[i].is_none(), "row {i}"),
            "tg8" => assert!(tg[i].unwrap() > 5.0 && pp[i].is_none(), "row {i}"),
            _ => {
                assert!(test.starts_with("e2e:"), "{test}");
                let (t, l) = (ttft[i].unwrap(), l50[i].unwrap());
                assert!(
                    t > 0.0 && l > t,
                    "latency to 50 tokens {l} must exceed TTFT {t}"
                );
                // Gemma base has no template (raw prompt); SmolLM2 uses its own.
                let expected = if candidates[i].as_deref().unwrap().starts_with("gemma") {
                    "raw"
                } else {
                    "model"
                };
                assert_eq!(templates[i].as_deref(), Some(expected));
            }
        }
    }
    let smol_reply = (0..speed.height())
        .find(|&i| {
            candidates[i].as_deref().unwrap().starts_with("SmolLM2")
                && tests[i].as_deref() == Some("e2e:voice-question")
        })
        .map(|i| outputs[i].clone().unwrap_or_default())
        .unwrap();
    assert!(
        smol_reply.split_whitespace().count() >= 3,
        "SmolLM2 answered: {smol_reply:?}"
    );

    let arch = strings(&speed, "arch");
    let quant = strings(&speed, "quant");
    let i_gemma = candidates
        .iter()
        .position(|c| c.as_deref().unwrap().starts_with("gemma"))
        .unwrap();
    let i_smol = candidates
        .iter()
        .position(|c| c.as_deref().unwrap().starts_with("SmolLM2"))
        .unwrap();
    assert_eq!(
        (arch[i_gemma].as_deref(), quant[i_gemma].as_deref()),
        (Some("gemma3"), Some("Q4_K_M"))
    );
    assert_eq!(
        (arch[i_smol].as_deref(), quant[i_smol].as_deref()),
        (Some("llama"), Some("Q4_1"))
    );
    let sha = strings(&speed, "model_sha256");
    assert_eq!(
        sha[i_smol].as_deref(),
        Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    );

    let summary = read_parquet(&dir.join("summary.parquet"));
    assert_eq!(summary.height(), 2 * 5);
    let n = floats(&summary, "n");
    assert!(n.iter().all(|v| *v == Some(2.0)));
    for c in [
        "tg_tps_mean",
        "tg_tps_median",
        "tg_tps_stddev",
        "tg_tps_min",
        "tg_tps_max",
        "latency_50_ms_median",
        "status",
    ] {
        assert!(summary.column(c).is_ok(), "summary lacks {c}");
    }
    let (mins, maxs, means) = (
        floats(&summary, "pp_tps_min"),
        floats(&summary, "pp_tps_max"),
        floats(&summary, "pp_tps_mean"),
    );
    for i in 0..summary.height() {
        if let (Some(lo), Some(hi), Some(m)) = (mins[i], maxs[i], means[i]) {
            assert!(lo <= m && m <= hi);
        }
    }
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("| gemma-3-270m-Q4_K_M |") && md.contains("e2e:long-summary"));

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["state"], "finished");
    assert!(manifest["ended_at"].is_string());
    assert!(manifest["host"]["cpu_model"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(manifest["host"]["ram_total_bytes"].as_u64().unwrap() > 0);
    assert!(manifest["edgebench"]["rustflags"]
        .as_str()
        .unwrap()
        .contains("target-cpu=native"));
    assert!(manifest["llama_cpp"]["system_info"]
        .as_str()
        .unwrap()
        .contains("CPU"));
    // The build kind: this test binary is the native build (the portable one
    // is checked from its package, scripts/package-check.sh).
    let backends = &manifest["llama_cpp"]["backends"];
    assert_eq!(backends["build_kind"], "native", "{backends}");
    assert_eq!(backends["registered"][0], "CPU", "{backends}");
    assert_eq!(backends["libraries"].as_array().unwrap().len(), 0);
    assert_eq!(manifest["sweep"]["reps"], 2);
    assert_eq!(manifest["units"].as_array().unwrap().len(), 2);

    // The terminal table ends the run.
    let text = stdout(&o);
    assert!(
        text.contains("gemma-3-270m-Q4_K_M") && text.contains("tg t/s"),
        "{text}"
    );
}
