//! GitHub Markdown: report.md, summary.md and `compare`'s step summary. Charts
//! are linked as charts/<name>.png; every string is escaped.
use super::{Block, Document, Exporter, Table};

pub struct Markdown;

impl Exporter for Markdown {
    fn render(&self, doc: &Document) -> String {
        let mut out = match &doc.title {
            Some(title) => format!("# {}\n\n", escape_md(title)),
            None => String::new(),
        };
        write_blocks(&mut out, &doc.blocks);
        out
    }
}

/// Text from models, files or configs must not break (or inject into) a table.
/// `&` first so that an entity typed in a name shows as typed; brackets and
/// backticks so that a name cannot become a link or code; `<` so that it cannot
/// open HTML (GitHub renders some); a newline would end a table row.
pub fn escape_md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('&', "&amp;")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('`', "\\`")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

fn write_blocks(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Heading(h) => out.push_str(&format!("## {}\n\n", escape_md(h))),
            Block::Subheading(h) => out.push_str(&format!("### {}\n\n", escape_md(h))),
            Block::Paragraph(p) => out.push_str(&format!("{}\n\n", escape_md(p))),
            Block::Strong(p) => out.push_str(&format!("**{}**\n\n", escape_md(p))),
            Block::List(items) => list(out, items),
            Block::Table(t) => out.push_str(&table(t)),
            Block::Figure(f) => out.push_str(&format!(
                "![{}](charts/{}.png)\n\n",
                escape_md(&f.title),
                f.name
            )),
            Block::Details {
                summary,
                blocks: inner,
            } => {
                // The blank line after <summary> lets GitHub render what is inside.
                out.push_str(&format!(
                    "<details><summary>{}</summary>\n\n",
                    escape_md(summary)
                ));
                write_blocks(out, inner);
                out.push_str("</details>\n\n");
            }
            Block::Warning(w) => out.push_str(&format!("> warning: {}\n\n", escape_md(w))),
        }
    }
}

fn list(out: &mut String, items: &[String]) {
    for item in items {
        // "1. ..." items form a numbered list; others are bullets.
        let numbered = item
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let bullet = if numbered { "" } else { "- " };
        out.push_str(&format!("{bullet}{}\n", escape_md(item)));
    }
    out.push('\n');
}

pub fn table(t: &Table) -> String {
    let mut out = format!("| {} |\n|", t.header.join(" | "));
    out.push_str(&"---|".repeat(t.header.len()));
    out.push('\n');
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| escape_md(&c.text)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Cell;

    #[test]
    fn escapes_pipes_markup_and_newlines() {
        assert_eq!(escape_md("a|b<script>\nx"), "a\\|b&lt;script&gt; x");
        assert_eq!(escape_md("[x](y) `z`"), "\\[x\\](y) \\`z\\`");
    }

    #[test]
    fn a_document_in_github_markdown() {
        let doc = Document {
            title: Some("t".into()),
            blocks: vec![
                Block::Strong("no regression".into()),
                Block::Details {
                    summary: "All 1".into(),
                    blocks: vec![Block::Table(Table {
                        id: "x".into(),
                        header: vec!["a", "b"],
                        rows: vec![vec![Cell::text("1|2"), Cell::text("3")]],
                    })],
                },
                Block::List(vec!["1. first".into(), "other".into()]),
            ],
        };
        assert_eq!(
            Markdown.render(&doc),
            "# t\n\n**no regression**\n\n<details><summary>All 1</summary>\n\n| a | b |\n|---|---|\n| 1\\|2 | 3 |\n\n</details>\n\n1. first\n- other\n\n"
        );
    }
}
