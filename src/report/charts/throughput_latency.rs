//! Throughput against latency per candidate, as vLLM's `bench serve` and
//! NVIDIA AIPerf plot a concurrency sweep: x = the median time to first token
//! of a level's requests, y = the level's aggregate output tok/s, one line per
//! candidate through its levels (each point labelled with its stream count),
//! and the TTFT target as a vertical line. Up and to the left is better; a
//! line bending right shows where more streams only add waiting.
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{draw_legend, Swatch, CHAR_WIDTH};
use super::style::{self, color, LABEL_SIZE, RED, TITLE_SIZE, WIDTH};
use super::Draw;

#[derive(Debug, Clone, PartialEq)]
pub struct LevelPoint {
    pub streams: u32,
    pub ttft_p50_ms: f64,
    pub tg_tps: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CandidateLine {
    pub label: String,
    /// In stream order.
    pub points: Vec<LevelPoint>,
}

#[derive(Debug, Clone, Default)]
pub struct ThroughputLatency {
    pub lines: Vec<CandidateLine>,
    pub max_ttft_ms: Option<f64>,
}

const POINT_LABEL_SIZE: u32 = 13;

impl Draw for ThroughputLatency {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let area = root.titled(
            "Throughput vs latency per concurrency level",
            (style::FONT, TITLE_SIZE),
        )?;
        let (legend_area, plot_area) = area.split_vertically(30);
        draw_legend(&legend_area, &self.legend())?;
        let points = self.lines.iter().flat_map(|l| &l.points);
        let x_max = points
            .clone()
            .map(|p| p.ttft_p50_ms)
            .chain(self.max_ttft_ms)
            .fold(1.0, f64::max)
            * 1.15;
        let y_max = points.map(|p| p.tg_tps).fold(1.0, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(16)
            .margin_right(32)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&style::tick)
            .y_label_formatter(&style::tick)
            .x_desc("time to first token, median of the level's requests (ms)")
            .y_desc("aggregate output tok/s")
            .label_style((style::FONT, LABEL_SIZE))
            .axis_desc_style((style::FONT, LABEL_SIZE))
            .draw()?;
        if let Some(t) = self.max_ttft_ms {
            chart.draw_series(DashedLineSeries::new(
                [(t, 0.0), (t, y_max)],
                8,
                5,
                RED.stroke_width(2),
            ))?;
        }
        let mut placed = Vec::new();
        for (k, line) in self.lines.iter().enumerate() {
            let xy = |p: &LevelPoint| (p.ttft_p50_ms, p.tg_tps);
            chart.draw_series(LineSeries::new(
                line.points.iter().map(xy),
                color(k).stroke_width(2),
            ))?;
            chart.draw_series(
                line.points
                    .iter()
                    .map(|p| Circle::new(xy(p), 5, color(k).filled())),
            )?;
            for p in &line.points {
                let at = chart.backend_coord(&xy(p));
                let text = match p.streams {
                    1 => "1 stream".to_string(),
                    n => format!("{n} streams"),
                };
                label_point(root, &text, at, &mut placed)?;
            }
        }
        Ok(())
    }
}

impl ThroughputLatency {
    fn legend(&self) -> Vec<(Swatch, String)> {
        let mut entries: Vec<(Swatch, String)> = self
            .lines
            .iter()
            .enumerate()
            .map(|(k, l)| (Swatch::Line(color(k)), style::short(&l.label)))
            .collect();
        if let Some(t) = self.max_ttft_ms {
            entries.push((
                Swatch::Line(RED),
                format!("TTFT target ≤ {} ms", style::tick(&t)),
            ));
        }
        entries
    }
}

/// Box a label covers, in pixels: left, top, right, bottom.
type LabelBox = (i32, i32, i32, i32);

/// The stream count right of its point, moved down until it touches no
/// label already drawn (levels of one candidate often share a TTFT).
fn label_point<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (i32, i32),
    placed: &mut Vec<LabelBox>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let width = (text.chars().count() as f64 * CHAR_WIDTH) as i32;
    let height = POINT_LABEL_SIZE as i32 + 2;
    let mut top = y - height / 2;
    let left = x + 8;
    let overlaps =
        |t: i32, b: &LabelBox| left < b.2 && b.0 < left + width && t < b.3 && b.1 < t + height;
    for _ in 0..placed.len() + 1 {
        match placed.iter().find(|b| overlaps(top, b)) {
            Some(b) => top = b.3 + 1,
            None => break,
        }
    }
    placed.push((left, top, left + width, top + height));
    let font = (style::FONT, POINT_LABEL_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Top));
    root.draw(&Text::new(text.to_string(), (left, top), font))?;
    Ok(())
}
