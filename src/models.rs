//! `edgebench models`: what a GGUF file is, read from its header alone.
use anyhow::Result;
use serde::Serialize;

use crate::cli::ModelsArgs;
use crate::error::{exit, UsageError};
use crate::fit::{estimate, FitEstimate, FitVerdict};
use crate::gguf::{read_gguf_info, sha256_file};
use crate::profiles;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    fit: Option<FitLine>,
}

/// `--profile`: the estimate and the verdict against the profile's budget.
#[derive(Debug, Serialize)]
struct FitLine {
    profile: String,
    budget_bytes: u64,
    estimate: FitEstimate,
    share_of_budget: f64,
    verdict: FitVerdict,
}

pub fn run(args: &ModelsArgs) -> Result<i32> {
    let profile = match &args.profile {
        Some(name) => {
            let all = profiles::all(args.profiles.as_deref(), profiles::this_host())?;
            Some(profiles::find(&all, name)?)
        }
        None => None,
    };
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
            fit: profile.as_ref().map(|p| {
                let e = estimate(&info, args.ctx, crate::fit::F16_CACHE);
                let budget = p.budget_bytes();
                FitLine {
                    profile: p.name.clone(),
                    budget_bytes: budget as u64,
                    share_of_budget: e.total_bytes as f64 / budget,
                    verdict: FitVerdict::of(e.total_bytes as f64, budget),
                    estimate: e,
                }
            }),
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
    if let Some(p) = &profile {
        print_fit(&lines, p, args.ctx);
    }
    Ok(exit::OK)
}

fn print_fit(lines: &[ModelLine], profile: &profiles::Profile, ctx: u64) {
    let mib = |b: u64| b as f64 / 1048576.0;
    println!(
        "\nfit on {} (budget {:.0} MiB, context {ctx} tokens; tight above {:.0}% of the budget):",
        profile.name,
        profile.budget_bytes() / 1048576.0,
        crate::fit::TIGHT_SHARE * 100.0
    );
    println!(
        "{:<40} {:>11} {:>9} {:>12} {:>13} {:>17} {:>7}  verdict",
        "model",
        "weights MiB",
        "KV MiB",
        "overhead MiB",
        "predicted MiB",
        "rule of thumb MiB",
        "budget"
    );
    for l in lines {
        let Some(f) = &l.fit else { continue };
        let e = &f.estimate;
        println!(
            "{:<40} {:>11.1} {:>9.1} {:>12.1} {:>13.1} {:>17} {:>6.1}%  {}",
            l.path,
            mib(e.weights_bytes),
            mib(e.kv_cache_bytes),
            mib(e.overhead_bytes),
            mib(e.total_bytes),
            e.rule_of_thumb_bytes
                .map_or("-".into(), |b| format!("{:.1}", mib(b))),
            f.share_of_budget * 100.0,
            f.verdict.as_str()
        );
    }
}
