//! GGUF's encoding, the writing side: metadata pairs and tensor infos laid out
//! as ggml's `gguf_write_to_file` does (little-endian v3, every tensor's data
//! aligned), so llama.cpp reads what `write_gguf` writes.

use super::magic_and_version::MAGIC;
use super::metadata::{T_ARRAY, T_BOOL, T_F32, T_STRING, T_U32, T_U64};
use super::raw_kv::RawKv;
use super::GgmlType;

const VERSION: u32 = 3;
/// ggml's default (`GGUF_DEFAULT_ALIGNMENT`); not written, so readers assume it.
pub(super) const ALIGNMENT: u64 = 32;

/// One tensor's name, shape (ggml order: the row length first) and type.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Bytes of data; checked to be whole blocks when the tensor was added.
    pub fn n_bytes(&self) -> u64 {
        self.ggml_type.bytes(self.n_elements()).unwrap_or(0)
    }
}

/// The metadata and tensor infos of a GGUF file, to be encoded once all are known.
#[derive(Debug, Default)]
pub struct GgufHeader {
    n_kv: u64,
    kv_bytes: Vec<u8>,
    tensors: Vec<TensorInfo>,
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

impl GgufHeader {
    fn put(&mut self, key: &str, ty: u32, value: &[u8]) {
        put_string(&mut self.kv_bytes, key);
        self.kv_bytes.extend(ty.to_le_bytes());
        self.kv_bytes.extend(value);
        self.n_kv += 1;
    }

    pub fn put_str(&mut self, key: &str, value: &str) {
        let mut encoded = Vec::new();
        put_string(&mut encoded, value);
        self.put(key, T_STRING, &encoded);
    }

    pub fn put_u32(&mut self, key: &str, value: u32) {
        self.put(key, T_U32, &value.to_le_bytes());
    }

    pub fn put_u64(&mut self, key: &str, value: u64) {
        self.put(key, T_U64, &value.to_le_bytes());
    }

    pub fn put_f32(&mut self, key: &str, value: f32) {
        self.put(key, T_F32, &value.to_le_bytes());
    }

    pub fn put_bool(&mut self, key: &str, value: bool) {
        self.put(key, T_BOOL, &[value as u8]);
    }

    pub fn put_strings(&mut self, key: &str, values: &[&str]) {
        let mut encoded = T_STRING.to_le_bytes().to_vec();
        encoded.extend((values.len() as u64).to_le_bytes());
        values.iter().for_each(|v| put_string(&mut encoded, v));
        self.put(key, T_ARRAY, &encoded);
    }

    /// A pair copied from another file, as it was encoded there.
    pub fn put_raw(&mut self, kv: &RawKv) {
        put_string(&mut self.kv_bytes, &kv.key);
        self.kv_bytes.extend(&kv.encoded);
        self.n_kv += 1;
    }

    /// Adds a tensor; its rows must be whole blocks of its type.
    pub fn add_tensor(&mut self, info: TensorInfo) -> Result<(), String> {
        let row = info.dims.first().copied().unwrap_or(1);
        if info.dims.is_empty() || info.dims.len() > 4 || info.n_elements() == 0 {
            return Err(format!("{}: shape {:?} is not 1 to 4 non-zero dimensions", info.name, info.dims));
        }
        if info.ggml_type.bytes(row).is_none() {
            return Err(format!(
                "{}: a row of {row} is not a multiple of the {} block of {}",
                info.name,
                info.ggml_type.name(),
                info.ggml_type.block()
            ));
        }
        self.tensors.push(info);
        Ok(())
    }

    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// Where each tensor's data starts, relative to the data section, and the
    /// section's length (each tensor padded to the alignment).
    pub(super) fn layout(&self) -> (Vec<u64>, u64) {
        let mut offsets = Vec::with_capacity(self.tensors.len());
        let mut end = 0u64;
        for t in &self.tensors {
            offsets.push(end);
            end += padded(t.n_bytes());
        }
        (offsets, end)
    }

    /// Everything before the tensor data, padded so the data starts aligned.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(VERSION.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend(self.n_kv.to_le_bytes());
        out.extend(&self.kv_bytes);
        let (offsets, _) = self.layout();
        for (t, offset) in self.tensors.iter().zip(offsets) {
            put_string(&mut out, &t.name);
            out.extend((t.dims.len() as u32).to_le_bytes());
            t.dims.iter().for_each(|d| out.extend(d.to_le_bytes()));
            out.extend(t.ggml_type.id().to_le_bytes());
            out.extend(offset.to_le_bytes());
        }
        // ggml pads to the aligned data start only when there is data.
        if !self.tensors.is_empty() {
            out.resize(padded(out.len() as u64) as usize, 0);
        }
        out
    }
}

pub(super) fn padded(n: u64) -> u64 {
    n.div_ceil(ALIGNMENT) * ALIGNMENT
}
