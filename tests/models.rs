//! `edgebench models` reads what a GGUF is from its header alone.
mod common;
use common::*;

#[test]
fn models_reports_both_default_models_from_their_headers() {
    let o = edgebench()
        .args(["models", "--json", "--sha256"])
        .arg(gemma())
        .arg(smollm())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let models: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (g, s) = (&models[0], &models[1]);
    assert_eq!(
        (g["arch"].as_str(), g["quant"].as_str()),
        (Some("gemma3"), Some("Q4_K_M"))
    );
    assert_eq!(g["params"], 268_098_176u64);
    assert_eq!(g["size_bytes"], 253_113_024u64);
    assert_eq!(g["n_ctx_train"], 32768);
    assert_eq!(g["chat_template"], false);
    assert_eq!(
        g["sha256"],
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    );
    assert_eq!(
        (s["arch"].as_str(), s["quant"].as_str()),
        (Some("llama"), Some("Q4_1"))
    );
    assert_eq!(s["params"], 134_515_008u64);
    assert_eq!(s["n_ctx_train"], 8192);
    assert_eq!(s["chat_template"], true);

    // The table form without --sha256 names the same facts.
    let o = edgebench().arg("models").arg(smollm()).output().unwrap();
    let table = stdout(&o);
    assert!(
        table.contains("llama") && table.contains("Q4_1") && table.contains("134.5M"),
        "{table}"
    );
}
