//! Will a model fit on a device? Estimated from the GGUF header alone, before
//! anything is loaded, and compared with the usual rule of thumb.
use serde::Serialize;

use crate::gguf::GgufInfo;
use crate::results::plan::KvCacheType;

const MIB: u64 = 1 << 20;
/// Over this share of the budget a model is "tight": the OS, the app and a longer
/// context than planned all take from what is left.
pub const TIGHT_SHARE: f64 = 0.85;
/// Beyond weights and KV cache: llama.cpp's compute buffers, the tokenizer and the
/// process itself: a fixed part plus a share of the weights, calibrated on CPU
/// against the two default models' measured peak RSS (docs/report.md).
const OVERHEAD_FIXED_BYTES: u64 = 64 * MIB;
const OVERHEAD_SHARE: f64 = 0.05;
/// The rule of thumb's margin: params x bytes per weight x 1.3.
const RULE_OF_THUMB_FACTOR: f64 = 1.3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitEstimate {
    pub n_ctx: u64,
    /// Every tensor's bytes: what is loaded, and what generation reads per token.
    pub weights_bytes: u64,
    /// K and V for n_ctx tokens in the cache types run (f16 unless asked
    /// otherwise); 0 when the header lacks the attention keys.
    pub kv_cache_bytes: u64,
    pub overhead_bytes: u64,
    /// weights + KV cache + overhead, saturating: u64::MAX fits nowhere.
    pub total_bytes: u64,
    /// params x nominal bytes per weight of the quantization x 1.3.
    pub rule_of_thumb_bytes: Option<u64>,
}

/// Weights plus KV cache: what must be resident for a context of `n_ctx`
/// (None when the header lacks the keys to size the KV cache).
pub fn weights_and_kv(info: &GgufInfo, n_ctx: u64, cache: CacheTypes) -> Option<(u64, u64)> {
    let (k, v) = cache;
    Some((info.tensor_bytes, info.kv_cache_bytes_as(n_ctx, k, v)?))
}

/// The K and V cache types of a configuration.
pub type CacheTypes = (KvCacheType, KvCacheType);

/// llama.cpp's default cache: f16 K and V.
pub const F16_CACHE: CacheTypes = (KvCacheType::F16, KvCacheType::F16);

pub fn estimate(info: &GgufInfo, n_ctx: u64, cache: CacheTypes) -> FitEstimate {
    let (weights, kv) = weights_and_kv(info, n_ctx, cache).unwrap_or((info.tensor_bytes, 0));
    // Saturating: an absurd --ctx must read "does not fit", not wrap to "fits".
    let overhead = OVERHEAD_FIXED_BYTES.saturating_add((weights as f64 * OVERHEAD_SHARE) as u64);
    FitEstimate {
        n_ctx,
        weights_bytes: weights,
        kv_cache_bytes: kv,
        overhead_bytes: overhead,
        total_bytes: weights.saturating_add(kv).saturating_add(overhead),
        rule_of_thumb_bytes: rule_of_thumb(info.n_params, &info.quant),
    }
}

/// params x bytes per weight x 1.3, with the quantization's nominal width
/// (Q4_K_M: 4 bits, Q8_0: 8, F16: 16): what people compute in their heads.
pub fn rule_of_thumb(params: u64, quant: &str) -> Option<u64> {
    let bits = nominal_bits(quant)?;
    Some((params as f64 * bits / 8.0 * RULE_OF_THUMB_FACTOR) as u64)
}

/// Q4_K_M -> 4, IQ3_XXS -> 3, Q8_0 -> 8, F16/BF16 -> 16, F32 -> 32.
pub fn nominal_bits(quant: &str) -> Option<f64> {
    let q = quant.to_ascii_uppercase();
    match q.as_str() {
        "F32" => return Some(32.0),
        "F16" | "BF16" => return Some(16.0),
        _ => {}
    }
    let rest = q.strip_prefix("IQ").or_else(|| q.strip_prefix('Q'))?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse::<f64>().ok().filter(|b| *b > 0.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitVerdict {
    Fits,
    Tight,
    DoesNotFit,
}

impl FitVerdict {
    pub fn of(bytes: f64, budget_bytes: f64) -> FitVerdict {
        if bytes > budget_bytes {
            FitVerdict::DoesNotFit
        } else if bytes > TIGHT_SHARE * budget_bytes {
            FitVerdict::Tight
        } else {
            FitVerdict::Fits
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            FitVerdict::Fits => "fits",
            FitVerdict::Tight => "tight",
            FitVerdict::DoesNotFit => "does not fit",
        }
    }
}

/// Generation is memory-bound: each token reads every weight once (dense model),
/// so tok/s cannot exceed bandwidth / bytes read per token.
pub fn roofline_tg_tps(bandwidth_bytes_per_s: f64, bytes_per_token: u64) -> Option<f64> {
    (bytes_per_token > 0).then(|| bandwidth_bytes_per_s / bytes_per_token as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_bits_of_common_quantizations() {
        assert_eq!(nominal_bits("Q4_K_M"), Some(4.0));
        assert_eq!(nominal_bits("q8_0"), Some(8.0));
        assert_eq!(nominal_bits("IQ3_XXS"), Some(3.0));
        assert_eq!(nominal_bits("BF16"), Some(16.0));
        assert_eq!(nominal_bits("unknown"), None);
        // 1e9 params at 4 bits = 0.5 GB, x 1.3
        assert_eq!(rule_of_thumb(1_000_000_000, "Q4_1"), Some(650_000_000));
    }

    #[test]
    fn verdict_thresholds() {
        assert_eq!(FitVerdict::of(85.0, 100.0), FitVerdict::Fits);
        assert_eq!(FitVerdict::of(85.1, 100.0), FitVerdict::Tight);
        assert_eq!(FitVerdict::of(100.0, 100.0), FitVerdict::Tight);
        assert_eq!(FitVerdict::of(100.1, 100.0), FitVerdict::DoesNotFit);
    }

    #[test]
    fn an_absurd_context_does_not_fit() {
        let info = GgufInfo {
            path: "m.gguf".into(),
            version: 3,
            file_size: 1 << 30,
            architecture: Some("llama".into()),
            model_name: None,
            file_type: None,
            quant: "Q4_K_M".into(),
            n_params: 1_000_000_000,
            tensor_bytes: 1 << 30,
            n_tensors: 200,
            context_length: Some(4096),
            block_count: Some(16),
            embedding_length: Some(2048),
            head_count: Some(32),
            head_count_kv: Some(8),
            key_length: None,
            value_length: None,
            has_chat_template: true,
            synthetic: false,
            data_offset: 0,
        };
        let sane = estimate(&info, 4096, F16_CACHE);
        assert_eq!(sane.kv_cache_bytes, 16 * 4096 * 8 * (64 + 64) * 2);
        let budget = 64.0 * (1u64 << 30) as f64;
        assert_eq!(
            FitVerdict::of(sane.total_bytes as f64, budget),
            FitVerdict::Fits
        );
        // 2^62 tokens: the KV cache overflows u64 (it used to be taken as 0 bytes).
        for n_ctx in [1u64 << 62, u64::MAX] {
            let e = estimate(&info, n_ctx, F16_CACHE);
            assert_eq!(e.total_bytes, u64::MAX, "{e:?}");
            assert_eq!(
                FitVerdict::of(e.total_bytes as f64, budget),
                FitVerdict::DoesNotFit
            );
        }
        // Weights alone near u64::MAX: the sum saturates instead of wrapping.
        let huge = GgufInfo {
            tensor_bytes: u64::MAX - 10,
            ..info
        };
        assert_eq!(estimate(&huge, 1, F16_CACHE).total_bytes, u64::MAX);
    }

    #[test]
    fn roofline_is_bandwidth_over_bytes() {
        assert_eq!(roofline_tg_tps(102.4e9, 1_024_000_000), Some(100.0));
        assert_eq!(roofline_tg_tps(1e9, 0), None);
    }
}
