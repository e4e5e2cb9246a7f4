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

/// Text from models, servers, files or configs must not break (or inject
/// into) a table. `&` first so that an entity typed in a name shows as typed;
/// brackets and backticks so that a name cannot become a link or code; `*`,
/// `~` and a `_` that could open or close emphasis (not one inside a word:
/// `Q4_K_M` stays as written) so that it cannot turn bold or struck; `://`,
/// `www.` and the `@` of an address so that GitHub makes no live link of a
/// bare URL; `<` so that it cannot open HTML (GitHub renders some); a newline
/// would end a table row; other control characters (an escape sequence) are
/// shown escaped.
pub fn escape_md(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1);
        match c {
            '\\' | '[' | ']' | '`' | '|' | '*' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '_' if !(word(before) && word(Some(i + 1))) => out.push_str("\\_"),
            '@' if before
                .is_some_and(|b| chars[b].is_alphanumeric() || ".+-_".contains(chars[b])) =>
            {
                out.push_str("\\@")
            }
            ':' if chars[i + 1..].starts_with(&['/', '/']) => out.push_str("\\:"),
            '.' if i >= 3
                && chars[i - 3..i]
                    .iter()
                    .collect::<String>()
                    .eq_ignore_ascii_case("www") =>
            {
                out.push_str("\\.")
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    crate::error::printable_line(&out)
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
    fn emphasis_bare_links_and_escape_codes_stay_text() {
        assert_eq!(
            escape_md("**bold** _it_ ~~x~~ a@b.io Q4_K_M @night"),
            "\\*\\*bold\\*\\* \\_it\\_ \\~\\~x\\~\\~ a\\@b.io Q4_K_M @night"
        );
        assert_eq!(
            escape_md("see https://evil.example or www.evil.example"),
            "see https\\://evil.example or www\\.evil.example"
        );
        assert_eq!(escape_md("\u{1b}[31mred"), "\\u{1b}\\[31mred");
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
