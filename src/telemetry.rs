//! `edgebench telemetry import-tegrastats`: logs people already have, in the
//! same sample schema as a run's samples.* files.
use anyhow::Result;
use chrono::NaiveDateTime;

use crate::cli::TelemetryCommand;
use crate::error::{exit, UsageError};
use crate::results::{samples_frame, write_csv, write_parquet};
use crate::sampler::{parse_tegrastats_log, Phase, SampleRow};

pub fn run(command: &TelemetryCommand) -> Result<i32> {
    let TelemetryCommand::ImportTegrastats {
        logfile,
        out,
        interval_ms,
    } = command;
    let format = match out.extension().and_then(|e| e.to_str()) {
        Some("csv") => "csv",
        Some("parquet") => "parquet",
        _ => {
            return Err(UsageError::new(format!(
                "--out {}: use a .csv or .parquet file name",
                out.display()
            ))
            .into())
        }
    };
    let text = std::fs::read(logfile)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", logfile.display())))?;
    let (lines, report) = parse_tegrastats_log(&String::from_utf8_lossy(&text));
    let rows = to_samples(&lines, *interval_ms as f64);
    let source = logfile
        .file_stem()
        .map_or("tegrastats".into(), |s| s.to_string_lossy().into_owned());
    let mut frame = samples_frame(&format!("import:{source}"), &rows)?;
    match format {
        "csv" => write_csv(out, &frame)?,
        _ => write_parquet(out, &mut frame)?,
    }
    println!(
        "{}: {} lines, {} parsed, {} not understood; {} samples written to {}",
        logfile.display(),
        report.lines,
        report.parsed,
        report.failed.len(),
        rows.len(),
        out.display()
    );
    for (line, reason) in report.failed.iter().take(10) {
        println!("  line {line}: {reason}");
    }
    if report.failed.len() > 10 {
        println!("  ... and {} more", report.failed.len() - 10);
    }
    Ok(exit::OK)
}

/// Lines with a `MM-DD-YYYY HH:MM:SS` prefix are placed by it; the others one interval apart.
fn to_samples(lines: &[crate::sampler::TegrastatsLine], interval_ms: f64) -> Vec<SampleRow> {
    let stamps: Vec<Option<i64>> = lines
        .iter()
        .map(|l| {
            l.timestamp
                .as_deref()
                .and_then(|t| NaiveDateTime::parse_from_str(t, "%m-%d-%Y %H:%M:%S").ok())
                .map(|t| t.and_utc().timestamp_millis())
        })
        .collect();
    let first = stamps.iter().flatten().next().copied();
    let mut rows = Vec::new();
    for (i, (line, stamp)) in lines.iter().zip(&stamps).enumerate() {
        let t_ms = match (stamp, first) {
            (Some(s), Some(f)) => (s - f) as f64,
            _ => i as f64 * interval_ms,
        };
        for r in &line.readings {
            rows.push(SampleRow {
                t_ms,
                unix_ms: stamp.unwrap_or(0),
                unit_id: None,
                candidate: None,
                test: None,
                phase: Phase::Idle,
                backend: "tegrastats".into(),
                metric: r.metric.clone(),
                value: r.value,
                throttled: false,
            });
        }
    }
    rows
}
