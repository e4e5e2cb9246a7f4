//! The harness's own hot code must not cost what it measures: statistics over
//! repetitions, and rebuilding the result files after every work unit.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use edgebench::results::{speed_frame, summarize, summary_frame, write_frame, SpeedRow};
use edgebench::stats::{percentile, Spread};

fn rows(n: usize) -> Vec<SpeedRow> {
    (0..n)
        .map(|i| SpeedRow {
            run_id: "bench".into(),
            unit_id: format!("c{}-k0", i / 500),
            candidate: format!("model-{}", i / 500),
            model_sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818".into(),
            test: ["pp512", "tg128", "e2e:voice-question"][i % 3].into(),
            mode: "engine".into(),
            rep: Some((i % 5) as u32),
            pp_tps: Some(600.0 + (i % 17) as f64),
            tg_tps: Some(70.0 + (i % 7) as f64),
            ttft_ms: Some(40.0 + (i % 11) as f64),
            status: "ok".into(),
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
                write_frame(dir.path(), "speed", &mut speed_frame(rows).unwrap()).unwrap();
                let summary = summarize(rows);
                write_frame(dir.path(), "summary", &mut summary_frame(&summary).unwrap()).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, statistics, result_writing);
criterion_main!(benches);
