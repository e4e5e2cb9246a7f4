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
    let (_, h) = area.dim_in_pixel();
    let y = h as i32 / 2;
    let mut x = 16;
    let font = (style::FONT, LABEL_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (swatch, text) in entries {
        draw_swatch(area, *swatch, (x, y))?;
        area.draw(&Text::new(text.clone(), (x + 26, y), font.clone()))?;
        x += 26 + (text.chars().count() as f64 * CHAR_WIDTH) as i32 + 24;
    }
    Ok(())
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
