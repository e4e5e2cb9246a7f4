//! Horizontal bar charts, one bar per candidate (names stay readable however
//! many there are): values printed at each bar, optional whiskers and markers,
//! and reference lines (targets, a budget) named in a legend strip.
use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::ErrorBar;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{draw_legend, Swatch};
use super::style::{self, color, GREY, LABEL_SIZE, ROW_HEIGHT, TITLE_SIZE, WIDTH};
use super::Draw;

#[derive(Debug, Clone, Default)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    /// Printed at the end of the bar (e.g. "1538 ms").
    pub text: String,
    /// Whisker from low to high (spread over repetitions, or an interval).
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// A second figure drawn as a cross (e.g. the predicted memory).
    pub marker: Option<f64>,
}

/// A vertical reference line: a target or a budget.
#[derive(Debug, Clone)]
pub struct RefLine {
    pub value: f64,
    /// Legend text, with the value (e.g. "target ≤ 1500 ms").
    pub name: String,
    pub color: RGBColor,
}

#[derive(Debug, Clone, Default)]
pub struct BarPanel {
    pub title: String,
    pub axis: String,
    pub bars: Vec<Bar>,
    pub lines: Vec<RefLine>,
    /// What the cross markers mean, for the legend.
    pub marker_name: Option<String>,
    /// Fixed axis end (e.g. zoomed on the measured values); lines beyond it are
    /// named in the legend as off the scale.
    pub x_max: Option<f64>,
}

/// Panels stacked, each the full width.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub panels: Vec<BarPanel>,
}

/// Caption, legend strip and x axis of one panel, in pixels.
const PANEL_FRAME: u32 = 118;
/// Axis ticks per panel: far enough apart that "1600" and "1800" never touch.
const X_TICKS: usize = 6;

impl Draw for BarChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.iter().map(|p| p.bars.len()).max().unwrap_or(0) as u32;
        let panel = PANEL_FRAME + ROW_HEIGHT * rows.max(1);
        (WIDTH, panel * self.panels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for (panel, area) in self.panels.iter().zip(&areas) {
            draw_panel(panel, area)?;
        }
        Ok(())
    }
}

/// The axis end: the fixed one, else room past the longest bar or line for its printed value.
fn axis_end(panel: &BarPanel) -> f64 {
    if let Some(x) = panel.x_max {
        return x;
    }
    let highest = panel
        .bars
        .iter()
        .flat_map(|b| [b.value, b.high, b.marker])
        .flatten()
        .chain(panel.lines.iter().map(|l| l.value))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    if highest > 0.0 {
        highest * 1.3
    } else {
        1.0
    }
}

fn draw_panel<DB: DrawingBackend>(panel: &BarPanel, area: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let n = panel.bars.len().max(1);
    let labels: Vec<String> = panel.bars.iter().map(|b| style::short(&b.label)).collect();
    let x_max = axis_end(panel);
    let area = area.titled(&panel.title, (style::FONT, TITLE_SIZE))?;
    let (legend_area, plot_area) = area.split_vertically(30);
    draw_legend(&legend_area, &legend_entries(panel, x_max))?;
    // One row per bar, centred on i + 0.5: no empty row above or below.
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(12)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(style::label_area(&labels))
        .build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(X_TICKS)
        .y_labels(0)
        .x_label_formatter(&style::tick)
        .x_desc(&panel.axis)
        .label_style((style::FONT, LABEL_SIZE))
        .axis_desc_style((style::FONT, LABEL_SIZE))
        .draw()?;
    for line in panel.lines.iter().filter(|l| l.value <= x_max) {
        chart.draw_series(LineSeries::new(
            [(line.value, 0.0), (line.value, n as f64)],
            line.color.stroke_width(2),
        ))?;
    }
    // Row 0 at the top: the table's order.
    let base = plot_area.get_base_pixel();
    let name_font = (style::FONT, LABEL_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, (bar, label)) in panel.bars.iter().zip(labels).enumerate() {
        let y = n as f64 - 0.5 - i as f64;
        let (px, py) = chart.backend_coord(&(0.0, y));
        plot_area.draw(&Text::new(
            label,
            (px - base.0 - 8, py - base.1),
            name_font.clone(),
        ))?;
        draw_bar(&mut chart, bar, y, x_max)?;
    }
    Ok(())
}

/// What the lines and markers mean; a line past the axis end says so.
fn legend_entries(panel: &BarPanel, x_max: f64) -> Vec<(Swatch, String)> {
    let mut out: Vec<(Swatch, String)> = panel
        .lines
        .iter()
        .map(|l| {
            let name = if l.value > x_max {
                format!("{} (off the scale →)", l.name)
            } else {
                l.name.clone()
            };
            (Swatch::Line(l.color), name)
        })
        .collect();
    if let Some(name) = &panel.marker_name {
        out.push((Swatch::Cross, name.clone()));
    }
    out
}

/// The chart of one panel: values along x, rows along y.
type PanelChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One bar: its value and printed text (or "n/a"), its spread, its marker.
fn draw_bar<'a, DB: DrawingBackend + 'a>(
    chart: &mut PanelChart<'a, DB>,
    bar: &Bar,
    y: f64,
    x_max: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let half = 0.3;
    let font = (style::FONT, LABEL_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let end = match bar.value {
        Some(v) if v.is_finite() => {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - half), (v.min(x_max), y + half)],
                color(0).mix(0.8).filled(),
            )))?;
            let end = [Some(v), bar.high, bar.marker]
                .into_iter()
                .flatten()
                .fold(v, f64::max);
            chart.draw_series(std::iter::once(Text::new(
                bar.text.clone(),
                (end.min(x_max) + x_max * 0.015, y),
                font.clone(),
            )))?;
            Some(v)
        }
        _ => {
            chart.draw_series(std::iter::once(Text::new(
                "n/a",
                (x_max * 0.01, y),
                font.color(&GREY),
            )))?;
            None
        }
    };
    if let (Some(v), Some(lo), Some(hi)) = (end, bar.low, bar.high) {
        chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
            y,
            lo,
            v,
            hi,
            BLACK.stroke_width(2),
            10,
        )))?;
    }
    if let Some(m) = bar.marker {
        chart.draw_series(std::iter::once(Cross::new(
            (m, y),
            7,
            BLACK.stroke_width(2),
        )))?;
    }
    Ok(())
}
