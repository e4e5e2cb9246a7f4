//! GGUF files built in memory for the tests, the way ggml's writer lays them out,
//! and written to a temporary directory for `read_gguf_info`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ggml_types::tensor_type;
use super::magic_and_version::MAGIC;
use super::metadata::{
    KEY_ALIGNMENT, KEY_ARCH, KEY_CHAT_TEMPLATE, KEY_FILE_TYPE, KEY_NAME, T_ARRAY, T_BOOL, T_F32,
    T_I32, T_STRING, T_U32, T_U64,
};
use super::{read_gguf_info, GgufError, GgufInfo};

/// Writes GGUF files in memory the way ggml's writer lays them out.
pub(super) struct Builder {
    pub(super) version: u32,
    alignment: u64,
    n_kv: u64,
    kv: Vec<u8>,
    pub(super) tensors: Vec<(String, Vec<u64>, u32)>,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

impl Builder {
    pub(super) fn new() -> Self {
        Builder {
            version: 3,
            alignment: 32,
            n_kv: 0,
            kv: Vec::new(),
            tensors: Vec::new(),
        }
    }

    /// Appends a key-value pair whose type and value are already encoded.
    pub(super) fn raw_kv(mut self, key: &str, type_and_value: &[u8]) -> Self {
        put_str(&mut self.kv, key);
        self.kv.extend(type_and_value);
        self.n_kv += 1;
        self
    }

    pub(super) fn kv(self, key: &str, ty: u32, value: &[u8]) -> Self {
        let mut bytes = ty.to_le_bytes().to_vec();
        bytes.extend(value);
        self.raw_kv(key, &bytes)
    }

    pub(super) fn u32(self, key: &str, v: u32) -> Self {
        self.kv(key, T_U32, &v.to_le_bytes())
    }

    pub(super) fn str(self, key: &str, v: &str) -> Self {
        let mut value = Vec::new();
        put_str(&mut value, v);
        self.kv(key, T_STRING, &value)
    }

    pub(super) fn array(self, key: &str, elem_ty: u32, n: u64, elems: &[u8]) -> Self {
        let mut value = elem_ty.to_le_bytes().to_vec();
        value.extend(n.to_le_bytes());
        value.extend(elems);
        self.kv(key, T_ARRAY, &value)
    }

    pub(super) fn alignment(mut self, alignment: u32) -> Self {
        self.alignment = alignment.into();
        self.u32(KEY_ALIGNMENT, alignment)
    }

    pub(super) fn tensor(mut self, name: &str, dims: &[u64], ty: u32) -> Self {
        self.tensors.push((name.into(), dims.to_vec(), ty));
        self
    }

    fn tensor_bytes(dims: &[u64], ty: u32) -> u64 {
        // Unknown types get no data: the reader must reject them before it matters.
        tensor_type(ty).map_or(0, |t| dims.iter().product::<u64>() / t.block * t.size)
    }

    /// Returns the whole file and where its tensor data starts.
    pub(super) fn build(&self) -> (Vec<u8>, usize) {
        let mut out = MAGIC.to_vec();
        out.extend(self.version.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend(self.n_kv.to_le_bytes());
        out.extend(&self.kv);
        let mut offset = 0u64;
        for (name, dims, ty) in &self.tensors {
            put_str(&mut out, name);
            out.extend((dims.len() as u32).to_le_bytes());
            dims.iter().for_each(|d| out.extend(d.to_le_bytes()));
            out.extend(ty.to_le_bytes());
            out.extend(offset.to_le_bytes());
            offset += Self::tensor_bytes(dims, *ty).div_ceil(self.alignment) * self.alignment;
        }
        if !self.tensors.is_empty() {
            out.resize(
                out.len().div_ceil(self.alignment as usize) * self.alignment as usize,
                0,
            );
        }
        let data_offset = out.len();
        out.resize(data_offset + offset as usize, 0);
        (out, data_offset)
    }
}

/// A temporary directory removed on drop, so tests need no extra crates.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("edgebench-gguf-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(super) fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn parse_bytes(bytes: &[u8]) -> Result<GgufInfo, GgufError> {
    let dir = TempDir::new();
    read_gguf_info(&dir.write("model.gguf", bytes))
}

pub(super) fn i32s(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub(super) fn strs(values: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    values.iter().for_each(|s| put_str(&mut out, s));
    out
}

/// A small llama-like model: Q4_K matrix, F16 norm, Q8_0 matrix.
pub(super) fn llama() -> Builder {
    Builder::new()
        .str(KEY_ARCH, "llama")
        .str(KEY_NAME, "Tiny Llama")
        .u32(KEY_FILE_TYPE, 15)
        .array(
            "tokenizer.ggml.tokens",
            T_STRING,
            3,
            &strs(&["<s>", "a", "b"]),
        )
        .array("tokenizer.ggml.scores", T_F32, 2, &[0; 8])
        .kv("llama.context_length", T_U64, &2048u64.to_le_bytes())
        .u32("llama.block_count", 2)
        .u32("llama.embedding_length", 64)
        .kv("llama.attention.head_count", T_I32, &4i32.to_le_bytes())
        .array("llama.attention.head_count_kv", T_I32, 3, &i32s(&[2, 4, 1]))
        .kv("llama.rope.freq_base", T_F32, &10000f32.to_le_bytes())
        .kv("tokenizer.ggml.add_bos_token", T_BOOL, &[1])
        .str(KEY_CHAT_TEMPLATE, "{{ messages }}")
        .tensor("blk.0.attn_q.weight", &[256, 4], 12)
        .tensor("blk.0.attn_norm.weight", &[64], 1)
        .tensor("output.weight", &[32, 3], 8)
}

pub(super) fn expect_err(result: Result<GgufInfo, GgufError>) -> (GgufError, String) {
    let err = result.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("model.gguf") || msg.contains("edgebench-gguf-test"),
        "names the file: {msg}"
    );
    assert!(!msg.contains('\n'), "one line: {msg}");
    (err, msg)
}
