//! The import on small BFCL-format files written here (never the real data).
use std::path::{Path, PathBuf};

use super::{import, ImportRequest, DEFAULT_SEED};
use crate::checks::AnswerUnderCheck;
use crate::suite::quality::parse_quality_suite;

const DOC: &str = r#"[{"name": "calc_area", "description": "Area", "parameters": {"type": "dict", "required": ["base"], "properties": {"base": {"type": "integer"}, "unit": {"type": "string"}}}}]"#;

fn question(id: &str, text: &str) -> String {
    format!(
        r#"{{"id": "{id}", "question": [[{{"role": "user", "content": "{text}"}}]], "function": {DOC}}}"#
    )
}

fn answer(id: &str, base: u32) -> String {
    format!(
        r#"{{"id": "{id}", "ground_truth": [{{"calc_area": {{"base": [{base}], "unit": ["cm", ""]}}}}]}}"#
    )
}

/// A directory with `n` simple_python entries and one irrelevance entry.
fn fixture(n: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("possible_answer")).unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("simple_python_{i}")).collect();
    let questions: Vec<String> = ids
        .iter()
        .map(|id| question(id, "Area with base 7?"))
        .collect();
    let answers: Vec<String> = ids.iter().map(|id| answer(id, 7)).collect();
    write(
        dir.path(),
        "BFCL_v4_simple_python.json",
        &questions.join("\n"),
    );
    write(
        dir.path(),
        "possible_answer/BFCL_v4_simple_python.json",
        &answers.join("\n"),
    );
    write(
        dir.path(),
        "BFCL_v4_irrelevance.json",
        &question("irrelevance_0", "Sing a song."),
    );
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn request(from: PathBuf, categories: &[&str]) -> ImportRequest {
    ImportRequest {
        from,
        categories: categories.iter().map(|c| c.to_string()).collect(),
        sample: None,
        seed: DEFAULT_SEED,
        any_version: true,
        name: "bfcl-test".into(),
    }
}

#[test]
fn entries_become_cases_the_bfcl_check_scores() {
    let dir = fixture(2);
    let imported = import(&request(
        dir.path().into(),
        &["simple_python", "irrelevance"],
    ))
    .unwrap();
    let suite = parse_quality_suite(&imported.toml, Path::new("bfcl-test.toml")).unwrap();
    assert_eq!(suite.cases.len(), 3);
    assert_eq!(imported.counts[0], ("simple_python".to_string(), 2, 2));
    assert!(suite
        .prompt_format
        .as_deref()
        .unwrap()
        .starts_with("edgebench-json-system"));
    let case = suite.case("simple_python_1").unwrap();
    assert_eq!(case.category, "simple_python");
    assert!(
        case.messages[0].content.contains("\"name\":\"calc_area\""),
        "tools in the system turn"
    );
    assert_eq!(case.messages[1].content, "Area with base 7?");
    let right = r#"{"name": "calc_area", "arguments": {"base": 7}}"#;
    let wrong = r#"{"name": "calc_area", "arguments": {"base": 7.0}}"#;
    assert!(case.checks[0].evaluate(&AnswerUnderCheck::text(right)).pass);
    assert!(!case.checks[0].evaluate(&AnswerUnderCheck::text(wrong)).pass);
    let irrelevant = suite.case("irrelevance_0").unwrap();
    assert!(
        irrelevant.checks[0]
            .evaluate(&AnswerUnderCheck::text("No tool fits."))
            .pass
    );
    assert!(
        !irrelevant.checks[0]
            .evaluate(&AnswerUnderCheck::text(right))
            .pass
    );
}

#[test]
fn a_sample_is_stratified_and_the_same_every_time() {
    let dir = fixture(9);
    let mut asked = request(dir.path().into(), &["simple_python", "irrelevance"]);
    asked.sample = Some(4);
    let first = import(&asked).unwrap();
    assert_eq!(first.counts[0], ("simple_python".to_string(), 4, 9));
    assert_eq!(first.counts[1], ("irrelevance".to_string(), 1, 1));
    assert_eq!(import(&asked).unwrap().toml, first.toml);
    assert!(first
        .toml
        .contains("at most 4 per category (seed 20260323)"));
}

fn error(asked: &ImportRequest) -> String {
    let e = import(asked).err().expect("an error").to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn bad_input_is_one_line_naming_what_is_wrong() {
    let dir = fixture(2);
    let missing = request(dir.path().join("nowhere"), &[]);
    assert!(error(&missing).contains("BFCL data not found"));
    let unknown = request(dir.path().into(), &["simple_cobol"]);
    assert!(error(&unknown).contains("unknown BFCL category `simple_cobol`"));
    let no_file = request(dir.path().into(), &["multiple"]);
    let e = error(&no_file);
    assert!(e.contains("BFCL_v4_multiple.json: cannot read"), "{e}");
    let q = dir.path().join("BFCL_v4_simple_python.json");
    let text = std::fs::read_to_string(&q).unwrap();
    std::fs::write(&q, text.replace("\"question\": [[", "\"question\": [")).unwrap();
    let e = error(&request(dir.path().into(), &["simple_python"]));
    assert!(
        e.contains("BFCL_v4_simple_python.json:1: not a BFCL question"),
        "{e}"
    );
}

#[test]
fn the_pinned_version_is_checked_unless_told_otherwise() {
    let dir = fixture(1);
    let mut asked = request(dir.path().into(), &["simple_python"]);
    asked.any_version = false;
    let e = error(&asked);
    assert!(
        e.contains("METADATA: not found") && e.contains("--any-version"),
        "{e}"
    );
    let info = dir.path().join("bfcl_eval-2026.3.23.dist-info");
    std::fs::create_dir(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        "Name: bfcl_eval\nVersion: 2025.1.1\n",
    )
    .unwrap();
    assert!(error(&asked).contains("version 2025.1.1 is not the pinned 2026.3.23"));
    std::fs::write(
        info.join("METADATA"),
        "Name: bfcl_eval\nVersion: 2026.3.23\n",
    )
    .unwrap();
    let e = error(&asked);
    assert!(
        e.contains("BFCL_v4_simple_python.json: sha256") && e.contains("damaged"),
        "{e}"
    );
}

#[test]
fn a_case_id_the_loader_would_refuse_is_refused_at_import() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "BFCL_v4_irrelevance.json",
        &[
            question("irrelevance_0", "Hi."),
            question("Irrelevance 1", "Hi."),
        ]
        .join("\n"),
    );
    let e = import(&request(dir.path().into(), &["irrelevance"]))
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("BFCL_v4_irrelevance.json:2") && e.contains("case id `Irrelevance 1`"),
        "{e}"
    );
}
