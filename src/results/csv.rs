//! CSV as a spreadsheet will open it. A text cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and
//! Sheets (a model file named `=1+2*3.gguf` shows 7; worse ones call out), and
//! candidate names, answers and errors are not ours to trust. Such cells get a
//! leading `'` (OWASP's advice); numeric columns (-1.5) are left as they are,
//! and the Parquet files keep the exact text.
use std::borrow::Cow;
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::write_atomic;

/// Writes `frame` to `path` as CSV with a header, atomically, formulas neutralised.
pub fn write_csv(path: &Path, frame: &DataFrame) -> Result<()> {
    let mut safe = neutralised(frame)?;
    write_atomic(path, |file| {
        CsvWriter::new(file)
            .include_header(true)
            .finish(&mut safe)
            .map_err(|e| anyhow::anyhow!("csv: {e}"))
    })
}

/// The frame with every text cell as `literal_cell` writes it.
fn neutralised(frame: &DataFrame) -> Result<DataFrame> {
    let columns = frame
        .columns()
        .iter()
        .map(|c| {
            if c.dtype() != &DataType::String {
                return Ok(c.clone());
            }
            let cells: StringChunked = c.str()?.iter().map(|v| v.map(literal_cell)).collect();
            Ok(cells.with_name(c.name().clone()).into_column())
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DataFrame::new(frame.height(), columns)?)
}

/// A text cell that a spreadsheet shows as text rather than evaluates.
fn literal_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_text_cells_are_quoted_numbers_and_parquet_are_not() {
        let names = [
            "=1+2*3", "+1", "-x", "@SUM(A1)", "\tz", "\rz", "plain", "a=b",
        ];
        let mut frame = DataFrame::new(
            names.len(),
            vec![
                Column::new("candidate".into(), names),
                Column::new("value".into(), [-1.5, 2.0, -3.0, 0.0, 1.0, 1.0, 1.0, 1.0]),
                Column::new("n".into(), [-7i64, 1, 1, 1, 1, 1, 1, 1]),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        super::super::write_frame(dir.path(), "t", &mut frame).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("t.csv")).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "candidate,value,n");
        assert_eq!(lines[1], "'=1+2*3,-1.5,-7", "{csv:?}");
        assert_eq!(lines[2], "'+1,2.0,1");
        assert_eq!(lines[3], "'-x,-3.0,1");
        assert_eq!(lines[4], "'@SUM(A1),0.0,1");
        assert!(
            csv.contains("\n'\tz,") && csv.contains("\"'\rz\","),
            "{csv:?}"
        );
        assert!(csv.ends_with("plain,1.0,1\na=b,1.0,1\n"), "{csv:?}");
        let file = std::fs::File::open(dir.path().join("t.parquet")).unwrap();
        let parquet = ParquetReader::new(file).finish().unwrap();
        assert!(
            parquet.equals_missing(&frame),
            "Parquet keeps the exact text"
        );
    }
}
