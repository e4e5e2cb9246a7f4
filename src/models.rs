//! `edgebench models`: what a GGUF file is, read from its header alone.
use anyhow::Result;
use serde::Serialize;

use crate::cli::ModelsArgs;
use crate::error::{exit, UsageError};
use crate::gguf::read_gguf_info;
use crate::runner::sha256_file;

#[derive(Debug, Serialize)]
struct ModelLine {
    path: String,
    arch: String,
    params: u64,
    quant: String,
    size_bytes: u64,
    n_ctx_train: Option<u64>,
    chat_template: bool,
    sha256: Option<String>,
}

pub fn run(args: &ModelsArgs) -> Result<i32> {
    let mut lines = Vec::new();
    for path in &args.paths {
        let info = read_gguf_info(path).map_err(|e| UsageError::new(e.to_string()))?;
        let sha256 = if args.sha256 {
            Some(
                sha256_file(path)
                    .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?,
            )
        } else {
            None
        };
        lines.push(ModelLine {
            path: path.display().to_string(),
            arch: info
                .architecture
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            params: info.n_params,
            quant: info.quant.clone(),
            size_bytes: info.file_size,
            n_ctx_train: info.context_length,
            chat_template: info.has_chat_template,
            sha256,
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(exit::OK);
    }
    println!(
        "{:<40} {:<10} {:>9} {:<8} {:>10} {:>8} {:<8}{}",
        "model",
        "arch",
        "params",
        "quant",
        "size MiB",
        "ctx",
        "template",
        if args.sha256 { " sha256" } else { "" }
    );
    for l in &lines {
        println!(
            "{:<40} {:<10} {:>8.1}M {:<8} {:>10.1} {:>8} {:<8}{}",
            l.path,
            l.arch,
            l.params as f64 / 1e6,
            l.quant,
            l.size_bytes as f64 / 1048576.0,
            l.n_ctx_train.map_or("-".into(), |c| c.to_string()),
            if l.chat_template { "yes" } else { "no" },
            l.sha256
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default()
        );
    }
    Ok(exit::OK)
}
