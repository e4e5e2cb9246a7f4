//! A legend as one strip of entries laid out left to right, so it never covers
//! a bar, a point or a printed value.
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, LABEL_SIZE};

/// How an entry is drawn before its text.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line(RGBColor),
    Cross,
    Ring(RGBColor),
    Box(RGBColor),
}

/// Pixels per character of the label font, on the generous side, so entries never touch.
pub const CHAR_WIDTH: f64 = 0.6 * LABEL_SIZE as f64;

pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let font = (style::FONT, LABEL_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let rows = legend_rows(entries, w);
    // One row sits in the middle of the strip; more rows stack from the top.
    let top = if rows.len() == 1 {
        h as i32 / 2
    } else {
        ROW_PITCH / 2 + 4
    };
    for (r, row) in rows.iter().enumerate() {
        let y = top + r as i32 * ROW_PITCH;
        for &(k, x) in row {
            let (swatch, text) = &entries[k];
            draw_swatch(area, *swatch, (x, y))?;
            area.draw(&Text::new(text.clone(), (x + 26, y), font.clone()))?;
        }
    }
    Ok(())
}

/// Pixels between two rows of a wrapped legend.
pub const ROW_PITCH: i32 = 22;

/// The legend's entries laid out in rows that fit `width`: (entry, x) per row.
pub fn legend_rows(entries: &[(Swatch, String)], width: u32) -> Vec<Vec<(usize, i32)>> {
    let mut rows: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut x = 16;
    for (k, (_, text)) in entries.iter().enumerate() {
        let advance = 26 + (text.chars().count() as f64 * CHAR_WIDTH) as i32 + 24;
        let row = rows.last_mut().expect("one row at least");
        if !row.is_empty() && x + advance - 24 > width as i32 {
            rows.push(Vec::new());
            x = 16;
        }
        rows.last_mut().expect("one row at least").push((k, x));
        x += advance;
    }
    rows
}

/// Height of a legend strip for `entries` at `width`: 40 pixels for one row.
pub fn legend_height(entries: &[(Swatch, String)], width: u32) -> u32 {
    let rows = legend_rows(entries, width).len() as u32;
    if rows <= 1 {
        40
    } else {
        rows * ROW_PITCH as u32 + 12
    }
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, y): (i32, i32),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    match swatch {
        Swatch::Line(c) => {
            area.draw(&PathElement::new([(x, y), (x + 20, y)], c.stroke_width(3)))?
        }
        Swatch::Cross => area.draw(&Cross::new((x + 10, y), 6, BLACK.stroke_width(2)))?,
        Swatch::Ring(c) => area.draw(&Circle::new((x + 10, y), 7, c.stroke_width(2)))?,
        Swatch::Box(c) => area.draw(&Rectangle::new([(x, y - 7), (x + 20, y + 7)], c.filled()))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legend_too_wide_for_one_row_wraps_and_grows() {
        let entry = |t: &str| (Swatch::Line(BLACK), t.to_string());
        let few = [entry("spec-code"), entry("spec-chat")];
        assert_eq!(legend_rows(&few, 960).len(), 1);
        assert_eq!(legend_height(&few, 960), 40);
        let many: Vec<_> = (0..8)
            .map(|k| entry(&format!("a-long-category-name-{k}")))
            .collect();
        let rows = legend_rows(&many, 960);
        assert!(rows.len() > 1, "{rows:?}");
        for row in &rows {
            let (k, x) = *row.last().unwrap();
            let end = x + 26 + (many[k].1.len() as f64 * CHAR_WIDTH) as i32;
            assert!(end <= 960, "entry {k} ends at {end}");
        }
        assert_eq!(
            rows.iter().map(Vec::len).sum::<usize>(),
            8,
            "every entry once"
        );
        assert!(legend_height(&many, 960) > 40);
    }
}
