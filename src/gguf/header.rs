//! The header walk: magic and version, the counts, every key-value pair, every
//! tensor info, then the check that the tensor data the infos describe is all
//! there; and the `GgufInfo` assembled from what was kept.

use super::ggml_types::ftype_name;
use super::magic_and_version::{check_magic, check_version};
use super::metadata::{
    read_kv, Metadata, KEY_ALIGNMENT, KEY_ARCH, KEY_FILE_TYPE, KEY_NAME, MIN_KV_BYTES,
};
use super::reader::{printable, Reader};
use super::tensor_infos::{read_tensor_info, Totals, MIN_TENSOR_INFO_BYTES};
use super::{GgufError, GgufInfo};

const DEFAULT_ALIGNMENT: u64 = 32;

/// Reads the whole header from `r` (positioned at the start of the file).
pub(super) fn parse(r: &mut Reader) -> Result<GgufInfo, GgufError> {
    check_magic(r)?;
    let version = check_version(r)?;
    r.context = "the header counts".into();
    let n_tensors = r.u64()?;
    let n_kv = r.u64()?;
    let min_bytes = n_kv
        .checked_mul(MIN_KV_BYTES)
        .zip(n_tensors.checked_mul(MIN_TENSOR_INFO_BYTES))
        .and_then(|(a, b)| a.checked_add(b));
    r.claim(
        min_bytes,
        format_args!("{n_kv} key-value pairs and {n_tensors} tensors"),
    )?;

    let mut meta = Metadata::default();
    for i in 0..n_kv {
        r.context = format!("key-value pair {} of {n_kv}", i + 1);
        read_kv(r, &mut meta)?;
    }
    r.context.clear();
    let alignment = meta
        .ints
        .get(KEY_ALIGNMENT)
        .copied()
        .unwrap_or(DEFAULT_ALIGNMENT);
    if !alignment.is_power_of_two() {
        return Err(r.corrupt(format!("{KEY_ALIGNMENT} is {alignment}, not a power of 2")));
    }

    let mut totals = Totals::default();
    for i in 0..n_tensors {
        r.context = format!("tensor info {} of {n_tensors}", i + 1);
        read_tensor_info(r, &mut totals)?;
    }
    r.context.clear();
    // ggml pads the header so tensor data starts aligned, but only if there is data.
    let data_offset = match n_tensors {
        0 => r.pos,
        _ => r.pos.div_ceil(alignment) * alignment,
    };
    let expected = data_offset
        .checked_add(totals.data_end)
        .ok_or_else(|| r.corrupt("tensor offsets overflow".into()))?;
    if expected > r.size {
        return Err(r.truncated(format!(
            "tensor data should end at byte {expected} but the file is only {} bytes ({} missing); \
             the download or copy was probably cut short",
            r.size,
            expected - r.size
        )));
    }
    Ok(build_info(
        r,
        version,
        n_tensors,
        data_offset,
        meta,
        &totals,
    ))
}

fn build_info(
    r: &Reader,
    version: u32,
    n_tensors: u64,
    data_offset: u64,
    mut meta: Metadata,
    totals: &Totals,
) -> GgufInfo {
    let architecture = meta.strings.remove(KEY_ARCH);
    let arch_int = |suffix: &str| {
        let arch = architecture.as_ref()?;
        meta.ints.get(&format!("{arch}.{suffix}")).copied()
    };
    let file_type = meta
        .ints
        .get(KEY_FILE_TYPE)
        .and_then(|&v| u32::try_from(v).ok());
    let quant = file_type
        .and_then(ftype_name)
        .or_else(|| totals.dominant_type())
        .unwrap_or("unknown")
        .to_string();
    GgufInfo {
        path: r.path.clone(),
        version,
        file_size: r.size,
        model_name: meta.strings.remove(KEY_NAME).as_deref().map(printable),
        file_type,
        quant,
        n_params: totals.n_params,
        tensor_bytes: totals.bytes,
        n_tensors,
        context_length: arch_int("context_length"),
        block_count: arch_int("block_count"),
        embedding_length: arch_int("embedding_length"),
        head_count: arch_int("attention.head_count"),
        head_count_kv: arch_int("attention.head_count_kv"),
        key_length: arch_int("attention.key_length"),
        value_length: arch_int("attention.value_length"),
        has_chat_template: meta.has_chat_template,
        synthetic: meta.synthetic,
        data_offset,
        architecture: architecture.as_deref().map(printable),
    }
}

#[cfg(test)]
mod tests {
    use super::super::metadata::T_ARRAY;
    use super::super::test_files::{expect_err, llama, parse_bytes, Builder};
    use super::*;

    #[test]
    fn terminal_escapes_in_names_are_printed_escaped() {
        let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
        let info = parse_bytes(
            &Builder::new()
                .str(KEY_ARCH, evil)
                .str(KEY_NAME, evil)
                .build()
                .0,
        )
        .unwrap();
        for text in [info.architecture.unwrap(), info.model_name.unwrap()] {
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert!(text.contains("\\u{1b}]0;pwned"), "{text:?}");
        }
        let b = Builder::new().kv(evil, 13, &[0; 8]);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
        let mut b = Builder::new().tensor(evil, &[32], 0);
        b.tensors[0].2 = 99;
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(
            !msg.chars().any(char::is_control) && msg.contains("pwned"),
            "{msg:?}"
        );
    }

    #[test]
    fn error_truncated_tensor_data() {
        let (bytes, data_offset) = llama().build();
        // Tensors at 0 (576 bytes), 576 (128 bytes) and 704 (102 bytes) after the header.
        let end = data_offset + 704 + 102;
        let cut = end - 100;
        let (err, msg) = expect_err(parse_bytes(&bytes[..cut]));
        assert!(matches!(err, GgufError::Truncated { .. }), "{msg}");
        let expected = format!("end at byte {end} but the file is only {cut} bytes");
        assert!(
            msg.contains(&expected) && msg.contains("100 missing"),
            "{msg}"
        );
        // Padding after the last tensor is not required.
        assert!(parse_bytes(&bytes[..end]).is_ok());
    }

    #[test]
    fn error_unknown_types_and_bad_shapes() {
        let b = Builder::new().kv("x", 13, &[0; 8]);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(
            msg.contains("unknown value type 13") && msg.contains("'x'"),
            "{msg}"
        );
        let b = Builder::new().array("x", T_ARRAY, 1, &[0; 16]);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("nested"), "{msg}");
        let mut b = Builder::new().tensor("w", &[32], 0);
        b.tensors[0].2 = 99;
        let (err, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(matches!(err, GgufError::Corrupt { .. }), "{msg}");
        assert!(
            msg.contains("unknown tensor type 99") && msg.contains("'w'"),
            "{msg}"
        );
        b.tensors[0].2 = 31;
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("removed from ggml"), "{msg}");
        let b = Builder::new()
            .tensor("w", &[30], 1)
            .tensor("v", &[1, 1, 1, 1, 1], 0);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("5 dimensions"), "{msg}");
        let b = Builder::new().tensor("w", &[48, 2], 1);
        let mut bytes = b.build().0;
        bytes[24 + 8 + 1 + 4 + 16..][..4].copy_from_slice(&8u32.to_le_bytes()); // Q8_0
        let (_, msg) = expect_err(parse_bytes(&bytes));
        assert!(
            msg.contains("row of 48 is not a multiple of the Q8_0 block of 32"),
            "{msg}"
        );
        let b = Builder::new().u32(KEY_ALIGNMENT, 48);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("not a power of 2"), "{msg}");
    }
}
