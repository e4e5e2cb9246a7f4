//! The key-value section: the few values edgebench reports are kept (architecture,
//! name, file type, alignment, the `{arch}.` sizes, whether a chat template exists);
//! every other value is skipped by its encoded size without being read.

use std::collections::HashMap;

use super::reader::{printable, Reader, MAX_NAME_LEN};
use super::GgufError;

/// Strings kept in memory (architecture, name); anything longer is garbage.
const MAX_KEPT_STRING_LEN: u64 = 65_536;
/// Smallest possible encoding, used to reject absurd counts before looping:
/// key length + 1-byte key + type + 1-byte value.
pub(super) const MIN_KV_BYTES: u64 = 8 + 1 + 4 + 1;

pub(super) const KEY_ARCH: &str = "general.architecture";
pub(super) const KEY_NAME: &str = "general.name";
pub(super) const KEY_FILE_TYPE: &str = "general.file_type";
pub(super) const KEY_ALIGNMENT: &str = "general.alignment";
pub(super) const KEY_CHAT_TEMPLATE: &str = "tokenizer.chat_template";
/// Set (true) by `edgebench synth`: the weights are random, the answers noise.
pub const KEY_SYNTHETIC: &str = "edgebench.synthetic";
/// `{arch}.` keys we report; integer values of keys ending this way are kept.
const ARCH_SUFFIXES: [&str; 7] = [
    "context_length",
    "block_count",
    "embedding_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.value_length",
];

// GGUF metadata value types (enum gguf_type).
pub(super) const T_U8: u32 = 0;
pub(super) const T_I8: u32 = 1;
pub(super) const T_U16: u32 = 2;
pub(super) const T_I16: u32 = 3;
pub(super) const T_U32: u32 = 4;
pub(super) const T_I32: u32 = 5;
pub(super) const T_F32: u32 = 6;
pub(super) const T_BOOL: u32 = 7;
pub(super) const T_STRING: u32 = 8;
pub(super) const T_ARRAY: u32 = 9;
pub(super) const T_U64: u32 = 10;
pub(super) const T_I64: u32 = 11;
pub(super) const T_F64: u32 = 12;

/// The metadata values we report; everything else is skipped without reading it.
#[derive(Default)]
pub(super) struct Metadata {
    /// Integer keys we may need (the arch is not known until its key is read).
    pub(super) ints: HashMap<String, u64>,
    pub(super) strings: HashMap<String, String>,
    pub(super) has_chat_template: bool,
    pub(super) synthetic: bool,
}

fn wants_int(key: &str) -> bool {
    key == KEY_FILE_TYPE
        || key == KEY_ALIGNMENT
        || (!key.starts_with("tokenizer.")
            && ARCH_SUFFIXES
                .iter()
                .any(|s| key.strip_suffix(s).is_some_and(|k| k.ends_with('.'))))
}

pub(super) fn read_kv(r: &mut Reader, meta: &mut Metadata) -> Result<(), GgufError> {
    let key = r.string(MAX_NAME_LEN, "key")?;
    r.context.push_str(&format!(", '{}'", printable(&key)));
    let mut ty = r.u32()?;
    let mut count = None;
    if ty == T_ARRAY {
        ty = r.u32()?;
        count = Some(r.u64()?);
        if ty == T_ARRAY {
            return Err(r.corrupt("nested arrays are not supported by llama.cpp".into()));
        }
    }
    if ty != T_STRING && fixed_size(ty).is_none() {
        return Err(r.corrupt(format!("unknown value type {ty}")));
    }
    match (ty, count) {
        (T_STRING, None) if key == KEY_ARCH || key == KEY_NAME => {
            let value = r.string(MAX_KEPT_STRING_LEN, "string")?;
            meta.strings.insert(key, value);
        }
        (T_STRING, None) if key == KEY_CHAT_TEMPLATE => {
            let len = r.string_len(u64::MAX, "string")?;
            r.skip(len)?;
            meta.has_chat_template = len > 0;
        }
        (T_BOOL, None) if key == KEY_SYNTHETIC => {
            meta.synthetic = r.take(1)?[0] != 0;
        }
        _ if is_integer(ty) && wants_int(&key) => {
            if let Some(value) = read_max_int(r, ty, count.unwrap_or(1))? {
                meta.ints.insert(key, value);
            }
        }
        _ => skip_values(r, ty, count.unwrap_or(1))?,
    }
    Ok(())
}

pub(super) fn fixed_size(ty: u32) -> Option<u64> {
    match ty {
        T_U8 | T_I8 | T_BOOL => Some(1),
        T_U16 | T_I16 => Some(2),
        T_U32 | T_I32 | T_F32 => Some(4),
        T_U64 | T_I64 | T_F64 => Some(8),
        _ => None,
    }
}

fn is_integer(ty: u32) -> bool {
    matches!(
        ty,
        T_U8 | T_I8 | T_U16 | T_I16 | T_U32 | T_I32 | T_U64 | T_I64
    )
}

/// Reads `n` integers and keeps the largest non-negative one: a per-layer
/// array (e.g. head_count_kv) is summarised by its worst case.
fn read_max_int(r: &mut Reader, ty: u32, n: u64) -> Result<Option<u64>, GgufError> {
    let size = fixed_size(ty).unwrap_or(8);
    r.claim(
        n.checked_mul(size),
        format_args!("an array of {n} integers"),
    )?;
    let signed = matches!(ty, T_I8 | T_I16 | T_I32 | T_I64);
    let mut max = None;
    for _ in 0..n {
        let mut buf = [0u8; 8];
        r.read_exact(&mut buf[..size as usize])?;
        let raw = u64::from_le_bytes(buf);
        // Shifting up then arithmetically down sign-extends a narrower integer.
        let shift = 64 - 8 * size as u32;
        let value = if signed {
            u64::try_from(((raw << shift) as i64) >> shift).ok()
        } else {
            Some(raw)
        };
        max = max.max(value);
    }
    Ok(max)
}

pub(super) fn skip_values(r: &mut Reader, ty: u32, n: u64) -> Result<(), GgufError> {
    if let Some(size) = fixed_size(ty) {
        let total = r.claim(n.checked_mul(size), format_args!("an array of {n} values"))?;
        return r.skip(total);
    }
    // Strings: each is a u64 length then bytes; at least 8 bytes apiece.
    r.claim(n.checked_mul(8), format_args!("an array of {n} strings"))?;
    for _ in 0..n {
        let len = r.string_len(u64::MAX, "string")?;
        r.skip(len)?;
    }
    Ok(())
}
