//! Every chart of the report, each written as PNG and SVG. The data is chosen
//! in `figures` (summary charts), `timeline_data` and `trend` data from
//! `report::trends`; the drawing files only draw.
mod bars;
mod depth_data;
mod figures;
mod heatmap;
mod legend;
mod lines;
mod pareto;
mod power_modes;
mod serving;
mod spec_data;
mod style;
mod throughput_latency;
mod timeline;
mod timeline_data;
mod trend;

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::export::Figure;
use crate::results::write_atomic;
use figures::nothing_to_draw;
pub use figures::Inputs;

/// A chart drawn on any plotters backend (the same code makes the PNG and the SVG).
pub trait Draw {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// A chart with nothing to draw: its title and why, instead of empty axes.
struct Message {
    title: String,
    why: String,
}

impl Draw for Message {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, 160)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        draw_not_measured(root, &self.title, &self.why)
    }
}

/// A bar chart, or the message saying why it has no bars.
fn bars_or_message(
    dir: &Path,
    name: &str,
    title: &str,
    chart: Option<bars::BarChart>,
    i: &Inputs,
    what: &str,
) -> Result<Figure> {
    match chart {
        Some(chart) => render(dir, name, title, &chart),
        None => render(
            dir,
            name,
            title,
            &Message {
                title: title.to_string(),
                why: nothing_to_draw(i.candidates, what),
            },
        ),
    }
}

pub fn write_all(dir: &Path, i: &Inputs) -> Result<Vec<Figure>> {
    style::register_font();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tg = figures::tg_chart(i);
    let latency = figures::latency_chart(i);
    let memory = figures::memory_chart(i);
    let mut files = vec![
        bars_or_message(dir, "tg_tps", "Generation speed", tg, i, "tg tok/s")?,
        bars_or_message(dir, "latency", "Latency", latency, i, "latency")?,
        render(
            dir,
            "quality_vs_speed",
            "Quality vs speed",
            &figures::pareto_chart(i),
        )?,
        bars_or_message(dir, "memory", "Peak memory", memory, i, "peak memory")?,
        render(
            dir,
            "quality_categories",
            "Quality per category",
            &figures::quality_chart(i),
        )?,
    ];
    // Only when some candidate ran at several depths (`--depth`).
    if let Some(chart) = depth_data::depth_chart(i) {
        files.push(render(
            dir,
            "depth",
            "Speed and memory against depth",
            &chart,
        )?);
    }
    // Only when some candidate ran with a draft model.
    if let Some(chart) = spec_data::spec_chart(i) {
        let title = "Speculative decoding against draft length";
        files.push(render(dir, "speculative", title, &chart)?);
    }
    let levels = super::levels_table::by_candidate(i.runs, i.candidates);
    if let Some(chart) = serving::throughput_latency_chart(&levels, i.targets) {
        let title = "Throughput vs latency (concurrency)";
        files.push(render(dir, "throughput_latency", title, &chart)?);
    }
    if let Some(chart) = serving::engines_chart(i.candidates) {
        files.push(render(
            dir,
            "engines",
            "One model, several engines",
            &chart,
        )?);
    }
    // Only when some candidate ran under the Jetson power axes.
    if let Some(chart) = power_modes::power_modes_chart(i.candidates, i.targets) {
        let title = "Speed and energy per power mode";
        files.push(render(dir, "power_modes", title, &chart)?);
    }
    if let Some(trends) = i.trends {
        files.push(render(
            dir,
            "trends",
            "Trends across runs",
            &trend::TrendChart(trends),
        )?);
    }
    for (k, run) in i.runs.iter().enumerate() {
        let name = if i.runs.len() == 1 {
            "timeline".to_string()
        } else {
            format!("timeline-{}", k + 1)
        };
        let chart = timeline_data::timeline_chart(run, i.candidates);
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
        render(
            &dir,
            "tg_tps",
            "Generation speed",
            &Message {
                title: "t".into(),
                why: "w".into(),
            },
        )
        .unwrap();
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
