//! Output formats, as hyperfine's `export/`: content is built once as a
//! `Document` of plain, unescaped blocks, and one `Exporter` per format writes
//! it with that format's escaping (markdown.rs: report.md, summary.md and
//! `compare`'s step summary; html.rs: report.html). text.rs prints one table
//! as aligned columns for the terminal.
//! `compare`'s verdicts as data are json.rs and junit.rs; result tables are
//! Parquet/CSV through `results::Table`.
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

/// Writes a whole document in one format.
pub trait Exporter {
    fn render(&self, doc: &Document) -> String;
}

#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The top heading (report.md, report.html); None for fragments such as summary.md.
    pub title: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    Subheading(String),
    Paragraph(String),
    /// A one-line verdict, shown bold.
    Strong(String),
    /// Items starting "1. " form a numbered list (where the format has one).
    List(Vec<String>),
    Table(Table),
    Figure(Figure),
    /// Folded away where the format can fold (GitHub Markdown, HTML).
    Details {
        summary: String,
        blocks: Vec<Block>,
    },
    /// A measurement not to be trusted, in plain words.
    Warning(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    /// The number behind the text, for sorting; None sorts as text.
    pub sort: Option<f64>,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            sort: None,
        }
    }

    /// "n/a" for a missing or non-finite value.
    pub fn number(v: Option<f64>, text: impl Fn(f64) -> String) -> Cell {
        match v {
            Some(v) if v.is_finite() => Cell {
                text: text(v),
                sort: Some(v),
            },
            _ => Cell::text("n/a"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The HTML id (sortable tables, links).
    pub id: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table of text cells.
    pub fn of_text(id: &str, header: &[&'static str], lines: Vec<Vec<String>>) -> Table {
        Table {
            id: id.to_string(),
            header: header.to_vec(),
            rows: lines
                .into_iter()
                .map(|line| line.into_iter().map(Cell::text).collect())
                .collect(),
        }
    }
}

/// A chart: linked as charts/<name>.png from Markdown, embedded as SVG in HTML.
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub title: String,
    pub svg: String,
}
