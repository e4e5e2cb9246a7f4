//! `edgebench import bfcl`: writes the BFCL suite file (atomically) and says what it holds.
use std::io::Write;

use anyhow::Result;

use crate::cli::BfclImportArgs;
use crate::error::{exit, UsageError};
use crate::results::write_atomic;
use crate::suite::bfcl::{import, ImportRequest};

pub fn run(args: &BfclImportArgs) -> Result<i32> {
    let name = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| UsageError::new(format!("--out {}: not a file name", args.out.display())))?;
    let imported = import(&ImportRequest {
        from: args.from.clone(),
        categories: args.categories.clone(),
        sample: args.sample,
        seed: args.seed,
        any_version: args.any_version,
        name: name.clone(),
    })?;
    write_atomic(&args.out, |f| Ok(f.write_all(imported.toml.as_bytes())?))?;
    for (category, kept, in_file) in &imported.counts {
        println!("{category:<24} {kept:>5} of {in_file}");
    }
    let total: usize = imported.counts.iter().map(|(_, n, _)| n).sum();
    println!(
        "wrote suite `{name}` ({total} cases) to {}",
        args.out.display()
    );
    Ok(exit::OK)
}
