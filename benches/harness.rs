//! The harness's own hot code must not cost what it measures: statistics over
//! repetitions, and rebuilding the result files after every work unit.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use edgebench::results::{summarize, write_table, RowIdentity, SpeedRow, Status};
use edgebench::stats::{percentile, Spread};

fn rows(n: usize) -> Vec<SpeedRow> {
    (0..n)
        .map(|i| SpeedRow {
            id: RowIdentity {
                run_id: "bench".into(),
                unit_id: format!("c{}-k0", i / 500),
                candidate: format!("model-{}", i / 500),
                model_sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
                    .into(),
                quant: "Q4_K_M".into(),
                synthetic: false,
            },
            test: ["pp512", "tg128", "e2e:voice-question"][i % 3].into(),
            mode: "engine".into(),
            rep: Some((i % 5) as u32),
            pp_tps: Some(600.0 + (i % 17) as f64),
            tg_tps: Some(70.0 + (i % 7) as f64),
            ttft_ms: Some(40.0 + (i % 11) as f64),
            status: Status::Ok,
            ..Default::default()
        })
        .collect()
}

fn statistics(c: &mut Criterion) {
    let values: Vec<f64> = (0..1000)
        .map(|i| ((i * 7919) % 1000) as f64 / 10.0)
        .collect();
    c.bench_function("spread of 1000 reps", |b| b.iter(|| Spread::of(&values)));
    // One user-path repetition: percentiles over 63 inter-token gaps.
    let gaps: Vec<f64> = values[..63].to_vec();
    c.bench_function("itl p95 of 63 gaps", |b| b.iter(|| percentile(&gaps, 95.0)));
}

fn result_writing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("rebuild result files");
    group.sample_size(10);
    for n in [100, 10_000] {
        let rows = rows(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &rows, |b, rows| {
            b.iter(|| {
                write_table(dir.path(), rows).unwrap();
                write_table(dir.path(), &summarize(rows)).unwrap();
            })
        });
    }
    group.finish();
}

/// The sampler's own cost per tick: it runs beside the measurement all night.
fn sampling(c: &mut Criterion) {
    use edgebench::sampler::{detect_backends, parse_tegrastats_line, Reading};
    let line = "11-24-2026 05:43:48 RAM 2448/15656MB (lfb 2810x4MB) SWAP 0/7828MB (cached 0MB) \
        CPU [12%@1190,5%@1190,8%@1190,3%@1190,off,off,2%@729,0%@729] EMC_FREQ 0%@2133 \
        GR3D_FREQ 0%@[305,305] VIC_FREQ 115 APE 200 cpu@45.5C soc2@43.843C soc0@44.343C \
        gpu@-256C tj@46.593C soc1@43.812C VDD_IN 5332mW/5332mW VDD_CPU_GPU_CV 553mW/553mW \
        VDD_SOC 1416mW/1416mW";
    c.bench_function("parse one tegrastats line", |b| {
        b.iter(|| parse_tegrastats_line(line))
    });
    let (mut backends, _) = detect_backends(std::time::Duration::from_millis(250));
    let pid = Some(std::process::id());
    let mut out: Vec<Reading> = Vec::new();
    c.bench_function("one sampling tick (all available backends)", |b| {
        b.iter(|| {
            out.clear();
            for backend in backends.iter_mut() {
                backend.sample(pid, &mut out);
            }
        })
    });
}

criterion_group!(benches, statistics, result_writing, sampling);
criterion_main!(benches);
