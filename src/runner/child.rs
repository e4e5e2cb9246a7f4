//! The measuring child process: `edgebench __child` reads one job on stdin,
//! loads the model once and runs the job (child_job.rs), streaming one JSON
//! message per line on stdout. If llama.cpp aborts or the kernel kills us, the
//! parent records what was sent.
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::child_job::run_job;
use super::child_send::{redact_key_from_now_on, send};
use super::child_speed::bench_tests;
use super::protocol::{ChildJob, ChildMessage, EXIT_LOAD_FAILED};
use super::served::openai_config;
use super::started_server::StartedServer;
use crate::engine::{Engine, EngineSettings, KeyRedactor, LlamaEngine, OpenAiEngine, ServerProbe};
use crate::results::plan::ServerEndpoint;

/// A child outliving a killed sweep would keep measuring into the void (and
/// skew the next run's numbers): the launcher has the kernel kill it when the
/// parent dies (child_process.rs).
pub fn run_child() -> Result<i32> {
    super::crash::install();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let job: ChildJob = serde_json::from_str(&input).context("bad job on stdin")?;
    let mut started = None;
    let loaded = match &job.unit.candidate.server {
        Some(server) => connect_served(&job, server, &mut started),
        None => load_in_process(&job),
    };
    let (mut engine, load_time) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            send(&ChildMessage::LoadFailed { error });
            stop_started(started);
            return Ok(EXIT_LOAD_FAILED);
        }
    };
    send(&ChildMessage::Loaded {
        load_ms: load_time.as_secs_f64() * 1e3,
    });
    run_job(engine.as_mut(), &job, &mut |message| send(&message));
    stop_started(started);
    Ok(0)
}

type Loaded = (Box<dyn Engine>, Duration);

/// The server this child started is stopped, and the end of its output goes
/// to the unit log (this process's stderr), each line marked as the server's
/// and the API key cut out.
fn stop_started(started: Option<StartedServer>) {
    if let Some(server) = started {
        let tail = server.stop();
        eprintln!(
            "--- the server's output, last lines ---\n{tail}\n--- end of the server's output ---"
        );
    }
}

fn load_in_process(job: &ChildJob) -> Result<Loaded, String> {
    let unit = &job.unit;
    super::memory_check::check_fits(&unit.candidate.path, &unit.config, largest_context(job))?;
    let settings = EngineSettings::from(&unit.config);
    let (engine, load_time) =
        LlamaEngine::load(&unit.candidate.path, settings).map_err(|e| format!("{e:#}"))?;
    Ok((Box::new(engine), load_time))
}

/// The largest context the job makes: the user path's, or the largest
/// engine test's (each test gets a context of exactly its tokens).
fn largest_context(job: &ChildJob) -> u32 {
    let tests = bench_tests(job).into_iter().map(|t| t.n_ctx());
    tests.fold(job.unit.config.n_ctx, u32::max)
}

/// The server holds the model. A server this child starts (`launch`) is
/// waited for, and "loading" is its start until it answers; with a server
/// already running it is setting up the client (docs/engines.md). Either way
/// what the server says it is goes to the parent for the manifest.
fn connect_served(
    job: &ChildJob,
    server: &ServerEndpoint,
    started: &mut Option<StartedServer>,
) -> Result<Loaded, String> {
    let began = Instant::now();
    // Whatever the server says may hold the key: cut out of every message from here on.
    let redactor = KeyRedactor::from_env(server.api_key_env.as_deref());
    redact_key_from_now_on(redactor.clone());
    let mut config = openai_config(server);
    let probe_timeout = Duration::from_secs(5);
    let identity = match &server.launch {
        Some(launch) => {
            let parallel = job.concurrency.iter().copied().max().unwrap_or(1);
            let running =
                StartedServer::start(launch, &server.base_url, &job.unit, parallel, redactor)?;
            let running = started.insert(running);
            config.base_url = running.base_url.clone();
            let probe = ServerProbe::new(&config, probe_timeout).map_err(|e| format!("{e:#}"))?;
            running.wait_until_ready(&probe, Duration::from_secs(launch.ready_timeout_secs))?;
            running.identity(&probe)
        }
        None => ServerProbe::new(&config, probe_timeout)
            .map(|probe| probe.identity())
            .map_err(|e| format!("{e:#}"))?,
    };
    let engine = OpenAiEngine::new(config).map_err(|e| format!("{e:#}"))?;
    send(&ChildMessage::Server { identity });
    Ok((Box::new(engine), began.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_check_sees_the_largest_tests_context() {
        let mut job = crate::runner::child_job::tests::job("u");
        job.unit.config.n_ctx = 4096;
        (job.pp, job.tg, job.pg) = (vec![512], vec![128], vec![[1000, 200]]);
        job.depth = vec![0, 8192];
        assert_eq!(largest_context(&job), 8192 + 1200);
        job.depth.clear();
        assert_eq!(largest_context(&job), 4096, "the user path's");
        job.pg = vec![[u32::MAX, 1]];
        assert_eq!(largest_context(&job), u32::MAX, "saturated, never wrapped");
    }
}
