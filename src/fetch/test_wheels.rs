//! Small synthetic wheels for the tests: a zip with one member.
use std::io::Write;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// A deflated wheel, as real ones are.
pub fn write_wheel(path: &Path, member: &str, data: &[u8]) -> PathBuf {
    write(path, member, data, CompressionMethod::Deflated)
}

/// A stored (uncompressed) wheel: its member's bytes can be damaged by hand.
pub fn write_stored_wheel(path: &Path, member: &str, data: &[u8]) -> PathBuf {
    write(path, member, data, CompressionMethod::Stored)
}

fn write(path: &Path, member: &str, data: &[u8], method: CompressionMethod) -> PathBuf {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default().compression_method(method);
    zip.start_file(member, options).unwrap();
    zip.write_all(data).unwrap();
    zip.finish().unwrap();
    path.to_path_buf()
}
