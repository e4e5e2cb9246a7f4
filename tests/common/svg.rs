//! The text of an SVG chart as a reader sees it: where each label is, and
//! which labels overlap (from their positions, anchors and font sizes).
#![allow(dead_code)]

/// One `<text>` of an SVG: where plotters put it and what it says.
#[derive(Debug, Clone)]
pub struct SvgText {
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub anchor: String,
    pub dy: String,
    pub rotated: bool,
    pub text: String,
}

pub fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub fn svg_texts(svg: &str) -> Vec<SvgText> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find("<text ") {
        rest = &rest[at..];
        let open_end = rest.find('>').unwrap();
        let close = rest.find("</text>").unwrap();
        let tag = &rest[..open_end];
        let number = |n: &str| attr(tag, n).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        out.push(SvgText {
            x: number("x"),
            y: number("y"),
            size: number("font-size"),
            anchor: attr(tag, "text-anchor").unwrap_or_default(),
            dy: attr(tag, "dy").unwrap_or_default(),
            rotated: tag.contains("transform="),
            text: unescape(&rest[open_end + 1..close]).trim().to_string(),
        });
        rest = &rest[close..];
    }
    out
}

/// The box a text covers: width from its length (DejaVu Sans averages about
/// 0.58 em per character), height one em, placed by its anchor and dy.
pub fn text_box(t: &SvgText) -> (f64, f64, f64, f64) {
    let width = t.text.chars().count() as f64 * 0.58 * t.size;
    let left = match t.anchor.as_str() {
        "middle" => t.x - width / 2.0,
        "end" => t.x - width,
        _ => t.x,
    };
    let top = match t.dy.as_str() {
        "0.76em" => t.y,
        "0.5ex" => t.y - t.size / 2.0,
        _ => t.y - t.size,
    };
    (left, top, left + width, top + t.size)
}

/// Pairs of horizontal texts whose boxes overlap by more than a pixel each way.
pub fn overlapping(texts: &[SvgText]) -> Vec<(String, String)> {
    let flat: Vec<&SvgText> = texts
        .iter()
        .filter(|t| !t.rotated && !t.text.trim().is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, a) in flat.iter().enumerate() {
        for b in &flat[i + 1..] {
            let (a0, a1) = (text_box(a), text_box(b));
            let dx = a0.2.min(a1.2) - a0.0.max(a1.0);
            let dy = a0.3.min(a1.3) - a0.1.max(a1.1);
            if dx > 1.0 && dy > 1.0 {
                out.push((a.text.clone(), b.text.clone()));
            }
        }
    }
    out
}
