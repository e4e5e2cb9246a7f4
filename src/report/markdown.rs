//! report.md: the document in GitHub Markdown, charts linked as charts/<name>.png.
use super::document::{Block, Table};
use super::escape_md;

pub fn render(title: &str, blocks: &[Block]) -> String {
    let mut out = format!("# {}\n\n", escape_md(title));
    for block in blocks {
        match block {
            Block::Heading(h) => out.push_str(&format!("## {}\n\n", escape_md(h))),
            Block::Paragraph(p) => out.push_str(&format!("{}\n\n", escape_md(p))),
            Block::List(items) => {
                for item in items {
                    // "1. ..." items form a numbered list; others are bullets.
                    let numbered = item.split_once(". ").is_some_and(|(n, _)| {
                        !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
                    });
                    let bullet = if numbered { "" } else { "- " };
                    out.push_str(&format!("{bullet}{}\n", escape_md(item)));
                }
                out.push('\n');
            }
            Block::Table(t) => out.push_str(&table(t)),
            Block::Chart(c) => out.push_str(&format!(
                "![{}](charts/{}.png)\n\n",
                escape_md(&c.title),
                c.name
            )),
        }
    }
    out
}

fn table(t: &Table) -> String {
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
