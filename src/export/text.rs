//! The terminal: tables as aligned columns (the tables printed at the end of a run).
use super::Table;
use crate::error::printable_line;

/// Columns padded to their widest cell, a dashed rule under the header.
pub fn table(t: &Table) -> String {
    // Cells quote servers and files: no escape sequence reaches the terminal.
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|row| row.iter().map(|c| printable_line(&c.text)).collect())
        .collect();
    let mut widths: Vec<usize> = t.header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = line(t.header.clone());
    out.push_str(&line(rules.iter().map(String::as_str).collect()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_their_header() {
        let t = Table::of_text(
            "t",
            &["name", "tok/s"],
            vec![
                vec!["gemma-3-270m".into(), "35.9".into()],
                vec!["x".into(), "1".into()],
            ],
        );
        let text = table(&t);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name          tok/s");
        assert_eq!(lines[1], "------------  -----");
        assert_eq!(lines[2], "gemma-3-270m  35.9");
        assert_eq!(lines[3], "x             1");
    }
}
