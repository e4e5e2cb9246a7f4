//! Tool calls through a server's API (`tool_calls = "both"`), against a
//! scripted server that calls a tool only when the request carries `tools`:
//! each way has its own rows (decoding `native` beside `free` and
//! `constrained`) and its own summary test, so their scores never mix.
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::*;

const HEADER: &str = r#"name = "tools"
kind = "quality"
max_tokens = 64
constrained = "both"
"#;

/// Streams one `set_timer(300)` call, in pieces, when the request offers
/// tools; plain text otherwise. Keeps every request body.
fn start_server() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                if let Ok(Some(body)) = answer(stream) {
                    seen.lock().unwrap().push(body);
                }
            });
        }
    });
    (base_url, bodies)
}

fn answer(stream: TcpStream) -> std::io::Result<Option<serde_json::Value>> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (mut length, mut first) = (0, String::new());
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if first.is_empty() {
            first = line.clone();
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut out = stream;
    if !first.starts_with("POST") {
        // Identity pages for the manifest: nothing to say.
        write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return Ok(None);
    }
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        let chunk =
            serde_json::json!({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {chunk}\n\n")
    };
    let mut events = chunk(serde_json::json!({"role": "assistant"}), None);
    let finish = if body.get("tools").is_some() {
        let piece = |function: serde_json::Value| serde_json::json!({"tool_calls": [{"index": 0, "function": function}]});
        events += &chunk(
            piece(serde_json::json!({"name": "set_timer", "arguments": ""})),
            None,
        );
        events += &chunk(
            piece(serde_json::json!({"arguments": "{\"duration_seconds\":"})),
            None,
        );
        events += &chunk(piece(serde_json::json!({"arguments": " 300}"})), None);
        "tool_calls"
    } else {
        events += &chunk(serde_json::json!({"content": "I cannot do that."}), None);
        "stop"
    };
    events += &chunk(serde_json::json!({}), Some(finish));
    events += "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":9}}\n\ndata: [DONE]\n\n";
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n{events}"
    )?;
    Ok(Some(body))
}

fn row_of<'a>(
    cases: &'a [Option<String>],
    decodings: &'a [Option<String>],
) -> impl Fn(&str, &str) -> usize + 'a {
    move |case, decoding| {
        (0..cases.len())
            .find(|&i| {
                cases[i].as_deref() == Some(case) && decodings[i].as_deref() == Some(decoding)
            })
            .unwrap_or_else(|| panic!("no row {case}/{decoding}"))
    }
}

#[test]
fn tools_through_the_api_and_through_the_prompt_are_scored_apart() {
    let (base_url, bodies) = start_server();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("tools.toml");
    std::fs::write(&suite, format!("{HEADER}{TIMER_AND_WEATHER}")).unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "[[candidate]]\nname = \"served\"\nengine = \"openai\"\nbase_url = \"{base_url}\"\n\
             model = \"scripted\"\ntool_calls = \"both\"\n"
        ),
    )
    .unwrap();
    let o = edgebench()
        .arg("run")
        .arg("--suite")
        .arg(&suite)
        .args(["--reps", "1", "--warmup", "0"])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let run = run_dir(&o);
    let quality = read_parquet(&run.join("quality.parquet"));
    assert_eq!(
        quality.height(),
        6,
        "2 cases x free, constrained, native: {quality}"
    );
    let (cases, decodings) = (strings(&quality, "case_id"), strings(&quality, "decoding"));
    let (passes, hashes) = (strings(&quality, "pass"), strings(&quality, "prompt_hash"));
    let passed = |i: usize| passes[i].as_deref() == Some("true");
    let texts = strings(&quality, "output_text");
    let row = row_of(&cases, &decodings);

    // The server's call, put together from its pieces, is what was scored.
    let native = row("timer", "native");
    let call: serde_json::Value = serde_json::from_str(texts[native].as_deref().unwrap()).unwrap();
    assert_eq!(
        call,
        serde_json::json!([{"name": "set_timer", "arguments": {"duration_seconds": 300}}])
    );
    assert!(passed(native), "{quality}");
    assert!(!passed(row("weather", "native")), "a wrong call fails");
    for decoding in ["free", "constrained"] {
        let i = row("timer", decoding);
        assert_eq!(texts[i].as_deref(), Some("I cannot do that."));
        assert!(!passed(i));
    }
    assert_ne!(
        hashes[native],
        hashes[row("timer", "free")],
        "what was asked differs"
    );

    // The requests: tools in the field and not in the prompt, or the other way.
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 6);
    for body in bodies.iter() {
        let system = body["messages"][0]["content"].as_str().unwrap_or("");
        let in_prompt = system.contains("set_timer");
        assert_ne!(body.get("tools").is_some(), in_prompt, "{body}");
    }

    // The summary keeps the ways apart.
    let summary = read_parquet(&run.join("summary.parquet"));
    let tests = strings(&summary, "test");
    let rates = floats(&summary, "pass_rate");
    let rate = |name: &str| {
        let i = tests.iter().position(|t| t.as_deref() == Some(name));
        rates[i.unwrap_or_else(|| panic!("no {name} in {tests:?}"))]
    };
    assert_eq!(rate("quality:tools+native"), Some(0.5));
    assert_eq!(rate("quality:tools"), Some(0.0));
    assert_eq!(rate("quality:tools+grammar"), Some(0.0));
}
