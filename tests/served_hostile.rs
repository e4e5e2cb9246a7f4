//! Servers the sweep starts that work against it (tests/data/hostile_server.py):
//! one echoes the API key in its answers, errors, identity pages and logs and
//! prints it as it exits; one prints the key and exits at start; one fakes
//! edgebench's crash report. Nothing of the key (nor its base64 forms) is in
//! the run directory or on the terminal, no escape code reaches either raw,
//! and a server's lines cannot make a unit "crashed".
mod common;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::*;

const KEY: &str = "sk-hostile-test-7e57c0de";
const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hostile_server.py");

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        match path.is_dir() {
            true => files.extend(files_under(&path)),
            false => files.push(path),
        }
    }
    files
}

/// Every string cell of a Parquet file, one a line.
fn parquet_strings(path: &Path) -> String {
    let frame = read_parquet(path);
    let mut text = String::new();
    for column in frame.get_column_names() {
        for cell in strings(&frame, column).into_iter().flatten() {
            text.push_str(&cell);
            text.push('\n');
        }
    }
    text
}

fn started(name: &str, mode: &str) -> String {
    format!(
        "[[candidate]]\nname = \"{name}\"\nengine = \"openai\"\nmodel = \"m\"\n\
         api_key_env = \"EDGEBENCH_TEST_API_KEY\"\n\
         [candidate.server]\ncommand = [\"python3\", \"{SERVER}\", \"{{port}}\", \"{mode}\"]\n\
         ready_timeout_secs = 30\n"
    )
}

/// The key and every base64 form a grep would look for: of the key, and the
/// part of `Basic base64(edge:KEY)` that encodes the key's bytes.
fn forms_of_the_key() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bare = b64.encode(KEY);
    let basic = b64.encode(format!("edge:{KEY}"));
    // "edge:" is 5 bytes: from the 7th character on, only the key's bytes.
    vec![
        KEY.to_string(),
        bare[..bare.len() - 4].to_string(),
        basic[7..basic.len() - 4].to_string(),
    ]
}

fn leaks(bytes: &[u8]) -> Vec<String> {
    forms_of_the_key()
        .into_iter()
        .filter(|form| bytes.windows(form.len()).any(|w| w == form.as_bytes()))
        .collect()
}

#[test]
fn a_hostile_server_leaks_no_key_fakes_no_crash_and_injects_no_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep.toml");
    let text = started("echoes", "echo") + &started("exits", "exits") + &started("fakes", "crash");
    std::fs::write(&sweep, format!("timeout_secs = 120\n{text}")).unwrap();
    let o = edgebench()
        .args([
            "run",
            "--suite",
            "speed",
            "--suite",
            "quality-basic",
            "--verbose",
        ])
        .args(["--reps", "1", "--warmup", "0", "--e2e-tokens", "8"])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("EDGEBENCH_TEST_API_KEY", KEY)
        .output()
        .unwrap();
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "stderr:\n{err}\nstdout:\n{out}");
    let run = run_dir(&o);

    // The terminal and every file of the run: no form of the key.
    assert!(
        leaks(&o.stdout).is_empty() && leaks(&o.stderr).is_empty(),
        "{err}"
    );
    for file in files_under(&run) {
        let bytes = match file.extension().and_then(|e| e.to_str()) {
            // Compressed columns: their strings are looked at, not the bytes.
            Some("parquet") => parquet_strings(&file).into_bytes(),
            Some("png") => continue,
            _ => std::fs::read(&file).unwrap(),
        };
        let found = leaks(&bytes);
        assert!(found.is_empty(), "{found:?} in {}", file.display());
        let escape = bytes.iter().any(|&b| b == 0x1b || b == 0x07);
        assert!(!escape, "an escape code in {}", file.display());
    }
    assert!(!err.contains('\u{1b}') && !out.contains('\u{1b}'), "{err}");

    // The server did say it: where it was cut out shows.
    let log = std::fs::read_to_string(run.join("logs/c0-k0.log")).unwrap();
    assert!(log.contains("server| request POST"), "{log}");
    assert!(
        log.contains("Bearer <redacted>") && log.contains("Basic "),
        "{log}"
    );
    assert!(
        log.contains("the last client said Bearer <redacted>"),
        "{log}"
    );
    let quality = std::fs::read_to_string(run.join("quality.csv")).unwrap();
    assert!(
        quality.contains("you sent Bearer <redacted>"),
        "{quality:.2000}"
    );
    let speed = read_parquet(&run.join("speed.parquet"));
    let (names, tests) = (strings(&speed, "candidate"), strings(&speed, "test"));
    let (statuses, errors) = (strings(&speed, "status"), strings(&speed, "error"));
    let echoed: Vec<&str> = (0..speed.height())
        .filter(|&i| names[i].as_deref() == Some("echoes"))
        .filter_map(|i| errors[i].as_deref())
        .filter(|e| e.contains("bad key"))
        .collect();
    assert!(!echoed.is_empty(), "{speed}");
    for error in &echoed {
        assert!(error.contains("Bearer <redacted>"), "{error}");
        assert!(error.contains("\\u{1b}]0;pwned\\u{7}"), "{error}");
    }
    let exits = (0..speed.height())
        .find(|&i| names[i].as_deref() == Some("exits"))
        .unwrap();
    let error = errors[exits].as_deref().unwrap_or("");
    assert!(
        error.contains("exited at start") && error.contains("<redacted>"),
        "{error}"
    );

    // Markdown from the server stays text in report.md.
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    if md.contains("pwned") {
        assert!(
            !md.contains("**bold**") && !md.contains("https://evil"),
            "{md}"
        );
    }

    // The server that printed a crash report: its unit is fine.
    for i in (0..speed.height()).filter(|&i| names[i].as_deref() == Some("fakes")) {
        let test = tests[i].as_deref().unwrap_or("");
        let status = statuses[i].as_deref().unwrap_or("");
        assert!(
            status == "ok" || status == "unsupported",
            "fakes {test}: {status} {:?}",
            errors[i]
        );
    }
    let fakes_log = std::fs::read_to_string(run.join("logs/c2-k0.log")).unwrap();
    assert!(
        fakes_log.contains("server| edgebench-crash: signal=11"),
        "{fakes_log}"
    );
}
