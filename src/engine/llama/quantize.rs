//! ggml's own quantisation (`ggml_quantize_chunk`), so a synthetic model's
//! blocks are exactly what llama.cpp's quantize tool would write, for every
//! type, with no block layout written twice.

use crate::gguf::GgmlType;

/// Quantises whole rows of `n_per_row` values from `src` into `dst`, which
/// must hold exactly their bytes. Safe to call from several threads at once
/// (ggml initialises its tables under a lock).
pub fn quantize_rows(
    ggml_type: GgmlType,
    src: &[f32],
    n_per_row: usize,
    dst: &mut [u8],
) -> Result<(), String> {
    let ty = ggml_type.id() as llama_cpp_sys_2::ggml_type;
    if n_per_row == 0 || src.len() % n_per_row != 0 {
        return Err(format!("{} values are not rows of {n_per_row}", src.len()));
    }
    let n_rows = src.len() / n_per_row;
    let expected = ggml_type
        .bytes(src.len() as u64)
        .filter(|_| ggml_type.bytes(n_per_row as u64).is_some());
    if expected != Some(dst.len() as u64) {
        return Err(format!(
            "{n_rows} rows of {n_per_row} {} values need {expected:?} bytes, not {}",
            ggml_type.name(),
            dst.len()
        ));
    }
    // SAFETY: src and dst are live, non-overlapping and sized for n_rows
    // rows as checked above; the types written here need no importance matrix.
    let written = unsafe {
        if llama_cpp_sys_2::ggml_quantize_requires_imatrix(ty) {
            return Err(format!("{} needs an importance matrix", ggml_type.name()));
        }
        llama_cpp_sys_2::ggml_quantize_chunk(
            ty,
            src.as_ptr(),
            dst.as_mut_ptr().cast(),
            0,
            n_rows as i64,
            n_per_row as i64,
            std::ptr::null(),
        )
    };
    match written == dst.len() {
        true => Ok(()),
        false => Err(format!("ggml wrote {written} bytes, not {}", dst.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block layouts of ggml's quantize_row_*_ref, checked by hand on
    /// one block: fp16 scale first, then the quants.
    #[test]
    fn blocks_are_ggmls() {
        let src: Vec<f32> = (0..32).map(|i| i as f32 - 16.0).collect();
        let mut q8 = vec![0; 34];
        quantize_rows(GgmlType::Q8_0, &src, 32, &mut q8).unwrap();
        // Q8_0: d = max|x| / 127 = 16/127, q = round(x / d).
        let d = half_to_f32(u16::from_le_bytes([q8[0], q8[1]]));
        assert!((d - 16.0 / 127.0).abs() < 1e-4, "{d}");
        assert_eq!(q8[2] as i8, -127);
        assert_eq!(q8[2 + 16] as i8, 0);
        assert_eq!(q8[2 + 31] as i8, (15.0f32 / d).round() as i8);
        let mut q4 = vec![0; 18];
        quantize_rows(GgmlType::Q4_0, &src, 32, &mut q4).unwrap();
        // Q4_0: d = max / -8 (the largest magnitude is -16, so d = 2); x = (q - 8) * d.
        let d = half_to_f32(u16::from_le_bytes([q4[0], q4[1]]));
        assert_eq!(d, 2.0);
        assert_eq!((q4[2] & 0x0f, q4[2] >> 4), (0, 8), "x[0] = -16 and x[16] = 0");
        let mut f16 = vec![0; 64];
        quantize_rows(GgmlType::F16, &src, 32, &mut f16).unwrap();
        assert_eq!(half_to_f32(u16::from_le_bytes([f16[2], f16[3]])), -15.0);
        let mut k = vec![0; 144];
        let long: Vec<f32> = (0..256).map(|i| (i as f32 / 25.6).sin()).collect();
        quantize_rows(GgmlType::Q4_K, &long, 256, &mut k).unwrap();
        assert!(k.iter().any(|&b| b != 0));
        let err = quantize_rows(GgmlType::Q4_K, &src, 32, &mut k).unwrap_err();
        assert!(err.contains("need None bytes"), "{err}");
        let err = quantize_rows(GgmlType::Q8_0, &src, 32, &mut [0; 33]).unwrap_err();
        assert!(err.contains("not 33"), "{err}");
    }

    /// IEEE half to f32, enough for the normal numbers above.
    fn half_to_f32(h: u16) -> f32 {
        let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
        let exp = ((h >> 10) & 0x1f) as i32;
        let frac = (h & 0x3ff) as f32 / 1024.0;
        match exp {
            0 => sign * frac * 2f32.powi(-14),
            _ => sign * (1.0 + frac) * 2f32.powi(exp - 15),
        }
    }
}
