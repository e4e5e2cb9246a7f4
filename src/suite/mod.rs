//! Suite files (TOML in suites/) and the prompts they use (files in prompts/).
//! A suite's `kind` says what it measures: speed, quality or stability.
pub mod bfcl;
mod digest;
mod message;
mod prompt_path;
pub mod quality;
pub mod stability;
pub mod tools;

pub use message::Message;
pub use quality::{Case, Decoding, GenerationSettings, QualitySuite};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{toml_error, UsageError};

/// A realistic prompt for the user-path tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// File stem, e.g. "voice-question"; the test is named `e2e:<name>`.
    pub name: String,
    pub text: String,
}

/// The speed suite: engine-only ppN/tgN and user-path prompts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedSuiteFile {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub description: String,
    pub pp: Option<Vec<u32>>,
    pub tg: Option<Vec<u32>>,
    pub e2e_tokens: Option<u32>,
    /// Files under prompts/.
    #[serde(default)]
    pub prompts: Vec<String>,
    /// A file under prompts/ with `[[turn]]`s: the conversation already in
    /// the cache when the next turn is measured at a depth (`--depth`).
    pub conversation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SpeedSuite {
    pub file: SpeedSuiteFile,
    pub path: PathBuf,
    pub prompts: Vec<Prompt>,
    /// The conversation's turns (empty: no user path at a depth).
    pub conversation: Vec<Message>,
}

/// Where suites/ and prompts/ live: the current directory when it has them,
/// else the binary's own directory when it has them (the portable package),
/// else the source tree this binary was built from.
pub fn project_dir(sub: &str) -> PathBuf {
    let here = PathBuf::from(sub);
    if here.is_dir() {
        return here;
    }
    let beside_binary = std::env::current_exe()
        .and_then(|exe| exe.canonicalize())
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(sub)));
    match beside_binary {
        Some(dir) if dir.is_dir() => dir,
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(sub),
    }
}

/// `--suite NAME` finds suites/NAME.toml; anything with a slash or .toml is a path.
pub fn resolve_suite_path(name_or_path: &str) -> Result<PathBuf, UsageError> {
    let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
    let path = if looks_like_path {
        PathBuf::from(name_or_path)
    } else {
        project_dir("suites").join(format!("{name_or_path}.toml"))
    };
    if path.is_file() {
        return Ok(path);
    }
    let available = list_suites()
        .map(|s| s.into_iter().map(|(n, _)| n).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    Err(UsageError::new(format!(
        "suite `{name_or_path}` not found ({} does not exist; available: {available})",
        path.display()
    )))
}

/// Every suite a sweep runs, by kind.
#[derive(Debug, Clone, Default)]
pub struct Suites {
    pub speed: Option<SpeedSuite>,
    pub quality: Vec<QualitySuite>,
}

impl Suites {
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.speed.iter().map(|s| s.file.name.clone()).collect();
        names.extend(self.quality.iter().map(|q| q.name.clone()));
        names
    }
}

/// One loaded suite of any kind.
#[allow(clippy::large_enum_variant)] // a handful per run; boxing would only add noise
pub enum AnySuite {
    Speed(SpeedSuite),
    Quality(QualitySuite),
}

/// Reads suites by name or path; all of them are checked before anything runs.
pub fn load_suites(names: &[String]) -> Result<Suites, UsageError> {
    let mut suites = Suites::default();
    for name in names {
        match load_suite(name)? {
            AnySuite::Speed(s) if suites.speed.is_some() => {
                return Err(UsageError::new(format!(
                    "suite {}: only one speed suite per sweep",
                    s.path.display()
                )))
            }
            AnySuite::Speed(s) => suites.speed = Some(s),
            AnySuite::Quality(q) if suites.quality.iter().any(|o| o.name == q.name) => {
                return Err(UsageError::new(format!(
                    "suite `{}` is named twice",
                    q.name
                )))
            }
            AnySuite::Quality(q)
                if q.stability.is_some()
                    && suites.quality.iter().any(|o| o.stability.is_some()) =>
            {
                return Err(UsageError::new(format!(
                    "suite {}: only one stability suite per sweep",
                    q.path.display()
                )))
            }
            AnySuite::Quality(q) => suites.quality.push(q),
        }
    }
    if suites.speed.is_none() && suites.quality.is_empty() {
        return Err(UsageError::new("no suite to run (e.g. --suite speed)"));
    }
    Ok(suites)
}

pub fn load_suite(name_or_path: &str) -> Result<AnySuite, UsageError> {
    let path = resolve_suite_path(name_or_path)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| UsageError::new(format!("cannot read suite {}: {e}", path.display())))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| toml_error(&e, &text, &path))?;
    match table.get("kind").and_then(|k| k.as_str()) {
        Some("speed") => parse_speed_suite(&text, path).map(AnySuite::Speed),
        Some("quality" | "stability") => {
            quality::parse_quality_suite(&text, &path).map(AnySuite::Quality)
        }
        Some(other) => Err(UsageError::new(format!(
            "{}: suite kind `{other}` is not supported (supported: speed, quality, stability)",
            path.display()
        ))),
        None => Err(UsageError::new(format!(
            "{}: missing `kind` (speed or quality)",
            path.display()
        ))),
    }
}

pub fn load_speed_suite(name_or_path: &str) -> Result<SpeedSuite, UsageError> {
    match load_suite(name_or_path)? {
        AnySuite::Speed(s) => Ok(s),
        AnySuite::Quality(q) => Err(UsageError::new(format!(
            "{}: a quality suite, not a speed suite",
            q.path.display()
        ))),
    }
}

fn parse_speed_suite(text: &str, path: PathBuf) -> Result<SpeedSuite, UsageError> {
    let file: SpeedSuiteFile = toml::from_str(text).map_err(|e| toml_error(&e, text, &path))?;
    if file.kind != "speed" {
        return Err(UsageError::new(format!(
            "{}: suite kind `{}` is not supported by this version (supported: speed)",
            path.display(),
            file.kind
        )));
    }
    let prompts_dir = project_dir("prompts");
    let prompts = file
        .prompts
        .iter()
        .map(|p| load_prompt(&prompts_dir, p, &path))
        .collect::<Result<Vec<_>, _>>()?;
    let conversation = match &file.conversation {
        Some(name) => load_conversation(&prompts_dir, name, &path)?,
        None => Vec::new(),
    };
    Ok(SpeedSuite {
        file,
        path,
        prompts,
        conversation,
    })
}

/// `[[turn]]` role/content pairs, user and assistant alternating, from the user.
fn load_conversation(dir: &Path, file: &str, suite: &Path) -> Result<Vec<Message>, UsageError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ConversationFile {
        turn: Vec<Message>,
    }
    let what = |e: String| UsageError::new(format!("{}: conversation {e}", suite.display()));
    let path = prompt_path::inside(dir, file).map_err(|e| what(e.to_string()))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| what(format!("{} cannot be read: {e}", path.display())))?;
    let parsed: ConversationFile =
        toml::from_str(&text).map_err(|e| toml_error(&e, &text, &path))?;
    let alternating = parsed
        .turn
        .iter()
        .enumerate()
        .all(|(i, m)| m.role == ["user", "assistant"][i % 2] && !m.content.trim().is_empty());
    if parsed.turn.len() < 2 || !parsed.turn.len().is_multiple_of(2) || !alternating {
        return Err(what(format!(
            "{}: turns must alternate user, assistant (from the user, in pairs, none empty)",
            path.display()
        )));
    }
    Ok(parsed.turn)
}

fn load_prompt(dir: &Path, file: &str, suite: &Path) -> Result<Prompt, UsageError> {
    let path = prompt_path::inside(dir, file)
        .map_err(|e| UsageError::new(format!("{}: prompt file {e}", suite.display())))?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        UsageError::new(format!(
            "{}: prompt file {} cannot be read: {e}",
            suite.display(),
            path.display()
        ))
    })?;
    let name = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    Ok(Prompt {
        name,
        text: text.trim().to_string(),
    })
}

/// (name, path) of every suite in suites/.
pub fn list_suites() -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut suites: Vec<(String, PathBuf)> = std::fs::read_dir(project_dir("suites"))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
        .collect();
    suites.sort();
    Ok(suites)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_speed_suite_loads_with_its_prompts() {
        let suite = load_speed_suite("speed").unwrap();
        assert_eq!(suite.file.kind, "speed");
        assert!(suite.prompts.len() >= 3);
        let names: Vec<_> = suite.prompts.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&"voice-question") && names.contains(&"long-summary"));
        assert!(suite.prompts.iter().all(|p| !p.text.is_empty()));
        assert!(
            suite.conversation.len() >= 10,
            "the depth conversation loads"
        );
    }

    #[test]
    fn unknown_suite_names_what_exists() {
        let e = load_speed_suite("no-such-suite").unwrap_err().to_string();
        assert!(e.contains("no-such-suite") && e.contains("speed"), "{e}");
    }

    #[test]
    fn bad_suite_file_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "name = \"x\"\nkind = \"speed\"\nppp = [1]\n").unwrap();
        let e = load_speed_suite(path.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.toml:3:") && e.contains("ppp"), "{e}");
    }
}
