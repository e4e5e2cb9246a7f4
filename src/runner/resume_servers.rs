//! A resumed run's servers come from the sweep file, never from the run
//! directory: manifest.json is untrusted (runs travel as CI artifacts), and a
//! `[candidate.server]` command taken from it would run whatever an edited
//! copy says. `--resume` of a run with served candidates therefore needs the
//! sweep file (`--config`); each served candidate's server (command, its
//! arguments and environment, address, key variable) must be the one the run
//! started with, and is then taken from that file.
use std::path::Path;

use crate::config::{candidates_from_file, read_sweep_file, Candidate};
use crate::error::UsageError;
use crate::results::manifest::Manifest;
use crate::results::plan::{ServerEndpoint, ServerLaunch};

/// Puts the sweep file's server in place of every stored one, or refuses
/// (a usage error) when there is no sweep file or it describes other servers.
pub(super) fn servers_from_sweep_file(
    manifest: &mut Manifest,
    config: Option<&Path>,
    run_dir: &Path,
) -> Result<(), UsageError> {
    let Some(first) = served(manifest).next().map(|c| c.name.clone()) else {
        return Ok(());
    };
    let Some(config) = config else {
        return Err(UsageError::new(format!(
            "--resume {}: candidate `{first}` is served over HTTP; give the sweep file the run was started with (--config FILE): a resume never takes a server's command from the run directory",
            run_dir.display()
        )));
    };
    let from_file = candidates_from_file(&read_sweep_file(config)?)?;
    let redaction = manifest.redacted.then(|| manifest.redaction());
    let as_recorded = |server: &ServerEndpoint| match &redaction {
        Some(redaction) => redaction.value(server).unwrap_or_else(|_| server.clone()),
        None => server.clone(),
    };
    let units = manifest.units.iter_mut().map(|u| &mut u.candidate);
    for stored in manifest.sweep.candidates.iter_mut().chain(units) {
        let Some(was) = &stored.server else { continue };
        let now = server_in_file(&from_file, &stored.name, config)?;
        if as_recorded(now) != *was {
            return Err(UsageError::new(format!(
                "--resume {}: candidate `{}`'s server in {} is not the one the run started with ({}); resume with the sweep file the run was started with",
                run_dir.display(),
                stored.name,
                config.display(),
                differences(was, &as_recorded(now)).join(", ")
            )));
        }
        stored.server = Some(now.clone());
    }
    Ok(())
}

/// The stored candidates (the sweep's and each unit's copy) with a server.
fn served(manifest: &Manifest) -> impl Iterator<Item = &Candidate> {
    let units = manifest.units.iter().map(|u| &u.candidate);
    let all = manifest.sweep.candidates.iter().chain(units);
    all.filter(|c| c.server.is_some())
}

fn server_in_file<'a>(
    candidates: &'a [Candidate],
    name: &str,
    config: &Path,
) -> Result<&'a ServerEndpoint, UsageError> {
    let candidate = candidates.iter().find(|c| c.name == name);
    candidate.and_then(|c| c.server.as_ref()).ok_or_else(|| {
        UsageError::new(format!(
            "--resume: {} has no served candidate `{name}`, which the run measures",
            config.display()
        ))
    })
}

/// Which parts of two servers differ, by their sweep-file names.
fn differences(was: &ServerEndpoint, now: &ServerEndpoint) -> Vec<&'static str> {
    let (was_launch, now_launch) = (was.launch.as_ref(), now.launch.as_ref());
    let command = |l: &ServerLaunch| (l.command.clone(), l.env.clone());
    let timeout = |l: &ServerLaunch| l.ready_timeout_secs;
    let fields = [
        (
            "command or env",
            was_launch.map(command) != now_launch.map(command),
        ),
        (
            "ready_timeout_secs",
            was_launch.map(timeout) != now_launch.map(timeout),
        ),
        ("base_url", was.base_url != now.base_url),
        ("model", was.model != now.model),
        ("api_key_env", was.api_key_env != now.api_key_env),
        ("server_kind", was.kind != now.kind),
        ("tool_calls", was.tool_calls != now.tool_calls),
        ("tool_choice", was.tool_choice != now.tool_choice),
    ];
    fields
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::tests::plan_in;

    const SWEEP: &str = r#"[[candidate]]
name = "m0"
engine = "openai"
model = "m"
[candidate.server]
command = ["llama-server", "--port", "{port}"]
"#;

    /// A plan whose first candidate (and its units) is `SWEEP`'s served one.
    fn served_manifest(dir: &Path) -> (Manifest, std::path::PathBuf) {
        let sweep = dir.join("sweep.toml");
        std::fs::write(&sweep, SWEEP).unwrap();
        let mut manifest = plan_in(dir, 1).manifest;
        let server = candidates_from_file(&read_sweep_file(&sweep).unwrap()).unwrap()[0]
            .server
            .clone();
        manifest.sweep.candidates[0].server = server.clone();
        for unit in &mut manifest.units {
            unit.candidate.server = server.clone();
        }
        (manifest, sweep)
    }

    fn launch_command(candidate: &Candidate) -> Vec<String> {
        let launch = candidate.server.as_ref().and_then(|s| s.launch.as_ref());
        launch.map(|l| l.command.clone()).unwrap_or_default()
    }

    #[test]
    fn a_command_edited_in_the_manifest_is_refused_and_never_taken() {
        let dir = tempfile::tempdir().unwrap();
        let (mut manifest, sweep) = served_manifest(dir.path());
        let evil: Vec<String> = ["sh", "-c", "id > pwned.txt; exit 1", "{port}"]
            .map(String::from)
            .to_vec();
        let launch = manifest.units[0].candidate.server.as_mut().unwrap();
        launch.launch.as_mut().unwrap().command = evil;
        let e = servers_from_sweep_file(&mut manifest, Some(&sweep), dir.path()).unwrap_err();
        let message = e.to_string();
        assert!(
            message.contains("candidate `m0`'s server") && message.contains("command or env"),
            "{message}"
        );
        // The environment too.
        let (mut manifest, sweep) = served_manifest(dir.path());
        let launch = manifest.sweep.candidates[0].server.as_mut().unwrap();
        let env = &mut launch.launch.as_mut().unwrap().env;
        env.insert("LD_PRELOAD".into(), "/tmp/evil.so".into());
        assert!(servers_from_sweep_file(&mut manifest, Some(&sweep), dir.path()).is_err());
    }

    #[test]
    fn a_served_run_resumes_only_with_its_sweep_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut manifest, sweep) = served_manifest(dir.path());
        let e = servers_from_sweep_file(&mut manifest, None, dir.path()).unwrap_err();
        assert!(e.to_string().contains("(--config FILE)"), "{e}");
        servers_from_sweep_file(&mut manifest, Some(&sweep), dir.path()).unwrap();
        assert_eq!(
            launch_command(&manifest.units[0].candidate),
            ["llama-server", "--port", "{port}"]
        );
        // A run without servers needs no sweep file.
        let mut in_process = plan_in(dir.path(), 1).manifest;
        servers_from_sweep_file(&mut in_process, None, dir.path()).unwrap();
    }

    #[test]
    fn a_candidate_missing_from_the_sweep_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (mut manifest, _) = served_manifest(dir.path());
        let other = dir.path().join("other.toml");
        std::fs::write(&other, SWEEP.replace("m0", "m9")).unwrap();
        let e = servers_from_sweep_file(&mut manifest, Some(&other), dir.path()).unwrap_err();
        assert!(e.to_string().contains("no served candidate `m0`"), "{e}");
    }
}
