//! `edgebench synth`: a GGUF model of a chosen architecture and size with
//! random weights and a real tokenizer, loadable by llama.cpp. Its speed is a
//! model's speed of that shape; its answers are noise, and the file says it
//! is synthetic (`edgebench.synthetic`), so every row measured on it does too.
//! docs/synthetic.md.

mod header;
mod shape;
mod weights;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use crate::cli::SynthArgs;
use crate::error::{exit, UsageError};
use crate::gguf::{read_gguf_info, write_gguf, GgmlType, GgufError, GgufHeader, TensorData};
use header::{model_header, read_tokenizer, vocab_header, Spec};
use shape::{preset, Arch, Shape, TensorPlan};

pub fn run(args: &SynthArgs) -> Result<i32> {
    let spec = spec_from(args).map_err(UsageError::new)?;
    let tokenizer = read_tokenizer(&args.tokenizer_from).map_err(UsageError::new)?;
    check_replaceable(&args.out)?;
    let (header, plans) = match args.vocab_only {
        true => (vocab_header(spec.arch, &tokenizer), Vec::new()),
        false => model_header(&spec, &tokenizer).map_err(UsageError::new)?,
    };
    let data_bytes: u64 = header.tensors().iter().map(|t| t.n_bytes()).sum();
    if !spec.sparse {
        check_free_space(&args.out, data_bytes)?;
    }
    let started = Instant::now();
    let size = write(&args.out, &header, &plans, &spec)?;
    let params: u64 = header.tensors().iter().map(|t| t.n_elements()).sum();
    let what = match args.vocab_only {
        true => format!("the tokenizer of {}", tokenizer.source),
        false => format!(
            "{}, {:.1}M parameters ({} layers, width {}, {}{} tokens from {})",
            spec.name(),
            params as f64 / 1e6,
            spec.shape.n_layer,
            spec.shape.n_embd,
            if spec.sparse { "zero weights, sparse; " } else { "" },
            tokenizer.n_vocab,
            tokenizer.source
        ),
    };
    println!(
        "wrote {}: {what}; {:.1} MiB in {:.1} s",
        args.out.display(),
        size as f64 / (1u64 << 20) as f64,
        started.elapsed().as_secs_f64()
    );
    Ok(exit::OK)
}

fn write(
    path: &Path,
    header: &GgufHeader,
    plans: &[TensorPlan],
    spec: &Spec,
) -> Result<u64, GgufError> {
    if spec.sparse {
        return write_gguf(path, header, TensorData::SparseZeros);
    }
    let mut fill = |index: usize, out: &mut dyn Write| {
        let ggml_type = header.tensors()[index].ggml_type;
        weights::write_tensor(out, spec.seed, index, &plans[index], ggml_type)
    };
    write_gguf(path, header, TensorData::Stream(&mut fill))
}

/// The command line as a spec: a preset shape with any sizes given overriding it.
fn spec_from(args: &SynthArgs) -> Result<Spec, String> {
    let arch = Arch::parse(&args.arch)?;
    let base = preset(&args.params)?;
    let shape = Shape {
        n_layer: args.layers.unwrap_or(base.n_layer),
        n_embd: args.embd.unwrap_or(base.n_embd),
        n_ff: args.ff.unwrap_or(base.n_ff),
        n_head: args.heads.unwrap_or(base.n_head),
        n_head_kv: args.kv_heads.unwrap_or(base.n_head_kv),
        ..base
    };
    shape.check()?;
    let size_label = match shape == base {
        true => args.params.to_uppercase(),
        false => format!(
            "{}x{} ff{} heads {}/{}",
            shape.n_layer, shape.n_embd, shape.n_ff, shape.n_head, shape.n_head_kv
        ),
    };
    let (weight_type, file_type) = match args.weight_type.as_str() {
        "f16" => (GgmlType::F16, 1),
        "q8_0" => (GgmlType::Q8_0, 7),
        "q4_0" => (GgmlType::Q4_0, 2),
        "q4_k" => (GgmlType::Q4_K, 14),
        other => return Err(format!("--type {other:?}: use f16, q8_0, q4_0 or q4_k")),
    };
    Ok(Spec {
        arch,
        shape,
        size_label,
        weight_type,
        file_type,
        seed: args.seed,
        sparse: args.sparse,
    })
}

/// A real model at --out is never replaced (a typo must not cost a download);
/// an earlier synthetic one is.
fn check_replaceable(out: &Path) -> Result<(), UsageError> {
    if std::fs::symlink_metadata(out).is_err() {
        return Ok(());
    }
    match read_gguf_info(out) {
        Ok(info) if info.synthetic => Ok(()),
        _ => Err(UsageError::new(format!(
            "{}: already exists and is not a synthetic model; choose another --out",
            out.display()
        ))),
    }
}

/// Refuses up front a model the disk cannot hold, rather than failing after minutes.
fn check_free_space(out: &Path, bytes: u64) -> Result<(), UsageError> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(free) = free_bytes(dir) else {
        return Ok(());
    };
    if bytes > free {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        return Err(UsageError::new(format!(
            "{}: the model needs {:.1} GiB but only {:.1} GiB is free there (--sparse writes any size without using disk)",
            dir.display(),
            gib(bytes),
            gib(free)
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn free_bytes(_: &Path) -> Option<u64> {
    None
}

#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a statvfs struct to fill.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::read_raw_kvs;

    /// A tokenizer-only GGUF: 64 byte-level tokens and a template.
    fn tokenizer(dir: &Path) -> std::path::PathBuf {
        let mut h = GgufHeader::default();
        h.put_str("general.architecture", "llama");
        h.put_str("tokenizer.ggml.model", "gpt2");
        let tokens: Vec<String> = (0..64).map(|i| format!("t{i}")).collect();
        let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
        h.put_strings("tokenizer.ggml.tokens", &tokens);
        h.put_u32("tokenizer.ggml.eos_token_id", 2);
        h.put_str("tokenizer.chat_template", "{{ messages }}");
        let path = dir.join("tok.gguf");
        write_gguf(&path, &h, TensorData::SparseZeros).unwrap();
        path
    }

    fn args(dir: &Path, out: &str) -> SynthArgs {
        SynthArgs {
            out: dir.join(out),
            tokenizer_from: tokenizer(dir),
            arch: "qwen2".into(),
            params: "0.5B".into(),
            layers: Some(2),
            embd: Some(64),
            ff: Some(96),
            heads: Some(4),
            kv_heads: Some(2),
            weight_type: "q8_0".into(),
            seed: 1,
            sparse: false,
            vocab_only: false,
        }
    }

    #[test]
    fn a_tiny_model_reads_back_with_its_tokenizer_and_mark() {
        let dir = tempfile::tempdir().unwrap();
        let a = args(dir.path(), "m.gguf");
        assert_eq!(run(&a).unwrap(), exit::OK);
        let info = read_gguf_info(&a.out).unwrap();
        assert!(info.synthetic);
        assert_eq!(info.architecture.as_deref(), Some("qwen2"));
        assert_eq!(info.model_name.as_deref(), Some("synthetic qwen2 2x64 ff96 heads 4/2 Q8_0"));
        assert_eq!(info.quant, "Q8_0");
        assert_eq!((info.block_count, info.embedding_length), (Some(2), Some(64)));
        assert_eq!((info.head_count, info.head_count_kv), (Some(4), Some(2)));
        assert!(info.has_chat_template);
        // Embedding 64x64 (tied output), per block: q, o 64x64; k, v 64x32; biases
        // 64+32+32; norms 2x64; ffn 3x64x96; then the output norm.
        let block = 2 * 4096 + 2 * 2048 + 128 + 128 + 3 * 64 * 96;
        assert_eq!(info.n_params, 4096 + 2 * block + 64);
        assert_eq!(info.n_tensors, 1 + 2 * 12 + 1);
        // The tokenizer is copied byte for byte.
        let tok = |p: &Path| read_raw_kvs(p, &|k| k.starts_with("tokenizer.")).unwrap();
        assert_eq!(tok(&a.out), tok(&a.tokenizer_from));
        // Same seed, same file; another seed, other weights; sparse: same size.
        let first = std::fs::read(&a.out).unwrap();
        run(&a).unwrap();
        assert_eq!(std::fs::read(&a.out).unwrap(), first);
        run(&SynthArgs { seed: 2, ..args(dir.path(), "m.gguf") }).unwrap();
        assert_ne!(std::fs::read(&a.out).unwrap(), first);
        let sparse = SynthArgs { sparse: true, ..args(dir.path(), "s.gguf") };
        run(&sparse).unwrap();
        assert_eq!(std::fs::metadata(&sparse.out).unwrap().len(), first.len() as u64);
    }

    #[test]
    fn refusals_are_one_line_usage_errors() {
        let dir = tempfile::tempdir().unwrap();
        let refused = |a: SynthArgs| {
            let e = run(&a).unwrap_err();
            assert!(e.downcast_ref::<UsageError>().is_some(), "{e}");
            e.to_string()
        };
        // A real model (here: the tokenizer file, not synthetic) is never replaced.
        let a = args(dir.path(), "x.gguf");
        let real = SynthArgs { out: a.tokenizer_from.clone(), ..args(dir.path(), "x") };
        assert!(refused(real).contains("not a synthetic model"));
        let msg = refused(SynthArgs { heads: Some(5), ..args(dir.path(), "x.gguf") });
        assert!(msg.contains("even head size"), "{msg}");
        let msg = refused(SynthArgs { params: "9B".into(), ..args(dir.path(), "x.gguf") });
        assert!(msg.contains("use one of 135M, 0.5B"), "{msg}");
        let plain = dir.path().join("plain.gguf");
        let mut h = GgufHeader::default();
        h.put_str("general.architecture", "llama");
        write_gguf(&plain, &h, TensorData::SparseZeros).unwrap();
        let msg = refused(SynthArgs { tokenizer_from: plain, ..args(dir.path(), "y.gguf") });
        assert!(msg.contains("plain.gguf: no tokenizer.ggml.tokens"), "{msg}");
        assert!(!dir.path().join("y.gguf").exists());
    }

    #[test]
    fn vocab_only_is_a_tokenizer_source() {
        let dir = tempfile::tempdir().unwrap();
        let v = SynthArgs { vocab_only: true, ..args(dir.path(), "v.gguf") };
        run(&v).unwrap();
        let info = read_gguf_info(&v.out).unwrap();
        assert_eq!((info.n_tensors, info.synthetic), (0, true));
        let again = SynthArgs { tokenizer_from: v.out.clone(), ..args(dir.path(), "m.gguf") };
        let tok = |p: &Path| read_raw_kvs(p, &|k| k.starts_with("tokenizer.")).unwrap();
        run(&again).unwrap();
        assert_eq!(tok(&again.out), tok(&v.out));
    }
}
