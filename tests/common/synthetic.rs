//! Synthetic run directories (speed, summary and samples Parquet files, no
//! manifest) for report tests and the report benchmark: any number of
//! candidates, failures, hostile names and quality rows.
#![allow(dead_code)]
use std::path::Path;

use edgebench::results::{
    samples_frame, summarize, table_frame, write_parquet, SpeedRow, Status, SummaryRow,
};
use edgebench::sampler::{Phase, SampleRow};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct Spec {
    pub run_id: String,
    pub candidates: usize,
    /// Sample rows per candidate (long format: 4 metrics per tick).
    pub samples_per_candidate: usize,
    pub reps: usize,
    /// Candidates (by index) whose tg test fails with `oom`.
    pub failed: Vec<usize>,
    /// Replaces candidate 0's name (e.g. a hostile one).
    pub first_name: Option<String>,
    /// Adds quality rows with pass-rate columns.
    pub quality: bool,
    /// Model file written in the rows (a real GGUF gives a fit estimate).
    pub model_file: String,
    /// Multiplies every speed (0.85: a night 15% slower).
    pub speed_factor: f64,
    /// Depths above 0 at which pp512 and tg128 also ran (`--depth`): slower
    /// and using more memory the deeper.
    pub depths: Vec<u32>,
    /// Jetson power modes, one per candidate in turn (clocks pinned for even
    /// candidates), with J/token on the ppN and tgN rows.
    pub power_modes: Vec<String>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            run_id: "synthetic".into(),
            candidates: 3,
            samples_per_candidate: 400,
            reps: 3,
            failed: Vec::new(),
            first_name: None,
            quality: false,
            model_file: "/nonexistent/model.gguf".into(),
            speed_factor: 1.0,
            depths: Vec::new(),
            power_modes: Vec::new(),
        }
    }
}

pub fn name(spec: &Spec, c: usize) -> String {
    match (&spec.first_name, c) {
        (Some(n), 0) => n.clone(),
        _ => format!("model-{c:02}-Q4_K_M"),
    }
}

pub fn speed_rows(spec: &Spec) -> Vec<SpeedRow> {
    let mut rows = Vec::new();
    for c in 0..spec.candidates {
        let base = SpeedRow {
            id: edgebench::results::RowIdentity {
                run_id: spec.run_id.clone(),
                unit_id: format!("c{c}-k0"),
                candidate: name(spec, c),
                model_sha256: format!("{c:064x}"),
                quant: "Q4_K_M".into(),
                synthetic: false,
            },
            model_file: spec.model_file.clone(),
            arch: "llama".into(),
            params: 100_000_000 * (c as u64 + 1),
            size_bytes: 60_000_000 * (c as u64 + 1),
            config: edgebench::results::RowConfig {
                backend: "CPU".into(),
                n_threads: 4,
                n_ctx: 2048,
                n_batch: 2048,
                n_ubatch: 512,
                flash_attn: "auto".into(),
                power_mode: (!spec.power_modes.is_empty())
                    .then(|| spec.power_modes[c % spec.power_modes.len()].clone()),
                jetson_clocks: (!spec.power_modes.is_empty()).then_some(c % 2 == 0),
                gpu_max_freq_mhz: (!spec.power_modes.is_empty()).then_some(918.0),
                ..Default::default()
            },
            status: Status::Ok,
            load_ms: Some(120.0),
            ..Default::default()
        };
        let speed = 120.0 / (c as f64 + 1.0) * spec.speed_factor;
        for rep in 0..spec.reps {
            let jitter = 1.0 + 0.02 * (rep as f64 - 1.0);
            rows.push(SpeedRow {
                test: "pp512".into(),
                mode: "engine".into(),
                rep: Some(rep as u32),
                n_prompt: 512,
                pp_tps: Some(speed * 10.0 * jitter),
                ..base.clone()
            });
            if spec.failed.contains(&c) {
                rows.push(SpeedRow {
                    test: "tg128".into(),
                    mode: "engine".into(),
                    status: Status::Oom,
                    error: Some(format!(
                        "killed by SIGKILL (out of memory?) while running {}",
                        name(spec, c)
                    )),
                    ..base.clone()
                });
                break;
            }
            rows.push(SpeedRow {
                test: "tg128".into(),
                mode: "engine".into(),
                rep: Some(rep as u32),
                n_gen: 128,
                tg_tps: Some(speed * jitter),
                ..base.clone()
            });
            for &depth in &spec.depths {
                let slower = 1.0 / (1.0 + depth as f64 / 2048.0);
                for (test, pp, tg) in [
                    ("pp512", Some(speed * 10.0), None),
                    ("tg128", None, Some(speed)),
                ] {
                    rows.push(SpeedRow {
                        test: format!("{test}@d{depth}"),
                        mode: "engine".into(),
                        rep: Some(rep as u32),
                        n_depth: depth,
                        pp_tps: pp.map(|v| v * slower * jitter),
                        tg_tps: tg.map(|v| v * slower * jitter),
                        ..base.clone()
                    });
                }
            }
            rows.push(SpeedRow {
                test: "e2e:voice-question".into(),
                mode: "user_path".into(),
                rep: Some(rep as u32),
                n_gen: 64,
                ttft_ms: Some(50.0 * (c as f64 + 1.0) * jitter),
                latency_50_ms: Some(50.0 * (c as f64 + 1.0) + 49.0 * 1000.0 / speed),
                output_text: Some(format!("reply of {}", name(spec, c))),
                ..base.clone()
            });
        }
    }
    rows
}

fn summary(spec: &Spec, rows: &[SpeedRow]) -> Vec<SummaryRow> {
    let mut summary = summarize(rows);
    for s in &mut summary {
        let c: f64 = s.first.id.unit_id[1..]
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let depth = s.first.n_depth as f64;
        s.resources.peak_rss_mb = Some(200.0 + 150.0 * c + depth / 64.0);
        s.resources.peak_ram_used_mb = Some(4000.0 + 150.0 * c);
        if !spec.power_modes.is_empty() && depth == 0.0 {
            let per_token = match s.first.test.as_str() {
                "pp512" => Some(0.02 * (c + 1.0)),
                "tg128" => Some(0.2 * (c + 1.0)),
                _ => None,
            };
            s.resources.joules_per_token = per_token;
        }
    }
    if spec.quality {
        // Quality rows as the quality suites write them: test = quality:<suite>[/<category>].
        for c in 0..spec.candidates {
            for test in ["quality:basic", "quality:basic/math", "quality:basic/facts"] {
                let row = SpeedRow {
                    id: edgebench::results::RowIdentity {
                        unit_id: format!("c{c}-k0"),
                        candidate: name(spec, c),
                        ..Default::default()
                    },
                    test: test.into(),
                    mode: "quality".into(),
                    status: Status::Ok,
                    ..rows[0].clone()
                };
                summary.extend(summarize(&[row]));
            }
        }
    }
    summary
}

/// Pass rate of candidate `c` in a quality test: falls with the candidate index.
pub fn pass_rate(c: usize, test: &str) -> f64 {
    let base = 0.9 - 0.12 * c as f64;
    let r = match test {
        "quality:basic/math" => base - 0.1,
        "quality:basic/facts" => base + 0.05,
        _ => base,
    };
    r.clamp(0.0, 1.0)
}

fn add_quality_columns(frame: &mut DataFrame) {
    let text = |name: &str| -> Vec<String> {
        let ca = frame.column(name).unwrap().str().unwrap().clone();
        (0..ca.len())
            .map(|i| ca.get(i).unwrap_or("").to_string())
            .collect()
    };
    let tests = text("test");
    let units: Vec<usize> = text("unit_id")
        .iter()
        .map(|u| u[1..].split('-').next().unwrap().parse().unwrap())
        .collect();
    let rate: Vec<Option<f64>> = tests
        .iter()
        .zip(&units)
        .map(|(t, &c)| t.starts_with("quality:").then(|| pass_rate(c, t)))
        .collect();
    let lo: Vec<Option<f64>> = rate.iter().map(|r| r.map(|r| (r - 0.1).max(0.0))).collect();
    let hi: Vec<Option<f64>> = rate.iter().map(|r| r.map(|r| (r + 0.1).min(1.0))).collect();
    let cases: Vec<Option<i64>> = rate.iter().map(|r| r.map(|_| 40)).collect();
    frame
        .with_column(Column::new("pass_rate".into(), rate))
        .unwrap();
    frame
        .with_column(Column::new("pass_rate_lo".into(), lo))
        .unwrap();
    frame
        .with_column(Column::new("pass_rate_hi".into(), hi))
        .unwrap();
    frame
        .with_column(Column::new("n_cases".into(), cases))
        .unwrap();
}

fn samples(spec: &Spec) -> Vec<SampleRow> {
    let mut out = Vec::new();
    let ticks = spec.samples_per_candidate / 4;
    for c in 0..spec.candidates {
        for k in 0..ticks {
            let t_ms = ((c * ticks + k) * 250) as f64;
            let wave = ((k as f64) / 20.0).sin();
            for (metric, value) in [
                ("ram_used_mb", 4000.0 + 150.0 * c as f64 + 20.0 * wave),
                ("process_rss_mb", 200.0 + 150.0 * c as f64 + 10.0 * wave),
                ("temp_cpu_c", 55.0 + 10.0 * (k as f64 / ticks as f64) + wave),
                ("power_VDD_IN_mw", 9000.0 + 3000.0 * wave.abs()),
            ] {
                out.push(SampleRow {
                    t_ms,
                    unix_ms: 1_700_000_000_000 + t_ms as i64,
                    unit_id: Some(format!("c{c}-k0")),
                    candidate: Some(name(spec, c)),
                    test: Some("tg128".into()),
                    phase: Phase::Tg,
                    backend: "sysinfo".into(),
                    metric: metric.into(),
                    value,
                    throttled: false,
                });
            }
        }
    }
    out
}

/// Writes speed.parquet, summary.parquet and samples.parquet into `dir`.
pub fn write_run(dir: &Path, spec: &Spec) {
    std::fs::create_dir_all(dir).unwrap();
    let rows = speed_rows(spec);
    write_parquet(&dir.join("speed.parquet"), &mut table_frame(&rows).unwrap()).unwrap();
    let mut frame = table_frame(&summary(spec, &rows)).unwrap();
    if spec.quality {
        add_quality_columns(&mut frame);
    }
    write_parquet(&dir.join("summary.parquet"), &mut frame).unwrap();
    let mut samples = samples_frame(&spec.run_id, &samples(spec)).unwrap();
    write_parquet(&dir.join("samples.parquet"), &mut samples).unwrap();
}

/// Gives `dir` a manifest: the stored run's, renamed `run_id` and started at `started_at`.
pub fn write_manifest(dir: &Path, run_id: &str, started_at: &str) {
    let stored =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run-8dc1cfb-smollm/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stored).unwrap()).unwrap();
    manifest["run_id"] = run_id.into();
    manifest["started_at"] = started_at.into();
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
}
