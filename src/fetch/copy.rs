//! Copying bytes while telling a failed read (a cut connection, a damaged
//! archive) from a failed write (a full disk), which the user fixes differently.
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::anyhow;

pub enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies to the end; on failure, the bytes written so far and which side failed.
pub fn copy_split(
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<u64, (u64, CopyError)> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut copied = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((copied, CopyError::Read(e))),
        };
        if let Err(e) = writer.write_all(&buffer[..n]) {
            return Err((copied, CopyError::Write(e)));
        }
        copied += n as u64;
        on_bytes(n as u64);
    }
}

/// A failed write as one line; a full disk says so and what to do.
pub fn write_error(path: &Path, e: io::Error) -> anyhow::Error {
    if is_disk_full(&e) {
        anyhow!(
            "no space left on the device writing {}: free some space and run again",
            path.display()
        )
    } else {
        anyhow!("cannot write {}: {e}", path.display())
    }
}

pub fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(libc::ENOSPC)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A disk that fills after `room` bytes, as ENOSPC does.
    pub struct FullAfter {
        pub room: usize,
    }

    impl Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_is_a_write_failure_named_as_such() {
        let mut data: &[u8] = &[7u8; 1000];
        let mut disk = FullAfter { room: 300 };
        let (written, error) = copy_split(&mut data, &mut disk, &mut |_| {}).err().unwrap();
        assert_eq!(written, 0, "the first buffer did not fit whole");
        let CopyError::Write(e) = error else {
            panic!("a write failure")
        };
        let message = write_error(Path::new("models/x.gguf"), e).to_string();
        assert!(
            message.starts_with("no space left on the device writing models/x.gguf"),
            "{message}"
        );
    }

    #[test]
    fn a_failed_read_is_told_apart() {
        struct Cut;
        impl Read for Cut {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            }
        }
        let result = copy_split(&mut Cut, &mut Vec::new(), &mut |_| {});
        assert!(matches!(result, Err((0, CopyError::Read(_)))));
    }
}
