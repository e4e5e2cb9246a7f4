//! The sweep: resolve the plan, check every candidate before running any, then
//! run each work unit in its own child process, saving its record the moment it
//! ends, and rebuild the result files from those records.
mod build_doctor;
mod child;
mod child_output;
mod child_send;
mod child_stability;
mod crash;
pub mod memory_check;
mod protocol;
mod rescore;
mod sampling;
mod stability;
mod supervise;

pub use build_doctor::print_llama_build;
pub use child::run_child;
pub use protocol::{AnswerMessage, ChildJob, ChildMessage, Measurement, QualityItem, TimingMode};
pub use rescore::rescore_run;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use rand::SeedableRng;

use crate::cli::RunArgs;
use crate::config::{self, Sweep, SweepFile, WorkUnit};
use crate::engine::EngineProbe;
use crate::error::{exit, UsageError};
use crate::gguf::{read_gguf_info, sha256_file};
use crate::progress::Progress;
use crate::report::{comparison_table, markdown_summary, measurement_warnings};
use crate::results::manifest::{
    read_manifest, write_manifest, BuildInfo, CpuPaths, HostInfo, Manifest,
};
use crate::results::{
    attach_resources, read_record, summarize, write_atomic, write_record, write_table, ModelMeta,
    QualityRow, RowConfig, RowIdentity, SpeedRow, StabilityRow, SummaryRow, UnitRecord,
};
use crate::sampler::{Phase, Sampler};
use crate::suite::{load_suites, Suites};
use supervise::{run_unit, UnitObserver, UnitStatus};

pub fn run_sweep(args: &RunArgs) -> Result<i32> {
    // A baseline that cannot be read is found out before hours of measuring, not after.
    let gate = match &args.baseline {
        Some(baseline) => Some((gate_settings(args)?, crate::compare::load_runs(baseline)?)),
        None => None,
    };
    let (run_dir, mut manifest, suites) = match &args.resume {
        Some(dir) => resume_plan(dir, args)?,
        None => new_plan(args)?,
    };
    println!("run directory: {}", run_dir.display());
    let units = manifest.units.clone();
    let sweep = manifest.sweep.clone();
    let prompts = suites.speed.as_ref().map_or(0, |s| s.prompts.len());
    let steps_per_unit = (sweep.pp.len() + sweep.tg.len() + prompts) as u64 * sweep.reps as u64
        + quality_items(&suites).len() as u64;
    let progress = Progress::new(units.len() as u64 * steps_per_unit);
    let session = sampling::Session::start(&run_dir, &mut manifest, &progress)?;
    write_manifest(&run_dir, &manifest)?;
    let unified_memory = manifest.sampling.as_ref().is_some_and(|s| s.unified_memory);

    let mut records = Vec::new();
    let mut measured_here = 0;
    for (i, unit) in units.iter().enumerate() {
        let label = format!(
            "[{}/{}] {} {}",
            i + 1,
            units.len(),
            unit.candidate.name,
            unit.config.label()
        );
        if let Some(record) = read_record(&run_dir, &unit.id)? {
            progress.line(&format!(
                "{label}: already measured ({}), kept",
                record.status
            ));
            progress.skip(steps_per_unit);
            records.push(record);
            continue;
        }
        let cooldown_s = match sweep.cooldown_temp_c {
            Some(limit) if measured_here > 0 => {
                session.cool_down(limit, sweep.cooldown_max_secs, &progress)
            }
            _ => None,
        };
        progress.status(&format!("{label}: loading"));
        session.begin_unit(unit);
        let context = UnitContext {
            meta: &manifest.models[unit.candidate_index],
            manifest: &manifest,
            suites: &suites,
            verbose: args.verbose,
            progress: &progress,
            label: &label,
            sampler: &session.sampler,
            run_dir: &run_dir,
        };
        let mut record = measure_unit(unit, &context)?;
        record.resources = session.end_unit(&run_dir, &record)?;
        record.cooldown_s = cooldown_s;
        write_record(&run_dir, &record)?;
        progress.line(&unit_line(&label, &record));
        records.push(record);
        measured_here += 1;
        write_results(&run_dir, &records, unified_memory)?;
    }
    progress.finish();
    session.finish(&run_dir, &mut manifest)?;

    let rows: Vec<SpeedRow> = records.iter().flat_map(|r| r.rows.clone()).collect();
    write_results(&run_dir, &records, unified_memory)?;
    sampling::write_samples(&run_dir)?;
    manifest.ended_at = Some(now());
    manifest.state = "finished".into();
    note_weight_buffers(&mut manifest, &records);
    write_manifest(&run_dir, &manifest)?;

    println!();
    let mut summary = summarize(&rows);
    attach_resources(&mut summary, &records, unified_memory);
    if !rows.is_empty() {
        print!("{}", comparison_table(&summary));
    }
    let quality = crate::scoring::quality_summary_rows(&records);
    if !quality.is_empty() {
        println!();
        print!("{}", crate::report::quality_table(&quality));
    }
    let stability = crate::scoring::stability_summaries(&records);
    if !stability.is_empty() {
        println!();
        print!("{}", crate::report::stability_table(&stability));
    }
    for warning in measurement_warnings(&summary) {
        eprintln!("warning: {warning}");
    }
    if let Some(name) = &args.save_baseline {
        let saved = save_baseline(&run_dir, name)?;
        println!("saved as baseline `{name}` in {}", saved.display());
    }
    let mut status = exit::OK;
    let failed = records.iter().filter(|r| r.status != "ok").count();
    if failed > 0 {
        eprintln!(
            "{failed} of {} candidate configurations failed; see the status and error columns",
            records.len()
        );
        status = exit::SOME_FAILED;
    }
    if let Some((settings, base)) = &gate {
        println!();
        let this = crate::compare::load_runs(&run_dir.to_string_lossy())?;
        let verdict = crate::compare::compare_and_report(
            base,
            &this,
            settings,
            &[],
            crate::cli::ReportFormat::Md,
            None,
        )?;
        status = status.max(verdict);
    }
    if !args.no_report {
        write_run_report(&run_dir, args.baseline.as_deref());
    }
    println!("\nresults: {}", run_dir.display());
    Ok(status)
}

/// The report in the run directory. Its failure is a warning: the run's results
/// are already written and stay valid.
pub(crate) fn write_run_report(run_dir: &Path, baseline: Option<&str>) {
    let options = crate::report::ReportOptions {
        run_dirs: vec![run_dir.to_path_buf()],
        out: run_dir.to_path_buf(),
        baseline: baseline.map(str::to_string),
        ..Default::default()
    };
    match crate::report::write_report(&options) {
        Ok(written) => println!("report: {}", written.html.display()),
        Err(e) => eprintln!(
            "warning: no report written ({e:#}); the results are complete: run `edgebench report {}` to retry",
            run_dir.display()
        ),
    }
}

fn gate_settings(args: &RunArgs) -> Result<crate::compare::GateSettings, UsageError> {
    Ok(crate::compare::GateSettings {
        threshold: crate::compare::parse_threshold(&args.threshold)?,
        run_noise: crate::compare::parse_percent("--run-noise", &args.run_noise)?,
        ..Default::default()
    })
}

/// Copies a finished run's result files to the baselines directory under `name`
/// (replacing an older one only once the copy is complete).
fn save_baseline(run_dir: &Path, name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(UsageError::new(format!(
            "--save-baseline {name}: use a plain name such as `main`"
        ))
        .into());
    }
    let dir = crate::compare::baselines_dir();
    std::fs::create_dir_all(&dir)?;
    let staging = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempdir_in(&dir)?;
    for entry in std::fs::read_dir(run_dir)? {
        let path = entry?.path();
        if path.is_file() {
            std::fs::copy(
                &path,
                staging.path().join(path.file_name().unwrap_or_default()),
            )?;
        }
    }
    let target = dir.join(name);
    if target.exists() {
        std::fs::remove_dir_all(&target)?;
    }
    std::fs::rename(staging.keep(), &target)?;
    Ok(target)
}

fn new_plan(args: &RunArgs) -> Result<(PathBuf, Manifest, Suites)> {
    let file = match &args.config {
        Some(path) => config::read_sweep_file(path)?,
        None => SweepFile::default(),
    };
    let suite_names = if !args.suites.is_empty() {
        args.suites.clone()
    } else {
        file.suites
            .clone()
            .unwrap_or_else(|| config::DEFAULT_SUITES.map(String::from).to_vec())
    };
    let suites = load_suites(&suite_names)?;
    let sweep = config::resolve(&args.sweep_overrides(), &file, suites.speed.as_ref())?;
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let models = check_candidates(&sweep)?;
    let run_id = new_run_id();
    let out = args
        .out
        .clone()
        .or(file.out.clone())
        .unwrap_or_else(|| PathBuf::from("results"));
    let run_dir = out.join(&run_id);
    std::fs::create_dir_all(run_dir.join("parts"))
        .with_context(|| format!("cannot create the run directory {}", run_dir.display()))?;
    let llama_cpp = probe_engine();
    let manifest = Manifest {
        run_id,
        started_at: now(),
        ended_at: None,
        state: "running".into(),
        resumed_at: Vec::new(),
        edgebench: BuildInfo::current(),
        cpu_paths: Some(CpuPaths::detect(&llama_cpp.system_info)),
        llama_cpp,
        host: HostInfo::read(),
        units: config::expand(&sweep)
            .into_iter()
            .filter(|u| shard.is_none_or(|(i, n)| u.candidate_index % n == i - 1))
            .collect(),
        sweep,
        models,
        sampling: None,
        conditions: crate::sampler::read_run_conditions(),
    };
    write_manifest(&run_dir, &manifest)?;
    Ok((run_dir, manifest, suites))
}

/// Continues a killed sweep with the plan it was started with.
fn resume_plan(run_dir: &Path, args: &RunArgs) -> Result<(PathBuf, Manifest, Suites)> {
    if !run_dir.join("manifest.json").is_file() {
        return Err(UsageError::new(format!(
            "--resume {}: not a run directory (no manifest.json)",
            run_dir.display()
        ))
        .into());
    }
    if args.config.is_some() || !args.models.is_empty() {
        eprintln!("note: --resume uses the plan stored in the run's manifest; other sweep options are ignored");
    }
    let mut manifest = read_manifest(run_dir)?;
    let suites = load_suites(&manifest.sweep.suites)?;
    check_candidates(&manifest.sweep)?;
    manifest.resumed_at.push(now());
    manifest.state = "running".into();
    write_manifest(run_dir, &manifest)?;
    Ok((run_dir.to_path_buf(), manifest, suites))
}

/// `I/N` (1-based): this job runs the candidates whose index is I-1 modulo N, so N
/// matrix jobs with I = 1..N cover every candidate exactly once.
fn parse_shard(text: &str) -> Result<(usize, usize), UsageError> {
    let bad = || {
        UsageError::new(format!(
            "--shard {text}: expected I/N with 1 <= I <= N, e.g. 2/4"
        ))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Every quality case x decoding x rep, suite by suite.
fn quality_items(suites: &Suites) -> Vec<QualityItem> {
    let mut items = Vec::new();
    for suite in &suites.quality {
        for rep in 0..suite.reps {
            for case in &suite.cases {
                for &decoding in &case.decodings {
                    items.push(QualityItem {
                        suite: suite.name.clone(),
                        case_id: case.id.clone(),
                        decoding,
                        rep,
                        messages: case.messages.clone(),
                        use_chat_template: case.use_chat_template,
                        max_tokens: case.max_tokens,
                        sampling: case.sampling,
                        grammar: match decoding {
                            crate::suite::Decoding::Constrained => case.grammar.clone(),
                            crate::suite::Decoding::Free => None,
                        },
                        choices: case.choices.clone(),
                    });
                }
            }
        }
    }
    items
}

/// Every candidate file is checked before anything runs: a typo found at 3 am
/// after six hours of measuring is no use to anyone.
fn check_candidates(sweep: &Sweep) -> Result<Vec<ModelMeta>, UsageError> {
    sweep
        .candidates
        .iter()
        .map(|c| {
            let info = read_gguf_info(&c.path).map_err(|e| UsageError::new(e.to_string()))?;
            Ok(ModelMeta {
                candidate: c.name.clone(),
                model_file: c.path.display().to_string(),
                model_sha256: sha256_file(&c.path).map_err(|e| {
                    UsageError::new(format!("{}: cannot read: {e}", c.path.display()))
                })?,
                arch: info
                    .architecture
                    .clone()
                    .unwrap_or_else(|| "unknown".into()),
                quant: info.quant.clone(),
                params: info.n_params,
                size_bytes: info.file_size,
                n_ctx_train: info.context_length,
                has_chat_template: info.has_chat_template,
            })
        })
        .collect()
}

/// llama.cpp's build and devices, asked of a child so no GPU context lives in the parent.
fn probe_engine() -> EngineProbe {
    let output = supervise::own_executable()
        .and_then(|exe| std::process::Command::new(exe).arg("__probe").output());
    match output {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).unwrap_or_default(),
        _ => EngineProbe::default(),
    }
}

struct ProgressObserver<'a> {
    progress: &'a Progress,
    label: &'a str,
    sampler: &'a Sampler,
    /// The hottest sensor when each soak window ended.
    soak_temps: Vec<(u32, Option<f64>)>,
}

impl UnitObserver for ProgressObserver<'_> {
    fn spawned(&mut self, pid: u32) {
        self.sampler.update(|s| s.pid = Some(pid));
    }

    fn message(&mut self, message: &ChildMessage) {
        match message {
            ChildMessage::Started { test } => {
                // The previous phase's last state goes on record before the switch.
                self.sampler.tick_now();
                self.sampler.update(|s| {
                    s.test = Some(test.clone());
                    s.phase = Phase::of_test(test);
                });
                self.progress.status(&format!("{}: {test}", self.label));
            }
            ChildMessage::Measured(m) if m.rep.is_some() => self.progress.step(),
            ChildMessage::Answered(_) => self.progress.step(),
            ChildMessage::Stability(row) if row.test == "soak" => {
                let hottest = self.sampler.latest_max(|m| m.starts_with("temp_"));
                self.soak_temps.push((row.step, hottest));
                self.progress.status(&format!(
                    "{}: soak {:.0} s",
                    self.label,
                    row.t_s.unwrap_or(0.0)
                ));
            }
            _ => {}
        }
    }
}

/// What measuring one unit needs besides the unit itself.
struct UnitContext<'a> {
    meta: &'a ModelMeta,
    manifest: &'a Manifest,
    suites: &'a Suites,
    verbose: bool,
    progress: &'a Progress,
    label: &'a str,
    sampler: &'a Sampler,
    run_dir: &'a Path,
}

fn measure_unit(unit: &WorkUnit, cx: &UnitContext) -> Result<UnitRecord> {
    let (meta, manifest, verbose) = (cx.meta, cx.manifest, cx.verbose);
    let sweep = &manifest.sweep;
    let job = ChildJob {
        unit: unit.clone(),
        reps: sweep.reps,
        warmup: sweep.warmup,
        pp: sweep.pp.clone(),
        tg: sweep.tg.clone(),
        prompts: cx
            .suites
            .speed
            .as_ref()
            .map(|s| s.prompts.clone())
            .unwrap_or_default(),
        e2e_tokens: sweep.e2e_tokens,
        fallback_chat_template: sweep.fallback_chat_template.clone(),
        quality: quality_items(cx.suites),
        stability: stability::stability_job(cx.suites, sweep, unit),
    };
    let mut observer = ProgressObserver {
        progress: cx.progress,
        label: cx.label,
        sampler: cx.sampler,
        soak_temps: Vec::new(),
    };
    let timeout = Duration::from_secs(sweep.timeout_secs);
    let mut outcome = run_unit(&job, timeout, verbose, &mut observer)?;
    write_unit_log(cx.run_dir, &unit.id, &outcome.log)?;
    let weight_buffers = child_output::weight_buffers(&outcome.log);
    if outcome.status == UnitStatus::Ok {
        let ladder = stability::ceiling_ladder(cx.suites, &job, timeout, verbose, &mut observer)?;
        outcome.stability.extend(ladder);
    }
    for row in &mut outcome.stability {
        if row.test == "soak" {
            row.temp_c = observer
                .soak_temps
                .iter()
                .find(|(step, _)| *step == row.step)
                .and_then(|(_, t)| *t);
        }
    }
    let base = base_row(unit, meta, manifest, outcome.load_ms);
    for row in &mut outcome.stability {
        row.id = base.id.clone();
    }
    let quality = score_answers(&base, cx.suites, &outcome.answers);
    let mut rows: Vec<SpeedRow> = outcome
        .measurements
        .iter()
        .map(|m| row_from(&base, unit, m))
        .collect();
    if outcome.status != UnitStatus::Ok {
        // The failure is a row too, so tables and CI see it next to the numbers.
        rows.push(SpeedRow {
            test: outcome
                .test_in_progress
                .clone()
                .unwrap_or_else(|| "load".into()),
            status: outcome.status.name().into(),
            error: outcome.status.error().map(str::to_string),
            ..base.clone()
        });
    }
    let failed_test = rows.iter().find(|r| r.status != "ok");
    let status = match (&outcome.status, failed_test) {
        (UnitStatus::Ok, Some(r)) => r.status.clone(),
        (s, _) => s.name().to_string(),
    };
    Ok(UnitRecord {
        unit_id: unit.id.clone(),
        candidate: unit.candidate.name.clone(),
        error: outcome
            .status
            .error()
            .map(str::to_string)
            .or_else(|| failed_test.and_then(|r| r.error.clone())),
        status,
        rows,
        base: Some(base),
        quality,
        stability: outcome.stability,
        resources: Default::default(),
        cooldown_s: None,
        weight_buffers,
    })
}

/// The child's answers with their cases' checks applied.
fn score_answers(base: &SpeedRow, suites: &Suites, answers: &[AnswerMessage]) -> Vec<QualityRow> {
    let identity = QualityRow {
        id: base.id.clone(),
        config: base.config.clone(),
        ..Default::default()
    };
    answers
        .iter()
        .filter_map(|a| {
            let suite = suites.quality.iter().find(|s| s.name == a.suite)?;
            let case = suite.case(&a.case_id)?;
            Some(crate::scoring::score_answer(&identity, case, a))
        })
        .collect()
}

fn base_row(
    unit: &WorkUnit,
    meta: &ModelMeta,
    manifest: &Manifest,
    load_ms: Option<f64>,
) -> SpeedRow {
    let gpu = manifest.llama_cpp.devices.iter().find(|d| d.kind != "Cpu");
    let backend = match gpu {
        Some(d) if unit.config.n_gpu_layers > 0 => d.backend.clone(),
        _ => "CPU".to_string(),
    };
    let settings = crate::engine::EngineSettings::from(&unit.config);
    SpeedRow {
        id: RowIdentity {
            run_id: manifest.run_id.clone(),
            unit_id: unit.id.clone(),
            candidate: meta.candidate.clone(),
            model_sha256: meta.model_sha256.clone(),
            quant: meta.quant.clone(),
        },
        model_file: meta.model_file.clone(),
        arch: meta.arch.clone(),
        params: meta.params,
        size_bytes: meta.size_bytes,
        config: RowConfig {
            backend,
            n_threads: unit.config.n_threads,
            n_gpu_layers: unit.config.n_gpu_layers,
            n_ctx: unit.config.n_ctx,
            n_batch: settings.n_batch,
            flash_attn: unit.config.flash_attn.to_string(),
        },
        n_ubatch: settings.n_ubatch,
        load_ms,
        ..Default::default()
    }
}

fn row_from(base: &SpeedRow, unit: &WorkUnit, m: &Measurement) -> SpeedRow {
    let mode = m.mode.unwrap_or(TimingMode::Engine);
    SpeedRow {
        test: m.test.clone(),
        mode: mode.as_str().into(),
        rep: m.rep,
        config: RowConfig {
            // Engine tests size their context like llama-bench: exactly n_prompt + n_gen.
            n_ctx: match mode {
                TimingMode::Engine => m.n_prompt + m.n_gen,
                TimingMode::UserPath => unit.config.n_ctx,
            },
            ..base.config.clone()
        },
        n_prompt: m.n_prompt,
        n_gen: m.n_gen,
        t_prompt_ms: m.t_prompt_ms,
        t_gen_ms: m.t_gen_ms,
        pp_tps: m.pp_tps,
        tg_tps: m.tg_tps,
        ttft_ms: m.ttft_ms,
        latency_50_ms: m.latency_50_ms,
        itl_p50_ms: m.itl_p50_ms,
        itl_p95_ms: m.itl_p95_ms,
        chat_template: m.chat_template.clone(),
        eos_at: m.eos_at,
        output_text: m.output_text.clone(),
        status: m.status.clone(),
        error: m.error.clone(),
        ..base.clone()
    }
}

fn unit_line(label: &str, record: &UnitRecord) -> String {
    let summary = summarize(&record.rows);
    let mut parts = Vec::new();
    for row in &summary {
        let metric = if row.first.test.starts_with("pp") {
            "pp_tps"
        } else {
            "tg_tps"
        };
        if row.first.mode == "engine" {
            if let Some(s) = row.spread(metric) {
                parts.push(format!(
                    "{} {:.1}±{:.1} t/s",
                    row.first.test, s.mean, s.stddev
                ));
            }
        }
    }
    match &record.error {
        Some(e) => format!("{label}: {} ({e})", record.status),
        None => format!("{label}: ok  {}", parts.join("  ")),
    }
}

/// The manifest says which weight paths (AMX, CPU_REPACK...) the units used.
fn note_weight_buffers(manifest: &mut Manifest, records: &[UnitRecord]) {
    if let Some(paths) = manifest.cpu_paths.as_mut() {
        let used: std::collections::BTreeSet<String> = records
            .iter()
            .flat_map(|r| r.weight_buffers.keys().cloned())
            .chain(paths.weight_buffers_used.drain(..))
            .collect();
        paths.weight_buffers_used = used.into_iter().collect();
    }
}

/// `logs/<unit>.log`: the child's stderr (llama.cpp's log, a crash's frames).
fn write_unit_log(run_dir: &Path, unit_id: &str, log: &[String]) -> Result<()> {
    let dir = run_dir.join("logs");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&dir.join(format!("{unit_id}.log")), |f| {
        for line in log {
            writeln!(f, "{line}")?;
        }
        Ok(())
    })
}

/// speed.*, quality.*, summary.* are always rebuilt from the unit records: a
/// resumed (or rescored) run gets every row exactly once.
pub(crate) fn write_results(
    run_dir: &Path,
    records: &[UnitRecord],
    unified_memory: bool,
) -> Result<()> {
    let rows: Vec<SpeedRow> = records
        .iter()
        .flat_map(|r| r.rows.iter().cloned())
        .collect();
    write_table(run_dir, &rows)?;
    let answers: Vec<QualityRow> = records
        .iter()
        .flat_map(|r| r.quality.iter().cloned())
        .collect();
    if !answers.is_empty() {
        write_table(run_dir, &answers)?;
    }
    let steps: Vec<StabilityRow> = records
        .iter()
        .flat_map(|r| r.stability.iter().cloned())
        .collect();
    if !steps.is_empty() {
        write_table(run_dir, &steps)?;
    }
    let stability = crate::scoring::stability_summaries(records);
    if !stability.is_empty() {
        write_table(run_dir, &stability)?;
    }
    let mut summary = summarize(&rows);
    let quality = crate::scoring::quality_summary_rows(records);
    summary.extend(quality.iter().cloned());
    attach_resources(&mut summary, records, unified_memory);
    write_table(run_dir, &summary)?;
    write_atomic(&run_dir.join("summary.md"), |f| {
        use std::io::Write;
        let speed: Vec<SummaryRow> = summary
            .iter()
            .filter(|r| r.quality.is_none())
            .cloned()
            .collect();
        f.write_all(markdown_summary(&speed).as_bytes())?;
        if !quality.is_empty() {
            writeln!(f)?;
            f.write_all(crate::report::quality_markdown(&quality).as_bytes())?;
        }
        if !stability.is_empty() {
            writeln!(f)?;
            f.write_all(crate::report::stability_markdown(&stability).as_bytes())?;
        }
        for warning in measurement_warnings(&speed) {
            writeln!(f, "\n> warning: {}", crate::report::escape_md(&warning))?;
        }
        Ok(())
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Sortable and unique enough for one machine: UTC time plus a random suffix.
fn new_run_id() -> String {
    let suffix: u16 = rand::Rng::random(&mut rand::rngs::SmallRng::from_os_rng());
    format!(
        "{}-{suffix:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    )
}
