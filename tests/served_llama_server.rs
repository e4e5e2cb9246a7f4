//! The real server: llama-server built from the very llama.cpp edgebench links
//! (scripts/llama-server.sh; scripts/test.sh builds it and names it in
//! EDGEBENCH_LLAMA_SERVER), started by the sweep itself for a candidate
//! (`[candidate.server]`), measured beside the same SmolLM2 file in-process.
mod common;

use std::path::{Path, PathBuf};

use common::*;

/// The llama-server binary, or None (the test is skipped, with a note) outside
/// CI when it was not built; in CI a missing server fails the test.
fn llama_server() -> Option<PathBuf> {
    match std::env::var_os("EDGEBENCH_LLAMA_SERVER") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "EDGEBENCH_LLAMA_SERVER={} is not a file",
                path.display()
            );
            Some(path)
        }
        None if std::env::var_os("CI").is_some() => {
            panic!("EDGEBENCH_LLAMA_SERVER is not set: scripts/test.sh builds llama-server for this test")
        }
        None => {
            eprintln!(
                "skipped: EDGEBENCH_LLAMA_SERVER is not set (scripts/test.sh builds llama-server)"
            );
            None
        }
    }
}

fn sweep_file(dir: &Path, model: &Path, server: &Path) -> PathBuf {
    let model = model.display();
    let text = format!(
        r#"reps = 2
warmup = 1
suites = ["speed", "quality-basic"]

[params]
threads = [2]
n_ctx = 2048
pp = [64]
tg = [16]

[[candidate]]
name = "in-process"
path = "{model}"

[[candidate]]
name = "llama-server"
engine = "openai"
path = "{model}"
model = "smollm2"
server_kind = "llama-server"
[candidate.server]
command = ["{server}", "-m", "{{model}}", "--host", "{{host}}", "--port", "{{port}}",
           "-t", "{{threads}}", "-c", "{{ctx}}", "--alias", "smollm2", "-np", "1"]
ready_timeout_secs = 120
"#,
        server = server.display()
    );
    let path = dir.join("sweep.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Rows of `column` for one candidate and tests starting with `prefix`.
fn column_of(
    df: &polars::prelude::DataFrame,
    candidate: &str,
    prefix: &str,
    column: &str,
) -> Vec<Option<f64>> {
    let (names, tests) = (strings(df, "candidate"), strings(df, "test"));
    let values = floats(df, column);
    (0..df.height())
        .filter(|&i| names[i].as_deref() == Some(candidate))
        .filter(|&i| tests[i].as_deref().unwrap_or("").starts_with(prefix))
        .map(|i| values[i])
        .collect()
}

#[test]
fn llama_server_started_by_the_sweep_runs_the_suites_beside_in_process() {
    let Some(server) = llama_server() else {
        return;
    };
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let sweep = sweep_file(dir.path(), &smollm(), &server);
    let o = edgebench()
        .args(["run", "--config"])
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr:\n{}\nstdout:\n{}",
        stderr(&o),
        stdout(&o)
    );
    let run = run_dir(&o);

    // The user path through the server: every repetition ok, with its timings.
    let speed = read_parquet(&run.join("speed.parquet"));
    let served_ttft = column_of(&speed, "llama-server", "e2e:", "ttft_ms");
    assert!(!served_ttft.is_empty(), "{speed}");
    assert!(
        served_ttft.iter().all(|t| t.is_some_and(|ms| ms > 0.0)),
        "{served_ttft:?}"
    );
    let served_tg = column_of(&speed, "llama-server", "e2e:", "tg_tps");
    assert!(
        served_tg.iter().all(|t| t.is_some_and(|tps| tps > 0.0)),
        "{served_tg:?}"
    );
    let backends = strings(&speed, "backend");
    let names = strings(&speed, "candidate");
    for (name, backend) in names.iter().zip(&backends) {
        let expected = match name.as_deref() {
            Some("llama-server") => "openai-server-started",
            _ => "CPU",
        };
        assert_eq!(backend.as_deref(), Some(expected), "{name:?}");
    }

    // Its memory is measured: the server is in the child's process tree, and
    // the weights it maps count (the in-process child maps the same file).
    let summary = read_parquet(&run.join("summary.parquet"));
    let rss = column_of(&summary, "llama-server", "e2e:", "peak_rss_mb");
    let model_mb = std::fs::metadata(smollm()).unwrap().len() as f64 / 1048576.0;
    assert!(
        rss.iter().all(|r| r.is_some_and(|mb| mb > model_mb)),
        "{rss:?} vs {model_mb:.0} MB"
    );

    // The same quality cases answered through the server and scored alike.
    let quality = read_parquet(&run.join("quality.parquet"));
    let count = |name: &str| {
        strings(&quality, "candidate")
            .iter()
            .filter(|c| c.as_deref() == Some(name))
            .count()
    };
    assert!(count("llama-server") > 40, "{quality}");
    assert_eq!(count("llama-server"), count("in-process"));

    // The server says who it is in the manifest, with the command it ran.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let servers = manifest["servers"].as_object().expect("manifest.servers");
    let identity = servers.values().next().expect("one served unit");
    let command: Vec<&str> = identity["command"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert!(command.contains(&smollm().to_str().unwrap()), "{command:?}");
    assert!(identity["props"].is_object(), "{identity}");
    assert!(
        identity["models"]["data"][0]["id"] == "smollm2",
        "{identity}"
    );

    // The server's output tail is in the unit log, and the server is gone.
    let logs: String = std::fs::read_dir(run.join("logs"))
        .unwrap()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect();
    assert!(logs.contains("the server's output, last lines"), "{logs}");
    let still_running = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(server.to_str().unwrap())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&still_running.stdout)
            .trim()
            .is_empty(),
        "llama-server still runs after the sweep"
    );
}

/// Four multiple-choice cases of suites/multiple-choice.toml (raw prompts).
const CHOICE_SUITE: &str = r#"name = "mc"
kind = "quality"
use_chat_template = false
[[case]]
id = "red-planet"
category = "science"
prompt = "Question: Which planet is known as the Red Planet?\nAnswer:"
choices = [" Venus", " Mars", " Jupiter", " Saturn"]
checks = [{ type = "choice", answer = 1 }]
[[case]]
id = "spider-legs"
category = "science"
prompt = "Question: How many legs does a spider have?\nAnswer:"
choices = [" Six", " Ten", " Four", " Eight"]
checks = [{ type = "choice", answer = 3 }]
[[case]]
id = "capital-france"
category = "geography"
prompt = "Question: What is the capital of France?\nAnswer:"
choices = [" Berlin", " Madrid", " Paris", " Rome"]
checks = [{ type = "choice", answer = 2 }]
[[case]]
id = "water-formula"
category = "science"
prompt = "Question: What is the chemical formula of water?\nAnswer:"
choices = [" H2O", " CO2", " NaCl", " O2"]
checks = [{ type = "choice", answer = 0 }]
"#;

/// Each option's (log-likelihood, tokens) per case, for one candidate.
fn option_scores(
    quality: &polars::prelude::DataFrame,
    candidate: &str,
) -> std::collections::BTreeMap<String, Vec<(f64, u64)>> {
    let names = strings(quality, "candidate");
    let (cases, scores) = (
        strings(quality, "case_id"),
        strings(quality, "choice_scores"),
    );
    (0..quality.height())
        .filter(|&i| names[i].as_deref() == Some(candidate))
        .map(|i| {
            let scores: serde_json::Value =
                serde_json::from_str(scores[i].as_deref().expect("choice_scores")).unwrap();
            let options = scores.as_array().unwrap().iter();
            let pairs = options.map(|s| {
                (
                    s["logprob"].as_f64().unwrap(),
                    s["n_tokens"].as_u64().unwrap(),
                )
            });
            (cases[i].clone().unwrap(), pairs.collect())
        })
        .collect()
}

#[test]
fn multiple_choice_through_llama_server_scores_as_in_process() {
    let Some(server) = llama_server() else {
        return;
    };
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("mc.toml");
    std::fs::write(&suite, CHOICE_SUITE).unwrap();
    let sweep = sweep_file(dir.path(), &smollm(), &server);
    let text = std::fs::read_to_string(&sweep).unwrap();
    let text = text.replace(
        "suites = [\"speed\", \"quality-basic\"]",
        &format!("suites = [{:?}]", suite.display().to_string()),
    );
    std::fs::write(&sweep, text).unwrap();
    let o = edgebench()
        .args(["run", "--reps", "1", "--config"])
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let quality = read_parquet(&run_dir(&o).join("quality.parquet"));
    let statuses = strings(&quality, "status");
    assert!(
        statuses.iter().all(|s| s.as_deref() == Some("ok")),
        "{quality}"
    );
    let served = option_scores(&quality, "llama-server");
    let in_process = option_scores(&quality, "in-process");
    assert_eq!(served.len(), 4, "{quality}");
    assert_eq!(
        served.keys().collect::<Vec<_>>(),
        in_process.keys().collect::<Vec<_>>()
    );
    for (case, options) in &served {
        let local = &in_process[case];
        for ((lp, n), (local_lp, local_n)) in options.iter().zip(local) {
            assert_eq!(n, local_n, "{case}: the same tokens");
            assert!(*lp < 0.0, "{case}: {lp}");
            // The same model and tokens: the figures differ only by numerics.
            assert!(
                (lp - local_lp).abs() < 0.05 * local_lp.abs().max(1.0),
                "{case}: served {lp} vs in-process {local_lp}"
            );
        }
    }
    let acc = |name: &str| {
        let (names, acc) = (strings(&quality, "candidate"), strings(&quality, "acc"));
        let rows = (0..quality.height()).filter(|&i| names[i].as_deref() == Some(name));
        rows.map(|i| acc[i].clone()).collect::<Vec<_>>()
    };
    assert_eq!(acc("llama-server"), acc("in-process"), "the same picks");
}

/// A stability suite cut short: a seeded case twice, a 6 s soak, 2 turns.
const STABILITY_SUITE: &str = r#"name = "stab"
kind = "stability"
reps = 2
temperature = 0.7
top_p = 0.95
seed = 1234
max_tokens = 16
[[case]]
id = "story-robot"
category = "open"
prompt = "Write two sentences about a robot who learns to garden."
checks = [{ type = "min_words", value = 4 }]
[soak]
duration = "6s"
window_s = 2
prompt = "Tell a long, detailed story about a lighthouse keeper and a storm that lasts for days."
[multi_turn]
remember = "Please remember this code word for the whole conversation: MARIGOLD-42. Just say OK."
recall = "MARIGOLD-42"
max_tokens = 16
max_turns = 2
turns = ["What is the code word?"]
"#;

const DEPTH_SPEED_SUITE: &str = r#"name = "speed-depth"
kind = "speed"
pp = [16]
tg = [16]
e2e_tokens = 50
prompts = ["voice-question.txt"]
conversation = "depth-conversation.toml"
"#;

#[test]
fn stability_and_the_depth_user_path_run_through_llama_server() {
    let Some(server) = llama_server() else {
        return;
    };
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let (stability, speed) = (dir.path().join("stab.toml"), dir.path().join("speed.toml"));
    std::fs::write(&stability, STABILITY_SUITE).unwrap();
    std::fs::write(&speed, DEPTH_SPEED_SUITE).unwrap();
    let sweep = sweep_file(dir.path(), &smollm(), &server);
    // The served candidate only (the one after the in-process one).
    let text = std::fs::read_to_string(&sweep).unwrap();
    let served = &text[text.rfind("[[candidate]]").unwrap()..];
    std::fs::write(&sweep, served).unwrap();
    let o = edgebench()
        .args(["run", "--reps", "1", "--warmup", "0", "--depth", "64"])
        .args(["--threads", "2", "--ctx", "2048", "--suite"])
        .arg(&speed)
        .arg("--suite")
        .arg(&stability)
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let run = run_dir(&o);

    // The turn at a depth: the history cached (only the turn prefilled) or not.
    let speed = read_parquet(&run.join("speed.parquet"));
    let row = |test: &str| {
        let tests = strings(&speed, "test");
        let i = tests.iter().position(|t| t.as_deref() == Some(test));
        i.unwrap_or_else(|| panic!("no {test}: {speed}"))
    };
    let (reused, cold) = (row("e2e@d64:reused"), row("e2e@d64:cold"));
    let (statuses, n_prompt) = (strings(&speed, "status"), floats(&speed, "n_prompt"));
    let n_depth = floats(&speed, "n_depth");
    assert_eq!(statuses[reused].as_deref(), Some("ok"), "{speed}");
    assert_eq!(statuses[cold].as_deref(), Some("ok"), "{speed}");
    let history = n_depth[reused].unwrap();
    assert!(history >= 64.0 && n_depth[cold] == Some(history), "{speed}");
    let (turn, whole) = (n_prompt[reused].unwrap(), n_prompt[cold].unwrap());
    assert!(
        turn < history && whole > history,
        "reused {turn}, cold {whole}, history {history}"
    );

    // Soak windows, multi-turn turns and the seeded case twice, all ok.
    let stability_rows = read_parquet(&run.join("stability.parquet"));
    let (tests, statuses) = (
        strings(&stability_rows, "test"),
        strings(&stability_rows, "status"),
    );
    let tokens = floats(&stability_rows, "n_tokens");
    let of = |name: &str| -> Vec<usize> {
        (0..tests.len())
            .filter(|&i| tests[i].as_deref() == Some(name))
            .collect()
    };
    let (soak, turns) = (of("soak"), of("multi_turn"));
    assert_eq!(soak.len(), 3, "{stability_rows}");
    assert_eq!(turns.len(), 2, "{stability_rows}");
    for i in soak.into_iter().chain(turns) {
        assert_eq!(statuses[i].as_deref(), Some("ok"), "{stability_rows}");
        assert!(tokens[i].is_some_and(|n| n > 0.0), "{stability_rows}");
    }
    let quality = read_parquet(&run.join("quality.parquet"));
    let texts = strings(&quality, "output_text");
    assert_eq!(texts.len(), 2);
    assert!(texts[0].as_deref().is_some_and(|t| !t.is_empty()));
    // The same seed through the server: the same text.
    assert_eq!(texts[0], texts[1], "{quality}");
}

/// The stability suite's two turns of multi-turn, alone.
fn turns_suite() -> String {
    let turns = &STABILITY_SUITE[STABILITY_SUITE.find("[multi_turn]").unwrap()..];
    format!("name = \"turns\"\nkind = \"stability\"\n{turns}")
}

/// Rows of `column` where `test` is `name`.
fn where_test(df: &polars::prelude::DataFrame, name: &str, column: &str) -> Vec<Option<String>> {
    let tests = strings(df, "test");
    let values = strings(df, column);
    (0..df.height())
        .filter(|&i| tests[i].as_deref() == Some(name))
        .map(|i| values[i].clone())
        .collect()
}

/// The served candidate's `column` on the rows of test `name`, every one set.
fn floats_where(df: &polars::prelude::DataFrame, name: &str, column: &str) -> Vec<f64> {
    let values = column_of(df, "llama-server", name, column);
    let set = values
        .iter()
        .map(|v| v.unwrap_or_else(|| panic!("{name}: no {column}: {df}")));
    set.collect()
}

/// What Ollama, vLLM and the others get (`server_kind = "generic"`), run
/// against the real llama-server, which caches prompt prefixes by default
/// and reports `cached_tokens`: the history offered to its cache is reused
/// and the cold turn's is not; multi-turn is counted after each turn; and
/// multiple choice by `echo` is ignored by this server, so it says so.
#[test]
fn the_generic_dialect_runs_depth_turns_and_choices_on_llama_server() {
    let Some(server) = llama_server() else {
        return;
    };
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let turns = turns_suite();
    let suites = [
        ("speed.toml", DEPTH_SPEED_SUITE),
        ("turns.toml", turns.as_str()),
        ("mc.toml", CHOICE_SUITE),
    ];
    let sweep = sweep_file(dir.path(), &smollm(), &server);
    let text = std::fs::read_to_string(&sweep).unwrap();
    let served = &text[text.rfind("[[candidate]]").unwrap()..];
    let generic = served.replace(
        "server_kind = \"llama-server\"",
        "server_kind = \"generic\"",
    );
    std::fs::write(&sweep, generic).unwrap();
    let mut command = edgebench();
    command.args(["run", "--reps", "2", "--warmup", "0", "--depth", "512"]);
    // One thread: two spinning on a shared machine's two cores wait on each
    // other at every layer, which times the stalls rather than the prefill.
    command.args(["--threads", "1", "--ctx", "2048", "--config"]);
    command.arg(&sweep).arg("--out").arg(dir.path().join("out"));
    for (name, text) in suites {
        std::fs::write(dir.path().join(name), text).unwrap();
        command.arg("--suite").arg(dir.path().join(name));
    }
    let o = command.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let run = run_dir(&o);

    // The history offered to the server's cache is reused: the server says
    // so (cached_tokens), prefills far fewer tokens and answers sooner.
    let speed = read_parquet(&run.join("speed.parquet"));
    let (reused, cold) = ("e2e@d512:reused", "e2e@d512:cold");
    for (test, control) in [(reused, "server_choice"), (cold, "nonce")] {
        let statuses = where_test(&speed, test, "status");
        assert!(
            statuses.len() == 2 && statuses.iter().all(|s| s.as_deref() == Some("ok")),
            "{speed}"
        );
        assert!(where_test(&speed, test, "cache_control")
            .iter()
            .all(|c| c.as_deref() == Some(control)));
        let from = where_test(&speed, test, "n_prompt_from");
        assert!(
            from.iter().all(|f| f.as_deref() == Some("cached_tokens")),
            "{from:?}"
        );
    }
    let depth = floats_where(&speed, reused, "n_depth");
    assert!(depth.iter().all(|&d| d >= 512.0), "{depth:?}");
    let (reused_prefill, cold_prefill) = (
        floats_where(&speed, reused, "n_prompt"),
        floats_where(&speed, cold, "n_prompt"),
    );
    let cold_cached = floats_where(&speed, cold, "server_cached_tokens");
    for i in 0..2 {
        assert!(
            reused_prefill[i] < 0.2 * depth[i],
            "reused {reused_prefill:?} of {depth:?}"
        );
        assert!(
            cold_prefill[i] > depth[i],
            "cold {cold_prefill:?} of {depth:?}"
        );
        assert!(
            cold_cached[i] < 16.0,
            "the nonce leaves little to reuse: {cold_cached:?}"
        );
    }
    let fastest = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let (reused_ttft, cold_ttft) = (
        fastest(floats_where(&speed, reused, "ttft_ms")),
        fastest(floats_where(&speed, cold, "ttft_ms")),
    );
    assert!(
        reused_ttft < cold_ttft,
        "fastest TTFT reused {reused_ttft} ms ({reused_prefill:?} prefilled), cold {cold_ttft} ms ({cold_prefill:?})"
    );

    // Multi-turn: the server's count after each turn, and the rows say so.
    let stability = read_parquet(&run.join("stability.parquet"));
    let turns = where_test(&stability, "multi_turn", "status");
    assert_eq!(turns.len(), 2, "{stability}");
    assert!(
        turns.iter().all(|s| s.as_deref() == Some("ok")),
        "{stability}"
    );
    let from = where_test(&stability, "multi_turn", "n_ctx_from");
    assert!(
        from.iter().all(|f| f.as_deref() == Some("usage")),
        "{stability}"
    );
    let n_ctx = floats_where(&stability, "multi_turn", "n_ctx");
    assert!(n_ctx[0] > 10.0 && n_ctx[1] > n_ctx[0], "{n_ctx:?}");

    // Multiple choice by echo: this server ignores `echo` (its logprobs are
    // the generated token's only), and every row says so.
    let quality = read_parquet(&run.join("quality.parquet"));
    let (statuses, errors) = (strings(&quality, "status"), strings(&quality, "error"));
    assert_eq!(statuses.len(), 4, "{quality}");
    for (status, error) in statuses.iter().zip(&errors) {
        assert_eq!(status.as_deref(), Some("unsupported"), "{quality}");
        let error = error.as_deref().unwrap_or_default();
        assert!(
            error.contains("did not echo the prompt's logprobs"),
            "{error}"
        );
    }
}
