//! Reading one BFCL category: its questions file and its possible-answer file, one
//! JSON object a line. Every problem names the file and, where there is one, the line.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::suite::quality::check_case_id;
use crate::suite::Message;

/// One BFCL entry, ready to become a case.
#[derive(Debug, Clone)]
pub struct BfclEntry {
    pub id: String,
    pub category: String,
    pub messages: Vec<Message>,
    pub functions: Value,
    /// `[]` for the categories without possible answers.
    pub ground_truth: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionLine {
    id: String,
    question: Vec<Vec<Message>>,
    function: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerLine {
    id: String,
    ground_truth: Value,
}

/// A data file that was read, with its sha256 (recorded in the suite).
pub struct ReadFile {
    pub path: PathBuf,
    pub text: String,
    pub sha256: String,
}

pub fn read_file(path: &Path) -> Result<ReadFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let sha256 = format!("{:x}", Sha256::digest(text.as_bytes()));
    Ok(ReadFile {
        path: path.to_path_buf(),
        text,
        sha256,
    })
}

/// The entries of a category; `answers` is None for irrelevance and relevance.
pub fn entries(
    category: &str,
    questions: &ReadFile,
    answers: Option<&ReadFile>,
) -> Result<Vec<BfclEntry>, String> {
    let truth = match answers {
        Some(file) => ground_truths(file)?,
        None => HashMap::new(),
    };
    let mut out = Vec::new();
    for (index, line) in lines(&questions.text) {
        let at = format!("{}:{}", questions.path.display(), index + 1);
        let entry: QuestionLine =
            serde_json::from_str(line).map_err(|e| format!("{at}: not a BFCL question: {e}"))?;
        // Refused here, not when the suite is loaded for a sweep.
        check_case_id(&entry.id).map_err(|e| format!("{at}: {e}"))?;
        let [turn] = <[Vec<Message>; 1]>::try_from(entry.question)
            .map_err(|_| format!("{at}: `{}` is not single-turn", entry.id))?;
        let ground_truth = match (answers, truth.get(&entry.id)) {
            (None, _) => Value::Array(Vec::new()),
            (Some(_), Some(value)) => value.clone(),
            (Some(file), None) => {
                return Err(format!(
                    "{}: no possible answer for `{}` ({at})",
                    file.path.display(),
                    entry.id
                ))
            }
        };
        out.push(BfclEntry {
            id: entry.id,
            category: category.to_string(),
            messages: turn,
            functions: entry.function,
            ground_truth,
        });
    }
    Ok(out)
}

fn ground_truths(file: &ReadFile) -> Result<HashMap<String, Value>, String> {
    let mut truth = HashMap::new();
    for (index, line) in lines(&file.text) {
        let answer: AnswerLine = serde_json::from_str(line).map_err(|e| {
            format!(
                "{}:{}: not a BFCL possible answer: {e}",
                file.path.display(),
                index + 1
            )
        })?;
        truth.insert(answer.id, answer.ground_truth);
    }
    Ok(truth)
}

/// Non-blank lines with their 0-based index.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
}
