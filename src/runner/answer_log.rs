//! parts/<unit_id>.answers.jsonl: each quality answer of the unit in progress,
//! appended the moment the child sends it, so that an interrupted or killed
//! sweep keeps the answers it had (an overnight BFCL unit runs for hours).
//! `--resume` asks the child only for the cases not answered yet and scores
//! the kept answers with the new ones; the file goes once the unit's record is
//! written.
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::protocol::{AnswerMessage, QualityItem};
use crate::results::{no_follow, unit_file};
use crate::suite::Decoding;

fn log_path(run_dir: &Path, unit_id: &str) -> Result<PathBuf> {
    unit_file(run_dir, "parts", unit_id, "answers.jsonl")
}

/// Appends answers to one unit's log.
pub(super) struct AnswerLog {
    path: PathBuf,
    file: Option<File>,
    /// A torn last line of an earlier attempt was ended before appending.
    checked_end: bool,
    /// The first failure to write, reported once (the answers still reach the record).
    failed: Option<String>,
}

impl AnswerLog {
    pub(super) fn new(run_dir: &Path, unit_id: &str) -> Result<Self> {
        Ok(AnswerLog {
            path: log_path(run_dir, unit_id)?,
            file: None,
            checked_end: false,
            failed: None,
        })
    }

    /// One line per answer, flushed; a failure is kept for `failure` and the
    /// sweep goes on (the answer is still in the unit's record at its end).
    pub(super) fn append(&mut self, answer: &AnswerMessage) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.try_append(answer) {
            self.failed = Some(format!("{}: {e:#}", self.path.display()));
        }
    }

    fn try_append(&mut self, answer: &AnswerMessage) -> Result<()> {
        if self.file.is_none() {
            // A link planted in the run directory is not appended through.
            let file = no_follow(&mut OpenOptions::new())
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.file = Some(file);
        }
        let file = self.file.as_mut().expect("opened above");
        if !self.checked_end {
            end_torn_line(&self.path, file)?;
            self.checked_end = true;
        }
        let mut line = serde_json::to_vec(answer)?;
        line.push(b'\n');
        file.write_all(&line)?;
        file.flush()?;
        Ok(())
    }

    pub(super) fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }
}

/// A file whose last line was cut short (an earlier attempt killed mid-write)
/// gets its line ended, so the next answer starts a line of its own.
fn end_torn_line(path: &Path, file: &mut File) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let mut last = [0u8; 1];
    let mut reader = File::open(path)?;
    reader.seek(SeekFrom::Start(len - 1))?;
    reader.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.write_all(b"\n")?;
    }
    Ok(())
}

/// No answer line is longer: the child's messages are capped at this (a
/// longer line is not one edgebench wrote).
const MAX_ANSWER_LINE: usize = super::child_output::MAX_PROTOCOL_LINE;

/// The answers an earlier, unfinished attempt at the unit kept. Read as
/// bytes, one line at most `MAX_ANSWER_LINE`: a last line cut short (a kill,
/// a full disk: it may end inside a UTF-8 character) or an over-long line is
/// left out with a warning, and its case is asked again.
pub(super) fn kept_answers(run_dir: &Path, unit_id: &str) -> Result<Vec<AnswerMessage>> {
    let path = log_path(run_dir, unit_id)?;
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("{}", path.display())),
    };
    let (answers, dropped) = read_answers(BufReader::new(file), MAX_ANSWER_LINE)
        .with_context(|| format!("{}", path.display()))?;
    for why in dropped {
        eprintln!(
            "warning: {}: {why}; that answer is asked again",
            path.display()
        );
    }
    Ok(answers)
}

/// The answers of a log, and why lines were left out.
fn read_answers(
    mut reader: impl BufRead,
    max_line: usize,
) -> std::io::Result<(Vec<AnswerMessage>, Vec<String>)> {
    let (mut answers, mut dropped) = (Vec::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader)
            .take(max_line as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        if line.last() != Some(&b'\n') {
            if line.len() > max_line {
                skip_line(&mut reader)?;
                dropped.push(format!("a line over {max_line} bytes was skipped"));
                continue;
            }
            dropped.push("its last line was cut short (a kill or a full disk)".into());
            break;
        }
        if let Ok(answer) = serde_json::from_slice::<AnswerMessage>(&line) {
            answers.push(answer);
        }
    }
    Ok((answers, dropped))
}

/// Consumes the rest of a line without keeping it.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// The unit's record holds its answers now.
pub(super) fn remove(run_dir: &Path, unit_id: &str) -> Result<()> {
    match std::fs::remove_file(log_path(run_dir, unit_id)?) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The items the kept answers do not answer yet. An answer that failed is
/// asked again; one the engine cannot give (unsupported) is not.
pub(super) fn unanswered(items: Vec<QualityItem>, kept: &[AnswerMessage]) -> Vec<QualityItem> {
    let answered = |item: &QualityItem| {
        kept.iter().any(|a| {
            a.suite == item.suite
                && a.case_id == item.case_id
                && a.rep == item.rep
                && a.decoding.unwrap_or(Decoding::Free) == item.decoding
                && (a.error.is_none() || a.unsupported)
        })
    };
    items.into_iter().filter(|item| !answered(item)).collect()
}

/// Kept answers that are still asked for (the suite may have been changed
/// under `--resume-force`), failed ones left out: they are asked again.
pub(super) fn still_wanted(kept: Vec<AnswerMessage>, all: &[QualityItem]) -> Vec<AnswerMessage> {
    kept.into_iter()
        .filter(|a| a.error.is_none() || a.unsupported)
        .filter(|a| {
            all.iter().any(|item| {
                a.suite == item.suite
                    && a.case_id == item.case_id
                    && a.rep == item.rep
                    && a.decoding.unwrap_or(Decoding::Free) == item.decoding
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(case: &str, rep: u32) -> QualityItem {
        QualityItem {
            suite: "s".into(),
            case_id: case.into(),
            decoding: Decoding::Free,
            rep,
            messages: Vec::new(),
            use_chat_template: true,
            max_tokens: 8,
            sampling: crate::suite::GenerationSettings {
                temperature: 0.0,
                top_p: 1.0,
                seed: 0,
            },
            json_schema: None,
            choices: None,
            tools: Vec::new(),
            cold_cache: false,
        }
    }

    fn answer(case: &str, rep: u32, error: Option<&str>) -> AnswerMessage {
        AnswerMessage {
            suite: "s".into(),
            case_id: case.into(),
            rep,
            output_text: format!("answer to {case}"),
            error: error.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn answers_survive_a_torn_last_line_and_only_unanswered_items_are_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("parts")).unwrap();
        let mut log = AnswerLog::new(dir.path(), "c0-k0").unwrap();
        log.append(&answer("a", 0, None));
        log.append(&answer("b", 0, Some("timed out")));
        log.append(&answer("a", 1, None));
        assert_eq!(log.failure(), None);
        // A kill in the middle of a line.
        let path = dir.path().join("parts/c0-k0.answers.jsonl");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(r#"{"suite":"s","case_id":"c","#);
        std::fs::write(&path, text).unwrap();

        let kept = kept_answers(dir.path(), "c0-k0").unwrap();
        assert_eq!(kept.len(), 3);
        let items = vec![item("a", 0), item("b", 0), item("c", 0), item("a", 1)];
        let asked: Vec<(String, u32)> = unanswered(items.clone(), &kept)
            .into_iter()
            .map(|i| (i.case_id, i.rep))
            .collect();
        assert_eq!(asked, [("b".to_string(), 0), ("c".to_string(), 0)]);
        let reused: Vec<String> = still_wanted(kept, &items[..2])
            .into_iter()
            .map(|a| a.case_id)
            .collect();
        assert_eq!(reused, ["a"], "b failed, a rep 1 is no longer asked");

        remove(dir.path(), "c0-k0").unwrap();
        assert!(kept_answers(dir.path(), "c0-k0").unwrap().is_empty());
        remove(dir.path(), "c0-k0").unwrap();
    }

    #[test]
    fn a_last_line_cut_inside_a_character_is_dropped_and_the_next_answer_gets_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("parts")).unwrap();
        let mut log = AnswerLog::new(dir.path(), "c0-k0").unwrap();
        log.append(&answer("a", 0, None));
        drop(log);
        // A full disk: the line stops inside "é" (0xC3 0xA9).
        let path = dir.path().join("parts/c0-k0.answers.jsonl");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"suite\":\"s\",\"case_id\":\"caf\xc3");
        std::fs::write(&path, bytes).unwrap();
        let kept = kept_answers(dir.path(), "c0-k0").unwrap();
        assert_eq!(kept.len(), 1, "the torn line is dropped, not an error");

        // The resumed attempt appends after the torn line without losing its answer.
        let mut log = AnswerLog::new(dir.path(), "c0-k0").unwrap();
        log.append(&answer("b", 0, None));
        assert_eq!(log.failure(), None);
        let cases: Vec<String> = kept_answers(dir.path(), "c0-k0")
            .unwrap()
            .into_iter()
            .map(|a| a.case_id)
            .collect();
        assert_eq!(cases, ["a", "b"]);
    }

    #[test]
    fn an_over_long_line_is_skipped_without_being_read_whole() {
        let good = serde_json::to_string(&answer("a", 0, None)).unwrap();
        let long = format!("{{\"suite\":\"{}\"}}", "x".repeat(5000));
        let text = format!("{good}\n{long}\n{good}\n{long}");
        let (answers, dropped) = read_answers(text.as_bytes(), 1000).unwrap();
        assert_eq!(answers.len(), 2, "the line after the long one is read");
        assert_eq!(dropped.len(), 2, "{dropped:?}");
        assert!(dropped[0].contains("over 1000 bytes"), "{dropped:?}");
        let (answers, dropped) = read_answers(b"\xff\xfe\n".as_slice(), 1000).unwrap();
        assert!(
            answers.is_empty() && dropped.is_empty(),
            "a whole bad line is left out"
        );
    }

    #[test]
    fn a_foreign_unit_id_names_no_file() {
        assert!(AnswerLog::new(Path::new("/tmp"), "../x").is_err());
        assert!(kept_answers(Path::new("/tmp"), "c0-k0/../../x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn an_answer_log_that_is_a_link_is_not_appended_through() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("parts")).unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "keep me").unwrap();
        let link = dir.path().join("parts/c0-k0.answers.jsonl");
        std::os::unix::fs::symlink(&outside, link).unwrap();
        let mut log = AnswerLog::new(dir.path(), "c0-k0").unwrap();
        log.append(&answer("a", 0, None));
        assert!(log.failure().is_some(), "the failure is reported");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
    }
}
