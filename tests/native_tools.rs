//! In-process native tool calls (`tool_calls = "native"` on a llama.cpp
//! candidate) on the real models: Qwen2.5-Coder's own chat template rendered
//! as Jinja with the tools, its `<tool_call>` tags read into the calls that
//! are scored, the shared prefix (system text and tools) reused across cases;
//! SmolLM2's template never uses `tools`, so its native rows are unsupported.
mod common;

use common::*;

const HEADER: &str = r#"name = "tools"
kind = "quality"
max_tokens = 48
system = "You are a home assistant."
"#;

#[test]
fn the_models_own_template_renders_the_tools_and_its_calls_are_scored() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("tools.toml");
    std::fs::write(&suite, format!("{HEADER}{TIMER_AND_WEATHER}")).unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "[[candidate]]\nname = \"qwen\"\npath = {:?}\ntool_calls = \"native\"\n\n\
             [[candidate]]\nname = \"smollm\"\npath = {:?}\ntool_calls = \"native\"\n",
            qwen_coder(),
            smollm()
        ),
    )
    .unwrap();
    let o = edgebench()
        .arg("run")
        .arg("--suite")
        .arg(&suite)
        .args([
            "--reps",
            "1",
            "--warmup",
            "0",
            "--threads",
            "2",
            "--ctx",
            "2048",
        ])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let quality = read_parquet(&run_dir(&o).join("quality.parquet"));
    assert_eq!(quality.height(), 4, "2 cases x 2 candidates: {quality}");
    let column = |name: &str| strings(&quality, name);
    let (candidates, cases) = (column("candidate"), column("case_id"));
    let row = |candidate: &str, case: &str| {
        (0..quality.height())
            .find(|&i| {
                candidates[i].as_deref() == Some(candidate) && cases[i].as_deref() == Some(case)
            })
            .unwrap_or_else(|| panic!("no row {candidate}/{case}: {quality}"))
    };
    let (texts, status, errors) = (column("output_text"), column("status"), column("error"));
    let templates = column("chat_template");
    for i in 0..quality.height() {
        assert_eq!(column("decoding")[i].as_deref(), Some("native"));
    }

    // Qwen: the calls in its tags, as the served path writes an API's calls.
    for (case, tool) in [("timer", "set_timer"), ("weather", "get_weather")] {
        let i = row("qwen", case);
        assert_eq!(status[i].as_deref(), Some("ok"), "{:?}", errors[i]);
        assert_eq!(templates[i].as_deref(), Some("model-jinja"));
        let text = texts[i].as_deref().unwrap_or_default();
        let calls: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{case}: not a list of calls ({e}): {text}"));
        assert_eq!(calls[0]["name"], tool, "{text}");
        assert_eq!(column("tool_parsed")[i].as_deref(), Some("true"));
    }
    let weather = row("qwen", "weather");
    let reused = floats(&quality, "n_prompt_reused")[weather].unwrap_or(0.0);
    let n_prompt = floats(&quality, "n_prompt")[weather].unwrap_or(0.0);
    assert!(
        reused > 100.0 && reused < n_prompt,
        "the system text and tools are reused: {reused} of {n_prompt}"
    );

    // SmolLM2's template has no tools: unsupported, saying why, on one line.
    for case in ["timer", "weather"] {
        let i = row("smollm", case);
        assert_eq!(status[i].as_deref(), Some("unsupported"), "{quality}");
        let error = errors[i].as_deref().unwrap_or_default();
        assert!(
            error.contains("never uses `tools`") && !error.contains('\n'),
            "{error}"
        );
    }
}
