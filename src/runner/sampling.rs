//! The sampler's life in a sweep: an idle baseline first, then each unit's
//! samples saved with the unit (so a resumed run keeps them), the sampler's own
//! cost recorded in the manifest.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;

use super::interrupt::Interrupt;

use crate::config::WorkUnit;
use crate::progress::Progress;
use crate::results::manifest::{Manifest, SamplingInfo};
use crate::results::{
    concat_parquet, samples_frame, write_frame, write_parquet, ResourceSummary, SpeedRow,
    UnitRecord,
};
use crate::sampler::{
    detect_backends, mean_power_w, resource_summary, Measured, Phase, SampleRow, Sampler,
};

/// Long enough for a few power readings, short enough not to matter overnight.
const IDLE_BASELINE: Duration = Duration::from_secs(2);

pub struct Session {
    pub sampler: Sampler,
    idle_power_w: Option<f64>,
    run_id: String,
}

impl Session {
    /// `tegrastats`: the program `--tegrastats` names, if any.
    pub fn start(
        run_dir: &Path,
        manifest: &mut Manifest,
        progress: &Progress,
        tegrastats: Option<&Path>,
    ) -> Result<Session> {
        let interval = Duration::from_millis(manifest.sweep.sample_ms);
        let (backends, statuses) = detect_backends(interval, tegrastats);
        let describe = |available: bool| {
            statuses
                .iter()
                .filter(|s| s.available == available)
                .map(|s| format!("{} ({})", s.name, s.detail))
                .collect::<Vec<_>>()
                .join("; ")
        };
        progress.line(&format!("samplers: {}", describe(true)));
        progress.line(&format!("not sampling: {}", describe(false)));
        let sampler = Sampler::start(backends, interval, Instant::now());

        // The idle baseline, so energy can be reported above idle as well as in total.
        progress.status(&format!("idle baseline ({} s)", IDLE_BASELINE.as_secs()));
        std::thread::sleep(IDLE_BASELINE);
        let idle_rows = sampler.drain();
        save_samples(run_dir, &manifest.run_id, "idle", &idle_rows)?;
        let idle_power_w = mean_power_w(&idle_rows.iter().collect::<Vec<_>>());

        let unified_memory = manifest.conditions["jetson"].is_object()
            || manifest
                .llama_cpp
                .devices
                .iter()
                .any(|d| d.kind == "IntegratedGpu");
        let info = manifest.sampling.get_or_insert(SamplingInfo {
            interval_ms: interval.as_millis() as u64,
            backends: statuses.clone(),
            idle_power_w,
            sessions: Vec::new(),
            unified_memory,
        });
        // A resumed run keeps the first session's baseline: one baseline per run.
        let idle_power_w = info.idle_power_w.or(idle_power_w);
        Ok(Session {
            sampler,
            idle_power_w,
            run_id: manifest.run_id.clone(),
        })
    }

    pub fn begin_unit(&self, unit: &WorkUnit) {
        self.sampler.update(|s| {
            s.unit_id = Some(unit.id.clone());
            s.candidate = Some(unit.candidate.name.clone());
            s.test = Some("load".into());
            s.phase = Phase::Load;
            s.pid = None;
        });
    }

    /// Saves the unit's samples and summarises them per test.
    pub fn end_unit(
        &self,
        run_dir: &Path,
        record: &UnitRecord,
    ) -> Result<BTreeMap<String, ResourceSummary>> {
        self.sampler.update(|s| {
            s.unit_id = None;
            s.candidate = None;
            s.test = None;
            s.phase = Phase::Idle;
            s.pid = None;
        });
        let rows = self.sampler.drain();
        save_samples(run_dir, &self.run_id, &record.unit_id, &rows)?;
        Ok(per_test(&rows, record, self.idle_power_w))
    }

    /// Waits until the hottest sensor is below `limit_c` (at most `max_secs`).
    pub fn cool_down(
        &self,
        limit_c: f64,
        max_secs: u64,
        progress: &Progress,
        interrupt: &Interrupt,
    ) -> Option<f64> {
        let start = Instant::now();
        loop {
            if interrupt.requested() {
                return Some(start.elapsed().as_secs_f64());
            }
            let hottest = self.sampler.latest_max(|m| m.starts_with("temp_"))?;
            let waited = start.elapsed().as_secs_f64();
            if hottest < limit_c {
                return Some(waited);
            }
            if waited >= max_secs as f64 {
                progress.line(&format!(
                    "cool-down: still {hottest:.1} °C after {max_secs} s (limit {limit_c} °C); going on"
                ));
                return Some(waited);
            }
            progress.status(&format!(
                "cool-down: {hottest:.1} °C, waiting for < {limit_c} °C"
            ));
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    pub fn finish(self, run_dir: &Path, manifest: &mut Manifest) -> Result<()> {
        let (report, rest) = self.sampler.stop();
        save_samples(run_dir, &self.run_id, "end", &rest)?;
        if let Some(info) = manifest.sampling.as_mut() {
            info.sessions.push(report);
        }
        Ok(())
    }
}

/// Resource figures per test (and `load`), from the samples tagged with it.
fn per_test(
    rows: &[SampleRow],
    record: &UnitRecord,
    idle_power_w: Option<f64>,
) -> BTreeMap<String, ResourceSummary> {
    let mut tests: Vec<&str> = rows.iter().filter_map(|r| r.test.as_deref()).collect();
    tests.sort();
    tests.dedup();
    tests
        .into_iter()
        .map(|test| {
            let samples: Vec<&SampleRow> = rows
                .iter()
                .filter(|r| r.test.as_deref() == Some(test))
                .collect();
            let reps: Vec<&SpeedRow> = record
                .rows
                .iter()
                .filter(|r| r.test == test && r.status.is_ok())
                .collect();
            let measured = if test == "load" {
                // The load's time, and no tokens: energy, no energy per token.
                Measured {
                    prefill_s: record.rows.first().and_then(|r| r.load_ms).unwrap_or(0.0) / 1e3,
                    ..Default::default()
                }
            } else {
                let sum = |f: &dyn Fn(&SpeedRow) -> f64| reps.iter().map(|r| f(r)).sum();
                Measured {
                    prefill_s: sum(&|r| r.t_prompt_ms.unwrap_or(0.0)) / 1e3,
                    gen_s: sum(&|r| r.t_gen_ms.unwrap_or(0.0)) / 1e3,
                    prefill_tokens: sum(&|r| r.n_prompt as f64),
                    gen_tokens: sum(&|r| r.n_gen as f64),
                }
            };
            (
                test.to_string(),
                resource_summary(&samples, &measured, idle_power_w),
            )
        })
        .collect()
}

fn samples_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("parts")
}

/// One Parquet file per unit (and per idle stretch), named so that name order is time order.
fn save_samples(run_dir: &Path, run_id: &str, tag: &str, rows: &[SampleRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let path = samples_dir(run_dir).join(format!("{ms:013}-{tag}.samples.parquet"));
    write_parquet(&path, &mut samples_frame(run_id, rows)?)
}

/// samples.parquet / samples.csv: every saved sample of the run, in time order.
pub fn write_samples(run_dir: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir(run_dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".samples.parquet"))
        .collect();
    files.sort();
    let mut frame = match concat_parquet(&files)? {
        Some(frame) => frame,
        None => samples_frame("", &[])?,
    };
    write_frame(run_dir, "samples", &mut frame)
}
