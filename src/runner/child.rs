//! The measuring child process: `edgebench __child` reads one job on stdin,
//! loads the model once and runs the job (child_job.rs), streaming one JSON
//! message per line on stdout. If llama.cpp aborts or the kernel kills us, the
//! parent records what was sent.
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::child_job::run_job;
use super::child_send::send;
use super::protocol::{ChildJob, ChildMessage, EXIT_LOAD_FAILED};
use super::served::openai_config;
use crate::config::WorkUnit;
use crate::engine::{Engine, EngineSettings, LlamaEngine, OpenAiEngine};
use crate::results::plan::ServerEndpoint;

pub fn run_child() -> Result<i32> {
    die_with_parent();
    super::crash::install();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let job: ChildJob = serde_json::from_str(&input).context("bad job on stdin")?;
    let loaded = match &job.unit.candidate.server {
        Some(server) => connect_served(server),
        None => load_in_process(&job.unit),
    };
    let (mut engine, load_time) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            send(&ChildMessage::LoadFailed { error });
            return Ok(EXIT_LOAD_FAILED);
        }
    };
    send(&ChildMessage::Loaded {
        load_ms: load_time.as_secs_f64() * 1e3,
    });
    run_job(engine.as_mut(), &job, &mut |message| send(&message));
    Ok(0)
}

type Loaded = (Box<dyn Engine>, Duration);

fn load_in_process(unit: &WorkUnit) -> Result<Loaded, String> {
    super::memory_check::check_fits(&unit.candidate.path, &unit.config)?;
    let settings = EngineSettings::from(&unit.config);
    let (engine, load_time) =
        LlamaEngine::load(&unit.candidate.path, settings).map_err(|e| format!("{e:#}"))?;
    Ok((Box::new(engine), load_time))
}

/// The server holds the model: "loading" is setting up the client (the
/// server's own load is not measured, docs/engines.md).
fn connect_served(server: &ServerEndpoint) -> Result<Loaded, String> {
    let started = Instant::now();
    let engine = OpenAiEngine::new(openai_config(server)).map_err(|e| format!("{e:#}"))?;
    Ok((Box::new(engine), started.elapsed()))
}

/// A child outliving a killed sweep would keep measuring into the void (and skew the
/// next run's numbers); on Linux the kernel ends it when the parent dies.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}
