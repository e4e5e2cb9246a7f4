//! Every chart of the report, each written as PNG and SVG. The data is chosen
//! here from the candidates' figures; the drawing files only draw.
mod bars;
mod pareto;
mod style;
mod timeline;

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::candidates::ReportCandidate;
use super::load::{RunData, Samples};
use crate::export::Figure;
use crate::profiles::Profile;
use crate::results::write_atomic;
use bars::{Bar, BarChart, BarPanel};
use pareto::{Pareto, Point};
use timeline::{Panel, Series, Timeline};

/// A chart drawn on any plotters backend (the same code makes the PNG and the SVG).
pub trait Draw {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Timeline points per series: enough for a 960-pixel-wide chart; each point is
/// the highest value of its slice of time, so short peaks stay visible.
const TIMELINE_POINTS: usize = 1200;

pub fn write_all(
    dir: &Path,
    candidates: &[ReportCandidate],
    runs: &[RunData],
    profile: &Profile,
) -> Result<Vec<Figure>> {
    style::register_font();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut files = vec![
        render(dir, "tg_tps", "Generation speed", &tg_chart(candidates))?,
        render(dir, "latency", "Latency", &latency_chart(candidates))?,
        render(
            dir,
            "quality_vs_speed",
            "Quality vs speed",
            &pareto_chart(candidates),
        )?,
        render(
            dir,
            "memory",
            "Peak memory",
            &memory_chart(candidates, profile),
        )?,
        render(
            dir,
            "quality_categories",
            "Quality per category",
            &quality_chart(candidates),
        )?,
    ];
    for (i, run) in runs.iter().enumerate() {
        let name = if runs.len() == 1 {
            "timeline".to_string()
        } else {
            format!("timeline-{}", i + 1)
        };
        let chart = timeline_chart(run, candidates);
        files.push(render(dir, &name, &chart.title.clone(), &chart)?);
    }
    Ok(files)
}

fn render(dir: &Path, name: &str, title: &str, chart: &impl Draw) -> Result<Figure> {
    let (w, h) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        chart.draw(&root)?;
        root.present()?;
    }
    write_atomic(&dir.join(format!("{name}.svg")), |f| {
        Ok(f.write_all(svg.as_bytes())?)
    })?;
    // Drawn in memory and written like every result (exclusive temp file,
    // fsync, rename): no fixed temp name for a planted symlink to redirect.
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        chart.draw(&root)?;
        root.present()?;
    }
    let png = encode_png(&rgb, (w, h))?;
    write_atomic(&dir.join(format!("{name}.png")), |f| Ok(f.write_all(&png)?))?;
    Ok(Figure {
        name: name.to_string(),
        title: title.to_string(),
        svg,
    })
}

/// 8-bit RGB pixels as a PNG file's bytes.
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// A titled empty frame saying why there is nothing to draw.
fn draw_not_measured<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    why: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    area.draw(&Rectangle::new(
        [(1, 1), (w as i32 - 2, h as i32 - 2)],
        style::GREY.stroke_width(1),
    ))?;
    area.draw(&Text::new(
        title.to_string(),
        (16, 14),
        (style::FONT, style::TITLE_SIZE).into_font(),
    ))?;
    area.draw(&Text::new(
        why.to_string(),
        (16, h as i32 / 2),
        (style::FONT, style::LABEL_SIZE + 2)
            .into_font()
            .color(&style::GREY),
    ))?;
    Ok(())
}

fn tg_chart(candidates: &[ReportCandidate]) -> BarChart {
    let bars = candidates
        .iter()
        .map(|c| Bar {
            label: c.label.clone(),
            value: c.tg_tps.map(|s| s.mean),
            low: c.tg_tps.filter(|s| s.n > 1).map(|s| s.mean - s.stddev),
            high: c.tg_tps.filter(|s| s.n > 1).map(|s| s.mean + s.stddev),
            ..Default::default()
        })
        .collect();
    BarChart {
        panels: vec![BarPanel {
            title: "Generation tok/s (mean ± sd over repetitions)".into(),
            axis: "tg tok/s".into(),
            bars,
            ..Default::default()
        }],
    }
}

fn latency_chart(candidates: &[ReportCandidate]) -> BarChart {
    let panel = |title: &str, get: fn(&ReportCandidate) -> Option<f64>, group: usize| BarPanel {
        title: title.into(),
        axis: "ms".into(),
        bars: candidates
            .iter()
            .map(|c| Bar {
                label: c.label.clone(),
                value: get(c),
                group,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    BarChart {
        panels: vec![
            panel("Time to first token", |c| c.ttft_ms, 0),
            panel("Latency to the 50th token", |c| c.latency_50_ms, 1),
        ],
    }
}

fn pareto_chart(candidates: &[ReportCandidate]) -> Pareto {
    Pareto {
        points: candidates
            .iter()
            .filter_map(|c| {
                Some(Point {
                    label: c.label.clone(),
                    tg_tps: c.tg_tps?.mean,
                    quality: c.quality?,
                })
            })
            .collect(),
    }
}

fn memory_chart(candidates: &[ReportCandidate], profile: &Profile) -> BarChart {
    let budget_mb = profile.budget_bytes() / 1048576.0;
    BarChart {
        panels: vec![BarPanel {
            title: format!("Peak memory, budget of {}", profile.name),
            axis: "MiB".into(),
            bars: candidates
                .iter()
                .map(|c| Bar {
                    label: c.label.clone(),
                    value: c.peak_memory_mb,
                    marker: c.predicted_mb(),
                    ..Default::default()
                })
                .collect(),
            line: Some((budget_mb, format!("budget {budget_mb:.0} MiB"))),
            marker_name: Some("predicted (GGUF)".into()),
            x_max: None,
        }],
    }
}

fn quality_chart(candidates: &[ReportCandidate]) -> BarChart {
    let mut categories: Vec<String> = Vec::new();
    let mut bars = Vec::new();
    for c in candidates {
        for q in &c.quality_rows {
            let Some(category) = &q.category else {
                continue;
            };
            let key = format!("{}/{category}", q.suite);
            let group = match categories.iter().position(|k| *k == key) {
                Some(g) => g,
                None => {
                    categories.push(key.clone());
                    categories.len() - 1
                }
            };
            bars.push(Bar {
                label: format!("{} · {key}", c.label),
                value: Some(q.pass_rate),
                low: q.pass_rate_lo,
                high: q.pass_rate_hi,
                group,
                ..Default::default()
            });
        }
    }
    BarChart {
        panels: vec![BarPanel {
            title: if bars.is_empty() {
                "Quality per category: n/a (no quality suite)".into()
            } else {
                "Pass rate per category (95% interval)".into()
            },
            axis: "pass rate".into(),
            bars,
            x_max: Some(1.0),
            ..Default::default()
        }],
    }
}

fn timeline_chart(run: &RunData, candidates: &[ReportCandidate]) -> Timeline {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_at_the_old_temp_name_is_not_followed() {
        style::register_font();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("charts");
        std::fs::create_dir(&dir).unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&victim, dir.join(".tg_tps.tmp.png")).unwrap();
        render(&dir, "tg_tps", "Generation speed", &tg_chart(&[])).unwrap();
        let victim = std::fs::read(&victim).unwrap();
        assert!(victim == b"keep", "the symlink's target was overwritten");
        let png = dir.join("tg_tps.png");
        assert!(
            !png.symlink_metadata().unwrap().is_symlink(),
            "a file, not the link"
        );
        assert!(std::fs::read(&png)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(dir.join("tg_tps.svg").is_file());
    }
}
