//! Horizontal bar charts, one bar per candidate (names stay readable however
//! many there are): values with optional whiskers, markers and a reference line.
use anyhow::Result;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::element::ErrorBar;
use plotters::prelude::*;

use super::style::{self, color, GREY, LABEL_SIZE, RED, ROW_HEIGHT, TITLE_SIZE, WIDTH};
use super::Draw;

#[derive(Debug, Clone, Default)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    /// Whisker from low to high (spread over repetitions, or an interval).
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// A second figure drawn as a cross (e.g. the predicted memory).
    pub marker: Option<f64>,
    /// Colour index (e.g. the category).
    pub group: usize,
}

#[derive(Debug, Clone, Default)]
pub struct BarPanel {
    pub title: String,
    pub axis: String,
    pub bars: Vec<Bar>,
    /// A vertical reference line (e.g. the memory budget) and its name.
    pub line: Option<(f64, String)>,
    /// What the cross markers mean, for the legend.
    pub marker_name: Option<String>,
    /// Fixed axis end (e.g. 1.0 for pass rates).
    pub x_max: Option<f64>,
}

/// Panels side by side, sharing the rows.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub panels: Vec<BarPanel>,
}

impl Draw for BarChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.iter().map(|p| p.bars.len()).max().unwrap_or(0) as u32;
        (WIDTH, 130 + ROW_HEIGHT * rows.max(2))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let areas = root.split_evenly((1, self.panels.len().max(1)));
        for (panel, area) in self.panels.iter().zip(&areas) {
            draw_panel(panel, area)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(panel: &BarPanel, area: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let n = panel.bars.len();
    let labels: Vec<String> = panel.bars.iter().map(|b| style::short(&b.label)).collect();
    let highest = panel
        .bars
        .iter()
        .flat_map(|b| [b.value, b.high, b.marker])
        .flatten()
        .chain(panel.line.as_ref().map(|l| l.0))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let x_max = panel
        .x_max
        .unwrap_or(if highest > 0.0 { highest * 1.12 } else { 1.0 });
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (style::FONT, TITLE_SIZE))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(style::label_area(&labels))
        .build_cartesian_2d(0.0..x_max, (0..n.max(1)).into_segmented())?;
    // Row 0 at the top: the table's order.
    let row = |i: usize| SegmentValue::CenterOf(n - 1 - i);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n + 1)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) if *k < n => labels[n - 1 - k].clone(),
            _ => String::new(),
        })
        .x_label_formatter(&style::tick)
        .x_desc(&panel.axis)
        .label_style((style::FONT, LABEL_SIZE))
        .axis_desc_style((style::FONT, LABEL_SIZE))
        .draw()?;
    for (i, bar) in panel.bars.iter().enumerate() {
        draw_bar(&mut chart, bar, row(i), x_max)?;
    }
    draw_legend(&mut chart, panel)
}

/// The chart of one panel: values along x, one segment per bar along y.
type PanelChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordusize>>>;

/// One bar: its value (or "n/a"), its spread as an error bar, its marker.
fn draw_bar<'a, DB: DrawingBackend + 'a>(
    chart: &mut PanelChart<'a, DB>,
    bar: &Bar,
    row: SegmentValue<usize>,
    x_max: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let thickness = ROW_HEIGHT * 3 / 10;
    // SegmentValue is Clone but not Copy.
    let row = || row.clone();
    match bar.value {
        Some(v) if v.is_finite() => {
            let c = color(bar.group);
            // A thick line is a bar of fixed pixel height, whatever the row count.
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, row()), (v, row())],
                c.mix(0.8).stroke_width(thickness * 2),
            )))?;
        }
        _ => {
            chart.draw_series(std::iter::once(Text::new(
                "n/a",
                (x_max * 0.01, row()),
                (style::FONT, LABEL_SIZE).into_font().color(&GREY),
            )))?;
        }
    }
    if let (Some(v), Some(lo), Some(hi)) = (bar.value, bar.low, bar.high) {
        chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
            row(),
            lo,
            v,
            hi,
            BLACK.stroke_width(2),
            10,
        )))?;
    }
    if let Some(m) = bar.marker {
        chart.draw_series(std::iter::once(Cross::new(
            (m, row()),
            7,
            BLACK.stroke_width(2),
        )))?;
    }
    Ok(())
}

/// The legend of the panel's marker and reference line, when it has them.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut PanelChart<'a, DB>,
    panel: &BarPanel,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if let Some(name) = &panel.marker_name {
        // A legend entry without a point in view: drawn off-range.
        chart
            .draw_series(std::iter::once(Cross::new(
                (-1.0, SegmentValue::Last),
                0,
                BLACK.stroke_width(2),
            )))?
            .label(name)
            .legend(|(x, y)| Cross::new((x + 8, y), 6, BLACK.stroke_width(2)));
    }
    if let Some((x, name)) = &panel.line {
        chart
            .draw_series(LineSeries::new(
                [(*x, SegmentValue::Exact(0)), (*x, SegmentValue::Last)],
                RED.stroke_width(2),
            ))?
            .label(name)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED.stroke_width(2)));
    }
    if panel.line.is_some() || panel.marker_name.is_some() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((style::FONT, LABEL_SIZE))
            .draw()?;
    }
    Ok(())
}
