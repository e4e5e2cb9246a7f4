//! HTML (report.html): one self-contained file (inline CSS and JS, charts embedded as
//! SVG data URIs) that opens from disk with no network. Every string is escaped;
//! an SVG shown through <img> cannot run script even if one slipped in.
use base64::Engine as _;

use super::{Block, Document, Exporter, Figure, Table};

pub struct Html;

/// Text safe in HTML element content and in quoted attribute values, with
/// control characters shown escaped.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // An escape sequence would act on a terminal that shows the file.
            _ if ch.is_control() && ch != '\n' && ch != '\t' => out.extend(ch.escape_default()),
            _ => out.push(ch),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td:last-child{white-space:normal;min-width:14em}
th{background:#f3f3f3;cursor:pointer;user-select:none}th:after{content:' \\2195';color:#aaa}
tr:nth-child(even) td{background:#fafafa}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}
p.warning{color:#8a5a00}";

/// Click a header to sort by it; numbers by their value (data-v), text otherwise.
const SCRIPT: &str = "document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var b=t.tBodies[0],rows=Array.from(b.rows),asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
function k(r){var c=r.cells[i];return c.dataset.v!==undefined?parseFloat(c.dataset.v):c.textContent.toLowerCase();}
rows.sort(function(x,y){var a=k(x),c=k(y);if(typeof a!==typeof c){return typeof a==='number'?-1:1;}return (a<c?-1:a>c?1:0)*(asc?1:-1);});
rows.forEach(function(r){b.appendChild(r);});});});});";

impl Exporter for Html {
    fn render(&self, doc: &Document) -> String {
        let title = escape_html(doc.title.as_deref().unwrap_or("edgebench"));
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        );
        if doc.title.is_some() {
            out.push_str(&format!("<h1>{title}</h1>\n"));
        }
        write_blocks(&mut out, &doc.blocks);
        out.push_str(&format!("<script>{SCRIPT}</script>\n</body>\n</html>\n"));
        out
    }
}

fn write_blocks(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Heading(h) => out.push_str(&format!("<h2>{}</h2>\n", escape_html(h))),
            Block::Subheading(h) => out.push_str(&format!("<h3>{}</h3>\n", escape_html(h))),
            Block::Paragraph(p) => out.push_str(&format!("<p>{}</p>\n", escape_html(p))),
            Block::Strong(p) => {
                out.push_str(&format!("<p><strong>{}</strong></p>\n", escape_html(p)))
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", escape_html(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(t) => out.push_str(&table(t)),
            Block::Figure(f) => out.push_str(&figure(f)),
            Block::Details {
                summary,
                blocks: inner,
            } => {
                out.push_str(&format!(
                    "<details><summary>{}</summary>\n",
                    escape_html(summary)
                ));
                write_blocks(out, inner);
                out.push_str("</details>\n");
            }
            Block::Warning(w) => out.push_str(&format!(
                "<p class=\"warning\">warning: {}</p>\n",
                escape_html(w)
            )),
        }
    }
}

fn figure(f: &Figure) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(f.svg.as_bytes());
    format!(
        "<figure id=\"chart-{}\"><img alt=\"{}\" src=\"data:image/svg+xml;base64,{data}\"><figcaption>{} (charts/{}.png, .svg)</figcaption></figure>\n",
        escape_html(&f.name),
        escape_html(&f.title),
        escape_html(&f.title),
        escape_html(&f.name),
    )
}

fn table(t: &Table) -> String {
    let mut out = format!(
        "<table class=\"sortable\" id=\"{}\">\n<thead><tr>",
        escape_html(&t.id)
    );
    for h in &t.header {
        out.push_str(&format!("<th>{}</th>", escape_html(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for cell in row {
            match cell.sort {
                Some(v) => out.push_str(&format!(
                    "<td class=\"n\" data-v=\"{v}\">{}</td>",
                    escape_html(&cell.text)
                )),
                None => out.push_str(&format!("<td>{}</td>", escape_html(&cell.text))),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_leaves_no_live_markup() {
        assert_eq!(
            escape_html("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(
            escape_html("\u{1b}]0;t\u{7}\u{1b}[31mred\nx"),
            "\\u{1b}]0;t\\u{7}\\u{1b}[31mred\nx"
        );
    }
}
