//! One unit measured: its child job built, run under supervision, and its
//! messages turned into the unit's record (rows, scored answers, stability,
//! the log) with the failure, if any, as a row of its own.
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::answer_log::{self, AnswerLog};
use super::child_process::Launcher;
use super::interrupt::Interrupt;
use super::plan::{quality_items, tool_calls};
use super::protocol::{AnswerMessage, ChildJob, ChildMessage, Measurement, TimingMode, DELAY_TEST};
use super::soak_conditions::SoakConditions;
use super::supervise::{run_unit, UnitObserver, UnitOutcome, UnitRun, UnitStatus};
use super::{child_output, stability};
use crate::config::WorkUnit;
use crate::progress::Progress;
use crate::results::manifest::Manifest;
use crate::results::plan::ToolChoice;
use crate::results::redact::Redaction;
use crate::results::{
    summarize, unit_file, write_atomic, Metric, ModelMeta, Phase, QualityRow, RowConfig,
    RowIdentity, SpeedRow, StabilityRow, Status, TestKind, UnitRecord,
};
use crate::sampler::Sampler;
use crate::suite::{Decoding, Suites};

struct ProgressObserver<'a> {
    progress: &'a Progress,
    label: &'a str,
    sampler: &'a Sampler,
    /// What each soak window ran under.
    soak: SoakConditions,
    /// Every answer on disk as it comes (answer_log.rs), redacted in a `--redact` run.
    answer_log: AnswerLog,
    redaction: Option<&'a Redaction>,
}

impl ProgressObserver<'_> {
    fn keep_answer(&mut self, answer: &AnswerMessage) {
        match self.redaction.map(|r| r.value(answer)) {
            None => self.answer_log.append(answer),
            Some(Ok(redacted)) => self.answer_log.append(&redacted),
            // Never an unredacted answer on disk; the record at the end has it.
            Some(Err(_)) => {}
        }
    }
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
                    if let Some(kind) = TestKind::of(test) {
                        s.phase = kind.phase();
                    }
                    if test == DELAY_TEST {
                        s.phase = Phase::Idle;
                    }
                });
                if TestKind::of(test) == Some(TestKind::Soak) {
                    self.soak.started(self.sampler);
                }
                self.progress.status(&format!("{}: {test}", self.label));
            }
            ChildMessage::Measured(m) if m.rep.is_some() => self.progress.step(),
            ChildMessage::Answered(answer) => {
                self.keep_answer(answer);
                self.progress.step();
            }
            ChildMessage::Stability(row) if row.kind() == Some(TestKind::Soak) => {
                self.soak.window_ended(row.step, self.sampler);
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
pub(super) struct UnitContext<'a> {
    pub meta: &'a ModelMeta,
    pub manifest: &'a Manifest,
    pub suites: &'a Suites,
    pub verbose: bool,
    pub launcher: &'a dyn Launcher,
    pub progress: &'a Progress,
    pub label: &'a str,
    pub sampler: &'a Sampler,
    pub run_dir: &'a Path,
    pub interrupt: &'a Interrupt,
}

/// The unit's record, redacted (rows, errors, the log) in a `--redact` run.
pub(super) fn measure_unit(unit: &WorkUnit, cx: &UnitContext) -> Result<UnitRecord> {
    let redaction = cx.manifest.redacted.then(|| cx.manifest.redaction());
    let record = match &cx.meta.unusable {
        Some(reason) => unusable_record(unit, cx, reason),
        None => run_child(unit, cx, redaction.as_ref())?,
    };
    match &redaction {
        Some(redaction) => redaction.value(&record),
        None => Ok(record),
    }
}

fn run_child(
    unit: &WorkUnit,
    cx: &UnitContext,
    redaction: Option<&Redaction>,
) -> Result<UnitRecord> {
    let mut job = child_job(unit, cx);
    // Answers an interrupted attempt kept are not asked again (answer_log.rs).
    let kept = answer_log::kept_answers(cx.run_dir, &unit.id)?;
    let kept = answer_log::still_wanted(kept, &job.quality);
    if !kept.is_empty() {
        job.quality = answer_log::unanswered(std::mem::take(&mut job.quality), &kept);
        cx.progress.line(&format!(
            "{}: {} answers kept from the interrupted attempt, {} to go",
            cx.label,
            kept.len(),
            job.quality.len()
        ));
        cx.progress.skip(kept.len() as u64);
    }
    let mut observer = ProgressObserver {
        progress: cx.progress,
        label: cx.label,
        sampler: cx.sampler,
        soak: SoakConditions::default(),
        answer_log: AnswerLog::new(cx.run_dir, &unit.id)?,
        redaction,
    };
    let run = UnitRun {
        launcher: cx.launcher,
        timeout: Duration::from_secs(cx.manifest.sweep.timeout_secs),
        verbose: cx.verbose,
        interrupt: cx.interrupt,
    };
    let mut outcome = run_unit(&run, &job, &mut observer)?;
    if let Some(failure) = observer.answer_log.failure() {
        eprintln!("warning: answers not kept as they came ({failure}); the unit's record has them");
    }
    outcome.answers.splice(0..0, kept);
    write_unit_log(cx.run_dir, &unit.id, &outcome.log, redaction)?;
    if outcome.status == UnitStatus::Ok {
        let ladder = stability::ceiling_ladder(cx.suites, &job, &run, &mut observer)?;
        outcome.stability.extend(ladder);
    }
    let base = base_row(unit, cx.meta, cx.manifest, outcome.load_ms);
    let mut stability = std::mem::take(&mut outcome.stability);
    label_stability_rows(&mut stability, &observer.soak, &base.id);
    let rows = speed_rows(&base, unit, &outcome);
    // A capability the engine lacks (a server has no random-token ppN/tgN) is
    // recorded in its rows; it is not a failure of the unit.
    let failed_test = rows
        .iter()
        .find(|r| !r.status.is_ok() && r.status != Status::Unsupported);
    let status = match (&outcome.status, failed_test) {
        (UnitStatus::Ok, Some(r)) => r.status,
        (s, _) => s.status(),
    };
    let error = outcome.status.error().map(str::to_string);
    Ok(UnitRecord {
        unit_id: unit.id.clone(),
        candidate: unit.candidate.name.clone(),
        error: error.or_else(|| failed_test.and_then(|r| r.error.clone())),
        status,
        quality: score_answers(&base, cx.suites, &outcome.answers, tool_choice(unit)),
        rows,
        base: Some(base),
        stability,
        resources: Default::default(),
        cooldown_s: None,
        weight_buffers: child_output::weight_buffers(&outcome.log),
        server: outcome.server.take(),
        power: None,
    })
}

/// A unit of a candidate whose file failed the up-front check (`--keep-going`):
/// no child is started; one `load` row says why, as a failed load would.
fn unusable_record(unit: &WorkUnit, cx: &UnitContext, reason: &str) -> UnitRecord {
    let base = base_row(unit, cx.meta, cx.manifest, None);
    let row = SpeedRow {
        test: "load".into(),
        status: Status::LoadFailed,
        error: Some(reason.to_string()),
        ..base.clone()
    };
    UnitRecord {
        unit_id: unit.id.clone(),
        candidate: unit.candidate.name.clone(),
        status: Status::LoadFailed,
        error: Some(reason.to_string()),
        rows: vec![row],
        base: Some(base),
        quality: Vec::new(),
        stability: Vec::new(),
        resources: Default::default(),
        cooldown_s: None,
        weight_buffers: Default::default(),
        server: None,
        power: None,
    }
}

/// The `tool_choice` a served candidate sends with native tools.
fn tool_choice(unit: &WorkUnit) -> Option<ToolChoice> {
    unit.candidate.server.as_ref()?.tool_choice
}

/// Everything the unit's child runs, from the sweep and the suites.
fn child_job(unit: &WorkUnit, cx: &UnitContext) -> ChildJob {
    let sweep = &cx.manifest.sweep;
    let speed = cx.suites.speed.as_ref();
    ChildJob {
        unit: unit.clone(),
        reps: sweep.reps,
        warmup: sweep.warmup,
        pp: sweep.pp.clone(),
        tg: sweep.tg.clone(),
        pg: sweep.pg.clone(),
        depth: sweep.depth.clone(),
        auto_reps: sweep.auto_reps,
        pacing: sweep.pacing,
        prompts: speed.map(|s| s.prompts.clone()).unwrap_or_default(),
        conversation: speed.map(|s| s.conversation.clone()).unwrap_or_default(),
        e2e_tokens: sweep.e2e_tokens,
        concurrency: sweep.concurrency.clone(),
        targets: sweep.targets.clone(),
        fallback_chat_template: sweep.fallback_chat_template.clone(),
        quality: quality_items(cx.suites, tool_calls(unit)),
        stability: stability::stability_job(cx.suites, sweep, unit),
    }
}

/// The identity columns, and beside each soak window what it ran under.
fn label_stability_rows(rows: &mut [StabilityRow], soak: &SoakConditions, identity: &RowIdentity) {
    for row in rows {
        if row.kind() == Some(TestKind::Soak) {
            soak.label(row);
        }
        row.id = identity.clone();
    }
}

/// One row per measured repetition, and the unit's failure as a row too, so
/// tables and CI see it next to the numbers.
fn speed_rows(base: &SpeedRow, unit: &WorkUnit, outcome: &UnitOutcome) -> Vec<SpeedRow> {
    let measured = outcome.measurements.iter();
    let mut rows: Vec<SpeedRow> = measured.map(|m| row_from(base, unit, m)).collect();
    if outcome.status != UnitStatus::Ok {
        let test = outcome.test_in_progress.as_deref().unwrap_or("load");
        rows.push(SpeedRow {
            test: test.to_string(),
            status: outcome.status.status(),
            error: outcome.status.error().map(str::to_string),
            ..base.clone()
        });
    }
    rows
}

/// The child's answers with their cases' checks applied.
fn score_answers(
    base: &SpeedRow,
    suites: &Suites,
    answers: &[AnswerMessage],
    tool_choice: Option<ToolChoice>,
) -> Vec<QualityRow> {
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
            let mut row = crate::scoring::score_answer(&identity, case, a);
            // Sent with the tools in the API's field only.
            if a.decoding == Some(Decoding::Native) {
                row.tool_choice = tool_choice.map(|c| c.as_str().to_string());
            }
            Some(row)
        })
        .collect()
}

fn base_row(
    unit: &WorkUnit,
    meta: &ModelMeta,
    manifest: &Manifest,
    load_ms: Option<f64>,
) -> SpeedRow {
    SpeedRow {
        load_ms,
        ..crate::results::unit_row(unit, meta, manifest)
    }
}

fn row_from(base: &SpeedRow, unit: &WorkUnit, m: &Measurement) -> SpeedRow {
    let mode = m.mode.unwrap_or(TimingMode::Engine);
    SpeedRow {
        test: m.test.clone(),
        mode: mode.as_str().into(),
        rep: m.rep,
        n_warmup: m.n_warmup,
        config: RowConfig {
            // Engine tests size their context like llama-bench: exactly n_prompt + n_gen.
            n_ctx: match mode {
                TimingMode::Engine => m.n_depth + m.n_prompt + m.n_gen,
                TimingMode::UserPath => unit.config.n_ctx,
            },
            ..base.config.clone()
        },
        n_depth: m.n_depth,
        n_prompt: m.n_prompt,
        n_gen: m.n_gen,
        t_prompt_ms: m.t_prompt_ms,
        t_gen_ms: m.t_gen_ms,
        pp_tps: m.pp_tps,
        tg_tps: m.tg_tps,
        pg_tps: m.pg_tps,
        ttft_ms: m.ttft_ms,
        latency_50_ms: m.latency_50_ms,
        answer: m.answer.clone(),
        itl_p50_ms: m.itl_p50_ms,
        itl_p95_ms: m.itl_p95_ms,
        level: m.level.clone(),
        server: m.server.clone(),
        spec: m.spec,
        chat_template: m.chat_template.clone(),
        eos_at: m.eos_at,
        output_text: m.output_text.clone(),
        status: m.status,
        error: m.error.clone(),
        ..base.clone()
    }
}

pub(super) fn unit_line(label: &str, record: &UnitRecord) -> String {
    let summary = summarize(&record.rows);
    let mut parts = Vec::new();
    for row in &summary {
        let metric = match row.first.kind().filter(|k| k.is_engine_bench()) {
            Some(kind) => Metric::headline(kind).unwrap_or(Metric::TgTps),
            None => continue,
        };
        if let Some(s) = row.spread(metric) {
            let test = &row.first.test;
            parts.push(format!("{test} {:.1}±{:.1} t/s", s.mean, s.stddev));
        }
    }
    match &record.error {
        Some(e) => format!("{label}: {} ({e})", record.status),
        None => format!("{label}: ok  {}", parts.join("  ")),
    }
}

/// `logs/<unit>.log`: the child's stderr (llama.cpp's log, a crash's frames).
fn write_unit_log(
    run_dir: &Path,
    unit_id: &str,
    log: &[String],
    redaction: Option<&Redaction>,
) -> Result<()> {
    let dir = run_dir.join("logs");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&unit_file(run_dir, "logs", unit_id, "log")?, |f| {
        for line in log {
            match redaction {
                Some(r) => writeln!(f, "{}", r.text(line))?,
                None => writeln!(f, "{line}")?,
            }
        }
        Ok(())
    })
}
