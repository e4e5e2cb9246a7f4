//! Trends across nights: one panel per figure (tg tok/s, latency, memory,
//! quality), x = the runs in date order, one line per candidate, the target as
//! a dashed line and a red ring with the change where `compare` calls a regression.
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::trends::{TrendMetric, Trends};
use super::legend::{draw_legend, Swatch, CHAR_WIDTH};
use super::style::{self, color, GREY, LABEL_SIZE, RED, TITLE_SIZE, WIDTH};
use super::{draw_not_measured, Draw};

const PANEL_HEIGHT: u32 = 250;

pub struct TrendChart<'a>(pub &'a Trends);

impl Draw for TrendChart<'_> {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            80 + PANEL_HEIGHT * self.0.metrics.len().max(1) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled("Trends across runs (by date)", (style::FONT, TITLE_SIZE))?;
        let (legend, panels) = root.split_vertically(40);
        draw_legend(&legend, &self.legend())?;
        let areas = panels.split_evenly((self.0.metrics.len().max(1), 1));
        for (metric, area) in self.0.metrics.iter().zip(&areas) {
            self.draw_panel(metric, area)?;
        }
        Ok(())
    }
}

impl TrendChart<'_> {
    /// The candidates' colours (the same in every panel), the ring, the target.
    fn legend(&self) -> Vec<(Swatch, String)> {
        let mut out: Vec<(Swatch, String)> = self
            .names()
            .iter()
            .enumerate()
            .map(|(k, n)| (Swatch::Line(color(k)), style::short(n)))
            .collect();
        out.push((Swatch::Ring(RED), "regression (compare)".into()));
        out.push((Swatch::Line(GREY), "target".into()));
        out
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for s in self.0.metrics.iter().flat_map(|m| &m.series) {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
        names
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        m: &TrendMetric,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let highest = m
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.value))
            .fold(f64::NEG_INFINITY, f64::max);
        let mut title = format!("{} ({})", m.title, m.unit);
        if !highest.is_finite() {
            return draw_not_measured(area, &title, "not measured in these runs");
        }
        // A target far above every value would flatten the lines: named, not drawn.
        let target = m.target.filter(|t| *t <= highest * 3.0);
        if let Some(t) = m.target.filter(|_| target.is_none()) {
            title.push_str(&format!(", target {} off the scale", style::tick(&t)));
        }
        let top = target.map_or(highest, |t| t.max(highest));
        let runs = self.0.runs.len();
        let mut chart = ChartBuilder::on(area)
            .caption(&title, (style::FONT, LABEL_SIZE + 2))
            .margin_left(12)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5..runs as f64 - 0.5, 0.0..top * 1.25)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(5)
            .y_label_formatter(&style::tick)
            .y_desc(m.unit)
            .label_style((style::FONT, LABEL_SIZE))
            .axis_desc_style((style::FONT, LABEL_SIZE))
            .draw()?;
        self.draw_dates(&chart, area)?;
        if let Some(t) = target {
            let line = [(-0.5, t), (runs as f64 - 0.5, t)];
            chart.draw_series(DashedLineSeries::new(line, 8, 5, GREY.stroke_width(2)))?;
        }
        let names = self.names();
        for s in &m.series {
            let c = color(names.iter().position(|n| *n == s.name).unwrap_or(0));
            let points: Vec<(f64, f64)> =
                s.points.iter().map(|p| (p.run as f64, p.value)).collect();
            chart.draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))?;
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
            for p in s.points.iter().filter(|p| p.regression.is_some()) {
                let at = (p.run as f64, p.value);
                chart.draw_series(std::iter::once(Circle::new(at, 10, RED.stroke_width(3))))?;
                let text = (style::FONT, LABEL_SIZE)
                    .into_font()
                    .color(&RED)
                    .pos(Pos::new(HPos::Left, VPos::Bottom));
                let (px, py) = chart.backend_coord(&at);
                let base = area.get_base_pixel();
                area.draw(&Text::new(
                    p.regression.clone().unwrap_or_default(),
                    (px - base.0 + 12, py - base.1 - 10),
                    text,
                ))?;
            }
        }
        Ok(())
    }

    /// "11-04 02:00" when every run is of one year (the table beside gives it), else the full date.
    fn date_labels(&self) -> Vec<String> {
        let runs = &self.0.runs;
        let year = |d: &str| d.get(..5).unwrap_or("").to_string();
        let one_year = runs.iter().all(|r| year(&r.date) == year(&runs[0].date));
        runs.iter()
            .map(|r| match one_year {
                true => r.date.get(5..).unwrap_or(&r.date).to_string(),
                false => r.date.clone(),
            })
            .collect()
    }

    /// Each run's date under its position, every k-th when they would touch.
    fn draw_dates<DB: DrawingBackend>(
        &self,
        chart: &ChartContext<
            DB,
            Cartesian2d<
                plotters::coord::types::RangedCoordf64,
                plotters::coord::types::RangedCoordf64,
            >,
        >,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let runs = &self.0.runs;
        let widest = self
            .date_labels()
            .iter()
            .map(|d| d.chars().count())
            .max()
            .unwrap_or(1) as f64
            * CHAR_WIDTH
            + 16.0;
        let (left, _) = chart.backend_coord(&(-0.5, 0.0));
        let (right, _) = chart.backend_coord(&(runs.len() as f64 - 0.5, 0.0));
        let per_run = (right - left) as f64 / runs.len().max(1) as f64;
        let every = (widest / per_run).ceil().max(1.0) as usize;
        let base = area.get_base_pixel();
        let font = (style::FONT, LABEL_SIZE)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (k, label) in self
            .date_labels()
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % every == 0)
        {
            let (px, py) = chart.backend_coord(&(k as f64, 0.0));
            area.draw(&Text::new(
                label,
                (px - base.0, py - base.1 + 8),
                font.clone(),
            ))?;
        }
        Ok(())
    }
}
