//! Bad input: one clear line naming the file, exit status 2 (nothing run) or a
//! recorded candidate failure (exit status 1); never a panic or a backtrace.
mod common;
use std::path::Path;

use common::*;

fn run_model(model: &Path, out: &Path) -> std::process::Output {
    quick_run(&[model], out, &[])
}

#[test]
fn missing_path_is_a_usage_error() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let o = run_model(Path::new("/nonexistent/model.gguf"), out.path());
    assert_clean_error(&o, 2, &["/nonexistent/model.gguf"]);
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing run, nothing written"
    );
}

#[test]
fn directory_is_a_usage_error() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let o = run_model(out.path(), out.path());
    assert_clean_error(&o, 2, &[out.path().to_str().unwrap(), "directory"]);
}

#[test]
fn zero_byte_file_is_a_usage_error() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.gguf");
    std::fs::write(&path, b"").unwrap();
    assert_clean_error(&run_model(&path, dir.path()), 2, &["empty.gguf", "empty"]);
}

#[test]
fn text_file_named_gguf_is_a_usage_error() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.gguf");
    std::fs::write(&path, "these are my notes, not a model\n").unwrap();
    assert_clean_error(
        &run_model(&path, dir.path()),
        2,
        &["notes.gguf", "not a GGUF"],
    );
}

#[test]
fn truncated_gguf_is_a_usage_error() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.gguf");
    let bytes = std::fs::read(smollm()).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    assert_clean_error(
        &run_model(&path, dir.path()),
        2,
        &["truncated.gguf", "truncated"],
    );
}

#[test]
fn models_command_reports_bad_files_the_same_way() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.gguf");
    std::fs::write(&path, "hello").unwrap();
    let o = edgebench().arg("models").arg(&path).output().unwrap();
    assert_clean_error(&o, 2, &["notes.gguf"]);
}

/// A well-formed GGUF whose architecture llama.cpp does not know.
fn write_unknown_arch_gguf(path: &Path) {
    fn string(buf: &mut Vec<u8>, s: &str) {
        buf.extend((s.len() as u64).to_le_bytes());
        buf.extend(s.as_bytes());
    }
    let mut b = Vec::new();
    b.extend(b"GGUF");
    b.extend(3u32.to_le_bytes());
    b.extend(1u64.to_le_bytes()); // tensors
    b.extend(1u64.to_le_bytes()); // metadata pairs
    string(&mut b, "general.architecture");
    b.extend(8u32.to_le_bytes()); // string
    string(&mut b, "nosucharch");
    string(&mut b, "token_embd.weight");
    b.extend(1u32.to_le_bytes()); // dims
    b.extend(32u64.to_le_bytes());
    b.extend(0u32.to_le_bytes()); // F32
    b.extend(0u64.to_le_bytes()); // offset
    while b.len() % 32 != 0 {
        b.push(0);
    }
    b.extend([0u8; 128]);
    std::fs::write(path, b).unwrap();
}

/// The sweep ran, the candidate failed to load (exit 1), and the one result row
/// says so; returns its error text.
fn recorded_load_failure(o: &std::process::Output) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let speed = read_parquet(&run_dir(o).join("speed.parquet"));
    assert_eq!(
        strings(&speed, "status"),
        vec![Some("load_failed".to_string())]
    );
    strings(&speed, "error")[0].clone().unwrap()
}

#[test]
fn unsupported_architecture_is_a_recorded_load_failure() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weird.gguf");
    write_unknown_arch_gguf(&path);
    let error = recorded_load_failure(&run_model(&path, dir.path()));
    assert!(
        error.contains("weird.gguf") && error.contains("nosucharch"),
        "{error}"
    );
}

#[test]
fn context_too_large_for_memory_is_a_recorded_load_failure() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let error = recorded_load_failure(&quick_run(&[&smollm()], dir.path(), &["--ctx", "50000000"]));
    assert!(
        error.contains("50000000 tokens") && error.contains("GiB"),
        "{error}"
    );
}

#[test]
fn bad_config_names_file_line_and_key() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sweep.toml");
    std::fs::write(&cfg, "reps = 2\n[params]\nthread = [2]\n").unwrap();
    let o = edgebench()
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_clean_error(&o, 2, &["sweep.toml:3", "thread"]);
}

#[test]
fn durations_past_a_week_are_usage_errors_before_any_model_loads() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    // u64::MAX seconds overflowed `Instant + Duration` once the first unit started;
    // 5124095576030432 h wrapped to 2016 s in the hour-to-second product.
    for (flag, value) in [
        ("--timeout", "18446744073709551615"),
        ("--soak", "5124095576030432h"),
    ] {
        let o = quick_run(&[&smollm()], dir.path(), &[flag, value]);
        assert_clean_error(&o, 2, &[flag]);
        assert!(!stdout(&o).contains("loading"), "{flag}: {}", stdout(&o));
    }
}

#[test]
fn unknown_suite_is_a_usage_error() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let o = quick_run(&[&smollm()], dir.path(), &["--suite", "nope"]);
    assert_clean_error(&o, 2, &["nope"]);
}

#[test]
fn a_bad_save_baseline_name_is_a_usage_error_before_any_model_loads() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    // Found only after every unit was measured, and then the report was skipped.
    for name in ["../outside", ".hidden", "a/b", ""] {
        let o = quick_run(&[&smollm()], dir.path(), &["--save-baseline", name]);
        assert_clean_error(&o, 2, &["--save-baseline", "plain name"]);
        assert!(!stdout(&o).contains("loading"), "{name}: {}", stdout(&o));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{name}: no run directory"
        );
    }
}

#[test]
fn a_gate_that_cannot_compare_still_leaves_the_report_of_what_was_measured() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    // The stored run measured SmolLM2; this one Gemma: the gate has nothing to compare.
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run-8dc1cfb-smollm");
    let o = quick_run(
        &[&gemma()],
        dir.path(),
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_clean_error(&o, 2, &["nothing to compare"]);
    let text = stdout(&o);
    let run = text
        .lines()
        .find_map(|l| l.strip_prefix("run directory: "))
        .map(|l| Path::new(l.trim()).to_path_buf())
        .unwrap_or_else(|| panic!("no run directory in stdout:\n{text}"));
    assert!(run.join("report.html").is_file(), "stdout:\n{}", stdout(&o));
    assert!(run.join("speed.parquet").is_file());
}

/// Four broken downloads among five candidates; the fifth is a well-formed header.
fn four_bad_and_one_good(dir: &Path) -> Vec<std::path::PathBuf> {
    let path = |name: &str| dir.join(name);
    write_unknown_arch_gguf(&path("weird.gguf"));
    std::fs::write(path("empty.gguf"), b"").unwrap();
    std::fs::write(path("notes.gguf"), "these are my notes\n").unwrap();
    // The magic, the version and half of the tensor count.
    std::fs::write(path("truncated.gguf"), b"GGUF\x03\0\0\0\x01\0\0\0").unwrap();
    ["weird", "empty", "notes", "truncated", "missing"]
        .iter()
        .map(|n| path(&format!("{n}.gguf")))
        .collect()
}

/// Each bad file with the words its reason must have.
const BAD: [(&str, &str); 4] = [
    ("empty.gguf", "empty"),
    ("notes.gguf", "not a GGUF"),
    ("truncated.gguf", "truncated"),
    ("missing.gguf", "not found"),
];

#[test]
fn every_bad_candidate_is_listed_in_one_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let models = four_bad_and_one_good(dir.path());
    let models: Vec<&Path> = models.iter().map(|p| p.as_path()).collect();
    let out = dir.path().join("results");
    let o = quick_run(&models, &out, &[]);
    assert_clean_error(&o, 2, &["4 of 5 candidate files are bad", "--keep-going"]);
    let err = stderr(&o);
    for (file, reason) in BAD {
        assert!(
            err.lines().any(|l| l.contains(file) && l.contains(reason)),
            "no line for {file} ({reason}):\n{err}"
        );
    }
    assert!(
        !err.contains("weird.gguf"),
        "the good file is not listed:\n{err}"
    );
    assert!(!out.exists(), "nothing run, nothing written");
}

#[test]
fn keep_going_runs_the_good_candidates_and_records_each_bad_one() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let models = four_bad_and_one_good(dir.path());
    let models: Vec<&Path> = models.iter().map(|p| p.as_path()).collect();
    let o = quick_run(&models, dir.path(), &["--keep-going"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let candidates = strings(&speed, "candidate");
    let errors = strings(&speed, "error");
    assert!(strings(&speed, "status")
        .iter()
        .all(|s| s.as_deref() == Some("load_failed")));
    // The good header was started (llama.cpp refused its architecture); each bad
    // file is a row with the up-front check's reason.
    let error_of = |name: &str| {
        let i = candidates.iter().position(|c| c.as_deref() == Some(name));
        errors[i.unwrap_or_else(|| panic!("no row for {name}"))]
            .clone()
            .unwrap()
    };
    assert!(
        error_of("weird").contains("nosucharch"),
        "{}",
        error_of("weird")
    );
    for (file, reason) in BAD {
        let error = error_of(file.trim_end_matches(".gguf"));
        assert!(error.contains(file) && error.contains(reason), "{error}");
    }
}

#[test]
fn bad_values_of_the_llama_bench_axes_are_usage_errors_naming_what_is_allowed() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[&str]); 7] = [
        (
            &["--cache-type-k", "q3_x"],
            &["q3_x", "f16, bf16, q8_0, q4_0"],
        ),
        (&["--cache-type-v", "f16,int4"], &["int4", "q8_0"]),
        (&["--mmap", "maybe"], &["maybe", "0 or 1"]),
        (&["--pg", "512"], &["512", "512,128"]),
        (&["--ubatch", "0"], &["--ubatch"]),
        (&["--reps", "often"], &["often", "auto"]),
        (&["--reps", "5", "--precision", "2%"], &["--reps auto"]),
    ];
    for (args, expected) in cases {
        let o = quick_run(&[&smollm()], dir.path(), args);
        assert_clean_error(&o, 2, expected);
        assert!(!stdout(&o).contains("loading"), "{args:?}: {}", stdout(&o));
    }
}

/// Values that once wrapped or were cast into nonsense (a 4294967295-token
/// test became a 1-token context, 4294967295 threads became -1, a NaN
/// temperature never cooled down) are usage errors before anything runs.
#[test]
fn values_past_what_arithmetic_can_hold_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["--threads", "4294967295"],
            &["--threads 4294967295: at most 512"],
        ),
        (
            &["--pg", "4294967295,1"],
            &["--pg: a test of 4294967295 prompt and 1 generated tokens"],
        ),
        (
            &["--depth", "4294967295"],
            &["--pp: a test of 32 prompt", "at depth 4294967295"],
        ),
        (
            &["--cooldown-temp", "NaN"],
            &["--cooldown-temp NaN: give a temperature"],
        ),
        (&["--cooldown-temp", "inf"], &["--cooldown-temp inf"]),
    ];
    for (args, expected) in cases {
        let o = quick_run(&[&smollm()], dir.path(), args);
        assert_clean_error(&o, 2, expected);
        assert!(
            !stdout(&o).contains("run directory"),
            "{args:?}: {}",
            stdout(&o)
        );
    }
}

/// An engine test whose context (depth + prompt + generation) cannot fit in
/// memory is refused by the memory check before llama.cpp allocates it, as
/// the user path's context is: the unit fails to load with one clear line.
#[test]
fn an_engine_test_too_large_for_memory_is_refused_before_loading() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    // SmolLM2-135M's KV cache is about 23 kB a token: 20M tokens is ~430 GiB.
    let o = quick_run(&[&smollm()], dir.path(), &["--pg", "20000000,1"]);
    assert_eq!(o.status.code(), Some(1), "stderr:\n{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let (statuses, errors) = (strings(&speed, "status"), strings(&speed, "error"));
    assert_eq!(statuses[0].as_deref(), Some("load_failed"), "{speed}");
    let error = errors[0].as_deref().unwrap_or("");
    assert!(
        error.contains("a context of 20000001 tokens needs about")
            && error.contains("--pp, --tg, --pg or --depth"),
        "{error}"
    );
}

#[test]
fn an_escape_code_in_a_usage_error_is_shown_escaped() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let hostile = "/nonexistent/\u{1b}]0;pwned\u{7}\u{1b}[31mmodel.gguf";
    let o = run_model(Path::new(hostile), out.path());
    assert_clean_error(&o, 2, &["\\u{1b}]0;pwned\\u{7}\\u{1b}[31mmodel.gguf"]);
    assert!(
        !o.stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "{}",
        stderr(&o)
    );
}
