//! The measuring child process: `edgebench __child` reads one job on stdin,
//! loads the model once and runs the job (child_job.rs), streaming one JSON
//! message per line on stdout. If llama.cpp aborts or the kernel kills us, the
//! parent records what was sent.
use std::io::Read;

use anyhow::{Context as _, Result};

use super::child_job::run_job;
use super::child_send::send;
use super::protocol::{ChildJob, ChildMessage, EXIT_LOAD_FAILED};
use crate::engine::{EngineSettings, LlamaEngine};

pub fn run_child() -> Result<i32> {
    die_with_parent();
    super::crash::install();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let job: ChildJob = serde_json::from_str(&input).context("bad job on stdin")?;
    let unit = &job.unit;

    if let Err(error) = super::memory_check::check_fits(&unit.candidate.path, &unit.config) {
        send(&ChildMessage::LoadFailed { error });
        return Ok(EXIT_LOAD_FAILED);
    }
    let (mut engine, load_time) =
        match LlamaEngine::load(&unit.candidate.path, EngineSettings::from(&unit.config)) {
            Ok(loaded) => loaded,
            Err(e) => {
                send(&ChildMessage::LoadFailed {
                    error: format!("{e:#}"),
                });
                return Ok(EXIT_LOAD_FAILED);
            }
        };
    send(&ChildMessage::Loaded {
        load_ms: load_time.as_secs_f64() * 1e3,
    });
    run_job(&mut engine, &job, &mut |message| send(&message));
    Ok(0)
}

/// A child outliving a killed sweep would keep measuring into the void (and skew the
/// next run's numbers); on Linux the kernel ends it when the parent dies.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}
