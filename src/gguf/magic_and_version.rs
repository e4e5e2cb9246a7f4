//! The first eight bytes: the GGUF magic and a version this reader understands.
//! A file that fails either check is named for what it probably is (a Git LFS
//! pointer, an HTML error page, an archive, a pre-GGUF model), so the user
//! learns what to do instead of only that it is not GGUF.

use super::reader::Reader;
use super::GgufError;

pub(super) const MAGIC: &[u8; 4] = b"GGUF";

/// Fails, saying what the file probably is, unless it starts with `GGUF`.
pub(super) fn check_magic(r: &mut Reader) -> Result<(), GgufError> {
    let mut head = r.take(r.size.min(4))?;
    if head == MAGIC {
        return Ok(());
    }
    head.extend(r.take(r.remaining().min(60))?);
    Err(GgufError::NotGguf {
        path: r.path.clone(),
        what: describe_start(&head),
    })
}

/// Names what a non-GGUF file probably is, so the user knows what to do with it.
fn describe_start(head: &[u8]) -> String {
    if head.len() < 4 {
        return format!("it is only {} bytes long", head.len());
    }
    if let Some(hint) = known_format(head) {
        return hint.into();
    }
    // The 64-byte sample may cut a multi-byte character at the end; that is still text.
    let text = match std::str::from_utf8(head) {
        Ok(s) => Some(s),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match text {
        Some(s) if !s.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            let sample: String = s.chars().take(40).collect();
            format!("it looks like text, starting with {sample:?}")
        }
        _ => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("it starts with bytes {} instead of \"GGUF\"", hex.join(" "))
        }
    }
}

/// Formats a model file is commonly confused with, each with what to do about it.
fn known_format(head: &[u8]) -> Option<&'static str> {
    let lower = String::from_utf8_lossy(head).to_lowercase();
    Some(match head {
        _ if lower.starts_with("version https://git-lfs") => {
            "it is a Git LFS pointer, not the model itself; run `git lfs pull`"
        }
        _ if lower.starts_with("<!doctype html") || lower.starts_with("<html") => {
            "it looks like an HTML page (a failed download?)"
        }
        [b'P', b'K', 3, 4, ..] => "it looks like a ZIP archive; extract the .gguf from it first",
        [0x1f, 0x8b, ..] => "it looks like a gzip archive; decompress it first",
        // Pre-GGUF llama.cpp magics ('ggml', 'ggmf', 'ggjt') written as little-endian u32.
        [b'l' | b'f', b'm', b'g', b'g', ..] | [b't', b'j', b'g', b'g', ..] => {
            "it is an old GGML/GGJT model from before GGUF; convert it with a current llama.cpp"
        }
        // safetensors: a u64 header length, then a JSON object.
        [_, _, _, _, _, _, _, _, b'{', b'"', ..] => {
            "it looks like a safetensors file; convert it with llama.cpp's convert_hf_to_gguf.py"
        }
        _ => return None,
    })
}

/// The version field; v1, big-endian and unknown versions fail with what to do.
pub(super) fn check_version(r: &mut Reader) -> Result<u32, GgufError> {
    let version = r.u32()?;
    let hint = match version {
        2 | 3 => return Ok(version),
        1 => "GGUF v1 is obsolete; get or convert the model with a current llama.cpp".into(),
        // A big-endian v3 file reads as 0x03000000 here.
        v if v != 0 && v & 0xFFFF == 0 => format!(
            "this looks like a big-endian GGUF file (version field reads {v:#010x}); \
             only little-endian files are supported"
        ),
        _ => "only versions 2 and 3 are supported (is the file corrupt, or newer than edgebench?)"
            .into(),
    };
    Err(GgufError::UnsupportedVersion {
        path: r.path.clone(),
        version,
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_files::{expect_err, llama, parse_bytes};
    use super::*;

    #[test]
    fn error_not_gguf() {
        let cases: [(&[u8], &str); 7] = [
            (
                b"Hello, this is not a model.\n",
                "looks like text, starting with \"Hello",
            ),
            (
                b"version https://git-lfs.github.com/spec/v1\noid sha256:",
                "git lfs pull",
            ),
            (b"<!DOCTYPE html><html>", "HTML"),
            (b"PK\x03\x04\x14\x00\x00\x00", "ZIP"),
            (b"tjgg\x01\x00\x00\x00", "GGML/GGJT"),
            (
                b"\x00\x01\x02\x03\xff\xfe",
                "starts with bytes 00 01 02 03 ff fe",
            ),
            (b"GG", "only 2 bytes"),
        ];
        for (bytes, hint) in cases {
            let (err, msg) = expect_err(parse_bytes(bytes));
            assert!(matches!(err, GgufError::NotGguf { .. }), "{msg}");
            assert!(msg.contains(hint), "{msg} should contain {hint}");
        }
    }

    #[test]
    fn error_bad_version() {
        for (version, hint) in [
            (1, "obsolete"),
            (4, "versions 2 and 3"),
            (0x0300_0000, "big-endian"),
        ] {
            let mut b = llama();
            b.version = version;
            let (err, msg) = expect_err(parse_bytes(&b.build().0));
            assert!(matches!(err, GgufError::UnsupportedVersion { .. }), "{msg}");
            assert!(msg.contains(hint), "{msg}");
        }
    }
}
