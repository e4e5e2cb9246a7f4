//! The resource timeline's data: memory, temperature and power series of one
//! run, thinned for drawing, and where each candidate's unit begins.
use super::super::candidates::ReportCandidate;
use super::super::load::{RunData, Samples};
use super::timeline::{Panel, Series, Timeline};

/// Timeline points per series: enough for a 960-pixel-wide chart; each point is
/// the highest value of its slice of time, so short peaks stay visible.
const TIMELINE_POINTS: usize = 1200;

pub fn timeline_chart(run: &RunData, candidates: &[ReportCandidate]) -> Timeline {
    let nonempty = |s: Series| -> Vec<Series> {
        if s.points.is_empty() {
            Vec::new()
        } else {
            vec![s]
        }
    };
    Timeline {
        title: format!("Resources over run {}", run.label),
        panels: vec![
            Panel {
                title: "Memory".into(),
                unit: "MiB".into(),
                series: memory_series(&run.samples),
            },
            Panel {
                title: "Temperature".into(),
                unit: "°C".into(),
                series: nonempty(temperature_series(&run.samples)),
            },
            Panel {
                title: "Power".into(),
                unit: "W".into(),
                series: nonempty(power_series(&run.samples)),
            },
        ],
        boundaries: unit_boundaries(run, candidates),
    }
}

/// RAM used, the child's RSS, and VRAM used (all GPUs summed), in MiB.
fn memory_series(s: &Samples) -> Vec<Series> {
    let memory: Vec<Series> = [
        ("RAM used", "ram_used_mb"),
        ("process RSS", "process_rss_mb"),
    ]
    .iter()
    .map(|(name, metric)| Series {
        name: name.to_string(),
        points: series(s, |m| m == *metric, Reduce::Max),
    })
    .chain(std::iter::once(Series {
        name: "VRAM used".into(),
        points: series(
            s,
            |m| m.starts_with("gpu") && m.ends_with("_mem_used_mb"),
            Reduce::Sum,
        ),
    }))
    .filter(|s| !s.points.is_empty())
    .collect();
    memory
}

/// The hottest temperature sensor at each tick.
fn temperature_series(s: &Samples) -> Series {
    Series {
        name: "hottest sensor".into(),
        points: series(
            s,
            |m| m.starts_with("temp_") && m.ends_with("_c"),
            Reduce::Max,
        ),
    }
}

/// The whole module's power in W, or the GPUs' own where no module rail is measured.
fn power_series(s: &Samples) -> Series {
    // The whole-module rail where there is one, else the GPUs' own power.
    let module_rail = ["power_VDD_IN_mw", "power_POM_5V_IN_mw"]
        .into_iter()
        .find(|r| s.metric.iter().any(|m| m == r));
    Series {
        name: module_rail.map_or("GPU power".into(), |r| r.to_string()),
        points: series(
            s,
            |m| match module_rail {
                Some(r) => m == r,
                None => m.starts_with("power_gpu") && m.ends_with("_mw"),
            },
            Reduce::Sum,
        )
        .into_iter()
        .map(|(t, mw)| (t, mw / 1000.0))
        .collect(),
    }
}

/// Where each unit's samples begin, labelled with its candidate.
fn unit_boundaries(run: &RunData, candidates: &[ReportCandidate]) -> Vec<(f64, String)> {
    let s = &run.samples;
    let mut boundaries = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (t, unit) in s.t_s.iter().zip(&s.unit_id) {
        if let Some(u) = unit.as_deref() {
            if !seen.contains(&u) {
                seen.push(u);
                let label = candidates
                    .iter()
                    .find(|c| c.run == run.label && c.unit_id == u)
                    .map_or(u.to_string(), |c| c.label.clone());
                boundaries.push((*t, label));
            }
        }
    }
    boundaries
}

#[derive(Clone, Copy)]
enum Reduce {
    Max,
    Sum,
}

/// One value per tick of the metrics `pick` selects (their max or sum), thinned to
/// TIMELINE_POINTS by keeping each time slice's highest value.
fn series(s: &Samples, pick: impl Fn(&str) -> bool, reduce: Reduce) -> Vec<(f64, f64)> {
    let mut ticks: Vec<(f64, f64)> = Vec::new();
    for i in 0..s.t_s.len() {
        if !pick(&s.metric[i]) {
            continue;
        }
        let (t, v) = (s.t_s[i], s.value[i]);
        match ticks.last_mut() {
            Some(last) if last.0 == t => {
                last.1 = match reduce {
                    Reduce::Max => last.1.max(v),
                    Reduce::Sum => last.1 + v,
                }
            }
            _ => ticks.push((t, v)),
        }
    }
    ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
    if ticks.len() <= TIMELINE_POINTS {
        return ticks;
    }
    let per = ticks.len().div_ceil(TIMELINE_POINTS);
    ticks
        .chunks(per)
        .map(|chunk| {
            let top = chunk.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            (chunk[0].0, top)
        })
        .collect()
}
