//! The K and V cache element types a configuration may ask for, named as
//! llama-bench names them (`-ctk`/`-ctv`): on an 8-16 GB device the cache at
//! depth decides what fits, and q8_0/q4_0 halve or quarter it.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum KvCacheType {
    #[serde(rename = "f32")]
    F32,
    #[default]
    #[serde(rename = "f16")]
    F16,
    #[serde(rename = "bf16")]
    Bf16,
    #[serde(rename = "q8_0")]
    Q8_0,
    #[serde(rename = "q4_0")]
    Q4_0,
    #[serde(rename = "q4_1")]
    Q4_1,
    #[serde(rename = "iq4_nl")]
    Iq4Nl,
    #[serde(rename = "q5_0")]
    Q5_0,
    #[serde(rename = "q5_1")]
    Q5_1,
}

/// Every type with its name, in llama-bench's order.
const NAMES: [(KvCacheType, &str); 9] = [
    (KvCacheType::F32, "f32"),
    (KvCacheType::F16, "f16"),
    (KvCacheType::Bf16, "bf16"),
    (KvCacheType::Q8_0, "q8_0"),
    (KvCacheType::Q4_0, "q4_0"),
    (KvCacheType::Q4_1, "q4_1"),
    (KvCacheType::Iq4Nl, "iq4_nl"),
    (KvCacheType::Q5_0, "q5_0"),
    (KvCacheType::Q5_1, "q5_1"),
];

impl KvCacheType {
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("?", |(_, n)| n)
    }

    /// Bytes per element as ggml stores it (block size and scales included),
    /// for the fit estimate.
    pub fn bytes_per_element(self) -> f64 {
        match self {
            KvCacheType::F32 => 4.0,
            KvCacheType::F16 | KvCacheType::Bf16 => 2.0,
            KvCacheType::Q8_0 => 34.0 / 32.0,
            KvCacheType::Q4_0 | KvCacheType::Iq4Nl => 18.0 / 32.0,
            KvCacheType::Q4_1 => 20.0 / 32.0,
            KvCacheType::Q5_0 => 22.0 / 32.0,
            KvCacheType::Q5_1 => 24.0 / 32.0,
        }
    }
}

impl std::fmt::Display for KvCacheType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KvCacheType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(_, n)| *n == lower)
            .map(|(t, _)| *t)
            .ok_or_else(|| {
                let allowed: Vec<&str> = NAMES.iter().map(|(_, n)| *n).collect();
                format!(
                    "`{s}` is not a cache type (allowed: {})",
                    allowed.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_list_the_allowed_ones() {
        for (t, n) in NAMES {
            assert_eq!(n.parse::<KvCacheType>().unwrap(), t);
            assert_eq!(t.to_string(), n);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{n}\""));
        }
        assert_eq!("Q8_0".parse::<KvCacheType>().unwrap(), KvCacheType::Q8_0);
        let e = "q3_x".parse::<KvCacheType>().unwrap_err();
        assert!(
            e.contains("q3_x") && e.contains("f16, bf16, q8_0, q4_0"),
            "{e}"
        );
    }

    #[test]
    fn quantised_caches_are_smaller() {
        assert!(KvCacheType::Q8_0.bytes_per_element() < KvCacheType::F16.bytes_per_element());
        assert!(KvCacheType::Q4_0.bytes_per_element() < KvCacheType::Q8_0.bytes_per_element());
    }
}
