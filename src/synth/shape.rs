//! A synthetic model's architecture and shape: the named presets (Qwen2.5's
//! sizes, and SmolLM2-135M's), the checks llama.cpp's loader would make, and
//! the tensors llama.cpp expects for `llama` and `qwen2`
//! (llama.cpp/src/models/llama.cpp and qwen2.cpp, `load_arch_tensors`).

use crate::gguf::GgmlType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Llama,
    Qwen2,
}

impl Arch {
    pub fn parse(name: &str) -> Result<Arch, String> {
        match name {
            "llama" => Ok(Arch::Llama),
            "qwen2" => Ok(Arch::Qwen2),
            _ => Err(format!("--arch {name:?}: use llama or qwen2")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
        }
    }

    /// What the models of this family were trained with.
    pub fn rope_freq_base(self) -> f32 {
        match self {
            Arch::Llama => 10_000.0,
            Arch::Qwen2 => 1_000_000.0,
        }
    }

    pub fn rms_norm_eps(self) -> f32 {
        match self {
            Arch::Llama => 1e-5,
            Arch::Qwen2 => 1e-6,
        }
    }
}

/// The sizes that make a model's cost; the vocabulary comes from the tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n_layer: u64,
    pub n_embd: u64,
    pub n_ff: u64,
    pub n_head: u64,
    pub n_head_kv: u64,
    /// The output projection shares the token embedding (small models do).
    pub tied_output: bool,
    pub n_ctx_train: u64,
}

const fn shape(layers: u64, embd: u64, ff: u64, heads: u64, kv: u64, tied: bool) -> Shape {
    Shape {
        n_layer: layers,
        n_embd: embd,
        n_ff: ff,
        n_head: heads,
        n_head_kv: kv,
        tied_output: tied,
        n_ctx_train: 32_768,
    }
}

/// `--params`: Qwen2.5's shapes by their size (with Qwen's own 151,936-token
/// vocabulary; another tokenizer changes the count a little), and SmolLM2's.
pub const PRESETS: &[(&str, Shape)] = &[
    ("135M", Shape { n_ctx_train: 8192, ..shape(30, 576, 1536, 9, 3, true) }),
    ("0.5B", shape(24, 896, 4864, 14, 2, true)),
    ("1.5B", shape(28, 1536, 8960, 12, 2, true)),
    ("3B", shape(36, 2048, 11008, 16, 2, true)),
    ("7B", shape(28, 3584, 18944, 28, 4, false)),
    ("14B", shape(48, 5120, 13824, 40, 8, false)),
    ("32B", shape(64, 5120, 27648, 40, 8, false)),
    ("72B", shape(80, 8192, 29568, 64, 8, false)),
];

pub fn preset(name: &str) -> Result<Shape, String> {
    let found = PRESETS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
    found.map(|(_, s)| *s).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        format!("--params {name:?}: use one of {}, or give the shape with --layers, --embd, --ff, --heads, --kv-heads", names.join(", "))
    })
}

impl Shape {
    pub fn head_dim(&self) -> u64 {
        self.n_embd / self.n_head
    }

    /// What llama.cpp's loader and graph assume (RoPE needs an even head size).
    pub fn check(&self) -> Result<(), String> {
        let sizes = [
            ("--layers", self.n_layer),
            ("--embd", self.n_embd),
            ("--ff", self.n_ff),
            ("--heads", self.n_head),
            ("--kv-heads", self.n_head_kv),
        ];
        if let Some((flag, _)) = sizes.iter().find(|(_, n)| *n == 0) {
            return Err(format!("{flag} must be at least 1"));
        }
        if self.n_embd % self.n_head != 0 || self.head_dim() % 2 != 0 {
            return Err(format!(
                "--embd {} must be --heads {} times an even head size",
                self.n_embd, self.n_head
            ));
        }
        if self.n_head % self.n_head_kv != 0 {
            return Err(format!(
                "--heads {} must be a multiple of --kv-heads {}",
                self.n_head, self.n_head_kv
            ));
        }
        if sizes.iter().any(|(_, n)| *n > 1 << 20) {
            return Err("a shape value above 1048576 is not a model llama.cpp could load".into());
        }
        Ok(())
    }
}

/// What a tensor holds, which decides its values and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A weight matrix: the chosen type.
    Matrix,
    /// RMS norm weights: ones, F32 as llama.cpp keeps them.
    Norm,
    /// Attention biases (qwen2): small values, F32.
    Bias,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorPlan {
    pub name: String,
    /// ggml order: the row length first.
    pub dims: Vec<u64>,
    pub role: Role,
}

/// Every tensor of the model, in the order llama.cpp's converter writes them.
pub fn tensors(arch: Arch, s: &Shape, n_vocab: u64) -> Vec<TensorPlan> {
    let plan = |name: String, dims: &[u64], role| TensorPlan {
        name,
        dims: dims.to_vec(),
        role,
    };
    let (embd, kv) = (s.n_embd, s.n_head_kv * s.head_dim());
    let mut out = vec![plan("token_embd.weight".into(), &[embd, n_vocab], Role::Matrix)];
    for i in 0..s.n_layer {
        let blk = |t: &str| format!("blk.{i}.{t}");
        out.push(plan(blk("attn_norm.weight"), &[embd], Role::Norm));
        out.push(plan(blk("attn_q.weight"), &[embd, embd], Role::Matrix));
        out.push(plan(blk("attn_k.weight"), &[embd, kv], Role::Matrix));
        out.push(plan(blk("attn_v.weight"), &[embd, kv], Role::Matrix));
        if arch == Arch::Qwen2 {
            out.push(plan(blk("attn_q.bias"), &[embd], Role::Bias));
            out.push(plan(blk("attn_k.bias"), &[kv], Role::Bias));
            out.push(plan(blk("attn_v.bias"), &[kv], Role::Bias));
        }
        out.push(plan(blk("attn_output.weight"), &[embd, embd], Role::Matrix));
        out.push(plan(blk("ffn_norm.weight"), &[embd], Role::Norm));
        out.push(plan(blk("ffn_gate.weight"), &[embd, s.n_ff], Role::Matrix));
        out.push(plan(blk("ffn_up.weight"), &[embd, s.n_ff], Role::Matrix));
        out.push(plan(blk("ffn_down.weight"), &[s.n_ff, embd], Role::Matrix));
    }
    out.push(plan("output_norm.weight".into(), &[embd], Role::Norm));
    if !s.tied_output {
        out.push(plan("output.weight".into(), &[embd, n_vocab], Role::Matrix));
    }
    out
}

/// The type a tensor is stored in: norms and biases F32; a matrix whose rows
/// are not whole blocks of the chosen type falls back as llama.cpp's quantize
/// does (Q4_K to Q5_0, then to F16).
pub fn storage_type(role: Role, row: u64, chosen: GgmlType) -> GgmlType {
    if role != Role::Matrix {
        return GgmlType::F32;
    }
    [chosen, GgmlType::Q5_0, GgmlType::F16]
        .into_iter()
        .find(|t| t.bytes(row).is_some())
        .unwrap_or(GgmlType::F32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(arch: Arch, s: &Shape, vocab: u64) -> u64 {
        tensors(arch, s, vocab)
            .iter()
            .map(|t| t.dims.iter().product::<u64>())
            .sum()
    }

    #[test]
    fn presets_have_their_models_parameter_counts() {
        // Qwen2.5-0.5B: 494,032,768 parameters with its 151,936-token vocabulary.
        let qwen = preset("0.5b").unwrap();
        assert_eq!(params(Arch::Qwen2, &qwen, 151_936), 494_032_768);
        // SmolLM2-135M (llama, tied, 49,152 tokens): 134,515,008 as its GGUF says.
        let smol = preset("135M").unwrap();
        assert_eq!(params(Arch::Llama, &smol, 49_152), 134_515_008);
        for (name, s) in PRESETS {
            assert_eq!(s.check(), Ok(()), "{name}");
        }
        assert!(preset("2B").unwrap_err().contains("0.5B, 1.5B"));
    }

    #[test]
    fn shapes_llama_cpp_cannot_load_are_refused() {
        let s = preset("0.5B").unwrap();
        let bad = |s: Shape| s.check().unwrap_err();
        assert!(bad(Shape { n_head: 15, ..s }).contains("even head size"));
        assert!(bad(Shape { n_head_kv: 3, ..s }).contains("multiple of --kv-heads 3"));
        assert!(bad(Shape { n_layer: 0, ..s }).contains("--layers must be at least 1"));
        assert!(bad(Shape { n_ff: 1 << 30, ..s }).contains("above"));
    }

    #[test]
    fn types_fall_back_like_llama_quantize() {
        assert_eq!(storage_type(Role::Matrix, 896, GgmlType::Q4_K), GgmlType::Q5_0);
        assert_eq!(storage_type(Role::Matrix, 1024, GgmlType::Q4_K), GgmlType::Q4_K);
        assert_eq!(storage_type(Role::Matrix, 48, GgmlType::Q8_0), GgmlType::F16);
        assert_eq!(storage_type(Role::Norm, 1024, GgmlType::Q8_0), GgmlType::F32);
        let names: Vec<String> = tensors(Arch::Qwen2, &preset("0.5B").unwrap(), 10)
            .into_iter()
            .take(9)
            .map(|t| t.name)
            .collect();
        assert_eq!(names[..6], ["token_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_q.bias"]);
    }
}
