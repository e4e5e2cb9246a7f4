//! Quality against generation speed, one point per candidate, with the Pareto
//! front (no other candidate is both faster and better) drawn through them.
use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{draw_legend, Swatch};
use super::style::{self, color, GREY, LABEL_SIZE, RED, TITLE_SIZE, WIDTH};
use super::{draw_not_measured, Draw};

/// Point labels' font size, and pixels per character (DejaVu Sans averages 0.58 em).
const POINT_LABEL_SIZE: u32 = 13;
const POINT_LABEL_CHAR_WIDTH: f64 = 0.58 * POINT_LABEL_SIZE as f64;
/// The two targets get colours of their own, apart from the front's red.
const SPEED_TARGET: RGBColor = style::PALETTE[2];
const QUALITY_TARGET: RGBColor = style::PALETTE[3];

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
        let (legend, plot) = root.split_vertically(30);
        draw_legend(&legend, &self.legend_entries())?;
        let mut chart = ChartBuilder::on(&plot)
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
        chart.draw_series(LineSeries::new(
            on.iter()
                .map(|&i| (self.points[i].tg_tps, self.points[i].quality)),
            RED.stroke_width(2),
        ))?;
        for (i, p) in self.points.iter().enumerate() {
            let c = if on.contains(&i) { RED } else { color(0) };
            chart.draw_series(std::iter::once(Circle::new(
                (p.tg_tps, p.quality),
                5,
                c.filled(),
            )))?;
        }
        self.draw_point_labels(&mut chart)?;
        Ok(())
    }
}

type ParetoChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Pareto {
    fn legend_entries(&self) -> Vec<(Swatch, String)> {
        let mut entries = vec![(Swatch::Line(RED), "Pareto front".to_string())];
        if let Some(t) = self.min_tg_tps {
            let text = format!("target ≥ {} tok/s", style::tick(&t));
            entries.push((Swatch::Line(SPEED_TARGET), text));
        }
        if let Some(q) = self.min_quality {
            let text = format!("target quality ≥ {:.0}%", q * 100.0);
            entries.push((Swatch::Line(QUALITY_TARGET), text));
        }
        entries
    }

    /// The speed and quality targets as dashed lines; the corner past both is where to be.
    fn draw_targets<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ParetoChart<'a, DB>,
        x_max: f64,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let dashed = |points: [(f64, f64); 2], c: RGBColor| {
            DashedLineSeries::new(points, 8, 5, c.stroke_width(2))
        };
        if let Some(t) = self.min_tg_tps {
            chart.draw_series(dashed([(t, 0.0), (t, 1.05)], SPEED_TARGET))?;
        }
        if let Some(q) = self.min_quality {
            chart.draw_series(dashed([(0.0, q), (x_max, q)], QUALITY_TARGET))?;
        }
        Ok(())
    }

    /// Each point's name beside it, on the side where it stays inside the plot
    /// and clear of the names already placed.
    fn draw_point_labels<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ParetoChart<'a, DB>,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let bounds = (
            xs.start as f64,
            ys.start as f64,
            xs.end as f64,
            ys.end as f64,
        );
        let mut placed = Vec::new();
        for p in &self.points {
            let text = style::short(&p.label);
            let (px, py) = chart.backend_coord(&(p.tg_tps, p.quality));
            let size = (
                text.chars().count() as f64 * POINT_LABEL_CHAR_WIDTH,
                POINT_LABEL_SIZE as f64,
            );
            let spot = label_spot((px as f64, py as f64), size, bounds, &placed);
            placed.push(spot.rect);
            let font = (style::FONT, POINT_LABEL_SIZE)
                .into_font()
                .color(&GREY)
                .pos(Pos::new(spot.anchor, VPos::Top));
            let offset = (
                (spot.rect.0 - px as f64) as i32,
                (spot.rect.1 - py as f64) as i32,
            );
            let offset = match spot.anchor {
                HPos::Right => (offset.0 + size.0 as i32, offset.1),
                _ => offset,
            };
            // A light box keeps the name readable where it crosses a line.
            let (left, top) = (
                (spot.rect.0 - px as f64) as i32,
                (spot.rect.1 - py as f64) as i32,
            );
            let backdrop = Rectangle::new(
                [
                    (left - 2, top - 1),
                    (left + size.0 as i32 + 2, top + size.1 as i32 + 2),
                ],
                WHITE.mix(0.85).filled(),
            );
            chart.draw_series(std::iter::once(
                EmptyElement::at((p.tg_tps, p.quality)) + backdrop + Text::new(text, offset, font),
            ))?;
        }
        Ok(())
    }
}

/// A label's box in pixels (left, top, right, bottom) and the side it hangs from.
struct LabelSpot {
    rect: (f64, f64, f64, f64),
    anchor: HPos,
}

/// Where a label of `size` goes beside the point at `at`: the first of
/// right-above, right-below, left-above, left-below, then further out above and
/// below, that lies inside `bounds` and overlaps no box in `placed`; failing
/// all, the first that lies inside.
fn label_spot(
    at: (f64, f64),
    size: (f64, f64),
    bounds: (f64, f64, f64, f64),
    placed: &[(f64, f64, f64, f64)],
) -> LabelSpot {
    const GAP: f64 = 7.0;
    let (w, h) = size;
    let mut spots = Vec::new();
    for step in 0..4 {
        let lift = step as f64 * (h + 2.0);
        for (dy, right) in [
            (-h - GAP - lift, true),
            (GAP + lift, true),
            (-h - GAP - lift, false),
            (GAP + lift, false),
        ] {
            let left = if right { at.0 + GAP } else { at.0 - GAP - w };
            let rect = (left, at.1 + dy, left + w, at.1 + dy + h);
            let anchor = if right { HPos::Left } else { HPos::Right };
            spots.push(LabelSpot { rect, anchor });
        }
    }
    let inside = |r: &(f64, f64, f64, f64)| {
        r.0 >= bounds.0 && r.1 >= bounds.1 && r.2 <= bounds.2 && r.3 <= bounds.3
    };
    let clear = |r: &(f64, f64, f64, f64)| {
        placed
            .iter()
            .all(|o| r.2 <= o.0 || o.2 <= r.0 || r.3 <= o.1 || o.3 <= r.1)
    };
    let first_inside = spots.iter().position(|s| inside(&s.rect)).unwrap_or(0);
    let chosen = spots
        .iter()
        .position(|s| inside(&s.rect) && clear(&s.rect))
        .unwrap_or(first_inside);
    spots.swap_remove(chosen)
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

    #[test]
    fn a_label_at_the_right_edge_hangs_left_and_labels_do_not_touch() {
        let bounds = (0.0, 0.0, 400.0, 300.0);
        let near_edge = label_spot((390.0, 150.0), (120.0, 13.0), bounds, &[]);
        assert!(matches!(near_edge.anchor, HPos::Right));
        assert!(near_edge.rect.2 <= 400.0 && near_edge.rect.0 >= 0.0);
        let first = label_spot((100.0, 150.0), (120.0, 13.0), bounds, &[]);
        let second = label_spot((104.0, 152.0), (120.0, 13.0), bounds, &[first.rect]);
        let (a, b) = (first.rect, second.rect);
        assert!(
            a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1,
            "{a:?} {b:?}"
        );
    }
}
