//! A run directory written by an earlier edgebench still loads, with the same
//! figures, in `report`, `compare`, `rescore` and `run --resume`.
//!
//! tests/data/run-8dc1cfb-smollm is a real run of commit 8dc1cfb (SmolLM2 135M
//! Q4_1, suites speed and quality-basic, the quick settings of `quick_run`),
//! less its logs, charts, report and samples.csv. The compare output of that
//! same commit on it is tests/data/run-8dc1cfb-smollm-compare.json.
mod common;
use std::path::{Path, PathBuf};

use common::*;
use edgebench::results::{
    read_table, table_frame, Metric, QualityRow, SpeedRow, SummaryRow, Table,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run-8dc1cfb-smollm")
}

/// A copy of the stored run (the commands rewrite their run directory).
fn copy_of_fixture(into: &Path) -> PathBuf {
    let dir = into.join("run");
    for entry in walk(&fixture()) {
        let rel = entry.strip_prefix(fixture()).unwrap();
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, dir.join(rel)).unwrap();
    }
    dir
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

const CSV_FILES: &[(&str, usize)] = &[("speed.csv", 0), ("quality.csv", 2), ("summary.csv", 0)];

/// The CSV files a rewrite must leave byte for byte as the earlier edgebench
/// wrote them, but for one exception: a text cell a spreadsheet would run as a
/// formula now starts with `'` (results/csv.rs). Each name comes with how many
/// such cells it has (quality.csv: two answers that start with "- ").
fn assert_files_unchanged(dir: &Path, names: &[(&str, usize)]) {
    assert_files_unchanged_but(dir, names, &[]);
}

/// The same, after replacing texts of the stored files (reasons a check now
/// words differently) by what the rewrite must hold instead.
fn assert_files_unchanged_but(dir: &Path, names: &[(&str, usize)], replaced: &[(&str, &str)]) {
    for &(name, formula_cells) in names {
        let mut stored = String::from_utf8(std::fs::read(fixture().join(name)).unwrap()).unwrap();
        for (old, new) in replaced {
            stored = stored.replace(old, new);
        }
        let before = stored.into_bytes();
        let after = without_added_rate(name, std::fs::read(dir.join(name)).unwrap());
        assert_eq!(
            added_formula_quotes(&before, &after),
            Some(formula_cells),
            "{name} changed"
        );
    }
}

/// summary.csv without `answers_per_min`, a rate added after this run was
/// written (computed again from the stored latencies wherever summary.csv is).
fn without_added_rate(name: &str, csv: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(csv).unwrap();
    let has_rate = text
        .lines()
        .next()
        .is_some_and(|h| h.contains("answers_per_min"));
    match name == "summary.csv" && has_rate {
        true => without_csv_columns(&text, &["answers_per_min"]).into_bytes(),
        false => text.into_bytes(),
    }
}

/// How many `'` `after` adds to `before` at the start of a CSV cell (bare or
/// quoted) whose text starts with = + - @, tab or CR; None for any other change.
fn added_formula_quotes(before: &[u8], after: &[u8]) -> Option<usize> {
    let cell_start = |j: usize| match j {
        0 => true,
        _ if after[j - 1] == b'"' => j == 1 || matches!(after[j - 2], b',' | b'\n'),
        _ => matches!(after[j - 1], b',' | b'\n'),
    };
    let (mut i, mut j, mut added) = (0, 0, 0);
    while i < before.len() && j < after.len() {
        if before[i] == after[j] {
            (i, j) = (i + 1, j + 1);
        } else if after[j] == b'\'' && cell_start(j) && b"=+-@\t\r".contains(&before[i]) {
            (j, added) = (j + 1, added + 1);
        } else {
            return None;
        }
    }
    (i == before.len() && j == after.len()).then_some(added)
}

/// summary.md is for people: its configuration label gained `fa=` (and the
/// quality table `b=`) after this run was written; every figure must stay.
fn assert_summary_md_same_figures(dir: &Path) {
    assert_summary_md_same_figures_but(dir, &[]);
}

/// The same, but for texts the rewrite may add to a cell (`added`, each with
/// the ", " that joins it to what was there).
fn assert_summary_md_same_figures_but(dir: &Path, added: &[&str]) {
    let rows = |path: PathBuf| -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(path).unwrap();
        let cells = |line: &str| -> Vec<String> {
            let label = |c: &str| c.trim().starts_with("t=");
            line.split(" | ")
                .filter(|c| !label(c))
                .map(|c| c.trim().into())
                .collect()
        };
        text.lines()
            .filter(|l| l.starts_with('|'))
            .map(cells)
            .collect()
    };
    let before = rows(fixture().join("summary.md"));
    assert!(before.len() > 10, "{before:?}");
    let mut after = without_md_column(rows(dir.join("summary.md")), ADDED_MD_COLUMN);
    for text in added {
        let cells = after.iter_mut().flatten().filter(|c| c.contains(text));
        assert!(cells.count() > 0, "{text} not in summary.md");
        for cell in after.iter_mut().flatten() {
            *cell = cell.replace(&format!("{text}, "), "");
        }
    }
    assert_eq!(before, after);
}

/// The quality tables' column added after this run was written (a rate, not a verdict).
const ADDED_MD_COLUMN: &str = "answers/min";

/// Markdown table rows (cells as `assert_summary_md_same_figures_but` splits
/// them) without the last column when it is headed `name`, from its header
/// row to the next header row: the cell, and one `---|` of the separator row.
fn without_md_column(rows: Vec<Vec<String>>, name: &str) -> Vec<Vec<String>> {
    let bare = |c: &String| c.trim_matches(|ch| ch == '|' || ch == ' ').to_string();
    let mut dropping = false;
    rows.into_iter()
        .map(|mut cells| {
            if cells.iter().any(|c| bare(c) == "candidate") {
                dropping = cells.last().is_some_and(|c| bare(c) == name);
            }
            if !dropping {
                return cells;
            }
            if cells.len() == 1 {
                cells[0] = cells[0].replacen("---|", "", 1);
            } else {
                cells.pop();
                let last = cells.last_mut().unwrap();
                *last = format!("{last} |");
            }
            cells
        })
        .collect()
}

fn read_back_and_write<T: Table>() -> Vec<T> {
    let path = fixture().join(format!("{}.parquet", T::STEM));
    let stored = read_parquet(&path);
    let rows: Vec<T> = read_table(&path).unwrap();
    let written = table_frame(&rows).unwrap();
    assert_eq!(stored.schema(), written.schema(), "{} columns", T::STEM);
    assert!(stored.equals_missing(&written), "{} values", T::STEM);
    rows
}

#[test]
fn stored_tables_read_back_into_rows_that_write_the_same_frames() {
    let speed: Vec<SpeedRow> = read_back_and_write();
    let tests: Vec<&str> = speed.iter().map(|r| r.test.as_str()).collect();
    assert_eq!(
        tests,
        [
            "pp32",
            "tg8",
            "e2e:voice-question",
            "e2e:short-instruction",
            "e2e:long-summary"
        ]
    );
    assert_eq!(speed[0].pp_tps, Some(139.42516624773617));
    assert_eq!(speed[1].tg_tps, Some(81.30768036719036));
    assert_eq!(speed[1].id.candidate, "SmolLM2-135M-Instruct-Q4_1");
    assert_eq!(speed[1].id.quant, "Q4_1");
    assert_eq!(
        (speed[1].config.n_threads, speed[1].config.n_batch),
        (2, 2048)
    );

    let answers: Vec<QualityRow> = read_back_and_write();
    assert_eq!(answers.len(), 69);
    assert_eq!(answers.iter().filter(|r| r.pass == Some(true)).count(), 25);
    assert_eq!(
        (answers[0].case_id.as_str(), answers[0].pass),
        ("reasoning.add", Some(false))
    );

    let summary: Vec<SummaryRow> = read_back_and_write();
    assert_eq!(summary.len(), 12);
    assert_eq!(
        summary[1].spread(Metric::TgTps).unwrap().mean,
        81.30768036719036
    );
    let overall = summary[5].quality.as_ref().expect("quality scores");
    assert_eq!(summary[5].first.test, "quality:quality-basic");
    assert_eq!((overall.n_cases, overall.passed), (67, 24));
    assert_eq!(overall.pass_rate, Some(0.3582089552238806));
}

#[test]
fn report_reads_a_stored_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let o = edgebench().arg("report").arg(&dir).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| SmolLM2-135M-Instruct-Q4_1 | llama | Q4_1 |"))
        .unwrap_or_else(|| panic!("no candidate row in\n{md}"));
    // pp tok/s of pp32, tg tok/s of tg8, the quality-basic pass rate.
    for cell in ["| 139.4 |", "| 81.3 |", "| 36% |", "| ok |"] {
        assert!(row.contains(cell), "{cell} not in {row}");
    }
    // No power source on the machine it ran on, and why.
    assert!(
        md.contains("energy: not measured: RAPL not tried (a run from before edgebench read it); no NVIDIA GPU (NVML); not a Jetson"),
        "{md}"
    );
}

#[test]
fn compare_reads_a_stored_run_as_the_earlier_edgebench_did() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let dir = dir.to_str().unwrap();
    let o = edgebench()
        .args(["compare", dir, dir, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let now: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let path = fixture().with_file_name("run-8dc1cfb-smollm-compare.json");
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(now["metrics"], before["metrics"]);
    assert_eq!(now["quality"], before["quality"]);
    let tg8 = now["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["test"] == "tg8" && m["metric"] == "tg_tps")
        .expect("tg8 compared");
    assert_eq!(tg8["baseline_median"], 81.30768036719036);
    assert_eq!(now["quality"][0]["cases"], 69);
}

#[test]
fn rescore_of_a_stored_run_keeps_its_verdicts_and_files_and_adds_flexible_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let o = edgebench().arg("rescore").arg(&dir).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    // A change to a check that alters these verdicts must update the test data.
    assert!(
        stdout(&o).contains("rescored 69 answers (0 changed verdict)"),
        "{}",
        stdout(&o)
    );
    // Words are counted as IFEval counts them (`\w+`: "it's" is two) since the
    // stored run was written: five reasons recount their words, no verdict moves.
    let recounted = [
        ("125 words > 100", "128 words > 100"),
        ("130 words > 120", "134 words > 120"),
        ("33 words <= 60", "36 words <= 60"),
        ("39 words > 15", "42 words > 15"),
        ("39 words >= 2", "42 words >= 2"),
    ];
    // The number checks' flexible-extract readings are new: take them out
    // (after checking them), and every other byte must be the stored one.
    assert_flexible_verdicts_added(&dir);
    for (name, columns) in [
        ("quality.csv", &["pass_flexible"][..]),
        ("summary.csv", &FLEXIBLE_SUMMARY_COLUMNS[..]),
    ] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, without_csv_columns(&text, columns)).unwrap();
    }
    let quality = dir.join("quality.csv");
    let text = std::fs::read_to_string(&quality).unwrap();
    std::fs::write(&quality, without_flexible_verdicts(&text)).unwrap();
    assert_files_unchanged_but(&dir, CSV_FILES, &recounted);
    assert_summary_md_same_figures_but(&dir, FLEXIBLE_IN_SUMMARY_MD);
}

const FLEXIBLE_SUMMARY_COLUMNS: [&str; 3] = [
    "pass_rate_flexible",
    "pass_rate_flexible_lo",
    "pass_rate_flexible_hi",
];

/// summary.md's quality table names the new flexible scores in its suite-scores
/// cells: the suite, and its two categories with number checks.
const FLEXIBLE_IN_SUMMARY_MD: &[&str] = &["flexible 37%", "flexible 17%", "flexible 80%"];

/// The stored answers' number checks, read flexibly (the last number): measured
/// on this run's 69 answers, 18 have a number check and one more passes
/// flexibly than strictly (reasoning.multiply: "12 multiplied by 15 equals 180.").
fn assert_flexible_verdicts_added(dir: &Path) {
    let stored: Vec<QualityRow> = read_table(&fixture().join("quality.parquet")).unwrap();
    let rescored: Vec<QualityRow> = read_table(&dir.join("quality.parquet")).unwrap();
    assert_eq!(stored.len(), rescored.len());
    let with_number: Vec<&QualityRow> = rescored
        .iter()
        .filter(|r| r.verdicts.contains(r#""check":"number""#))
        .collect();
    assert!(with_number.iter().all(|r| r.pass_flexible.is_some()));
    assert!(rescored
        .iter()
        .filter(|r| !r.verdicts.contains(r#""check":"number""#))
        .all(|r| r.pass_flexible.is_none()));
    let strict = with_number.iter().filter(|r| r.pass == Some(true)).count();
    let flexible = with_number
        .iter()
        .filter(|r| r.pass_flexible == Some(true))
        .count();
    let multiply = rescored
        .iter()
        .find(|r| r.case_id == "reasoning.multiply")
        .unwrap();
    assert_eq!(
        (multiply.pass, multiply.pass_flexible),
        (Some(false), Some(true)),
        "{}",
        multiply.verdicts
    );
    assert!(multiply
        .verdicts
        .contains(r#""flexible":{"pass":true,"reason":"last number 180 is 180 ± 0"}"#));
    assert_eq!((with_number.len(), strict, flexible), (18, 3, 4));
    let summary: Vec<SummaryRow> = read_table(&dir.join("summary.parquet")).unwrap();
    let overall = summary[5].quality.as_ref().unwrap();
    assert_eq!(overall.pass_rate, Some(24.0 / 67.0), "strict, as stored");
    assert_eq!(overall.pass_rate_flexible, Some(25.0 / 67.0));
}

/// The CSV text without the named columns (cells split at unquoted commas
/// and lines at unquoted newlines; every other byte kept).
fn without_csv_columns(text: &str, names: &[&str]) -> String {
    let records = csv_records(text);
    let header = &records[0];
    let dropped: Vec<usize> = names
        .iter()
        .map(|n| {
            header
                .iter()
                .position(|c| c == n)
                .unwrap_or_else(|| panic!("no column {n}"))
        })
        .collect();
    records
        .iter()
        .map(|cells| {
            let kept: Vec<&str> = cells
                .iter()
                .enumerate()
                .filter(|(i, _)| !dropped.contains(i))
                .map(|(_, c)| c.as_str())
                .collect();
            kept.join(",") + "\n"
        })
        .collect()
}

/// Raw cells (quotes kept) of each record.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut cells, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cell.push(c);
            }
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            '\n' if !quoted => {
                cells.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut cells));
            }
            _ => cell.push(c),
        }
    }
    records
}

/// quality.csv's verdicts without the number checks' `flexible` readings.
fn without_flexible_verdicts(text: &str) -> String {
    let flexible =
        regex::Regex::new(r#",""flexible"":\{""pass"":(true|false),""reason"":""[^"]*""\}"#)
            .unwrap();
    flexible.replace_all(text, "").into_owned()
}

#[test]
fn resume_of_a_finished_stored_run_rewrites_the_same_files() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // The manifest names the model as given (relative): point it at this machine's copy.
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let model = smollm();
    let text = text.replace(
        "\"models/SmolLM2-135M-Instruct-Q4_1.gguf\"",
        &serde_json::to_string(&model.to_string_lossy()).unwrap(),
    );
    std::fs::write(&manifest, text).unwrap();
    // An earlier build measured it: resuming with this one must be forced.
    let o = edgebench()
        .args(["run", "--resume-force", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert_files_unchanged(&dir, CSV_FILES);
    assert_summary_md_same_figures(&dir);
    for table in ["speed", "quality", "summary"] {
        let path = format!("{table}.parquet");
        let before = read_parquet(&fixture().join(&path));
        let mut after = read_parquet(&dir.join(&path));
        if table == "summary" {
            // Added after this run was written: computed again from its latencies.
            after = after.drop("answers_per_min").unwrap();
        }
        assert_eq!(before.schema(), after.schema(), "{path}");
        assert!(before.equals_missing(&after), "{path}");
    }
}
