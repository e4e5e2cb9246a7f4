//! Bounded little-endian reads: every length and count in the header is checked
//! against the bytes left in the file before it is trusted, so corrupt input
//! becomes a `GgufError` naming what was being read, never a panic or a huge buffer.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::GgufError;

/// The GGUF spec caps keys at 65535 bytes; tensor names are shorter still (ggml: 63).
pub(super) const MAX_NAME_LEN: u64 = 65_535;
/// Real headers are a few MB (mostly the vocabulary): a field claiming more than
/// this, beyond the end of the file, is garbage rather than a cut-short download.
const PLAUSIBLE_HEADER_BYTES: u64 = 1 << 32;

/// Little-endian reads that track the position, so every length can be checked
/// against the bytes left before it is trusted.
pub(super) struct Reader {
    inner: BufReader<File>,
    pub(super) path: PathBuf,
    pub(super) pos: u64,
    pub(super) size: u64,
    /// What is being read, for error messages: "key-value pair 3 of 24, 'general.name'".
    pub(super) context: String,
}

impl Reader {
    /// `file` opened at its start; `size` its length in bytes.
    pub(super) fn new(file: File, path: &Path, size: u64) -> Reader {
        Reader {
            inner: BufReader::with_capacity(1 << 16, file),
            path: path.into(),
            pos: 0,
            size,
            context: String::new(),
        }
    }

    pub(super) fn remaining(&self) -> u64 {
        self.size - self.pos
    }

    /// Checks that `bytes` (None: overflowed) fit in what is left of the file. A claim
    /// that fits neither the whole file nor any real header is corruption; otherwise
    /// the file was most likely cut short.
    pub(super) fn claim(&self, bytes: Option<u64>, what: fmt::Arguments) -> Result<u64, GgufError> {
        let (pos, size) = (self.pos, self.size);
        match bytes {
            Some(n) if n <= self.remaining() => Ok(n),
            Some(n) if n <= size.max(PLAUSIBLE_HEADER_BYTES) => Err(self.truncated(format!(
                "header ends early: needs {n} bytes for {what} at offset {pos}, but the file is only {size} bytes"
            ))),
            Some(n) => Err(self.corrupt(format!(
                "{what} would need {n} bytes, more than the whole file ({size} bytes)"
            ))),
            None => Err(self.corrupt(format!("{what} would need more than 2^64 bytes"))),
        }
    }

    pub(super) fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), GgufError> {
        self.claim(Some(buf.len() as u64), format_args!("a value"))?;
        self.inner.read_exact(buf).map_err(|e| self.io(e))?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    pub(super) fn take(&mut self, n: u64) -> Result<Vec<u8>, GgufError> {
        let mut buf = vec![0; n as usize];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }

    pub(super) fn u32(&mut self) -> Result<u32, GgufError> {
        let mut buf = [0; 4];
        self.read_exact(&mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    pub(super) fn u64(&mut self) -> Result<u64, GgufError> {
        let mut buf = [0; 8];
        self.read_exact(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    pub(super) fn skip(&mut self, n: u64) -> Result<(), GgufError> {
        self.claim(Some(n), format_args!("a value"))?;
        // claim() bounded n by the file size, which fits an i64.
        self.inner.seek_relative(n as i64).map_err(|e| self.io(e))?;
        self.pos += n;
        Ok(())
    }

    /// Reads a string's length prefix and checks the string fits in the file.
    pub(super) fn string_len(&mut self, max: u64, what: &str) -> Result<u64, GgufError> {
        let len = self.u64()?;
        if len > max {
            return Err(self.corrupt(format!("{what} length {len} is absurd (limit {max})")));
        }
        self.claim(Some(len), format_args!("a {what}"))
    }

    /// A string from the file as it is (keys must match byte for byte).
    pub(super) fn string(&mut self, max: u64, what: &str) -> Result<String, GgufError> {
        let len = self.string_len(max, what)?;
        let bytes = self.take(len)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn with_context(&self, detail: String) -> String {
        if self.context.is_empty() {
            detail
        } else {
            format!("{detail} (reading {})", self.context)
        }
    }

    pub(super) fn truncated(&self, detail: String) -> GgufError {
        GgufError::Truncated {
            path: self.path.clone(),
            detail: self.with_context(detail),
        }
    }

    pub(super) fn corrupt(&self, detail: String) -> GgufError {
        GgufError::Corrupt {
            path: self.path.clone(),
            detail: self.with_context(detail),
        }
    }

    fn io(&self, source: io::Error) -> GgufError {
        match source.kind() {
            // Only possible if the file shrank while being read.
            io::ErrorKind::UnexpectedEof => self.truncated("file ended while reading".into()),
            _ => GgufError::Io {
                path: self.path.clone(),
                source,
            },
        }
    }
}

/// A string from the file, safe to print: control characters (an escape
/// sequence in a tensor name could rewrite the user's terminal) shown escaped.
pub(super) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::metadata::{KEY_CHAT_TEMPLATE, T_STRING, T_U32};
    use super::super::read_gguf_info;
    use super::super::test_files::{expect_err, llama, parse_bytes, Builder, TempDir};
    use super::*;

    #[test]
    fn error_truncated_header() {
        let (bytes, data_offset) = llama().build();
        for cut in [12, 30, 100, data_offset - 40] {
            let (err, msg) = expect_err(parse_bytes(&bytes[..cut]));
            assert!(
                matches!(err, GgufError::Truncated { .. }),
                "cut at {cut}: {msg}"
            );
            assert!(msg.contains("header ends early"), "{msg}");
        }
        // Every prefix short of the last tensor's end fails cleanly, whichever error it is.
        let dir = TempDir::new();
        for cut in 0..data_offset + 704 + 102 {
            // A fresh name each time: rewriting one file makes ext4 flush it, slowly.
            let path = dir.write(&format!("cut-{cut}.gguf"), &bytes[..cut]);
            assert!(read_gguf_info(&path).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn error_absurd_lengths_and_counts() {
        // A key length of u64::MAX.
        let mut bytes = Builder::new().build().0;
        bytes[16..24].copy_from_slice(&1u64.to_le_bytes()); // n_kv = 1
        bytes.extend(u64::MAX.to_le_bytes());
        bytes.extend([0; 64]);
        let (err, msg) = expect_err(parse_bytes(&bytes));
        assert!(
            matches!(err, GgufError::Corrupt { .. }) && msg.contains("absurd"),
            "{msg}"
        );
        // A chat template longer than the whole file.
        let mut value = T_STRING.to_le_bytes().to_vec();
        value.extend((1u64 << 40).to_le_bytes());
        let b = Builder::new().raw_kv(KEY_CHAT_TEMPLATE, &value);
        let (err, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(
            matches!(err, GgufError::Corrupt { .. }) && msg.contains("whole file"),
            "{msg}"
        );
        // An array with 2^62 elements.
        let b = Builder::new().array("x", T_U32, 1 << 62, &[]);
        let (err, _) = expect_err(parse_bytes(&b.build().0));
        assert!(matches!(err, GgufError::Corrupt { .. }), "{err}");
        // A tensor count of 2^60.
        let mut bytes = llama().build().0;
        bytes[8..16].copy_from_slice(&(1u64 << 60).to_le_bytes());
        let (err, msg) = expect_err(parse_bytes(&bytes));
        assert!(
            matches!(err, GgufError::Corrupt { .. }) && msg.contains("tensors"),
            "{msg}"
        );
    }
}
