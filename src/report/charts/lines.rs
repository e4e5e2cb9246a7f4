//! Line panels over a numeric x axis (one line per candidate, the same colour
//! in every panel), with optional horizontal reference lines: speed and memory
//! against context depth.
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::RefLine;
use super::legend::{draw_legend, legend_height, Swatch};
use super::style::{self, color, LABEL_SIZE, TITLE_SIZE, WIDTH};
use super::{draw_not_measured, Draw};

const PANEL_HEIGHT: u32 = 260;

/// One candidate's (x, y) points, in x order.
pub type Series = Vec<(f64, f64)>;

pub struct LinePanel {
    pub title: String,
    pub x_axis: String,
    pub y_axis: String,
    /// One per candidate, in the legend's order (None: no point in this panel).
    pub series: Vec<Option<Series>>,
    pub lines: Vec<RefLine>,
}

pub struct LineChart {
    pub title: String,
    pub names: Vec<String>,
    pub panels: Vec<LinePanel>,
}

impl Draw for LineChart {
    fn size(&self) -> (u32, u32) {
        let legend = legend_height(&self.swatches(), WIDTH);
        (
            WIDTH,
            40 + legend + PANEL_HEIGHT * self.panels.len().max(1) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, (style::FONT, TITLE_SIZE))?;
        let swatches = self.swatches();
        let (legend, panels) = root.split_vertically(legend_height(&swatches, WIDTH));
        draw_legend(&legend, &swatches)?;
        let areas = panels.split_evenly((self.panels.len().max(1), 1));
        for (panel, area) in self.panels.iter().zip(&areas) {
            draw_panel(panel, area)?;
        }
        Ok(())
    }
}

impl LineChart {
    /// One entry per line, then each reference line once.
    fn swatches(&self) -> Vec<(Swatch, String)> {
        let mut swatches: Vec<(Swatch, String)> = (self.names.iter().enumerate())
            .map(|(k, n)| (Swatch::Line(color(k)), style::short(n)))
            .collect();
        for line in self.panels.iter().flat_map(|p| &p.lines) {
            if !swatches.iter().any(|(_, n)| *n == line.name) {
                swatches.push((Swatch::Line(line.color), line.name.clone()));
            }
        }
        swatches
    }
}

fn draw_panel<DB: DrawingBackend>(panel: &LinePanel, area: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let points = || panel.series.iter().flatten().flatten();
    let (x_max, y_max) = points().fold((0.0f64, 0.0f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
    if y_max <= 0.0 {
        return draw_not_measured(area, &panel.title, "not measured in these runs");
    }
    // A reference line far above the data would flatten it: named in the legend only.
    let shown: Vec<&RefLine> = panel
        .lines
        .iter()
        .filter(|l| l.value <= y_max * 3.0)
        .collect();
    let top = shown.iter().map(|l| l.value).fold(y_max, f64::max) * 1.15;
    let right = if x_max > 0.0 { x_max * 1.05 } else { 1.0 };
    // Counts on the x axis (draft lengths, depths) read "4", not "4.0".
    let x_format: &dyn Fn(&f64) -> String = match points().all(|p| p.0.fract() == 0.0) {
        true => &whole,
        false => &style::tick,
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (style::FONT, LABEL_SIZE + 2))
        .margin_left(12)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..right, 0.0..top)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(x_format)
        .y_label_formatter(&style::tick)
        .x_desc(&panel.x_axis)
        .y_desc(&panel.y_axis)
        .label_style((style::FONT, LABEL_SIZE))
        .axis_desc_style((style::FONT, LABEL_SIZE))
        .draw()?;
    for line in shown {
        let at = [(0.0, line.value), (right, line.value)];
        chart.draw_series(DashedLineSeries::new(at, 8, 5, line.color.stroke_width(2)))?;
    }
    for (k, series) in panel.series.iter().enumerate() {
        let Some(series) = series else { continue };
        let c = color(k);
        let pts = series.iter().copied();
        chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?;
        chart.draw_series(pts.map(|p| Circle::new(p, 4, c.filled())))?;
    }
    Ok(())
}

fn whole(v: &f64) -> String {
    format!("{v:.0}")
}
