//! The sweep: resolve the plan, check every candidate before running any, then
//! run each work unit in its own child process, saving its record the moment it
//! ends, and rebuild the result files from those records.
mod answer_log;
mod build_doctor;
mod child;
mod child_concurrency;
mod child_depth;
mod child_job;
mod child_output;
mod child_process;
mod child_quality;
mod child_send;
mod child_speed;
mod child_stability;
mod child_warmup;
mod crash;
mod drafts;
mod interrupt;
pub mod memory_check;
mod output;
mod plan;
mod power;
mod process_group;
mod protocol;
#[cfg(test)]
mod protocol_fuzz;
mod rescore;
mod resume_check;
mod resume_servers;
mod sampling;
mod served;
mod server_output;
mod server_port;
mod soak_conditions;
#[cfg(test)]
mod spec_tests;
mod stability;
mod started_server;
mod supervise;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod thread_child;
mod unit;

pub use build_doctor::print_llama_build;
pub use child::run_child;
pub use protocol::{AnswerMessage, ChildJob, ChildMessage, Measurement, QualityItem, TimingMode};
pub use rescore::rescore_run;

use anyhow::Result;

use crate::cli::RunArgs;
use crate::error::{exit, UsageError};
use crate::export::text;
use crate::progress::Progress;
use crate::report::{comparison_table, measurement_warnings};
use crate::results::manifest::{now, write_manifest};
use crate::results::{
    attach_resources, read_record, summarize, write_record, SpeedRow, UnitRecord,
};
use child_process::{Launcher, ProcessLauncher};
use interrupt::{Interrupt, Interrupted, INTERRUPTED_EXIT};
use output::{
    check_baseline_name, note_servers, note_weight_buffers, save_baseline, write_results,
    write_run_report,
};
use plan::{new_plan, resume_plan, Plan};
use unit::{measure_unit, unit_line, UnitContext};

pub fn run_sweep(args: &RunArgs) -> Result<i32> {
    // Every argument is checked before hours of measuring, not after.
    let gate = match &args.baseline {
        Some(baseline) => Some((gate_settings(args)?, crate::compare::load_runs(baseline)?)),
        None => None,
    };
    if let Some(name) = &args.save_baseline {
        check_baseline_name(name)?;
    }
    // `--model hf:ORG/REPO:QUANT` is a file before anything runs (downloaded if need be).
    let resolved = with_hub_models_resolved(args)?;
    let args = resolved.as_ref().unwrap_or(args);
    // The lock is held until the report is written: no other sweep, resume or
    // rescore writes to this directory meanwhile.
    let (mut plan, _lock) = match &args.resume {
        Some(dir) => resume_plan(dir, args)?,
        None => new_plan(args)?,
    };
    println!("run directory: {}", plan.run_dir.display());
    plan.interrupt = Interrupt::on_signals()?;
    let records = measure_units(&mut plan, &ProcessLauncher, args.verbose)?;
    if plan.interrupt.requested() {
        return stop_interrupted(&mut plan, &records);
    }
    finish_run(&mut plan, &records)?;
    print_tables(&records, plan.unified_memory(), &plan.manifest.models);
    // The report of what was measured comes first: a failing gate or baseline copy must not cost it.
    if !args.no_report {
        let redact = plan.manifest.redacted;
        write_run_report(&plan.run_dir, args.baseline.as_deref(), redact);
    }
    let mut status = exit::OK;
    let failed = records.iter().filter(|r| !r.status.is_ok()).count();
    if failed > 0 {
        eprintln!(
            "{failed} of {} candidate configurations failed; see the status and error columns",
            records.len()
        );
        status = exit::SOME_FAILED;
    }
    if let Some((settings, base)) = &gate {
        status = status.max(gate_verdict(&plan.run_dir, base, settings)?);
    }
    if let Some(name) = &args.save_baseline {
        let saved = save_baseline(&plan.run_dir, name)?;
        println!("saved as baseline `{name}` in {}", saved.display());
    }
    println!("\nresults: {}", plan.run_dir.display());
    Ok(status)
}

/// The arguments with each `hf:` model replaced by its local file; None when there is none.
fn with_hub_models_resolved(args: &RunArgs) -> Result<Option<RunArgs>, UsageError> {
    let is_hub = |m: &std::path::PathBuf| {
        m.to_str()
            .is_some_and(|m| m.starts_with(crate::fetch::hf::PREFIX))
    };
    if !args.models.iter().any(is_hub) {
        return Ok(None);
    }
    let models = args
        .models
        .iter()
        .map(|m| crate::fetch::resolve_model_arg(m));
    Ok(Some(RunArgs {
        models: models.collect::<Result<_, _>>()?,
        ..args.clone()
    }))
}

/// `--baseline`: this run against the baseline, printed; the gate's exit status.
fn gate_verdict(
    run_dir: &std::path::Path,
    base: &crate::compare::LoadedRuns,
    settings: &crate::compare::GateSettings,
) -> Result<i32> {
    println!();
    let this = crate::compare::load_run_dirs(&[run_dir.to_path_buf()], &run_dir.to_string_lossy())?;
    crate::compare::compare_and_report(
        base,
        &this,
        settings,
        &[],
        crate::cli::ReportFormat::Md,
        None,
    )
}

/// Measures every unit of the plan that has no record yet (a resumed run keeps
/// the records in parts/), saving each record and the result files the moment
/// its unit ends, while the samplers record resources.
fn measure_units(
    plan: &mut Plan,
    launcher: &dyn Launcher,
    verbose: bool,
) -> Result<Vec<UnitRecord>> {
    let units = plan.manifest.units.clone();
    let progress = Progress::new(units.iter().map(|u| plan.steps_of(u)).sum());
    let tegrastats = plan.tegrastats.as_deref();
    let session =
        sampling::Session::start(&plan.run_dir, &mut plan.manifest, &progress, tegrastats)?;
    let mut power = start_power(plan)?;
    write_manifest(&plan.run_dir, &plan.manifest)?;
    let run_dir = &plan.run_dir;
    let unified_memory = plan.unified_memory();
    let (manifest, sweep) = (&plan.manifest, &plan.manifest.sweep);
    let mut records = Vec::new();
    let mut measured_here = 0;
    for (i, unit) in units.iter().enumerate() {
        if plan.interrupt.requested() {
            break;
        }
        let label = format!(
            "[{}/{}] {} {}",
            i + 1,
            units.len(),
            unit.candidate.name,
            unit.config.label()
        );
        if let Some(record) = read_record(run_dir, &unit.id)? {
            progress.line(&format!(
                "{label}: already measured ({}), kept",
                record.status
            ));
            progress.skip(plan.steps_of(unit));
            records.push(record);
            continue;
        }
        let cooldown_s = match sweep.cooldown_temp_c {
            Some(limit) if measured_here > 0 => {
                let wait = sweep.cooldown_max_secs;
                session.cool_down(limit, wait, &progress, &plan.interrupt)
            }
            _ => None,
        };
        let in_force = match power.as_mut() {
            Some(power) => {
                progress.status(&format!("{label}: setting the power mode"));
                Some(power.apply(unit).map_err(anyhow::Error::msg)?)
            }
            None => None,
        };
        progress.status(&format!("{label}: loading"));
        session.begin_unit(unit);
        let context = UnitContext {
            meta: &manifest.models[unit.candidate_index],
            manifest,
            suites: &plan.suites,
            verbose,
            launcher,
            progress: &progress,
            label: &label,
            sampler: &session.sampler,
            run_dir,
            interrupt: &plan.interrupt,
        };
        let mut record = match measure_unit(unit, &context) {
            Err(e) if e.is::<Interrupted>() => break,
            measured => measured?,
        };
        record.resources = session.end_unit(run_dir, &record)?;
        record.cooldown_s = cooldown_s;
        if let Some(in_force) = &in_force {
            power::stamp(&mut record, in_force);
        }
        write_record(run_dir, &record)?;
        answer_log::remove(run_dir, &unit.id)?;
        progress.line(&unit_line(&label, &record));
        records.push(record);
        measured_here += 1;
        write_results(run_dir, &records, unified_memory)?;
    }
    progress.finish();
    if let Some(mut power) = power {
        if let Err(e) = power.restore() {
            eprintln!("warning: power state not restored: {e}");
        }
        plan.manifest.power = Some(power.record().clone());
    }
    session.finish(&plan.run_dir, &mut plan.manifest)?;
    Ok(records)
}

/// The power axes' session, its original state in the manifest before any
/// change, so a sweep killed outright still says what to restore.
fn start_power(plan: &mut Plan) -> Result<Option<power::PowerSession>> {
    let Some(tools) = &plan.power else {
        return Ok(None);
    };
    let earlier = plan.manifest.power.as_ref();
    let session =
        power::PowerSession::start(tools, &plan.run_dir, earlier).map_err(anyhow::Error::msg)?;
    plan.manifest.power = Some(session.record().clone());
    Ok(Some(session))
}

/// What an interrupted sweep leaves: the finished units' result files and a
/// manifest that says `interrupted`, which `--resume` continues.
fn stop_interrupted(plan: &mut Plan, records: &[UnitRecord]) -> Result<i32> {
    write_results(&plan.run_dir, records, plan.unified_memory())?;
    sampling::write_samples(&plan.run_dir)?;
    plan.manifest.state = "interrupted".into();
    write_manifest(&plan.run_dir, &plan.manifest)?;
    let kept: usize = plan
        .manifest
        .units
        .iter()
        .filter_map(|u| answer_log::kept_answers(&plan.run_dir, &u.id).ok())
        .map(|answers| answers.len())
        .sum();
    let kept = match kept {
        0 => String::new(),
        n => format!(" ({n} answers of the unfinished one kept)"),
    };
    eprintln!(
        "interrupted: {} of {} candidate configurations measured{kept}; continue with `edgebench run --resume {}`",
        records.len(),
        plan.manifest.units.len(),
        plan.run_dir.display()
    );
    Ok(INTERRUPTED_EXIT)
}

/// The result files and samples of the whole run, and its manifest marked finished.
fn finish_run(plan: &mut Plan, records: &[UnitRecord]) -> Result<()> {
    write_results(&plan.run_dir, records, plan.unified_memory())?;
    sampling::write_samples(&plan.run_dir)?;
    plan.manifest.ended_at = Some(now());
    plan.manifest.state = "finished".into();
    note_weight_buffers(&mut plan.manifest, records);
    note_servers(&mut plan.manifest, records);
    write_manifest(&plan.run_dir, &plan.manifest)
}

/// The comparison, quality and stability tables, and the measurement warnings.
fn print_tables(
    records: &[UnitRecord],
    unified_memory: bool,
    models: &[crate::results::ModelMeta],
) {
    println!();
    let rows: Vec<SpeedRow> = records.iter().flat_map(|r| r.rows.clone()).collect();
    let mut summary = summarize(&rows);
    attach_resources(&mut summary, records, unified_memory);
    if !rows.is_empty() {
        print!("{}", text::table(&comparison_table(&summary)));
    }
    let quality = crate::scoring::quality_summary_rows(records);
    if !quality.is_empty() {
        println!();
        print!("{}", text::table(&crate::report::quality_table(&quality)));
        // As the report says it: a base model's chat-quality scores are not comparable.
        for model in models.iter().filter(|m| m.is_base_model()) {
            if records
                .iter()
                .any(|r| r.candidate == model.candidate && !r.quality.is_empty())
            {
                println!(
                    "{}: {}",
                    model.candidate,
                    crate::report::recommend::BASE_MODEL_NOTE
                );
            }
        }
    }
    let stability = crate::scoring::stability_summaries(records);
    if !stability.is_empty() {
        println!();
        print!(
            "{}",
            text::table(&crate::report::stability_table(&stability))
        );
    }
    for warning in measurement_warnings(&summary) {
        eprintln!("warning: {warning}");
    }
    for warning in crate::report::length_warnings(&quality) {
        eprintln!("warning: {warning}");
    }
}

fn gate_settings(args: &RunArgs) -> Result<crate::compare::GateSettings, UsageError> {
    Ok(crate::compare::GateSettings {
        threshold: crate::compare::parse_threshold(&args.threshold)?,
        run_noise: crate::compare::parse_percent("--run-noise", &args.run_noise)?,
        ..Default::default()
    })
}
