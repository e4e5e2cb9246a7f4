//! One file downloaded with resume: the bytes go to `DEST.partial`; a later
//! run asks for the rest with an HTTP Range request; only a complete file whose
//! size and sha256 match becomes DEST (renamed), a damaged one is deleted.
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use sha2::{Digest, Sha256};

use super::copy::{copy_split, write_error, CopyError};
use super::http::{redact, Http};

/// What the finished file must be.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Lower-case hex.
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

/// Progress of one download: bytes so far (from the partial on) and the total.
pub trait Meter {
    fn start(&self, label: &str, done: u64, total: Option<u64>);
    fn advance(&self, bytes: u64);
    fn finish(&self);
}

/// A request: where from, with what headers (a token), what it must be.
pub struct Download<'a> {
    pub url: &'a str,
    pub headers: Vec<(&'static str, String)>,
    pub expected: Expected,
    /// What the progress bar and the errors call it (a wheel, a GGUF).
    pub label: &'a str,
}

pub fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

/// Downloads `request` to `dest` unless a verified copy is there already.
pub fn fetch_file(http: &Http, request: &Download, dest: &Path, meter: &dyn Meter) -> Result<()> {
    if dest.is_file() && verify(dest, &request.expected).is_ok() {
        return Ok(());
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let partial = partial_path(dest);
    let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    // A partial as long as the whole file (or longer) was cut just before its check.
    let complete = request.expected.size.is_some_and(|size| have >= size);
    if !complete {
        receive(http, request, &partial, have, meter)?;
    }
    if let Err(e) = verify(&partial, &request.expected) {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "{}: {e} (damaged download, deleted: run again)",
            request.label
        );
    }
    std::fs::rename(&partial, dest)
        .with_context(|| format!("cannot move {} into place", partial.display()))
}

/// Appends the rest of the body to `partial` (holding `have` bytes already).
fn receive(
    http: &Http,
    request: &Download,
    partial: &Path,
    have: u64,
    meter: &dyn Meter,
) -> Result<()> {
    let mut headers = request.headers.clone();
    if have > 0 {
        headers.push(("Range", format!("bytes={have}-")));
    }
    let header_refs: Vec<(&str, String)> = headers.iter().map(|(k, v)| (*k, v.clone())).collect();
    let reply = http.get(request.url, &header_refs)?;
    let url = redact(request.url);
    let start = match reply.status {
        206 if reply.content_range_start == Some(have) => have,
        206 => bail!("{url}: the server resumed at another byte than {have}"),
        200 => 0,
        416 if have > 0 => {
            // The partial is no prefix of this file: start again.
            std::fs::remove_file(partial)?;
            return receive(http, request, partial, 0, meter);
        }
        status => bail!("{url}: HTTP {status}"),
    };
    let total = reply
        .content_length
        .map(|n| n + start)
        .or(request.expected.size);
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(start == 0)
        .append(start > 0)
        .open(partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    meter.start(request.label, start, total);
    let mut file = file;
    let copied = copy_split(&mut reply.body.into_reader(), &mut file, &mut |n| {
        meter.advance(n)
    });
    meter.finish();
    let written = start + copied.as_ref().map_or_else(|(n, _)| *n, |n| *n);
    match copied {
        Ok(_) => file.sync_all().map_err(|e| write_error(partial, e))?,
        Err((_, CopyError::Write(e))) => return Err(write_error(partial, e)),
        Err((_, CopyError::Read(e))) => bail!(
            "{}: download interrupted after {written}{} bytes ({e}); run again to resume",
            request.label,
            total.map(|t| format!(" of {t}")).unwrap_or_default()
        ),
    }
    match total {
        Some(total) if written < total => bail!(
            "{}: download interrupted after {written} of {total} bytes; run again to resume",
            request.label
        ),
        _ => Ok(()),
    }
}

/// Size, then sha256, of a file on disk.
pub fn verify(path: &Path, expected: &Expected) -> Result<()> {
    let size = std::fs::metadata(path)?.len();
    if let Some(want) = expected.size {
        if size != want {
            return Err(anyhow!("size {size} bytes, expected {want}"));
        }
    }
    if let Some(want) = &expected.sha256 {
        let got = sha256_of(path)?;
        if &got != want {
            return Err(anyhow!("sha256 {got}, expected {want}"));
        }
    }
    Ok(())
}

pub fn sha256_of(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::standin::{sha256, StandIn, Trouble};

    struct Quiet;
    impl Meter for Quiet {
        fn start(&self, _: &str, _: u64, _: Option<u64>) {}
        fn advance(&self, _: u64) {}
        fn finish(&self) {}
    }

    const DATA: &[u8] = b"0123456789 abcdefghij ABCDEFGHIJ";

    fn setup(trouble: Option<Trouble>) -> (StandIn, tempfile::TempDir, PathBuf) {
        let server = StandIn::start();
        server.file("/f.bin", DATA.to_vec());
        if let Some(t) = trouble {
            server.trouble("/f.bin", t);
        }
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f.bin");
        (server, dir, dest)
    }

    fn get(server: &StandIn, dest: &Path, sha: &str) -> Result<()> {
        let url = format!("{}/f.bin", server.base);
        let request = Download {
            url: &url,
            headers: Vec::new(),
            expected: Expected {
                sha256: Some(sha.to_string()),
                size: Some(DATA.len() as u64),
            },
            label: "f.bin",
        };
        fetch_file(&Http::new(), &request, dest, &Quiet)
    }

    #[test]
    fn a_partial_is_continued_with_a_range_request() {
        let (server, _dir, dest) = setup(None);
        std::fs::write(partial_path(&dest), &DATA[..10]).unwrap();
        get(&server, &dest, &sha256(DATA)).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), DATA);
        assert!(!partial_path(&dest).exists());
        assert_eq!(server.seen()[0].range.as_deref(), Some("bytes=10-"));
    }

    #[test]
    fn a_server_without_ranges_sends_the_whole_file_again() {
        let (server, _dir, dest) = setup(Some(Trouble::NoRanges));
        std::fs::write(partial_path(&dest), &DATA[..10]).unwrap();
        get(&server, &dest, &sha256(DATA)).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), DATA);
    }

    #[test]
    fn a_cut_body_keeps_its_partial_for_the_next_run() {
        let (server, _dir, dest) = setup(Some(Trouble::CutOnceAfter(7)));
        let e = get(&server, &dest, &sha256(DATA)).unwrap_err().to_string();
        assert!(
            e.contains("interrupted after 7 of 32 bytes") && e.contains("run again to resume"),
            "{e}"
        );
        assert!(!dest.exists());
        assert_eq!(std::fs::read(partial_path(&dest)).unwrap(), &DATA[..7]);
        get(&server, &dest, &sha256(DATA)).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), DATA);
    }

    #[test]
    fn a_partial_that_is_no_prefix_is_caught_by_the_sha256_and_deleted() {
        let (server, _dir, dest) = setup(None);
        std::fs::write(partial_path(&dest), b"XXXXXXXXXX").unwrap();
        let e = get(&server, &dest, &sha256(DATA)).unwrap_err().to_string();
        assert!(e.contains("damaged download, deleted: run again"), "{e}");
        assert!(!partial_path(&dest).exists() && !dest.exists());
        get(&server, &dest, &sha256(DATA)).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), DATA);
    }

    #[test]
    fn a_partial_longer_than_the_file_starts_over() {
        let (server, _dir, dest) = setup(None);
        std::fs::write(partial_path(&dest), [DATA, b"tail"].concat()).unwrap();
        let e = get(&server, &dest, &sha256(DATA)).unwrap_err().to_string();
        assert!(e.contains("size 36 bytes, expected 32"), "{e}");
        assert!(server.seen().is_empty(), "checked before asking");
        get(&server, &dest, &sha256(DATA)).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), DATA);
    }

    #[test]
    fn an_http_error_names_the_status_and_url() {
        let (server, _dir, dest) = setup(Some(Trouble::Status(500)));
        let e = get(&server, &dest, &sha256(DATA)).unwrap_err().to_string();
        assert_eq!(e, format!("{}/f.bin: HTTP 500", server.base));
        assert!(!dest.exists() && !partial_path(&dest).exists());
    }

    #[test]
    fn a_verified_file_is_not_downloaded_again() {
        let (server, _dir, dest) = setup(None);
        std::fs::write(&dest, DATA).unwrap();
        get(&server, &dest, &sha256(DATA)).unwrap();
        assert!(server.seen().is_empty());
    }
}
