//! ggml's tensor types and llama.cpp's file types, by their numeric ids: the two
//! tables to extend when upstream adds a quantization.

/// llama.cpp ORs this into general.file_type when it had to guess the type.
const FTYPE_GUESSED: u32 = 1024;

/// Block layout of a ggml tensor type: `size` bytes hold `block` elements.
pub(super) struct TensorType {
    pub(super) name: &'static str,
    pub(super) block: u64,
    pub(super) size: u64,
}

/// ggml's type_traits (ggml.c) for every type a GGUF file may hold, by enum ggml_type id.
pub(super) fn tensor_type(id: u32) -> Option<TensorType> {
    let (name, block, size) = match id {
        0 => ("F32", 1, 4),
        1 => ("F16", 1, 2),
        2 => ("Q4_0", 32, 18),
        3 => ("Q4_1", 32, 20),
        6 => ("Q5_0", 32, 22),
        7 => ("Q5_1", 32, 24),
        8 => ("Q8_0", 32, 34),
        9 => ("Q8_1", 32, 36),
        10 => ("Q2_K", 256, 84),
        11 => ("Q3_K", 256, 110),
        12 => ("Q4_K", 256, 144),
        13 => ("Q5_K", 256, 176),
        14 => ("Q6_K", 256, 210),
        15 => ("Q8_K", 256, 292),
        16 => ("IQ2_XXS", 256, 66),
        17 => ("IQ2_XS", 256, 74),
        18 => ("IQ3_XXS", 256, 98),
        19 => ("IQ1_S", 256, 50),
        20 => ("IQ4_NL", 32, 18),
        21 => ("IQ3_S", 256, 110),
        22 => ("IQ2_S", 256, 82),
        23 => ("IQ4_XS", 256, 136),
        24 => ("I8", 1, 1),
        25 => ("I16", 1, 2),
        26 => ("I32", 1, 4),
        27 => ("I64", 1, 8),
        28 => ("F64", 1, 8),
        29 => ("IQ1_M", 256, 56),
        30 => ("BF16", 1, 2),
        34 => ("TQ1_0", 256, 54),
        35 => ("TQ2_0", 256, 66),
        39 => ("MXFP4", 32, 17),
        40 => ("NVFP4", 64, 36),
        41 => ("Q1_0", 128, 18),
        42 => ("Q2_0", 64, 18),
        _ => return None,
    };
    Some(TensorType { name, block, size })
}

/// The tensor types edgebench writes (synthetic models), by enum ggml_type id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)] // ggml's names
pub enum GgmlType {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q5_0 = 6,
    Q8_0 = 8,
    Q4_K = 12,
}

impl GgmlType {
    pub fn id(self) -> u32 {
        self as u32
    }

    fn traits(self) -> TensorType {
        tensor_type(self.id()).expect("every GgmlType is in ggml's table")
    }

    pub fn name(self) -> &'static str {
        self.traits().name
    }

    /// Elements per block: a row's length must be a multiple of it.
    pub fn block(self) -> u64 {
        self.traits().block
    }

    /// Bytes of `n` elements; None when `n` is not whole blocks (or overflows).
    pub fn bytes(self, n: u64) -> Option<u64> {
        let t = self.traits();
        (n % t.block == 0).then(|| (n / t.block).checked_mul(t.size))?
    }
}

/// llama.cpp's enum llama_ftype, named as in its source without "LLAMA_FTYPE_[MOSTLY_]".
pub(super) fn ftype_name(ftype: u32) -> Option<&'static str> {
    Some(match ftype & !FTYPE_GUESSED {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        4 => "Q4_1_SOME_F16",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        33 => "Q4_0_4_4",
        34 => "Q4_0_4_8",
        35 => "Q4_0_8_8",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        41 => "Q2_0",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::metadata::KEY_FILE_TYPE;
    use super::super::test_files::{parse_bytes, Builder};
    use super::*;

    #[test]
    fn quant_names() {
        let names = [
            (0, "F32"),
            (1, "F16"),
            (3, "Q4_1"),
            (7, "Q8_0"),
            (15, "Q4_K_M"),
        ];
        for (ftype, name) in names {
            assert_eq!(ftype_name(ftype), Some(name));
        }
        assert_eq!(ftype_name(32), Some("BF16"));
        assert_eq!(ftype_name(38), Some("MXFP4_MOE"));
        assert_eq!(ftype_name(FTYPE_GUESSED | 18), Some("Q6_K"));
        assert_eq!(ftype_name(5), None);
        // Without general.file_type, the type holding the most bytes names the quant.
        let b = Builder::new()
            .tensor("a", &[64, 2], 0) // 512 bytes of F32
            .tensor("b", &[64, 10], 8); // 680 bytes of Q8_0
        assert_eq!(parse_bytes(&b.build().0).unwrap().quant, "Q8_0");
        // An unknown file type falls back the same way.
        let b = Builder::new()
            .u32(KEY_FILE_TYPE, 999)
            .tensor("a", &[32], 30);
        let info = parse_bytes(&b.build().0).unwrap();
        assert_eq!((info.file_type, info.quant.as_str()), (Some(999), "BF16"));
    }

    #[test]
    fn tensor_types_match_ggml() {
        let expect = [
            (2, 32, 18),
            (12, 256, 144),
            (23, 256, 136),
            (35, 256, 66),
            (39, 32, 17),
        ];
        for (id, block, size) in expect {
            let t = tensor_type(id).unwrap();
            assert_eq!((t.block, t.size), (block, size), "{}", t.name);
        }
        assert_eq!(GgmlType::Q4_K.bytes(512), Some(288));
        assert_eq!(GgmlType::Q4_K.bytes(500), None, "not whole blocks");
        assert_eq!(GgmlType::Q8_0.name(), "Q8_0");
        let known = (0..64).filter(|&id| tensor_type(id).is_some()).count();
        assert_eq!(known, 43 - 8, "ggml.h: 43 ids, 8 removed");
    }
}
