//! Reads the header of a GGUF model file (metadata and tensor infos) without
//! loading any weights, so edgebench can describe a model, estimate its memory
//! needs and reject a broken download before llama.cpp spends minutes on it.
//!
//! Format reference: ggml's `gguf.h` / `gguf.cpp`. Only little-endian GGUF v2
//! and v3 are read; they share one layout (v3 only added big-endian files).
//! Every count and length is checked against the bytes left in the file before
//! it is used, so corrupt input yields an error, never a panic or a huge buffer.

mod encode;
mod ggml_types;
mod header;
mod magic_and_version;
mod metadata;
mod raw_kv;
mod reader;
mod tensor_infos;
#[cfg(test)]
mod test_files;
mod writer;

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::results::plan::KvCacheType;
use reader::Reader;

pub use encode::{GgufHeader, TensorInfo};
pub use ggml_types::GgmlType;
pub use metadata::KEY_SYNTHETIC;
pub use raw_kv::{read_raw_kvs, RawKv};
pub use writer::{write_gguf, TensorData};

/// What edgebench needs to know about a model, read from its GGUF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufInfo {
    pub path: PathBuf,
    pub version: u32,
    pub file_size: u64,
    pub architecture: Option<String>,
    pub model_name: Option<String>,
    pub file_type: Option<u32>,
    /// llama.cpp's file type name without "MOSTLY_" (e.g. "Q4_K_M"), else the
    /// tensor type holding the most bytes (e.g. "Q8_0"), else "unknown".
    pub quant: String,
    pub n_params: u64,
    pub tensor_bytes: u64,
    pub n_tensors: u64,
    pub context_length: Option<u64>,
    pub block_count: Option<u64>,
    pub embedding_length: Option<u64>,
    pub head_count: Option<u64>,
    /// Per-layer arrays (some models vary it by layer) are reduced to their max.
    pub head_count_kv: Option<u64>,
    pub key_length: Option<u64>,
    pub value_length: Option<u64>,
    pub has_chat_template: bool,
    /// Written by `edgebench synth` (`edgebench.synthetic = true`): random weights.
    pub synthetic: bool,
    pub data_offset: u64,
}

impl GgufInfo {
    /// KV cache bytes for `n_ctx` tokens with f16 K and V:
    /// n_layer * n_ctx * n_head_kv * (key_length + value_length) * 2 bytes, which is
    /// 2 * n_layer * n_ctx * n_head_kv * head_dim * 2 when K and V share head_dim.
    /// head_dim defaults to embedding_length / head_count, and head_count_kv to
    /// head_count, as in llama.cpp. None when the needed keys are missing;
    /// u64::MAX when it overflows (an absurd --ctx or header): fits nowhere.
    pub fn kv_cache_bytes(&self, n_ctx: u64) -> Option<u64> {
        self.kv_cache_bytes_as(n_ctx, KvCacheType::F16, KvCacheType::F16)
    }

    /// K and V for `n_ctx` tokens stored as the given cache types (every
    /// layer full size: the sliding-window layers' smaller cache is not
    /// taken off, so it errs towards "does not fit").
    pub fn kv_cache_bytes_as(&self, n_ctx: u64, k: KvCacheType, v: KvCacheType) -> Option<u64> {
        let n_layer = self.block_count?;
        let n_head = self.head_count.filter(|&n| n > 0)?;
        let n_head_kv = self.head_count_kv.unwrap_or(n_head);
        let default_dim = self.embedding_length.map(|e| e / n_head);
        let k_dim = self.key_length.or(default_dim)?;
        let v_dim = self.value_length.or(default_dim)?;
        let per_token_row =
            k_dim as f64 * k.bytes_per_element() + v_dim as f64 * v.bytes_per_element();
        // f64 then `as`: exact below 2^53, saturating above (an absurd context fits nowhere).
        Some((n_layer as f64 * n_ctx as f64 * n_head_kv as f64 * per_token_row) as u64)
    }
}

/// Why a file could not be read as a GGUF model; each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("{}: file not found", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: is a directory, not a GGUF model file", path.display())]
    IsDirectory { path: PathBuf },
    #[error("{}: file is empty (0 bytes); download or copy the model again", path.display())]
    Empty { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a GGUF model file: {what}", path.display())]
    NotGguf { path: PathBuf, what: String },
    #[error("{}: unsupported GGUF version {version}: {hint}", path.display())]
    UnsupportedVersion {
        path: PathBuf,
        version: u32,
        hint: String,
    },
    #[error("{}: truncated GGUF file: {detail}", path.display())]
    Truncated { path: PathBuf, detail: String },
    #[error("{}: corrupt GGUF file: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: cannot write: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// The sha256 of a whole file (the model's identity in the results), hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Reads the GGUF header of `path`; the tensor data is only checked to be
/// present (by size), never read.
pub fn read_gguf_info(path: &Path) -> Result<GgufInfo, GgufError> {
    header::parse(&mut open_reader(path)?)
}

/// `path` opened for reading at its start; a missing, directory or empty
/// file is named as such.
fn open_reader(path: &Path) -> Result<Reader, GgufError> {
    let io_err = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => GgufError::NotFound { path: path.into() },
        _ => GgufError::Io {
            path: path.into(),
            source,
        },
    };
    // Checked first because opening a directory succeeds on Linux.
    if std::fs::metadata(path).map_err(io_err)?.is_dir() {
        return Err(GgufError::IsDirectory { path: path.into() });
    }
    let mut file = File::open(path).map_err(io_err)?;
    let size = file.seek(SeekFrom::End(0)).map_err(io_err)?;
    file.rewind().map_err(io_err)?;
    if size == 0 {
        return Err(GgufError::Empty { path: path.into() });
    }
    Ok(Reader::new(file, path, size))
}

#[cfg(test)]
mod tests {
    use super::metadata::KEY_CHAT_TEMPLATE;
    use super::test_files::{expect_err, llama, parse_bytes, Builder, TempDir};
    use super::*;

    #[test]
    fn parses_metadata_and_tensor_totals() {
        let (bytes, data_offset) = llama().build();
        let info = parse_bytes(&bytes).unwrap();
        assert_eq!(info.version, 3);
        assert_eq!(info.file_size, bytes.len() as u64);
        assert_eq!(info.architecture.as_deref(), Some("llama"));
        assert_eq!(info.model_name.as_deref(), Some("Tiny Llama"));
        assert_eq!((info.file_type, info.quant.as_str()), (Some(15), "Q4_K_M"));
        assert_eq!(info.n_tensors, 3);
        assert_eq!(info.n_params, 256 * 4 + 64 + 32 * 3);
        // Q4_K: 4 blocks of 144 bytes; F16: 64 * 2; Q8_0: 3 blocks of 34 bytes.
        assert_eq!(info.tensor_bytes, 4 * 144 + 64 * 2 + 3 * 34);
        assert_eq!(info.context_length, Some(2048));
        assert_eq!(info.block_count, Some(2));
        assert_eq!(info.embedding_length, Some(64));
        assert_eq!(info.head_count, Some(4));
        assert_eq!(info.head_count_kv, Some(4), "max of the per-layer array");
        assert_eq!((info.key_length, info.value_length), (None, None));
        assert!(info.has_chat_template);
        assert_eq!(info.data_offset, data_offset as u64);
        assert_eq!(info.data_offset % 32, 0);
    }

    #[test]
    fn reads_v2_and_custom_alignment() {
        let mut b = llama().alignment(64);
        b.version = 2;
        let (bytes, data_offset) = b.build();
        let info = parse_bytes(&bytes).unwrap();
        assert_eq!(info.version, 2);
        assert_eq!(info.data_offset, data_offset as u64);
        assert_eq!(info.data_offset % 64, 0);
    }

    #[test]
    fn empty_chat_template_and_no_tensors() {
        let (bytes, data_offset) = Builder::new().str(KEY_CHAT_TEMPLATE, "").build();
        let info = parse_bytes(&bytes).unwrap();
        assert!(!info.has_chat_template);
        assert_eq!(
            (info.n_tensors, info.n_params, info.tensor_bytes),
            (0, 0, 0)
        );
        assert_eq!(info.data_offset, data_offset as u64);
        assert_eq!(info.architecture, None);
        assert_eq!(info.context_length, None);
        assert_eq!(info.quant, "unknown");
    }

    #[test]
    fn kv_cache_bytes_by_hand() {
        let (bytes, _) = llama().build();
        let mut info = parse_bytes(&bytes).unwrap();
        // head_dim = 64 / 4 = 16; 2 (K,V) * 2 layers * 100 tokens * 4 kv heads * 16 * 2 bytes.
        assert_eq!(info.kv_cache_bytes(100), Some(2 * 2 * 100 * 4 * 16 * 2));
        assert_eq!(info.kv_cache_bytes(100), Some(51_200));
        info.key_length = Some(32);
        info.value_length = Some(16);
        // K: 2 * 100 * 4 * 32 * 2 = 51200; V: 2 * 100 * 4 * 16 * 2 = 25600.
        assert_eq!(info.kv_cache_bytes(100), Some(76_800));
        // q8_0 stores 32 values in 34 bytes, q4_0 in 18.
        let (q8, q4) = (KvCacheType::Q8_0, KvCacheType::Q4_0);
        assert_eq!(
            info.kv_cache_bytes_as(100, q8, q4),
            Some(2 * 100 * 4 * (34 + 9))
        );
        info.head_count_kv = None; // defaults to head_count (4): same here
        assert_eq!(info.kv_cache_bytes(100), Some(76_800));
        info.block_count = None;
        assert_eq!(info.kv_cache_bytes(100), None);
        info.block_count = Some(u64::MAX);
        assert_eq!(
            info.kv_cache_bytes(100),
            Some(u64::MAX),
            "overflow saturates (does not fit), not a panic nor a missing figure"
        );
    }

    #[test]
    fn error_missing_dir_and_empty() {
        let dir = TempDir::new();
        let (err, _) = expect_err(read_gguf_info(&dir.0.join("model.gguf")));
        assert!(matches!(err, GgufError::NotFound { .. }), "{err}");
        let (err, msg) = expect_err(read_gguf_info(&dir.0));
        assert!(matches!(err, GgufError::IsDirectory { .. }), "{err}");
        assert!(msg.contains("directory"), "{msg}");
        let (err, msg) = expect_err(read_gguf_info(&dir.write("model.gguf", b"")));
        assert!(
            matches!(err, GgufError::Empty { .. }) && msg.contains("0 bytes"),
            "{msg}"
        );
    }

    #[test]
    fn corrupted_bytes_never_panic() {
        let (bytes, data_offset) = llama().build();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dir = TempDir::new();
        for i in 0..300 {
            let mut copy = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % data_offset as u64) as usize;
                copy[at] = next() as u8;
            }
            let _ = read_gguf_info(&dir.write(&format!("model-{i}.gguf"), &copy));
        }
    }

    /// Checks the two models edgebench ships suites for, when they are available.
    #[test]
    fn real_models() {
        let Some(dir) = std::env::var_os("EDGEBENCH_TEST_MODELS_DIR").map(PathBuf::from) else {
            eprintln!("note: EDGEBENCH_TEST_MODELS_DIR not set; skipping real GGUF checks");
            return;
        };
        let check = |name: &str, check: &dyn Fn(&GgufInfo)| {
            let path = dir.join(name);
            if !path.exists() {
                eprintln!("note: {} not found; skipping", path.display());
                return;
            }
            let info = read_gguf_info(&path).unwrap();
            assert_eq!(info.data_offset + info.tensor_bytes, info.file_size);
            check(&info);
        };
        check("gemma-3-270m-Q4_K_M.gguf", &|info| {
            assert_eq!(info.architecture.as_deref(), Some("gemma3"));
            assert_eq!(info.quant, "Q4_K_M");
            assert_eq!(info.n_params, 268_098_176);
            assert_eq!(info.n_tensors, 236);
            assert_eq!(info.context_length, Some(32_768));
            assert_eq!((info.block_count, info.head_count_kv), (Some(18), Some(1)));
            assert_eq!((info.key_length, info.value_length), (Some(256), Some(256)));
            assert!(!info.has_chat_template);
            // 18 layers * 4096 tokens * 1 kv head * (256 + 256) * 2 bytes.
            assert_eq!(info.kv_cache_bytes(4096), Some(75_497_472));
        });
        check("SmolLM2-135M-Instruct-Q4_1.gguf", &|info| {
            assert_eq!(info.architecture.as_deref(), Some("llama"));
            assert_eq!(info.quant, "Q4_1");
            assert_eq!(info.n_params, 134_515_008);
            assert_eq!(info.n_tensors, 272);
            assert_eq!(info.context_length, Some(8192));
            assert_eq!((info.block_count, info.head_count_kv), (Some(30), Some(3)));
            assert!(info.has_chat_template);
        });
    }
}
