//! `[candidate.server]`: the command edgebench starts a candidate's server
//! with, checked when the sweep file is read, and its placeholders, filled
//! per unit with the GGUF, the free port and the unit's configuration.
use std::path::Path;

use super::file::ServerLaunchFile;
use crate::results::plan::{Configuration, ServerLaunch};

/// What `{name}` may stand for in the command, its environment and base_url.
pub const PLACEHOLDERS: &[&str] = &[
    "model", "host", "port", "threads", "ctx", "batch", "ngl", "parallel",
];

/// How long a started server may take to answer (loading a 3B model from an
/// SD card on a Jetson takes a while).
pub const DEFAULT_READY_TIMEOUT_SECS: u64 = 120;

/// A started server listens here unless the candidate says otherwise.
pub const LAUNCHED_BASE_URL: &str = "http://{host}:{port}/v1";

/// Started servers listen on loopback only.
pub const LAUNCH_HOST: &str = "127.0.0.1";

/// The values of one unit's placeholders.
pub struct LaunchValues<'a> {
    pub model: &'a Path,
    pub port: u16,
    pub config: &'a Configuration,
    /// The most streams the sweep sends at once (its highest concurrency
    /// level, else 1): llama-server's `-np` slots.
    pub parallel: u32,
}

impl LaunchValues<'_> {
    fn value(&self, name: &str) -> Option<String> {
        let c = self.config;
        Some(match name {
            "model" => self.model.display().to_string(),
            "host" => LAUNCH_HOST.to_string(),
            "port" => self.port.to_string(),
            "threads" => c.n_threads.to_string(),
            "ctx" => c.n_ctx.to_string(),
            "batch" => c.n_batch.to_string(),
            "ngl" => c.n_gpu_layers.to_string(),
            "parallel" => self.parallel.to_string(),
            _ => return None,
        })
    }
}

/// `text` with each `{name}` replaced (a checked template has no other braces).
pub fn fill_placeholders(text: &str, values: &LaunchValues) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if values.value(name).is_some() => {
                out.push_str(&values.value(name).unwrap_or_default());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names a template uses, or why it is not one: a `{name}` that is not a
/// placeholder, or a brace left open.
pub fn template_placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("`{text}` has a `{{` without its `}}`"))?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{{{name}}}` in `{text}` is not one of {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        names.push(name);
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// `[candidate.server]` checked: a command, known placeholders, `{port}`
/// somewhere the server reads it, and `{model}` only with the candidate's
/// `path`.
pub fn launch_from_file(file: &ServerLaunchFile, has_path: bool) -> Result<ServerLaunch, String> {
    if file
        .command
        .first()
        .is_none_or(|program| program.trim().is_empty())
    {
        return Err("server.command needs the program to run".into());
    }
    let mut used = Vec::new();
    for text in file.command.iter().chain(file.env.values()) {
        used.extend(template_placeholders(text).map_err(|e| format!("server: {e}"))?);
    }
    if !used.contains(&"port") {
        return Err("server.command (or server.env) must pass `{port}`: the server is started on a free port".into());
    }
    if used.contains(&"model") && !has_path {
        return Err("server.command uses `{model}`: give the candidate's GGUF as `path`".into());
    }
    let ready_timeout_secs = file
        .ready_timeout_secs
        .unwrap_or(DEFAULT_READY_TIMEOUT_SECS);
    if ready_timeout_secs == 0 {
        return Err("server.ready_timeout_secs must be at least 1".into());
    }
    Ok(ServerLaunch {
        command: file.command.clone(),
        ready_timeout_secs,
        env: file.env.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::plan::FlashAttn;

    fn config() -> Configuration {
        Configuration {
            n_threads: 2,
            n_gpu_layers: 99,
            n_batch: 512,
            flash_attn: FlashAttn::Auto,
            n_ctx: 4096,
            n_ubatch: crate::config::DEFAULT_UBATCH,
            cache_type_k: crate::config::KvCacheType::F16,
            cache_type_v: crate::config::KvCacheType::F16,
            use_mmap: true,
            power_mode: None,
            jetson_clocks: None,
            speculative: None,
        }
    }

    #[test]
    fn placeholders_are_filled_and_other_text_is_kept() {
        let config = config();
        let values = LaunchValues {
            model: Path::new("/m/a.gguf"),
            port: 4321,
            config: &config,
            parallel: 4,
        };
        let filled = fill_placeholders(
            "-m {model} --port {port} -t {threads} -c {ctx} -np {parallel} {x",
            &values,
        );
        assert_eq!(filled, "-m /m/a.gguf --port 4321 -t 2 -c 4096 -np 4 {x");
        assert_eq!(
            fill_placeholders(LAUNCHED_BASE_URL, &values),
            "http://127.0.0.1:4321/v1"
        );
    }

    #[test]
    fn unknown_or_open_placeholders_are_named() {
        let e = template_placeholders("--port {prot}").unwrap_err();
        assert!(e.contains("`{prot}`") && e.contains("{port}"), "{e}");
        let e = template_placeholders("--port {port").unwrap_err();
        assert!(e.contains("without its"), "{e}");
        assert_eq!(
            template_placeholders("{model}:{port}").unwrap(),
            ["model", "port"]
        );
    }

    fn launch(command: &[&str], has_path: bool) -> Result<ServerLaunch, String> {
        let file = ServerLaunchFile {
            command: command.iter().map(|s| s.to_string()).collect(),
            ready_timeout_secs: None,
            env: Default::default(),
        };
        launch_from_file(&file, has_path)
    }

    #[test]
    fn a_launch_needs_a_program_a_port_and_a_path_for_model() {
        assert!(launch(&[], true).unwrap_err().contains("program"));
        assert!(launch(&["llama-server", "-m", "{model}"], true)
            .unwrap_err()
            .contains("{port}"));
        let e = launch(
            &["llama-server", "-m", "{model}", "--port", "{port}"],
            false,
        )
        .unwrap_err();
        assert!(e.contains("`path`"), "{e}");
        let ok = launch(&["llama-server", "-m", "{model}", "--port", "{port}"], true).unwrap();
        assert_eq!(ok.ready_timeout_secs, DEFAULT_READY_TIMEOUT_SECS);
    }
}
