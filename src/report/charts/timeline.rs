//! Memory, temperature and power over a whole run, stacked, with a dashed line
//! where each candidate starts.
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, color, GREY, LABEL_SIZE, TITLE_SIZE, WIDTH};
use super::{draw_not_measured, Draw};

#[derive(Debug, Clone, Default)]
pub struct Series {
    pub name: String,
    /// (seconds, value), in time order.
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub title: String,
    pub unit: String,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub title: String,
    pub panels: Vec<Panel>,
    /// Where each candidate starts: (seconds, label).
    pub boundaries: Vec<(f64, String)>,
}

const PANEL_HEIGHT: u32 = 260;

impl Draw for Timeline {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 50 + PANEL_HEIGHT * self.panels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, (style::FONT, TITLE_SIZE))?;
        let end = self
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .filter_map(|s| s.points.last().map(|p| p.0))
            .chain(self.boundaries.iter().map(|b| b.0))
            .fold(1.0, f64::max);
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for (k, (panel, area)) in self.panels.iter().zip(&areas).enumerate() {
            self.draw_panel(panel, area, end, k == 0)?;
        }
        Ok(())
    }
}

impl Timeline {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        panel: &Panel,
        area: &DrawingArea<DB, Shift>,
        end: f64,
        label_boundaries: bool,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let values = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if !lo.is_finite() {
            return draw_not_measured(area, &panel.title, "not measured on this machine");
        }
        let pad = ((hi - lo) * 0.1).max(1.0);
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, (style::FONT, LABEL_SIZE + 2))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..end, (lo - pad).max(0.0)..hi + pad)?;
        chart
            .configure_mesh()
            .x_label_formatter(&style::tick)
            .y_label_formatter(&style::tick)
            .x_desc("seconds")
            .y_desc(&panel.unit)
            .label_style((style::FONT, LABEL_SIZE))
            .axis_desc_style((style::FONT, LABEL_SIZE))
            .draw()?;
        for (i, s) in panel.series.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
        }
        let top = hi + pad;
        for (t, label) in &self.boundaries {
            chart.draw_series(DashedLineSeries::new(
                [(*t, (lo - pad).max(0.0)), (*t, top)],
                6,
                4,
                GREY.into(),
            ))?;
            if label_boundaries {
                chart.draw_series(std::iter::once(Text::new(
                    style::short(label),
                    (*t, top),
                    (style::FONT, 12).into_font().color(&GREY),
                )))?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((style::FONT, LABEL_SIZE))
            .draw()?;
        Ok(())
    }
}
