//! One `[[candidate]]` of the sweep file: a GGUF run in-process by llama.cpp,
//! or a model served by an OpenAI-compatible server (`engine = "openai"`).
use std::path::{Path, PathBuf};

use super::file::{CandidateFile, SweepFile};
use super::server_launch::{launch_from_file, template_placeholders, LAUNCHED_BASE_URL};
use super::Candidate;
use crate::error::UsageError;
use crate::results::plan::{ServerEndpoint, ServerKind, ToolCalls, ToolChoice};

/// Every `[[candidate]]` of a sweep file, in order.
pub fn candidates_from_file(file: &SweepFile) -> Result<Vec<Candidate>, UsageError> {
    let each = file.candidates.iter().enumerate();
    each.map(|(i, c)| candidate_from_file(c, i + 1)).collect()
}

/// The candidate a `[[candidate]]` table describes (the `index`-th, from 1).
pub fn candidate_from_file(c: &CandidateFile, index: usize) -> Result<Candidate, UsageError> {
    let bad = |what: &str| UsageError::new(format!("[[candidate]] {index}: {what}"));
    let server = match c.engine.as_deref().unwrap_or("llama.cpp") {
        "llama.cpp" => {
            let server_keys = [
                &c.base_url,
                &c.model,
                &c.api_key_env,
                &c.server_kind,
                &c.tool_choice,
            ];
            if server_keys.iter().any(|k| k.is_some()) || c.server.is_some() {
                return Err(bad(
                    "base_url, model, api_key_env, server_kind, tool_choice and [candidate.server] are for engine = \"openai\"",
                ));
            }
            None
        }
        "openai" if c.draft.is_some() => {
            return Err(bad(
                "draft is for in-process candidates; a llama-server takes its draft with -md in [candidate.server] command",
            ))
        }
        "openai" => Some(endpoint(c).map_err(|e| bad(&e))?),
        other => {
            return Err(bad(&format!(
                "engine `{other}` is not one of llama.cpp, openai"
            )))
        }
    };
    let path = match (&c.path, &server) {
        (Some(path), _) => path.clone(),
        (None, Some(_)) => PathBuf::new(),
        (None, None) => return Err(bad("give the model's `path`")),
    };
    // A served candidate's way is in its endpoint (with its tool_choice).
    let tool_calls = match &server {
        Some(_) => ToolCalls::Prompt,
        None => tool_calls(c.tool_calls.as_deref()).map_err(|e| bad(&e))?,
    };
    let name = match (&c.name, &server) {
        (Some(name), _) => name.clone(),
        (None, Some(server)) => server.model.clone(),
        (None, None) => name_from_path(&path),
    };
    Ok(Candidate {
        name,
        path,
        n_gpu_layers: c.n_gpu_layers,
        n_ctx: c.n_ctx,
        n_threads: c.n_threads,
        n_batch: c.n_batch,
        flash_attn: c.flash_attn,
        chat_template: c.chat_template.clone(),
        server,
        draft: c.draft.clone(),
        tool_calls,
    })
}

/// `tool_calls`: how tool-calling cases are asked (unset: `prompt`).
fn tool_calls(value: Option<&str>) -> Result<ToolCalls, String> {
    match value {
        None | Some("prompt") => Ok(ToolCalls::Prompt),
        Some("native") => Ok(ToolCalls::Native),
        Some("both") => Ok(ToolCalls::Both),
        Some(other) => Err(format!(
            "tool_calls `{other}` is not one of prompt, native, both"
        )),
    }
}

fn endpoint(c: &CandidateFile) -> Result<ServerEndpoint, String> {
    let kind = match c.server_kind.as_deref() {
        None | Some("generic") => ServerKind::Generic,
        Some("llama-server") => ServerKind::LlamaServer,
        Some(other) => {
            return Err(format!(
                "server_kind `{other}` is not one of llama-server, generic"
            ))
        }
    };
    let tool_calls = tool_calls(c.tool_calls.as_deref())?;
    let tool_choice = tool_choice(c.tool_choice.as_deref(), tool_calls)?;
    let launch = match &c.server {
        Some(file) => Some(launch_from_file(file, c.path.is_some())?),
        None => None,
    };
    let base_url = match (&c.base_url, &launch) {
        (Some(url), Some(_)) if !url.contains("{port}") => {
            return Err(format!("base_url {url:?} must contain `{{port}}`: the server edgebench starts gets a free port"))
        }
        (Some(url), _) => url.clone(),
        (None, Some(_)) => LAUNCHED_BASE_URL.to_string(),
        (None, None) => return Err("engine = \"openai\" needs a base_url (or a [candidate.server] to start)".into()),
    };
    if launch.is_some() {
        template_placeholders(&base_url)?;
    }
    Ok(ServerEndpoint {
        base_url,
        model: c
            .model
            .clone()
            .ok_or("engine = \"openai\" needs the server's model id (`model`)")?,
        api_key_env: c.api_key_env.clone(),
        kind,
        launch,
        tool_calls,
        tool_choice,
    })
}

/// `tool_choice` goes with the tools in the API's field: without native
/// tools it would never be sent.
fn tool_choice(value: Option<&str>, tool_calls: ToolCalls) -> Result<Option<ToolChoice>, String> {
    let choice = match value {
        None => return Ok(None),
        Some("auto") => ToolChoice::Auto,
        Some("required") => ToolChoice::Required,
        Some("none") => ToolChoice::None,
        Some(other) => {
            return Err(format!(
                "tool_choice `{other}` is not one of auto, required, none"
            ))
        }
    };
    if tool_calls == ToolCalls::Prompt {
        return Err(
            "tool_choice is sent with native tools: set tool_calls = \"native\" or \"both\"".into(),
        );
    }
    Ok(Some(choice))
}

pub fn name_from_path(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_sweep_toml;

    fn first(text: &str) -> Result<Candidate, UsageError> {
        let file = parse_sweep_toml(text, Path::new("sweep.toml")).unwrap();
        candidate_from_file(&file.candidates[0], 1)
    }

    #[test]
    fn a_started_server_gets_a_loopback_base_url_with_its_port() {
        let text = "[[candidate]]\nengine = \"openai\"\npath = \"m.gguf\"\nmodel = \"m\"\n\
                    [candidate.server]\ncommand = [\"llama-server\", \"-m\", \"{model}\", \"--port\", \"{port}\"]\n\
                    env = { LLAMA_ARG_THREADS = \"{threads}\" }\n";
        let server = first(text).unwrap().server.unwrap();
        assert_eq!(server.base_url, LAUNCHED_BASE_URL);
        let launch = server.launch.unwrap();
        assert_eq!(launch.command[2], "{model}");
        assert_eq!(launch.env["LLAMA_ARG_THREADS"], "{threads}");

        let fixed = text.replace(
            "model = \"m\"\n",
            "model = \"m\"\nbase_url = \"http://127.0.0.1:8080/v1\"\n",
        );
        let e = first(&fixed).unwrap_err().to_string();
        assert!(e.contains("must contain `{port}`"), "{e}");
        let typo = text.replace("{threads}", "{thread}");
        let e = first(&typo).unwrap_err().to_string();
        assert!(e.starts_with("[[candidate]] 1: server: `{thread}`"), "{e}");
        let in_process =
            "[[candidate]]\npath = \"m.gguf\"\n[candidate.server]\ncommand = [\"x\", \"{port}\"]\n";
        let e = first(in_process).unwrap_err().to_string();
        assert!(e.contains("are for engine = \"openai\""), "{e}");
    }

    #[test]
    fn tool_calls_say_how_tools_reach_the_server() {
        for (value, expected) in [("native", ToolCalls::Native), ("both", ToolCalls::Both)] {
            let served = first(&format!(
                "[[candidate]]\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
                 model = \"m\"\ntool_calls = \"{value}\"\n"
            ))
            .unwrap();
            assert_eq!(served.server.unwrap().tool_calls, expected);
        }
    }

    #[test]
    fn an_in_process_candidate_takes_tool_calls_but_not_tool_choice() {
        for (value, expected) in [("native", ToolCalls::Native), ("both", ToolCalls::Both)] {
            let text = format!("[[candidate]]\npath = \"m.gguf\"\ntool_calls = \"{value}\"\n");
            let candidate = first(&text).unwrap();
            assert_eq!(candidate.tool_calls, expected);
            assert_eq!(candidate.asks_tools(), expected);
        }
        let plain = first("[[candidate]]\npath = \"m.gguf\"\n").unwrap();
        assert_eq!(plain.asks_tools(), ToolCalls::Prompt);
        let e = first("[[candidate]]\npath = \"m.gguf\"\ntool_calls = \"api\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "[[candidate]] 1: tool_calls `api` is not one of prompt, native, both"
        );
        let e = first("[[candidate]]\npath = \"m.gguf\"\ntool_calls = \"native\"\ntool_choice = \"required\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tool_choice and [candidate.server] are for engine"),
            "{e}"
        );
    }

    #[test]
    fn tool_choice_goes_with_native_tools_and_names_a_bad_value() {
        let served = |extra: &str| {
            first(&format!(
                "[[candidate]]\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
                 model = \"m\"\n{extra}"
            ))
        };
        let server = served("tool_calls = \"both\"\ntool_choice = \"required\"\n")
            .unwrap()
            .server
            .unwrap();
        assert_eq!(server.tool_choice, Some(ToolChoice::Required));
        let unset = served("tool_calls = \"native\"\n").unwrap().server.unwrap();
        assert_eq!(unset.tool_choice, None, "not sent: the server's default");
        for (extra, error) in [
            (
                "tool_calls = \"native\"\ntool_choice = \"any\"\n",
                "[[candidate]] 1: tool_choice `any` is not one of auto, required, none",
            ),
            (
                "tool_choice = \"none\"\n",
                "[[candidate]] 1: tool_choice is sent with native tools: set tool_calls = \"native\" or \"both\"",
            ),
        ] {
            let e = served(extra).unwrap_err().to_string();
            assert_eq!(e, error);
        }
        let in_process = "[[candidate]]\npath = \"m.gguf\"\ntool_choice = \"auto\"\n";
        let e = first(in_process).unwrap_err().to_string();
        assert!(
            e.contains("tool_choice and [candidate.server] are for engine"),
            "{e}"
        );
    }

    #[test]
    fn a_served_candidate_needs_an_address_and_a_model_id() {
        let served = first(
            "[[candidate]]\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:11434/v1\"\n\
             model = \"qwen2.5:3b\"\napi_key_env = \"KEY\"\nserver_kind = \"llama-server\"\n",
        )
        .unwrap();
        assert_eq!(served.name, "qwen2.5:3b");
        assert_eq!(served.path, PathBuf::new());
        let server = served.server.unwrap();
        assert_eq!(server.api_key_env.as_deref(), Some("KEY"));
        assert_eq!(server.kind, ServerKind::LlamaServer);
        assert_eq!(server.tool_calls, ToolCalls::Prompt, "the default");

        let errors = [
            (
                "[[candidate]]\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
                 model = \"m\"\ntool_calls = \"api\"\n",
                "tool_calls `api` is not one of prompt, native, both",
            ),
            (
                "[[candidate]]\nengine = \"openai\"\nmodel = \"m\"\n",
                "needs a base_url",
            ),
            (
                "[[candidate]]\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n",
                "model id",
            ),
            (
                "[[candidate]]\nengine = \"vllm\"\npath = \"m.gguf\"\n",
                "engine `vllm` is not one of",
            ),
            (
                "[[candidate]]\npath = \"m.gguf\"\nmodel = \"m\"\n",
                "are for engine = \"openai\"",
            ),
            ("[[candidate]]\nname = \"x\"\n", "give the model's `path`"),
        ];
        for (text, expected) in errors {
            let error = first(text).unwrap_err().to_string();
            assert!(
                error.starts_with("[[candidate]] 1: ") && error.contains(expected),
                "{error}"
            );
        }
    }
}
