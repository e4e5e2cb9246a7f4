//! Fonts, colours and sizes shared by every chart. Text is drawn with the bundled
//! DejaVu Sans (assets/fonts, its licence beside it): no fontconfig, no system font.
use std::sync::Once;

use plotters::style::{FontStyle, RGBColor};

pub const FONT: &str = "sans-serif";
pub const WIDTH: u32 = 960;
pub const TITLE_SIZE: u32 = 22;
pub const LABEL_SIZE: u32 = 15;
/// Pixels per horizontal bar (candidate) in bar charts.
pub const ROW_HEIGHT: u32 = 30;
/// Longest candidate label drawn in full; longer ones end in "…".
pub const MAX_LABEL_CHARS: usize = 34;

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font under the family name every chart uses (once).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known good; a failure would show as missing text.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// Colour-blind-safe palette (Okabe-Ito).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];
pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const RED: RGBColor = RGBColor(200, 30, 30);

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A label that fits the axis: long names are cut with an ellipsis.
pub fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let cut: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
    format!("{cut}…")
}

/// Left margin wide enough for the longest (shortened) label.
pub fn label_area(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32;
    (longest * 8 + 16).clamp(60, MAX_LABEL_CHARS as u32 * 8 + 16)
}

/// Axis numbers: no decimals from 10 up ("2000", not "2000.0").
pub fn tick(v: &f64) -> String {
    if v.abs() >= 10.0 || *v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
