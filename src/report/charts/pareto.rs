//! Quality against generation speed, one point per candidate, with the Pareto
//! front (no other candidate is both faster and better) drawn through them.
use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, color, GREY, LABEL_SIZE, RED, TITLE_SIZE, WIDTH};
use super::{draw_not_measured, Draw};

#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub tg_tps: f64,
    pub quality: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Pareto {
    pub points: Vec<Point>,
    /// The recommendation's targets, drawn as lines when set.
    pub min_tg_tps: Option<f64>,
    pub min_quality: Option<f64>,
    /// Said instead of empty axes.
    pub why_empty: String,
}

/// Indices of the points on the front, fastest last.
pub fn front(points: &[Point]) -> Vec<usize> {
    let dominated = |i: usize| {
        let p = &points[i];
        points.iter().any(|q| {
            q.tg_tps >= p.tg_tps
                && q.quality >= p.quality
                && (q.tg_tps > p.tg_tps || q.quality > p.quality)
        })
    };
    let mut on: Vec<usize> = (0..points.len()).filter(|&i| !dominated(i)).collect();
    on.sort_by(|&a, &b| points[a].tg_tps.total_cmp(&points[b].tg_tps));
    on
}

impl Draw for Pareto {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let title = "Quality vs generation speed (Pareto front)";
        if self.points.is_empty() {
            return draw_not_measured(root, title, &self.why_empty);
        }
        let x_max = self
            .points
            .iter()
            .map(|p| p.tg_tps)
            .chain(self.min_tg_tps)
            .fold(1.0, f64::max)
            * 1.15;
        let mut chart = ChartBuilder::on(root)
            .caption(title, (style::FONT, TITLE_SIZE))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..1.05)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&style::tick)
            .x_desc("tg tok/s")
            .y_desc("quality score (pass rate)")
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .label_style((style::FONT, LABEL_SIZE))
            .axis_desc_style((style::FONT, LABEL_SIZE))
            .draw()?;
        self.draw_targets(&mut chart, x_max)?;
        let on = front(&self.points);
        chart
            .draw_series(LineSeries::new(
                on.iter()
                    .map(|&i| (self.points[i].tg_tps, self.points[i].quality)),
                RED.stroke_width(2),
            ))?
            .label("Pareto front")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED.stroke_width(2)));
        for (i, p) in self.points.iter().enumerate() {
            let c = if on.contains(&i) { RED } else { color(0) };
            chart.draw_series(std::iter::once(Circle::new(
                (p.tg_tps, p.quality),
                5,
                c.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                style::short(&p.label),
                (p.tg_tps, p.quality),
                (style::FONT, 13).into_font().color(&GREY),
            )))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((style::FONT, LABEL_SIZE))
            .draw()?;
        Ok(())
    }
}

type ParetoChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Pareto {
    /// The speed and quality targets as dashed lines; the corner past both is where to be.
    fn draw_targets<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ParetoChart<'a, DB>,
        x_max: f64,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let dashed =
            |points: [(f64, f64); 2]| DashedLineSeries::new(points, 8, 5, GREY.stroke_width(2));
        if let Some(t) = self.min_tg_tps {
            chart
                .draw_series(dashed([(t, 0.0), (t, 1.05)]))?
                .label(format!("target ≥ {} tok/s", style::tick(&t)))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], GREY.stroke_width(2)));
        }
        if let Some(q) = self.min_quality {
            chart
                .draw_series(dashed([(0.0, q), (x_max, q)]))?
                .label(format!("target quality ≥ {:.0}%", q * 100.0))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], GREY.stroke_width(2)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_front_keeps_only_undominated_points() {
        let p = |tg: f64, q: f64| Point {
            label: String::new(),
            tg_tps: tg,
            quality: q,
        };
        let points = vec![p(10.0, 0.9), p(20.0, 0.5), p(15.0, 0.4), p(30.0, 0.5)];
        assert_eq!(front(&points), vec![0, 3]);
    }
}
