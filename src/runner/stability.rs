//! The parent's side of the stability suite: what the child is asked to do, the
//! context ladder (one child per rung, so an out-of-memory is a data point), and
//! the temperature beside each soak window.
use anyhow::Result;

use super::protocol::{CeilingJob, ChildJob, FidelityJob, SoakJob, StabilityJob};
use super::supervise::{run_unit, UnitObserver, UnitRun, UnitStatus};
use crate::config::{Sweep, WorkUnit};
use crate::results::{StabilityRow, Status, TestKind};
use crate::suite::stability::parse_duration;
use crate::suite::Suites;

/// The stability tests the main child runs (the ladder runs apart, see `ceiling_ladder`).
pub fn stability_job(suites: &Suites, sweep: &Sweep, unit: &WorkUnit) -> Option<StabilityJob> {
    let suite = suites.quality.iter().find(|s| s.stability.is_some())?;
    let spec = suite.stability.as_ref()?;
    let soak = spec.soak.as_ref().map(|s| SoakJob {
        seconds: sweep
            .soak_secs
            .unwrap_or_else(|| parse_duration(&s.duration).unwrap_or(60)),
        window_s: s.window_s,
        prompt: s.prompt.clone(),
    });
    let fidelity = spec.fidelity.as_ref().map(|f| {
        let reference = sweep.reference.clone().or(f.reference.clone());
        FidelityJob {
            text: suite.fidelity_text.clone().unwrap_or_default(),
            chunk_tokens: f.chunk_tokens,
            max_chunks: f.max_chunks,
            // A candidate is not compared with itself.
            reference: reference
                .filter(|name| name != &unit.candidate.name)
                .and_then(|name| {
                    let c = sweep.candidates.iter().find(|c| c.name == name)?;
                    Some((name, c.path.clone()))
                }),
        }
    });
    Some(StabilityJob {
        soak,
        multi_turn: spec.multi_turn.clone(),
        fidelity,
        ceiling: None,
    })
}

/// Tries each context of the ladder in a fresh child, smallest first, and stops
/// at the first that fails (a larger one would fail too).
pub fn ceiling_ladder(
    suites: &Suites,
    base_job: &ChildJob,
    run: &UnitRun,
    observer: &mut dyn UnitObserver,
) -> Result<Vec<StabilityRow>> {
    let Some(spec) = suites
        .quality
        .iter()
        .find_map(|s| s.stability.as_ref()?.memory_ceiling.clone())
    else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for (step, &n_ctx) in spec.contexts.iter().enumerate() {
        let mut unit = base_job.unit.clone();
        unit.config.n_ctx = n_ctx;
        let job = ChildJob {
            unit,
            reps: 0,
            warmup: 0,
            pp: vec![],
            tg: vec![],
            pg: vec![],
            depth: vec![],
            auto_reps: None,
            pacing: Default::default(),
            prompts: vec![],
            conversation: vec![],
            e2e_tokens: 0,
            concurrency: Vec::new(),
            targets: Default::default(),
            fallback_chat_template: None,
            quality: vec![],
            stability: Some(StabilityJob {
                ceiling: Some(CeilingJob {
                    step: step as u32,
                    n_ctx,
                    fill: spec.fill,
                }),
                ..Default::default()
            }),
        };
        let outcome = run_unit(run, &job, observer)?;
        let row = match (outcome.stability.into_iter().next(), &outcome.status) {
            (Some(row), UnitStatus::Ok) => row,
            (_, status) => StabilityRow {
                test: TestKind::MemoryCeiling.name(),
                step: step as u32,
                n_ctx: Some(n_ctx),
                status: match status {
                    UnitStatus::Ok => Status::Failed,
                    _ => status.status(),
                },
                error: status
                    .error()
                    .map(str::to_string)
                    .or(Some("the child ended without a result".into())),
                ..Default::default()
            },
        };
        let ok = row.status.is_ok();
        rows.push(row);
        if !ok {
            break;
        }
    }
    Ok(rows)
}
