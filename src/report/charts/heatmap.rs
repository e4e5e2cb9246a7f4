//! Quality as a grid: one row per suite and category, one column per candidate,
//! each cell shaded by its pass rate and printing the rate and its 95% interval.
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{draw_legend, Swatch, CHAR_WIDTH};
use super::style::{self, LABEL_SIZE, TITLE_SIZE, WIDTH};
use super::{draw_not_measured, Draw};

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub rate: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Heatmap {
    pub title: String,
    /// Column headers: the candidates.
    pub columns: Vec<String>,
    /// Row names (e.g. "quality-basic / math") and one cell per column (None: not scored).
    pub rows: Vec<(String, Vec<Option<Cell>>)>,
    /// Said instead of an empty grid.
    pub why_empty: String,
}

const ROW: u32 = 46;
const HEADER: u32 = 110;

impl Draw for Heatmap {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEADER + 20 + ROW * self.rows.len().max(3) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        if self.rows.is_empty() || self.columns.is_empty() {
            return draw_not_measured(root, &self.title, &self.why_empty);
        }
        let area = root.titled(&self.title, (style::FONT, TITLE_SIZE))?;
        let (legend, grid) = area.split_vertically(30);
        draw_legend(&legend, &scale_legend())?;
        let names: Vec<String> = self.rows.iter().map(|r| style::short(&r.0)).collect();
        let left = style::label_area(&names) as i32 + 12;
        let width = (WIDTH as i32 - left - 16) / self.columns.len() as i32;
        let top = HEADER as i32 - 54;
        self.draw_headers(&grid, left, width, top)?;
        for (r, ((_, cells), name)) in self.rows.iter().zip(&names).enumerate() {
            let y = top + r as i32 * ROW as i32;
            grid.draw(&Text::new(
                name.clone(),
                (left - 10, y + ROW as i32 / 2),
                font(LABEL_SIZE, &BLACK).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            for (c, cell) in cells.iter().enumerate() {
                draw_cell(&grid, cell.as_ref(), (left + c as i32 * width, y), width)?;
            }
        }
        Ok(())
    }
}

impl Heatmap {
    /// Candidate names over their columns, cut to the column's width.
    fn draw_headers<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        left: i32,
        width: i32,
        top: i32,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let fits = ((width - 8) as f64 / CHAR_WIDTH) as usize;
        for (c, name) in self.columns.iter().enumerate() {
            area.draw(&Text::new(
                cut(name, fits.max(4)),
                (left + c as i32 * width + width / 2, top - 12),
                font(LABEL_SIZE, &BLACK).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        Ok(())
    }
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(chars - 1).collect();
    format!("{kept}…")
}

fn font(size: u32, color: &RGBColor) -> TextStyle<'static> {
    (style::FONT, size).into_font().color(color)
}

/// White (0%) to dark blue (100%): ColorBrewer's "Blues", readable in grey too.
pub fn shade(rate: f64) -> RGBColor {
    let (lo, hi) = ((239.0, 243.0, 255.0), (8.0, 69.0, 148.0));
    let t = rate.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
}

fn scale_legend() -> Vec<(Swatch, String)> {
    let mut out: Vec<(Swatch, String)> = [0.0, 0.5, 1.0]
        .into_iter()
        .map(|r| (Swatch::Box(shade(r)), format!("{:.0}%", r * 100.0)))
        .collect();
    out.push((Swatch::Box(WHITE), "cell: pass rate [95% interval]".into()));
    out
}

fn draw_cell<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cell: Option<&Cell>,
    (x, y): (i32, i32),
    width: i32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = (width - 4, ROW as i32 - 4);
    let centre = (x + w / 2, y + h / 2);
    let Some(cell) = cell else {
        area.draw(&Rectangle::new(
            [(x, y), (x + w, y + h)],
            style::GREY.mix(0.3).stroke_width(1),
        ))?;
        let text = font(LABEL_SIZE, &style::GREY).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new("not scored", centre, text))?;
        return Ok(());
    };
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        shade(cell.rate).filled(),
    ))?;
    let ink = if cell.rate > 0.55 { WHITE } else { BLACK };
    let pct = |v: f64| format!("{:.0}", v * 100.0);
    let text = match (cell.low, cell.high) {
        (Some(lo), Some(hi)) => format!("{}%  [{}–{}]", pct(cell.rate), pct(lo), pct(hi)),
        _ => format!("{}%", pct(cell.rate)),
    };
    let style = font(LABEL_SIZE, &ink).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(text, centre, style))?;
    Ok(())
}
