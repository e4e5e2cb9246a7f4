//! Helpers for the integration tests: they run the real binary on the real
//! default models (scripts/setup.sh fetches them).
#![allow(dead_code)]
pub mod standin;
pub mod svg;
pub mod synthetic;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// A quality suite's two tools (set_timer, get_weather) and one case for
/// each, to follow a suite's header (name, kind, settings).
pub const TIMER_AND_WEATHER: &str = r#"[[tools]]
name = "set_timer"
description = "Start a countdown timer."
parameters = { type = "object", required = ["duration_seconds"], properties = { duration_seconds = { type = "integer" } } }
[[tools]]
name = "get_weather"
description = "Get the weather for a city."
parameters = { type = "object", required = ["city"], properties = { city = { type = "string" } } }
[[case]]
id = "timer"
category = "simple"
prompt = "Set a timer for 5 minutes."
checks = [{ type = "tool_call", calls = [{ name = "set_timer", arguments = { duration_seconds = 300 } }] }]
[[case]]
id = "weather"
category = "simple"
prompt = "What's the weather in Paris?"
checks = [{ type = "tool_call", calls = [{ name = "get_weather", arguments = { city = "Paris" } }] }]
"#;

pub fn edgebench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_edgebench"))
}

pub fn models_dir() -> PathBuf {
    std::env::var_os("EDGEBENCH_TEST_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
}

/// The default models; a missing one fails the test (run scripts/setup.sh), never skips it.
pub fn gemma() -> PathBuf {
    existing(models_dir().join("gemma-3-270m-Q4_K_M.gguf"))
}

pub fn smollm() -> PathBuf {
    existing(models_dir().join("SmolLM2-135M-Instruct-Q4_1.gguf"))
}

pub fn qwen_coder() -> PathBuf {
    existing(models_dir().join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup.sh",
        path.display()
    );
    path
}

/// Small, fast sweep settings; `extra` adds or overrides.
pub fn quick_run(models: &[&Path], out: &Path, extra: &[&str]) -> Output {
    quick_command(models, out, extra)
        .output()
        .expect("edgebench runs")
}

/// The command quick_run runs, for a test that adds to it (environment...).
pub fn quick_command(models: &[&Path], out: &Path, extra: &[&str]) -> Command {
    let mut cmd = edgebench();
    cmd.arg("run").args(["--out", out.to_str().unwrap()]);
    for m in models {
        cmd.arg("--model").arg(m);
    }
    let defaults = [
        ("--reps", "1"),
        ("--warmup", "0"),
        ("--pp", "32"),
        ("--tg", "8"),
        ("--threads", "2"),
        ("--e2e-tokens", "50"),
        ("--ctx", "2048"),
        ("--suite", "speed"),
    ];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            cmd.args([flag, value]);
        }
    }
    cmd.args(extra);
    cmd
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run directory a run printed on its last line.
pub fn run_dir(o: &Output) -> PathBuf {
    let text = stdout(o);
    let line = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("results: "))
        .unwrap_or_else(|| {
            panic!(
                "no `results:` line in stdout:\n{text}\nstderr:\n{}",
                stderr(o)
            )
        });
    PathBuf::from(line.trim())
}

pub fn read_parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

pub fn strings(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    let c = df
        .column(column)
        .unwrap_or_else(|_| panic!("column {column} missing"));
    let c = c.cast(&DataType::String).unwrap();
    let ca = c.str().unwrap();
    (0..ca.len())
        .map(|i| ca.get(i).map(str::to_string))
        .collect()
}

pub fn floats(df: &DataFrame, column: &str) -> Vec<Option<f64>> {
    let c = df
        .column(column)
        .unwrap_or_else(|_| panic!("column {column} missing"));
    let c = c.cast(&DataType::Float64).unwrap();
    let ca = c.f64().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

/// A one-line error: no panic message, no backtrace.
pub fn assert_clean_error(o: &Output, expected_status: i32, must_contain: &[&str]) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(expected_status),
        "stderr:\n{err}\nstdout:\n{}",
        stdout(o)
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        error_lines.len(),
        1,
        "exactly one error line expected:\n{err}"
    );
    for s in must_contain {
        assert!(
            error_lines[0].contains(s),
            "`{s}` not in: {}",
            error_lines[0]
        );
    }
}

/// Measuring runs must not overlap: llama.cpp's threads spin while they wait, so two
/// sweeps on a 2-core machine slow each other down many times over. Each test that
/// runs a model holds this for its whole run (test binaries already run one by one).
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
