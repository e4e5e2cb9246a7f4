//! Key-value pairs copied byte for byte out of a GGUF file: a synthetic model
//! takes its tokenizer (`tokenizer.*`, the chat template) from a real one.

use std::path::Path;

use super::magic_and_version::{check_magic, check_version};
use super::metadata::{fixed_size, skip_values, MIN_KV_BYTES, T_ARRAY, T_STRING};
use super::reader::{printable, Reader, MAX_NAME_LEN};
use super::{open_reader, GgufError};

/// One metadata pair as the file encodes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawKv {
    pub key: String,
    /// The value's type, then the value (for an array: element type, count,
    /// elements), exactly as in the file.
    pub(super) encoded: Vec<u8>,
    /// The element count, for an array.
    pub array_len: Option<u64>,
}

/// The pairs of `path` whose key `keep` accepts, in file order; the others
/// are skipped unread.
pub fn read_raw_kvs(path: &Path, keep: &dyn Fn(&str) -> bool) -> Result<Vec<RawKv>, GgufError> {
    let r = &mut open_reader(path)?;
    check_magic(r)?;
    check_version(r)?;
    r.context = "the header counts".into();
    let _n_tensors = r.u64()?;
    let n_kv = r.u64()?;
    r.claim(
        n_kv.checked_mul(MIN_KV_BYTES),
        format_args!("{n_kv} key-value pairs"),
    )?;
    let mut kept = Vec::new();
    for i in 0..n_kv {
        r.context = format!("key-value pair {} of {n_kv}", i + 1);
        let key = r.string(MAX_NAME_LEN, "key")?;
        r.context.push_str(&format!(", '{}'", printable(&key)));
        let (ty, count, mut encoded) = value_type(r)?;
        if keep(&key) {
            copy_values(r, ty, count.unwrap_or(1), &mut encoded)?;
            kept.push(RawKv {
                key,
                encoded,
                array_len: count,
            });
        } else {
            skip_values(r, ty, count.unwrap_or(1))?;
        }
    }
    Ok(kept)
}

/// The element type, the count for an array, and their encoding.
fn value_type(r: &mut Reader) -> Result<(u32, Option<u64>, Vec<u8>), GgufError> {
    let mut ty = r.u32()?;
    let mut encoded = ty.to_le_bytes().to_vec();
    let mut count = None;
    if ty == T_ARRAY {
        ty = r.u32()?;
        let n = r.u64()?;
        encoded.extend(ty.to_le_bytes());
        encoded.extend(n.to_le_bytes());
        count = Some(n);
        if ty == T_ARRAY {
            return Err(r.corrupt("nested arrays are not supported by llama.cpp".into()));
        }
    }
    if ty != T_STRING && fixed_size(ty).is_none() {
        return Err(r.corrupt(format!("unknown value type {ty}")));
    }
    Ok((ty, count, encoded))
}

fn copy_values(r: &mut Reader, ty: u32, n: u64, out: &mut Vec<u8>) -> Result<(), GgufError> {
    if let Some(size) = fixed_size(ty) {
        let total = r.claim(n.checked_mul(size), format_args!("an array of {n} values"))?;
        out.extend(r.take(total)?);
        return Ok(());
    }
    r.claim(n.checked_mul(8), format_args!("an array of {n} strings"))?;
    for _ in 0..n {
        let len = r.string_len(u64::MAX, "string")?;
        out.extend(len.to_le_bytes());
        out.extend(r.take(len)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_files::{llama, TempDir};
    use super::*;

    #[test]
    fn copies_only_the_kept_pairs_byte_for_byte() {
        let (bytes, _) = llama().build();
        let dir = TempDir::new();
        let path = dir.write("model.gguf", &bytes);
        let kvs = read_raw_kvs(&path, &|k| k.starts_with("tokenizer.")).unwrap();
        let keys: Vec<&str> = kvs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "tokenizer.ggml.tokens",
                "tokenizer.ggml.scores",
                "tokenizer.ggml.add_bos_token",
                "tokenizer.chat_template"
            ]
        );
        assert_eq!(kvs[0].array_len, Some(3));
        assert_eq!((kvs[2].array_len, kvs[3].array_len), (None, None));
        // Each encoding is found verbatim in the file, right after its key.
        for kv in &kvs {
            let mut expected = (kv.key.len() as u64).to_le_bytes().to_vec();
            expected.extend(kv.key.as_bytes());
            expected.extend(&kv.encoded);
            assert!(
                bytes.windows(expected.len()).any(|w| w == expected),
                "{}",
                kv.key
            );
        }
        let (_, msg) = super::super::test_files::expect_err(
            read_raw_kvs(&dir.write("cut.gguf", &bytes[..60]), &|_| true).map(|_| unreachable!()),
        );
        assert!(msg.contains("header ends early"), "{msg}");
    }
}
