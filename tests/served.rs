//! A candidate served over HTTP (`engine = "openai"`), against a scripted
//! OpenAI-compatible server in this test: the sweep measures its user path
//! through the real binary, records what a server cannot do as unsupported,
//! and never writes the API key.
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;

const KEY: &str = "sk-edgebench-test-4242";
/// Content chunks per streamed reply: more than the 50 tokens of the user path.
const CHUNKS: usize = 60;

/// What the scripted server does with every request.
#[derive(Clone, Copy)]
enum Behaviour {
    /// A stream of CHUNKS one-word chunks, `finish_reason` `length` (a
    /// limit of its own, below some cases' max_tokens), usage and `[DONE]`.
    Streams,
    /// `Streams`, 100 ms after the request (so that requests overlap), with
    /// llama-server's `timings` in the last chunk.
    StreamsSlowly,
    /// 401 with an OpenAI-style error body.
    RefusesTheKey,
    /// 404: the model id is not one the server has.
    UnknownModel,
    /// 500 with a llama-server-style error body.
    Fails,
    /// A stream whose second event is not JSON.
    MalformedEvent,
    /// A stream that stops after a few chunks, without usage or `[DONE]`.
    StopsMidReply,
    /// Reads the request and never answers.
    NeverAnswers,
}

/// A scripted OpenAI-compatible server on 127.0.0.1; keeps each request's head.
fn start_server(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<String>>>) {
    let (base_url, heads, _) = start_counting_server(behaviour);
    (base_url, heads)
}

/// `start_server`, also counting the most connections it had open at once.
fn start_counting_server(
    behaviour: Behaviour,
) -> (String, Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    let (open, most_open) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let most = Arc::clone(&most_open);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (seen, open, most) = (Arc::clone(&seen), Arc::clone(&open), Arc::clone(&most));
            // One thread per connection: a server that never answers one
            // request still takes the next.
            std::thread::spawn(move || {
                most.fetch_max(open.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                let head = answer(stream, behaviour);
                open.fetch_sub(1, Ordering::SeqCst);
                seen.lock().unwrap().push(head.unwrap_or_default());
            });
        }
    });
    (base_url, heads, most_open)
}

fn answer(stream: TcpStream, behaviour: Behaviour) -> std::io::Result<String> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut out = stream;
    let error = |status: &str, message: &str| {
        let body = format!(
            "{{\"error\":{{\"message\":\"{message}\",\"type\":\"invalid_request_error\"}}}}"
        );
        let length = body.len();
        format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}")
    };
    let chunk =
        |delta: &str| format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{delta}}}]}}\n\n");
    let mut events = chunk("{\"role\":\"assistant\"}");
    match behaviour {
        Behaviour::RefusesTheKey => {
            write!(out, "{}", error("401 Unauthorized", "Invalid API key"))?;
            return Ok(head);
        }
        Behaviour::UnknownModel => {
            write!(out, "{}", error("404 Not Found", "model 'm' not found"))?;
            return Ok(head);
        }
        Behaviour::Fails => {
            write!(
                out,
                "{}",
                error("500 Internal Server Error", "failed to decode the batch")
            )?;
            return Ok(head);
        }
        Behaviour::NeverAnswers => {
            std::thread::sleep(std::time::Duration::from_secs(600));
            return Ok(head);
        }
        Behaviour::MalformedEvent => events.push_str("data: {\"choices\": [oops\n\n"),
        Behaviour::StopsMidReply => {
            for i in 0..5 {
                events.push_str(&chunk(&format!("{{\"content\":\" word{i}\"}}")));
            }
        }
        Behaviour::Streams | Behaviour::StreamsSlowly => {
            if let Behaviour::StreamsSlowly = behaviour {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            for i in 0..CHUNKS {
                events.push_str(&chunk(&format!("{{\"content\":\" word{i}\"}}")));
            }
            events.push_str(
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
            );
            // The slow one plays llama-server: its last chunk has `timings`.
            let timings = match behaviour {
                Behaviour::StreamsSlowly => {
                    ",\"timings\":{\"prompt_n\":20,\"prompt_per_second\":1234.5,\"predicted_per_second\":98.5}"
                }
                _ => "",
            };
            events.push_str(&format!(
                "data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":20,\"completion_tokens\":{CHUNKS}}}{timings}}}\n\ndata: [DONE]\n\n"
            ));
        }
    }
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    )?;
    out.write_all(events.as_bytes())?;
    Ok(head)
}

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

#[test]
fn a_served_candidate_runs_the_user_path_and_the_key_is_never_written() {
    let (base_url, heads) = start_server(Behaviour::Streams);
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "[[candidate]]\nname = \"served\"\nengine = \"openai\"\nbase_url = \"{base_url}\"\n\
             model = \"scripted\"\napi_key_env = \"EDGEBENCH_TEST_API_KEY\"\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = edgebench()
        .args(["run", "--suite", "speed", "--suite", "quality-basic"])
        .args(["--reps", "1", "--warmup", "0", "--pp", "32", "--tg", "8"])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .env("EDGEBENCH_TEST_API_KEY", KEY)
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

    let speed = read_parquet(&run.join("speed.parquet"));
    let (tests, statuses) = (strings(&speed, "test"), strings(&speed, "status"));
    let latency_50 = floats(&speed, "latency_50_ms");
    let mut user_path_rows = 0;
    for i in 0..speed.height() {
        let test = tests[i].as_deref().unwrap_or("");
        let status = statuses[i].as_deref();
        if test.starts_with("e2e:") {
            user_path_rows += 1;
            assert_eq!(status, Some("ok"), "{test}");
            assert!(
                latency_50[i].is_some_and(|ms| ms > 0.0),
                "{test}: {latency_50:?}"
            );
        } else {
            // Random-token ppN/tgN need the engine's own tokens: a server has none.
            assert_eq!(status, Some("unsupported"), "{test}");
        }
    }
    assert!(user_path_rows >= 1, "{speed}");
    let backends = strings(&speed, "backend");
    assert!(
        backends
            .iter()
            .all(|b| b.as_deref() == Some("openai-server")),
        "{backends:?}"
    );
    // The samplers see the measuring child, not the server: memory is not claimed.
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        report.contains("not measured: tg tok/s, memory share"),
        "{report}"
    );

    // Quality answers come through the server too; their token count is the server's.
    let quality = read_parquet(&run.join("quality.parquet"));
    assert!(quality.height() > 40, "{quality}");
    let n_gen = floats(&quality, "n_gen");
    assert!(n_gen.iter().all(|n| *n == Some(CHUNKS as f64)), "{n_gen:?}");
    let templates = strings(&quality, "chat_template");
    assert!(
        templates.iter().all(|t| t.as_deref() == Some("server")),
        "{templates:?}"
    );
    // Why each answer ended is the server's word; where it said `length`
    // before a case's max_tokens, its limit is not the suite's: a warning.
    let finish = strings(&quality, "finish_reason");
    assert!(
        finish.iter().all(|f| f.as_deref() == Some("length")),
        "{finish:?}"
    );
    let max_tokens = floats(&quality, "max_tokens");
    let early = max_tokens
        .iter()
        .filter(|m| m.unwrap() > CHUNKS as f64)
        .count();
    assert!(early > 0 && early < quality.height(), "{max_tokens:?}");
    // (of the answers checked: every one but a case whose checks could not judge it)
    let warning = format!("served quality:quality-basic: the server ended {early} of ");
    let and = "answers with finish_reason length before max_tokens";
    for text in [stderr(&o), report.clone()] {
        assert!(text.contains(&warning) && text.contains(and), "{text}");
    }

    let heads = heads.lock().unwrap();
    let requests = user_path_rows + quality.height();
    let completions = heads
        .iter()
        .filter(|h| h.starts_with("POST /v1/chat/completions"))
        .count();
    assert_eq!(completions, requests, "one request per prompt");
    // The rest asked the server who it is, for the manifest.
    let identity_pages = heads.iter().filter(|h| h.starts_with("GET ")).count();
    assert_eq!(identity_pages + completions, heads.len(), "{heads:?}");
    let bearer = format!("authorization: bearer {}", KEY.to_ascii_lowercase());
    assert!(
        heads
            .iter()
            .all(|h| h.to_ascii_lowercase().contains(&bearer)),
        "{heads:?}"
    );
    for file in files_under(&run) {
        let bytes = std::fs::read(&file).unwrap();
        let leaked = bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes());
        assert!(!leaked, "the API key is in {}", file.display());
    }
}

#[test]
fn a_server_that_refuses_is_that_candidates_failure_and_the_sweep_goes_on() {
    let (refusing, _) = start_server(Behaviour::RefusesTheKey);
    let (working, _) = start_server(Behaviour::Streams);
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep.toml");
    let candidate = |name: &str, url: &str| {
        format!("[[candidate]]\nname = \"{name}\"\nengine = \"openai\"\nbase_url = \"{url}\"\nmodel = \"m\"\n")
    };
    let text = candidate("refused", &refusing) + &candidate("served", &working);
    std::fs::write(&sweep, text).unwrap();
    let o = edgebench()
        .args(["run", "--suite", "speed", "--reps", "1", "--warmup", "0"])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "stderr:\n{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let (names, tests) = (strings(&speed, "candidate"), strings(&speed, "test"));
    let (statuses, errors) = (strings(&speed, "status"), strings(&speed, "error"));
    for i in 0..speed.height() {
        let test = tests[i].as_deref().unwrap_or("");
        if !test.starts_with("e2e:") {
            continue;
        }
        match names[i].as_deref() {
            Some("refused") => {
                assert_eq!(statuses[i].as_deref(), Some("failed"), "{test}");
                let error = errors[i].as_deref().unwrap_or("");
                assert!(error.contains("401") && !error.contains('\n'), "{error}");
            }
            _ => assert_eq!(statuses[i].as_deref(), Some("ok"), "{test}"),
        }
    }
    let served = names
        .iter()
        .filter(|n| n.as_deref() == Some("served"))
        .count();
    assert!(served >= 3, "the next candidate was measured: {speed}");
}

/// Every way a server can misbehave, one candidate each, then a working one:
/// each is its own failure with a one-line reason, and the sweep goes on.
#[test]
fn each_misbehaving_server_is_a_failure_row_and_the_sweep_goes_on() {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let external = |name: &str, url: &str| {
        format!("[[candidate]]\nname = \"{name}\"\nengine = \"openai\"\nbase_url = \"{url}\"\nmodel = \"m\"\n")
    };
    let started = |name: &str, command: &str, ready: u64| {
        format!(
            "[[candidate]]\nname = \"{name}\"\nengine = \"openai\"\nmodel = \"m\"\n\
                 [candidate.server]\ncommand = {command}\nready_timeout_secs = {ready}\n"
        )
    };
    // (candidate, where its failure shows, what its reason says)
    let cases = [
        (
            "refused",
            external("refused", &format!("http://127.0.0.1:{closed_port}/v1")),
            "e2e",
            "connection refused",
        ),
        (
            "unknown-model",
            external("unknown-model", &start_server(Behaviour::UnknownModel).0),
            "e2e",
            "HTTP 404",
        ),
        (
            "fails",
            external("fails", &start_server(Behaviour::Fails).0),
            "e2e",
            "HTTP 500",
        ),
        (
            "malformed",
            external("malformed", &start_server(Behaviour::MalformedEvent).0),
            "e2e",
            "malformed stream chunk",
        ),
        (
            "stops",
            external("stops", &start_server(Behaviour::StopsMidReply).0),
            "e2e",
            "stopped before [DONE]",
        ),
        (
            "silent",
            external("silent", &start_server(Behaviour::NeverAnswers).0),
            "any",
            "timeout",
        ),
        (
            "exits",
            started(
                "exits",
                "[\"sh\", \"-c\", \"echo no such model >&2; exit 3\", \"{port}\"]",
                30,
            ),
            "load",
            "exited at start",
        ),
        (
            "never-ready",
            started(
                "never-ready",
                "[\"sh\", \"-c\", \"sleep 60\", \"{port}\"]",
                1,
            ),
            "load",
            "did not answer within 1 s",
        ),
    ];
    let mut text = String::from("timeout_secs = 8\n");
    for (_, candidate, _, _) in &cases {
        text.push_str(candidate);
    }
    text.push_str(&external("served", &start_server(Behaviour::Streams).0));
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(&sweep, text).unwrap();
    let o = edgebench()
        .args(["run", "--suite", "speed", "--reps", "1", "--warmup", "0"])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "stderr:\n{}", stderr(&o));
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let (names, tests) = (strings(&speed, "candidate"), strings(&speed, "test"));
    let (statuses, errors) = (strings(&speed, "status"), strings(&speed, "error"));
    for (name, _, failing_test, reason) in cases {
        let rows: Vec<usize> = (0..speed.height())
            .filter(|&i| names[i].as_deref() == Some(name))
            .filter(|&i| {
                failing_test == "any" || tests[i].as_deref().unwrap_or("").starts_with(failing_test)
            })
            .collect();
        assert!(
            !rows.is_empty(),
            "{name}: no {failing_test} rows in {speed}"
        );
        for i in rows {
            let status = statuses[i].as_deref().unwrap_or("");
            if status == "unsupported" {
                continue;
            }
            let error = errors[i].as_deref().unwrap_or("");
            assert!(status != "ok", "{name} {:?}: ok", tests[i]);
            assert!(
                error.contains(reason) && !error.contains('\n'),
                "{name} {:?}: {status}: {error}",
                tests[i]
            );
        }
    }
    let served_ok = (0..speed.height())
        .filter(|&i| names[i].as_deref() == Some("served") && statuses[i].as_deref() == Some("ok"))
        .count();
    assert!(served_ok >= 3, "the last candidate was measured: {speed}");
}

/// `--concurrency 1,3`: each level sends its requests that many at a time,
/// one row per reply and one aggregate row per level.
#[test]
fn concurrency_levels_send_that_many_requests_at_once() {
    let (base_url, heads, most_open) = start_counting_server(Behaviour::StreamsSlowly);
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        // Every reply comes 100 ms after its request: all miss a 50 ms TTFT.
        format!("[targets]\nmax_ttft_ms = 50\nmax_latency_50_ms = 60000\n\n[[candidate]]\nname = \"served\"\nengine = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"m\"\n"),
    )
    .unwrap();
    let o = edgebench()
        .args([
            "run",
            "--suite",
            "speed",
            "--reps",
            "2",
            "--warmup",
            "0",
            "--concurrency",
            "1,3",
        ])
        .arg("--config")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert_eq!(
        most_open.load(Ordering::SeqCst),
        3,
        "the server saw 3 requests at once"
    );
    let speed = read_parquet(&run_dir(&o).join("speed.parquet"));
    let (tests, statuses) = (strings(&speed, "test"), strings(&speed, "status"));
    let (tg, n_gen) = (floats(&speed, "tg_tps"), floats(&speed, "n_gen"));
    for level in [1usize, 3] {
        let name = format!("conc{level}");
        let replies: Vec<usize> = (0..speed.height())
            .filter(|&i| {
                tests[i]
                    .as_deref()
                    .is_some_and(|t| t.starts_with(&format!("{name}:")))
            })
            .collect();
        assert_eq!(replies.len(), level * 2, "{name}: {level} streams x 2 reps");
        assert!(
            replies
                .iter()
                .all(|&i| statuses[i].as_deref() == Some("ok")),
            "{speed}"
        );
        let aggregate = (0..speed.height()).find(|&i| tests[i].as_deref() == Some(name.as_str()));
        let i = aggregate.unwrap_or_else(|| panic!("no {name} row in {speed}"));
        assert_eq!(statuses[i].as_deref(), Some("ok"));
        assert_eq!(
            n_gen[i],
            Some((level * 2 * CHUNKS) as f64),
            "tokens from the server's usage"
        );
        assert!(tg[i].is_some_and(|tps| tps > 0.0), "{:?}", tg[i]);
        assert_level_figures(&speed, i, level, &replies);
    }
    assert_concurrency_report(&run_dir(&o));
    let completions = heads
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.starts_with("POST"))
        .count();
    let user_path_prompts = (0..speed.height())
        .filter(|&i| tests[i].as_deref().is_some_and(|t| t.starts_with("e2e:")))
        .count();
    assert_eq!(
        completions,
        user_path_prompts + 2 + 6,
        "no request beyond the rows"
    );
}

/// The level's goodput (every reply missed the 50 ms TTFT target), its
/// percentiles, and the server's figures on each reply.
fn assert_level_figures(
    speed: &polars::prelude::DataFrame,
    i: usize,
    level: usize,
    replies: &[usize],
) {
    let column = |name: &str| floats(speed, name);
    assert_eq!(column("goodput")[i], Some(0.0), "{speed}");
    assert_eq!(column("goodput_lo")[i], Some(0.0));
    let hi = column("goodput_hi")[i].unwrap();
    assert!(
        hi > 0.0 && hi < 1.0,
        "Wilson upper bound of 0/{}: {hi}",
        level * 2
    );
    assert_eq!(column("goodput_n")[i], Some((level * 2) as f64));
    assert_eq!(column("goodput_ttft_ms")[i], Some(50.0));
    assert_eq!(column("goodput_latency_50_ms")[i], Some(60000.0));
    let (p50, p95) = (
        column("ttft_p50_ms")[i].unwrap(),
        column("ttft_p95_ms")[i].unwrap(),
    );
    assert!(p50 >= 100.0 && p95 >= p50, "TTFT p50 {p50}, p95 {p95}");
    assert!(column("itl_p50_ms")[i].is_some() && column("itl_p99_ms")[i].is_some());
    assert_eq!(
        column("content_chunks")[i],
        None,
        "per reply, not per level"
    );
    for &r in replies {
        assert_eq!(column("content_chunks")[r], Some(CHUNKS as f64));
        assert_eq!(column("server_n_gen")[r], Some(CHUNKS as f64));
        assert_eq!(column("server_pp_tps")[r], Some(1234.5));
        assert_eq!(column("server_tg_tps")[r], Some(98.5));
        assert_eq!(column("goodput")[r], None);
    }
}

/// The run's report: the concurrency table and the throughput/latency chart
/// with the TTFT target, its labels apart.
fn assert_concurrency_report(run: &Path) {
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(md.contains("## Concurrency"), "{md}");
    assert!(md.contains("TTFT ≤ 50 ms"), "{md}");
    let level_3 = md
        .lines()
        .find(|l| l.starts_with("| served | 3 |"))
        .unwrap_or_else(|| panic!("no row for 3 streams: {md}"));
    // Markdown-escaped brackets: "0% [0–39] of 6".
    assert!(
        level_3.contains("| 0% \\[0–") && level_3.contains("\\] of 6 |"),
        "{level_3}"
    );
    assert!(run.join("charts/throughput_latency.png").is_file());
    let svg = std::fs::read_to_string(run.join("charts/throughput_latency.svg")).unwrap();
    let texts = common::svg::svg_texts(&svg);
    let said = |what: &str| texts.iter().any(|t| t.text == what);
    for label in ["1 stream", "3 streams", "TTFT target ≤ 50 ms", "served"] {
        assert!(said(label), "{label:?} not in the chart: {texts:?}");
    }
    let overlaps = common::svg::overlapping(&texts);
    assert!(overlaps.is_empty(), "{overlaps:?}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("Throughput vs latency"));
}
