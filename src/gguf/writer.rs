//! Writes a GGUF file atomically and streamed: the header, then each tensor's
//! bytes as its source produces them, so a model larger than memory can be
//! written; into a temporary file beside the target, renamed into place only
//! when complete, so a failed or interrupted write leaves nothing behind.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use super::encode::{padded, GgufHeader};
use super::GgufError;

/// Where the tensors' bytes come from.
pub enum TensorData<'a> {
    /// Every tensor all zeros, left as holes: the file takes no disk space for
    /// its data and is written in a moment at any size (the reads are zeros).
    SparseZeros,
    /// Each tensor's bytes, in order, written by the callback (tensor index,
    /// sink); it must write exactly the tensor's size.
    Stream(&'a mut dyn FnMut(usize, &mut dyn Write) -> io::Result<()>),
}

/// Writes `header` and the tensor data to `path`; returns the file's size.
pub fn write_gguf(path: &Path, header: &GgufHeader, data: TensorData) -> Result<u64, GgufError> {
    let write_err = |source: io::Error| GgufError::Write {
        path: path.into(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(write_err)?;
    let size = write_contents(temp.as_file(), header, data).map_err(write_err)?;
    set_readable(temp.as_file()).map_err(write_err)?;
    temp.as_file().sync_all().map_err(write_err)?;
    temp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(size)
}

fn write_contents(file: &File, header: &GgufHeader, data: TensorData) -> io::Result<u64> {
    let head = header.encode();
    let (offsets, data_len) = header.layout();
    let size = head.len() as u64 + data_len;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&head)?;
    match data {
        TensorData::SparseZeros => {
            out.flush()?;
            file.set_len(size)?;
        }
        TensorData::Stream(fill) => {
            for (index, (tensor, offset)) in header.tensors().iter().zip(offsets).enumerate() {
                let mut counted = Counted { inner: &mut out, n: 0 };
                fill(index, &mut counted)?;
                if counted.n != tensor.n_bytes() {
                    return Err(io::Error::other(format!(
                        "tensor {}: {} bytes written, {} expected",
                        tensor.name,
                        counted.n,
                        tensor.n_bytes()
                    )));
                }
                let end = offset + tensor.n_bytes();
                out.write_all(&vec![0; (padded(end) - end) as usize])?;
            }
            out.flush()?;
        }
    }
    drop(out);
    let written = (&*file).seek(SeekFrom::End(0))?;
    debug_assert_eq!(written, size);
    Ok(size)
}

/// Model files are read by other users' tools too: 0644 as `cp` would leave
/// them, not the temporary file's 0600.
fn set_readable(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// Counts what a tensor's source writes, so a wrong size fails the write.
struct Counted<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::metadata::{KEY_ARCH, KEY_CHAT_TEMPLATE, KEY_NAME, KEY_SYNTHETIC};
    use super::super::test_files::TempDir;
    use super::super::{read_gguf_info, read_raw_kvs, GgmlType, TensorInfo};
    use super::*;

    fn header() -> GgufHeader {
        let mut h = GgufHeader::default();
        h.put_str(KEY_ARCH, "llama");
        h.put_str(KEY_NAME, "synthetic test");
        h.put_u32("llama.block_count", 2);
        h.put_u64("llama.context_length", 4096);
        h.put_f32("llama.rope.freq_base", 10_000.0);
        h.put_bool(KEY_SYNTHETIC, true);
        h.put_str(KEY_CHAT_TEMPLATE, "{{ x }}");
        let tensor = |name: &str, dims: &[u64], ggml_type| TensorInfo {
            name: name.into(),
            dims: dims.to_vec(),
            ggml_type,
        };
        h.add_tensor(tensor("a", &[64, 3], GgmlType::Q8_0)).unwrap();
        h.add_tensor(tensor("b", &[7], GgmlType::F32)).unwrap();
        h.add_tensor(tensor("c", &[256, 2], GgmlType::Q4_K)).unwrap();
        let bad = h.add_tensor(tensor("d", &[100, 2], GgmlType::Q4_K));
        assert!(bad.unwrap_err().contains("not a multiple of the Q4_K block of 256"));
        h
    }

    #[test]
    fn streamed_file_reads_back() {
        let dir = TempDir::new();
        let path = dir.0.join("m.gguf");
        let h = header();
        let mut fill = |i: usize, out: &mut dyn Write| {
            out.write_all(&vec![i as u8 + 1; h.tensors()[i].n_bytes() as usize])
        };
        let size = write_gguf(&path, &h, TensorData::Stream(&mut fill)).unwrap();
        let info = read_gguf_info(&path).unwrap();
        assert_eq!(info.file_size, size);
        assert_eq!(info.architecture.as_deref(), Some("llama"));
        assert_eq!(info.model_name.as_deref(), Some("synthetic test"));
        assert!(info.synthetic && info.has_chat_template);
        assert_eq!((info.block_count, info.context_length), (Some(2), Some(4096)));
        assert_eq!(info.n_params, 64 * 3 + 7 + 512);
        // Q8_0: 6 blocks of 34; F32: 28; Q4_K: 2 blocks of 144.
        assert_eq!(info.tensor_bytes, 6 * 34 + 28 + 2 * 144);
        assert_eq!(info.data_offset % 32, 0);
        // Each tensor starts aligned: 204 -> 224, 28 -> 32, and the last is padded too.
        let bytes = std::fs::read(&path).unwrap();
        let data = &bytes[info.data_offset as usize..];
        assert_eq!(data.len(), 224 + 32 + 288);
        assert!(data[..204].iter().all(|&b| b == 1) && data[204..224].iter().all(|&b| b == 0));
        assert!(data[224..252].iter().all(|&b| b == 2));
        assert!(data[256..].iter().all(|&b| b == 3));
        let kv = read_raw_kvs(&path, &|k| k == "llama.rope.freq_base").unwrap();
        assert_eq!(kv[0].encoded[4..], 10_000f32.to_le_bytes());
        let mode = std::fs::metadata(&path).unwrap();
        #[cfg(unix)]
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777, 0o644);
    }

    #[test]
    fn sparse_file_is_full_size_without_data() {
        let dir = TempDir::new();
        let path = dir.0.join("m.gguf");
        let size = write_gguf(&path, &header(), TensorData::SparseZeros).unwrap();
        let info = read_gguf_info(&path).unwrap();
        assert_eq!((info.file_size, info.tensor_bytes), (size, 6 * 34 + 28 + 2 * 144));
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes[info.data_offset as usize..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_failed_write_leaves_nothing_and_keeps_the_old_file() {
        let dir = TempDir::new();
        let path = dir.write("m.gguf", b"old");
        let h = header();
        let mut short = |_: usize, out: &mut dyn Write| out.write_all(&[0; 5]);
        let err = write_gguf(&path, &h, TensorData::Stream(&mut short)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("m.gguf: cannot write") && msg.contains("5 bytes written, 204 expected"), "{msg}");
        let mut failing = |_: usize, _: &mut dyn Write| Err(io::Error::other("disk full"));
        let err = write_gguf(&path, &h, TensorData::Stream(&mut failing)).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["m.gguf"], "no temporary file left");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }
}
