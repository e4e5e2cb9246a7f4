//! The sweep loop driven by the scripted engine in a thread (thread_child.rs):
//! crashes, timeouts and resumes without a model or a process.
use std::panic::AssertUnwindSafe;
use std::path::Path;

use super::thread_child::{Fate, ThreadLauncher};
use super::*;
use crate::config::{Candidate, Configuration, FlashAttn, Sweep, WorkUnit};
use crate::engine::scripted::ScriptedEngine;
use crate::engine::EngineProbe;
use crate::results::manifest::{now, BuildInfo, HostInfo, Manifest};
use crate::results::{ModelMeta, Status, UnitRecord};
use crate::suite::Suites;

/// A plan of `n` candidates (one unit each) doing pp64 and tg16, 2 repetitions.
pub(super) fn plan_in(dir: &Path, n: usize) -> Plan {
    let candidates: Vec<Candidate> = (0..n)
        .map(|i| Candidate::new(format!("m{i}"), format!("/models/m{i}.gguf")))
        .collect();
    let config = Configuration {
        n_threads: 2,
        n_gpu_layers: 0,
        n_batch: 512,
        flash_attn: FlashAttn::Auto,
        n_ctx: 1024,
        n_ubatch: crate::config::DEFAULT_UBATCH,
        cache_type_k: crate::config::KvCacheType::F16,
        cache_type_v: crate::config::KvCacheType::F16,
        use_mmap: true,
        power_mode: None,
        jetson_clocks: None,
        speculative: None,
    };
    let units = (0..n)
        .map(|i| WorkUnit {
            id: format!("c{i}-k0"),
            candidate_index: i,
            candidate: candidates[i].clone(),
            config: config.clone(),
        })
        .collect();
    let models = candidates
        .iter()
        .map(|c| ModelMeta {
            candidate: c.name.clone(),
            model_file: c.path.display().to_string(),
            quant: "Q4_0".into(),
            ..Default::default()
        })
        .collect();
    let sweep = Sweep {
        candidates,
        suites: vec![],
        reps: 2,
        warmup: 0,
        timeout_secs: 30,
        threads: vec![2],
        n_gpu_layers: vec![0],
        n_batch: vec![512],
        flash_attn: vec![FlashAttn::Auto],
        pp: vec![64],
        tg: vec![16],
        n_ctx: 1024,
        e2e_tokens: 50,
        fallback_chat_template: None,
        sample_ms: 50,
        cooldown_temp_c: None,
        cooldown_max_secs: 0,
        soak_secs: None,
        reference: None,
        concurrency: Vec::new(),
        n_ubatch: vec![512],
        cache_type_k: vec![crate::config::KvCacheType::F16],
        cache_type_v: vec![crate::config::KvCacheType::F16],
        use_mmap: vec![true],
        depth: vec![0],
        pg: vec![],
        auto_reps: None,
        pacing: Default::default(),
        power_mode: Vec::new(),
        jetson_clocks: Vec::new(),
        targets: Default::default(),
        draft_max: Vec::new(),
        draft_min: 0,
        spec_mtp: false,
    };
    let run_dir = dir.join("run");
    std::fs::create_dir_all(run_dir.join("parts")).unwrap();
    let manifest = Manifest {
        run_id: "test-run".into(),
        started_at: now(),
        ended_at: None,
        state: "running".into(),
        resumed_at: vec![],
        edgebench: BuildInfo::current(),
        llama_cpp: EngineProbe::default(),
        host: HostInfo::read(),
        redacted: false,
        sweep,
        units,
        models,
        sampling: None,
        conditions: serde_json::Value::Null,
        cpu_paths: None,
        suite_digests: Default::default(),
        forced_resumes: Vec::new(),
        servers: Default::default(),
        power: None,
    };
    Plan {
        run_dir,
        manifest,
        suites: Suites::default(),
        interrupt: Default::default(),
        power: None,
        tegrastats: None,
    }
}

fn measure(plan: &mut Plan, launcher: &ThreadLauncher) -> Vec<UnitRecord> {
    measure_units(plan, launcher, false).expect("the sweep loop runs")
}

fn tests_of(record: &UnitRecord) -> Vec<(String, Status)> {
    let rows = record.rows.iter();
    rows.map(|r| (r.test.clone(), r.status)).collect()
}

#[test]
fn a_crash_mid_unit_is_that_units_failure_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 2);
    let launcher = ThreadLauncher::new(|job| {
        let fate = match job.unit.id.as_str() {
            "c0-k0" => Fate::CrashAt("tg16".into()),
            _ => Fate::Finish,
        };
        (ScriptedEngine::default(), fate)
    });
    let records = measure(&mut plan, &launcher);
    assert_eq!(records[0].status, Status::Crashed);
    let error = records[0].error.as_deref().unwrap();
    assert!(
        error.starts_with("SIGSEGV in scripted_engine_fault during tg16"),
        "{error}"
    );
    // What was measured before the crash is kept; the crash is a row of its own.
    let ok = |t: &str| (t.to_string(), Status::Ok);
    let crashed = ("tg16".to_string(), Status::Crashed);
    assert_eq!(tests_of(&records[0]), [ok("pp64"), ok("pp64"), crashed]);
    assert_eq!(records[1].status, Status::Ok);
    assert_eq!(records[1].rows.len(), 4);
    assert_eq!(records[1].rows[0].pp_tps, Some(1000.0));
    // Both records are on disk.
    let saved = read_record(&plan.run_dir, "c0-k0").unwrap().unwrap();
    assert_eq!(saved.status, Status::Crashed);
}

#[test]
fn a_unit_past_its_timeout_is_killed_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 1);
    plan.manifest.sweep.timeout_secs = 1;
    let launcher =
        ThreadLauncher::new(|_| (ScriptedEngine::default(), Fate::HangAt("tg16".into())));
    let started = std::time::Instant::now();
    let records = measure(&mut plan, &launcher);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(records[0].status, Status::Timeout);
    let error = records[0].error.as_deref().unwrap();
    assert_eq!(
        error,
        "no result within the 1s timeout; the child was killed"
    );
    let tests: Vec<_> = tests_of(&records[0])
        .into_iter()
        .map(|(t, s)| t + ":" + s.as_str())
        .collect();
    assert_eq!(tests, ["pp64:ok", "pp64:ok", "tg16:timeout"]);
}

#[test]
fn a_resumed_sweep_measures_only_the_units_without_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 3);
    // The sweep itself dies while the second unit runs: its first record is saved,
    // the second unit never ends.
    let dying = ThreadLauncher::new(|job| {
        if job.unit.id == "c1-k0" {
            std::panic::resume_unwind(Box::new("the sweep was killed"));
        }
        (ScriptedEngine::default(), Fate::Finish)
    });
    let killed = std::panic::catch_unwind(AssertUnwindSafe(|| measure(&mut plan, &dying)));
    assert!(killed.is_err());
    assert_eq!(dying.launched(), ["c0-k0"]);

    let healthy = ThreadLauncher::new(|_| (ScriptedEngine::default(), Fate::Finish));
    let records = measure(&mut plan, &healthy);
    assert_eq!(
        healthy.launched(),
        ["c1-k0", "c2-k0"],
        "c0 is kept, not measured again"
    );
    let ids: Vec<&str> = records.iter().map(|r| r.unit_id.as_str()).collect();
    assert_eq!(ids, ["c0-k0", "c1-k0", "c2-k0"]);
    assert!(records
        .iter()
        .all(|r| r.status.is_ok() && r.rows.len() == 4));
    // The result files hold every unit's rows once.
    let speed = crate::results::Columns::read(&plan.run_dir.join("speed.parquet")).unwrap();
    assert_eq!(speed.height(), 12);
}

#[test]
fn an_engine_without_random_token_tests_gives_unsupported_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 1);
    let launcher = ThreadLauncher::new(|_| {
        let engine = ScriptedEngine {
            lacks: vec![crate::engine::Capability::RandomTokenBench],
            ..Default::default()
        };
        (engine, Fate::Finish)
    });
    let records = measure(&mut plan, &launcher);
    let tests: Vec<_> = tests_of(&records[0])
        .into_iter()
        .map(|(t, s)| t + ":" + s.as_str())
        .collect();
    assert_eq!(tests, ["pp64:unsupported", "tg16:unsupported"]);
    assert_eq!(
        records[0].status,
        Status::Ok,
        "a missing capability fails no unit"
    );
    assert!(records[0]
        .rows
        .iter()
        .all(|r| r.pp_tps.is_none() && r.tg_tps.is_none()));
}

#[test]
fn a_child_that_cannot_start_is_one_failed_unit() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 2);
    let launcher = ThreadLauncher::new(|job| {
        let fate = if job.unit.id == "c0-k0" {
            Fate::NoStart
        } else {
            Fate::Finish
        };
        (ScriptedEngine::default(), fate)
    });
    let records = measure(&mut plan, &launcher);
    assert_eq!(records[0].status, Status::Crashed);
    let error = records[0].error.as_deref().unwrap();
    assert!(
        error.starts_with("cannot start the measuring child process"),
        "{error}"
    );
    assert_eq!(records[1].status, Status::Ok);
}

#[test]
fn an_interrupt_kills_the_unit_in_progress_and_records_nothing_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 3);
    let interrupt = plan.interrupt.clone();
    // Ctrl-C while the second unit hangs in tg16: its 30 s timeout must not be waited for.
    let launcher = ThreadLauncher::new(move |job| match job.unit.id.as_str() {
        "c1-k0" => {
            interrupt.request();
            (ScriptedEngine::default(), Fate::HangAt("tg16".into()))
        }
        _ => (ScriptedEngine::default(), Fate::Finish),
    });
    let started = std::time::Instant::now();
    let records = measure(&mut plan, &launcher);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        launcher.launched(),
        ["c0-k0", "c1-k0"],
        "no unit after the interrupt"
    );
    assert_eq!(records.len(), 1);
    assert!(read_record(&plan.run_dir, "c0-k0").unwrap().is_some());
    assert!(
        read_record(&plan.run_dir, "c1-k0").unwrap().is_none(),
        "resume measures it again"
    );
}

#[test]
fn an_unusable_candidate_is_a_load_failure_without_a_child() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), 2);
    plan.manifest.models[0].unusable = Some("/models/m0.gguf: file is empty".into());
    let launcher = ThreadLauncher::new(|_| (ScriptedEngine::default(), Fate::Finish));
    let records = measure(&mut plan, &launcher);
    assert_eq!(launcher.launched(), ["c1-k0"], "no child for the bad file");
    assert_eq!(records[0].status, Status::LoadFailed);
    assert_eq!(tests_of(&records[0]), [("load".into(), Status::LoadFailed)]);
    let error = records[0].rows[0].error.as_deref();
    assert_eq!(error, Some("/models/m0.gguf: file is empty"));
    assert_eq!(records[1].status, Status::Ok);
}
