//! The report must render quickly even for big sweeps: 20 candidates with 10,000
//! resource samples each (issue 5's bar: under 5 s).
use criterion::{criterion_group, criterion_main, Criterion};
use edgebench::report::{write_report, ReportOptions};

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

fn report(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    synthetic::write_run(
        &run,
        &synthetic::Spec {
            candidates: 20,
            samples_per_candidate: 10_000,
            quality: true,
            failed: vec![7],
            ..Default::default()
        },
    );
    let options = ReportOptions {
        run_dirs: vec![run.clone()],
        out: tmp.path().join("report"),
        profile: Some("jetson-orin-nx-16gb".into()),
        ..Default::default()
    };
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("20 candidates x 10000 samples", |b| {
        b.iter(|| write_report(&options).unwrap())
    });
    group.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
