//! The synthetic model's metadata: the keys llama.cpp's loader requires for
//! the architecture (llama-model.cpp `load_hparams`, models/*.cpp), the
//! tokenizer copied from a real model, and the marks that say it is synthetic.

use std::path::Path;

use super::shape::{storage_type, tensors, Arch, Shape, TensorPlan};
use crate::gguf::{read_raw_kvs, GgmlType, GgufHeader, RawKv, TensorInfo, KEY_SYNTHETIC};

/// The tokenizer of a real model: every `tokenizer.*` pair, chat template included.
pub struct Tokenizer {
    pub kvs: Vec<RawKv>,
    pub n_vocab: u64,
    /// The source's file name (not its path: the file may be shared).
    pub source: String,
}

pub fn read_tokenizer(path: &Path) -> Result<Tokenizer, String> {
    let kvs = read_raw_kvs(path, &|key| key.starts_with("tokenizer.")).map_err(|e| e.to_string())?;
    let tokens = kvs.iter().find(|kv| kv.key == "tokenizer.ggml.tokens");
    let Some(n_vocab) = tokens.and_then(|kv| kv.array_len).filter(|&n| n > 0) else {
        return Err(format!(
            "{}: no tokenizer.ggml.tokens: take the tokenizer from a model that has one",
            path.display()
        ));
    };
    Ok(Tokenizer {
        kvs,
        n_vocab,
        source: path.file_name().unwrap_or_default().to_string_lossy().into_owned(),
    })
}

/// What to write, decided from the command line.
pub struct Spec {
    pub arch: Arch,
    pub shape: Shape,
    /// How the shape is named in general.name: a preset's size, or the shape.
    pub size_label: String,
    pub weight_type: GgmlType,
    /// llama.cpp's general.file_type for the type (Q4_K is its Q4_K_S).
    pub file_type: u32,
    pub seed: u64,
    pub sparse: bool,
}

impl Spec {
    pub fn name(&self) -> String {
        format!(
            "synthetic {} {} {}",
            self.arch.name(),
            self.size_label,
            self.weight_type.name()
        )
    }
}

/// The header of the whole model (metadata, then every tensor's info), and
/// the tensors in the same order.
pub fn model_header(
    spec: &Spec,
    tokenizer: &Tokenizer,
) -> Result<(GgufHeader, Vec<TensorPlan>), String> {
    let (arch, s) = (spec.arch.name(), &spec.shape);
    let mut h = GgufHeader::default();
    h.put_str("general.architecture", arch);
    h.put_str("general.name", &spec.name());
    h.put_u32("general.file_type", spec.file_type);
    if spec.weight_type != GgmlType::F16 {
        h.put_u32("general.quantization_version", 2);
    }
    put_synthetic_marks(&mut h, spec, tokenizer);
    let key = |k: &str| format!("{arch}.{k}");
    let as_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    h.put_u32(&key("context_length"), as_u32(s.n_ctx_train));
    h.put_u32(&key("embedding_length"), as_u32(s.n_embd));
    h.put_u32(&key("block_count"), as_u32(s.n_layer));
    h.put_u32(&key("feed_forward_length"), as_u32(s.n_ff));
    h.put_u32(&key("attention.head_count"), as_u32(s.n_head));
    h.put_u32(&key("attention.head_count_kv"), as_u32(s.n_head_kv));
    h.put_f32(&key("attention.layer_norm_rms_epsilon"), spec.arch.rms_norm_eps());
    h.put_f32(&key("rope.freq_base"), spec.arch.rope_freq_base());
    h.put_u32(&key("rope.dimension_count"), as_u32(s.head_dim()));
    h.put_u32(&key("vocab_size"), as_u32(tokenizer.n_vocab));
    tokenizer.kvs.iter().for_each(|kv| h.put_raw(kv));
    let plans = tensors(spec.arch, s, tokenizer.n_vocab);
    for plan in &plans {
        h.add_tensor(TensorInfo {
            name: plan.name.clone(),
            dims: plan.dims.clone(),
            ggml_type: storage_type(plan.role, plan.dims[0], spec.weight_type),
        })?;
    }
    Ok((h, plans))
}

/// A tokenizer alone (no tensors): small enough to ship as a later --tokenizer-from.
pub fn vocab_header(arch: Arch, tokenizer: &Tokenizer) -> GgufHeader {
    let mut h = GgufHeader::default();
    h.put_str("general.architecture", arch.name());
    h.put_str("general.name", &format!("tokenizer of {}", tokenizer.source));
    h.put_bool(KEY_SYNTHETIC, true);
    tokenizer.kvs.iter().for_each(|kv| h.put_raw(kv));
    h
}

fn put_synthetic_marks(h: &mut GgufHeader, spec: &Spec, tokenizer: &Tokenizer) {
    h.put_bool(KEY_SYNTHETIC, true);
    let weights = match spec.sparse {
        true => "zeros (sparse file)".to_string(),
        false => format!("random, seed {}", spec.seed),
    };
    h.put_str("edgebench.synthetic.weights", &weights);
    h.put_str("edgebench.synthetic.tokenizer_from", &tokenizer.source);
}
