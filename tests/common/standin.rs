//! A loopback stand-in for the package index (PEP 691 JSON) and the Hugging
//! Face hub (refs, tree, resolve), serving files with HTTP Range and able to
//! misbehave on cue: cut a body short, damage it, answer with an error.
//! Nothing leaves 127.0.0.1.
#![allow(dead_code)]
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub range: Option<String>,
    pub authorization: Option<String>,
}

/// What a served file does on its next requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trouble {
    /// Content-Length of the whole, then only this many bytes, then the connection closes (once).
    CutOnceAfter(usize),
    /// Every byte served with one flipped.
    Damaged,
    /// This HTTP status instead of the file.
    Status(u16),
    /// Range requests answered with the whole file (200), as some servers do.
    NoRanges,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    json: HashMap<String, String>,
    trouble: HashMap<String, Trouble>,
    seen: Vec<Seen>,
}

pub struct StandIn {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl StandIn {
    pub fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        StandIn { base, state }
    }

    pub fn file(&self, path: &str, bytes: Vec<u8>) {
        self.state.lock().unwrap().files.insert(path.into(), bytes);
    }

    pub fn json(&self, path: &str, body: serde_json::Value) {
        self.state
            .lock()
            .unwrap()
            .json
            .insert(path.into(), body.to_string());
    }

    pub fn trouble(&self, path: &str, trouble: Trouble) {
        self.state
            .lock()
            .unwrap()
            .trouble
            .insert(path.into(), trouble);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn forget_seen(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// A PEP 691 project page listing `wheels` (file name, bytes), served under /files/.
    pub fn package(&self, name: &str, wheels: &[(String, Vec<u8>)]) {
        let files: Vec<serde_json::Value> = wheels
            .iter()
            .map(|(filename, bytes)| {
                self.file(&format!("/files/{filename}"), bytes.clone());
                serde_json::json!({
                    "filename": filename,
                    "url": format!("../../files/{filename}"),
                    "hashes": {"sha256": sha256(bytes)},
                    "size": bytes.len(),
                })
            })
            .collect();
        self.json(
            &format!("/simple/{name}/"),
            serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": files}),
        );
    }

    /// A hub repository at `commit` with these files (path, bytes), each an LFS file.
    pub fn hub_repo(&self, repo: &str, commit: &str, files: &[(&str, Vec<u8>)]) {
        self.json(
            &format!("/api/models/{repo}/refs"),
            serde_json::json!({"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": commit}], "tags": []}),
        );
        let mut tree = vec![
            serde_json::json!({"type": "file", "path": "README.md", "oid": "1".repeat(40), "size": 3}),
        ];
        self.file(
            &format!("/{repo}/resolve/{commit}/README.md"),
            b"hi\n".to_vec(),
        );
        for (path, bytes) in files {
            tree.push(serde_json::json!({
                "type": "file", "path": path, "oid": "2".repeat(40), "size": bytes.len(),
                "lfs": {"oid": sha256(bytes), "size": bytes.len(), "pointerSize": 134},
            }));
            self.file(&format!("/{repo}/resolve/{commit}/{path}"), bytes.clone());
        }
        self.json(
            &format!("/api/models/{repo}/tree/{commit}?recursive=true"),
            serde_json::Value::Array(tree),
        );
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let seen = Seen {
        path: path.clone(),
        range: headers.get("range").cloned(),
        authorization: headers.get("authorization").cloned(),
    };
    let (status, content_type, body, announced, extra) = {
        let mut s = state.lock().unwrap();
        s.seen.push(seen.clone());
        respond(&mut s, &path, seen.range.as_deref())
    };
    let mut out = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {announced}\r\nConnection: close\r\n{extra}\r\n"
    );
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body);
    let _ = out.flush();
}

type Response = (u16, &'static str, Vec<u8>, usize, String);

fn respond(s: &mut State, path: &str, range: Option<&str>) -> Response {
    if let Some(json) = s.json.get(path) {
        let body = json.clone().into_bytes();
        return (
            200,
            "application/json",
            body.clone(),
            body.len(),
            String::new(),
        );
    }
    let Some(file) = s.files.get(path).cloned() else {
        return (404, "text/plain", b"not found".to_vec(), 9, String::new());
    };
    let trouble = s.trouble.get(path).copied();
    let mut bytes = file;
    match trouble {
        Some(Trouble::Status(code)) => {
            return (code, "text/plain", b"no".to_vec(), 2, String::new())
        }
        Some(Trouble::Damaged) => {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
        }
        _ => {}
    }
    let total = bytes.len();
    let range = range.filter(|_| trouble != Some(Trouble::NoRanges));
    let start: usize = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if start >= total && start > 0 {
        return (
            416,
            "text/plain",
            Vec::new(),
            0,
            format!("Content-Range: bytes */{total}\r\n"),
        );
    }
    let (status, extra) = if range.is_some() {
        (
            206,
            format!("Content-Range: bytes {start}-{}/{total}\r\n", total - 1),
        )
    } else {
        (200, String::new())
    };
    let body = bytes[start..].to_vec();
    let announced = body.len();
    if let Some(Trouble::CutOnceAfter(n)) = trouble {
        s.trouble.remove(path);
        return (
            status,
            "application/octet-stream",
            body[..n.min(announced)].to_vec(),
            announced,
            extra,
        );
    }
    (status, "application/octet-stream", body, announced, extra)
}
