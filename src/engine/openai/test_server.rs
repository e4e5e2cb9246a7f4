//! A scripted HTTP server for the tests, on 127.0.0.1 and a free port: each
//! connection gets the next scripted reply, written as raw HTTP/1.1, and the
//! requests are kept for the tests to look at. Once the script is played the
//! port is closed.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub enum Reply {
    /// This status with a JSON body.
    Status(u16, String),
    /// An event stream, chunked: each piece written and flushed after its
    /// pause (ms); `complete: false` drops the connection without the last chunk.
    Stream {
        pieces: Vec<(u64, String)>,
        complete: bool,
    },
    /// Reads the request, then says nothing for this long.
    Silent(Duration),
    /// A 302 to this location.
    Redirect(String),
}

/// One received request: its head (request line and headers) and body.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub head: String,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("the request body is JSON")
    }
}

pub struct TestServer {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    pub fn start(replies: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        thread::spawn(move || {
            for reply in replies {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let _ = serve(stream, reply, &seen);
            }
        });
        TestServer { base_url, requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, reply: Reply, seen: &Mutex<Vec<Recorded>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    seen.lock().unwrap().push(read_request(&mut reader)?);
    let mut out = stream;
    match reply {
        Reply::Status(code, body) => write!(
            out,
            "HTTP/1.1 {code} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?,
        Reply::Stream { pieces, complete } => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")?;
            out.flush()?;
            for (pause, piece) in pieces {
                thread::sleep(Duration::from_millis(pause));
                write!(out, "{:x}\r\n{piece}\r\n", piece.len())?;
                out.flush()?;
            }
            if complete {
                write!(out, "0\r\n\r\n")?;
            }
        }
        Reply::Silent(pause) => thread::sleep(pause),
        Reply::Redirect(to) => write!(
            out,
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}

/// The request's head and its body (by Content-Length, or chunked).
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Recorded> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body)?;
        }
        None if lower.contains("transfer-encoding: chunked") => loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        },
        None => {}
    }
    Ok(Recorded {
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// One event-stream event carrying `data`.
pub fn event(data: &str) -> String {
    format!("data: {data}\n\n")
}

/// The first chunk servers send: the role, no text.
pub fn role_chunk() -> String {
    event(
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}"#,
    )
}

pub fn content_chunk(text: &str) -> String {
    let chunk = serde_json::json!({
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]
    });
    event(&chunk.to_string())
}

pub fn finish_chunk(reason: &str) -> String {
    let chunk = serde_json::json!({
        "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]
    });
    event(&chunk.to_string())
}

/// The last chunk with `stream_options.include_usage`, with llama-server's timings.
pub fn usage_chunk(prompt: u32, completion: u32) -> String {
    let chunk = serde_json::json!({
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
        "timings": {"prompt_n": prompt, "prompt_ms": 5.0, "prompt_per_second": 2400.0,
                    "predicted_n": completion, "predicted_ms": 40.0,
                    "predicted_per_second": 100.0}
    });
    event(&chunk.to_string())
}

pub fn done() -> String {
    event("[DONE]")
}
