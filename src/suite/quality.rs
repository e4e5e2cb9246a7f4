//! Quality suites (kind = "quality"): cases with prompts or conversations and the
//! checks their answers must pass. The format is documented in docs/suites.md.
//! Everything is checked when the file is read, before any model is loaded.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use super::message::Message;
use super::stability::{self, StabilitySpec};
use super::{project_dir, prompt_path, tools};
use crate::checks::Check;
use crate::error::{toml_error, UsageError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    seed: Option<u32>,
    use_chat_template: Option<bool>,
    system: Option<String>,
    constrained: Option<Constrained>,
    /// Repetitions of every case (pass^N and determinism need more than one).
    reps: Option<u32>,
    source: Option<String>,
    licence: Option<String>,
    /// How tools are put to the model (imported suites record it: it changes scores).
    prompt_format: Option<String>,
    #[serde(default)]
    tools: Vec<tools::ToolSpec>,
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<CaseFile>>,
    // kind = "stability" only:
    soak: Option<stability::SoakSpec>,
    multi_turn: Option<stability::MultiTurnSpec>,
    memory_ceiling: Option<stability::CeilingSpec>,
    fidelity: Option<stability::FidelitySpec>,
}

/// Settings a suite gives all its cases and a case may override (the same keys
/// appear in both; serde's flatten cannot be combined with deny_unknown_fields).
#[derive(Debug, Clone, Default)]
struct CaseSettings {
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    seed: Option<u32>,
    use_chat_template: Option<bool>,
    system: Option<String>,
    constrained: Option<Constrained>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    id: String,
    category: String,
    prompt: Option<String>,
    prompt_file: Option<String>,
    messages: Option<Vec<Message>>,
    choices: Option<Vec<String>>,
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    seed: Option<u32>,
    use_chat_template: Option<bool>,
    system: Option<String>,
    constrained: Option<Constrained>,
    checks: Vec<Spanned<Check>>,
}

/// Whether json_schema / tool_call cases also run with grammar-constrained decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Constrained {
    Off,
    #[default]
    Both,
    Only,
}

/// How the answer is decoded: freely, or held to the case's JSON schema by a grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decoding {
    Free,
    Constrained,
    /// Tools sent in a server API's `tools` field (not in the prompt) and the
    /// reply's `tool_calls` scored: a served candidate's `tool_calls = "native"`.
    Native,
}

impl Decoding {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decoding::Free => "free",
            Decoding::Constrained => "constrained",
            Decoding::Native => "native",
        }
    }
}

/// How tokens are drawn for one case (temperature, top-p, seed); temperature 0 is greedy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GenerationSettings {
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u32,
}

/// A case ready to run: conversation resolved, settings merged, checks validated.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub category: String,
    pub messages: Vec<Message>,
    pub use_chat_template: bool,
    pub max_tokens: u32,
    pub sampling: GenerationSettings,
    pub choices: Option<Vec<String>>,
    pub checks: Vec<Check>,
    /// The decodings this case runs with (free, constrained or both).
    pub decodings: Vec<Decoding>,
    /// JSON schema for constrained decoding, when a check gives one.
    pub schema: Option<serde_json::Value>,
    /// The tools offered (the suite's, or a BFCL case's own); empty: none.
    /// `messages` has them in its system message; `native_messages` does not,
    /// for a server that takes them in its API's `tools` field.
    pub tools: Vec<tools::ToolSpec>,
    pub native_messages: Vec<Message>,
    /// The tools as the API's `tools` field carries them: `tools`, or for a
    /// BFCL case its functions converted as bfcl-eval sends them.
    pub native_tools: Vec<tools::ToolSpec>,
}

impl Case {
    /// The conversation of one decoding: without the tool prompt when the
    /// tools go through the API.
    pub fn messages_for(&self, decoding: Decoding) -> &[Message] {
        match decoding {
            Decoding::Native => &self.native_messages,
            Decoding::Free | Decoding::Constrained => &self.messages,
        }
    }
}

#[derive(Debug, Clone)]
pub struct QualitySuite {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    pub reps: u32,
    pub source: Option<String>,
    pub licence: Option<String>,
    pub prompt_format: Option<String>,
    pub tools: Vec<tools::ToolSpec>,
    pub cases: Vec<Case>,
    /// kind = "stability": its own tests, besides the cases.
    pub stability: Option<StabilitySpec>,
    /// The fidelity text (prompts/<text_file>), read when the suite is loaded.
    pub fidelity_text: Option<String>,
}

impl QualitySuite {
    pub fn case(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// Model runs per repetition: one per case and decoding.
    pub fn runs_per_rep(&self) -> usize {
        self.cases.iter().map(|c| c.decodings.len()).sum()
    }
}

const DEFAULT_MAX_TOKENS: u32 = 128;

/// Parses and checks a quality suite; every error names the file and line.
pub fn parse_quality_suite(text: &str, path: &Path) -> Result<QualitySuite, UsageError> {
    let file: SuiteFile = toml::from_str(text).map_err(|e| toml_error(&e, text, path))?;
    let at = |span: std::ops::Range<usize>, message: String| {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        UsageError::new(format!("{}:{line}: {message}", path.display()))
    };
    let is_stability = file.kind == "stability";
    if file.kind != "quality" && !is_stability {
        return Err(UsageError::new(format!(
            "{}: kind `{}` is not a quality or stability suite",
            path.display(),
            file.kind
        )));
    }
    let stability = stability_spec(&file, path)?;
    let fidelity_text = fidelity_text(&stability, path)?;
    if file.cases.is_empty() && !is_stability {
        return Err(UsageError::new(format!(
            "{}: no [[case]] in the suite",
            path.display()
        )));
    }
    if file.reps == Some(0) {
        return Err(UsageError::new(format!(
            "{}: reps must be at least 1",
            path.display()
        )));
    }
    for tool in &file.tools {
        tool.validate()
            .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?;
    }
    let prompts_dir = project_dir("prompts");
    let mut cases: Vec<Case> = Vec::new();
    for spanned in &file.cases {
        let span = spanned.span();
        let case = spanned.get_ref();
        if cases.iter().any(|c| c.id == case.id) {
            return Err(at(span, format!("case id `{}` is used twice", case.id)));
        }
        let resolved = resolve_case(case, &file, &prompts_dir).map_err(|e| at(span.clone(), e))?;
        for check in &case.checks {
            check
                .get_ref()
                .validate()
                .map_err(|e| at(check.span(), format!("case `{}`: {e}", case.id)))?;
        }
        cases.push(resolved);
    }
    Ok(QualitySuite {
        name: file.name.clone(),
        description: file.description.clone(),
        path: path.to_path_buf(),
        reps: file.reps.unwrap_or(1),
        source: file.source.clone(),
        licence: file.licence.clone(),
        prompt_format: file.prompt_format.clone(),
        tools: file.tools.clone(),
        cases,
        stability: is_stability.then_some(stability),
        fidelity_text,
    })
}

/// The stability tests of the suite, which only a kind = "stability" suite may have.
fn stability_spec(file: &SuiteFile, path: &Path) -> Result<StabilitySpec, UsageError> {
    let stability = StabilitySpec {
        soak: file.soak.clone(),
        multi_turn: file.multi_turn.clone(),
        memory_ceiling: file.memory_ceiling.clone(),
        fidelity: file.fidelity.clone(),
    };
    if file.kind != "stability" && stability != StabilitySpec::default() {
        return Err(UsageError::new(format!(
            "{}: soak, multi_turn, memory_ceiling and fidelity belong in a kind = \"stability\" suite",
            path.display()
        )));
    }
    stability
        .validate()
        .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?;
    Ok(stability)
}

/// The text the fidelity test scores, from prompts/.
fn fidelity_text(stability: &StabilitySpec, path: &Path) -> Result<Option<String>, UsageError> {
    let Some(f) = &stability.fidelity else {
        return Ok(None);
    };
    let p = prompt_path::inside(&project_dir("prompts"), &f.text_file)
        .map_err(|e| UsageError::new(format!("{}: [fidelity] text_file {e}", path.display())))?;
    let text = std::fs::read_to_string(&p).map_err(|e| {
        UsageError::new(format!(
            "{}: [fidelity] text_file {} cannot be read: {e}",
            path.display(),
            p.display()
        ))
    })?;
    Ok(Some(text))
}

macro_rules! settings {
    ($x:expr) => {
        CaseSettings {
            max_tokens: $x.max_tokens,
            temperature: $x.temperature,
            top_p: $x.top_p,
            seed: $x.seed,
            use_chat_template: $x.use_chat_template,
            system: $x.system.clone(),
            constrained: $x.constrained,
        }
    };
}

/// A multiple-choice case has at least two choices and a `choice` check whose
/// answer is one of them; any other case has neither.
fn check_choices(case: &CaseFile, checks: &[Check]) -> Result<(), String> {
    let has_choice = checks.iter().any(|c| matches!(c, Check::Choice { .. }));
    let id = &case.id;
    match (&case.choices, has_choice) {
        (Some(options), true) if options.len() >= 2 => {}
        (Some(_), true) => return Err(format!("case `{id}`: give at least two choices")),
        (Some(_), false) => return Err(format!("case `{id}` has choices but no `choice` check")),
        (None, true) => return Err(format!("case `{id}` has a `choice` check but no choices")),
        (None, false) => {}
    }
    if let (Some(options), Some(answer)) = (&case.choices, choice_answer(checks)) {
        if answer >= options.len() {
            let last = options.len() - 1;
            return Err(format!(
                "case `{id}`: choice answer {answer} is out of range (0..{last})"
            ));
        }
    }
    Ok(())
}

/// A case id names rows and files: lowercase letters, digits, `.`, `_`, `-`.
pub fn check_case_id(id: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if id.is_empty() || !id.chars().all(allowed) {
        return Err(format!(
            "case id `{}`: use lowercase letters, digits, `.`, `_` and `-`",
            id.escape_debug()
        ));
    }
    Ok(())
}

fn resolve_case(case: &CaseFile, file: &SuiteFile, prompts_dir: &Path) -> Result<Case, String> {
    check_case_id(&case.id)?;
    let s = settings!(case);
    let d = settings!(file);
    let (s, d) = (&s, &d);
    let checks: Vec<Check> = case.checks.iter().map(|c| c.get_ref().clone()).collect();
    if checks.is_empty() {
        return Err(format!("case `{}` has no checks", case.id));
    }
    let messages = conversation(case, s.system.as_ref().or(d.system.as_ref()), prompts_dir)?;
    // A BFCL case brings its own functions; other cases get the suite's tools.
    let case_tools = tools::bfcl_tools(&checks);
    let offered = if case_tools.is_empty() {
        &file.tools
    } else {
        &case_tools
    };
    let native_tools = if case_tools.is_empty() {
        offered.clone()
    } else {
        tools::bfcl_native_tools(&checks)
    };
    let native_messages = if offered.is_empty() {
        Vec::new()
    } else {
        messages.clone()
    };
    let messages = tools::with_tool_prompt(messages, offered);
    check_choices(case, &checks)?;
    let schema = grammar_schema(&checks, &file.tools);
    let constrained = s.constrained.or(d.constrained).unwrap_or_default();
    let decodings = match (&schema, constrained, case.choices.is_some()) {
        (_, _, true) | (None, _, _) | (Some(_), Constrained::Off, _) => vec![Decoding::Free],
        (Some(_), Constrained::Both, _) => vec![Decoding::Free, Decoding::Constrained],
        (Some(_), Constrained::Only, _) => vec![Decoding::Constrained],
    };
    let sampling = GenerationSettings {
        temperature: s.temperature.or(d.temperature).unwrap_or(0.0),
        top_p: s.top_p.or(d.top_p).unwrap_or(1.0),
        seed: s.seed.or(d.seed).unwrap_or(42),
    };
    if sampling.temperature < 0.0 || !(0.0..=1.0).contains(&sampling.top_p) {
        return Err(format!(
            "case `{}`: temperature must be >= 0 and top_p within 0..1",
            case.id
        ));
    }
    let max_tokens = s.max_tokens.or(d.max_tokens).unwrap_or(DEFAULT_MAX_TOKENS);
    if max_tokens == 0 {
        return Err(format!("case `{}`: max_tokens must be at least 1", case.id));
    }
    Ok(Case {
        id: case.id.clone(),
        category: case.category.clone(),
        messages,
        use_chat_template: s.use_chat_template.or(d.use_chat_template).unwrap_or(true),
        max_tokens,
        sampling,
        choices: case.choices.clone(),
        checks,
        decodings,
        schema,
        tools: offered.clone(),
        native_tools,
        native_messages,
    })
}

/// The turns the model sees: optional system message, then the prompt (after the
/// prompt file's text) or the case's own messages.
fn conversation(
    case: &CaseFile,
    system: Option<&String>,
    prompts_dir: &Path,
) -> Result<Vec<Message>, String> {
    let mut messages = Vec::new();
    if let Some(system) = system {
        messages.push(Message {
            role: "system".into(),
            content: system.clone(),
        });
    }
    let file_text = match &case.prompt_file {
        Some(name) => {
            let path = prompt_path::inside(prompts_dir, name)
                .map_err(|e| format!("case `{}`: prompt_file {e}", case.id))?;
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "case `{}`: prompt_file {} cannot be read: {e}",
                    case.id,
                    path.display()
                )
            })?;
            Some(text.trim().to_string())
        }
        None => None,
    };
    match (&case.prompt, file_text, &case.messages) {
        (_, _, Some(_)) if case.prompt.is_some() || case.prompt_file.is_some() => Err(format!(
            "case `{}`: give either prompt/prompt_file or messages, not both",
            case.id
        )),
        (_, _, Some(turns)) => {
            for m in turns {
                if !["system", "user", "assistant"].contains(&m.role.as_str()) {
                    return Err(format!(
                        "case `{}`: message role `{}` (use system, user or assistant)",
                        case.id, m.role
                    ));
                }
            }
            if turns.last().is_none_or(|m| m.role != "user") {
                return Err(format!(
                    "case `{}`: the last message must be the user's",
                    case.id
                ));
            }
            messages.extend(turns.iter().cloned());
            Ok(messages)
        }
        (None, None, None) => Err(format!(
            "case `{}` has no prompt, prompt_file or messages",
            case.id
        )),
        (prompt, file_text, None) => {
            let content = [file_text.as_deref(), prompt.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n\n");
            messages.push(Message {
                role: "user".into(),
                content,
            });
            Ok(messages)
        }
    }
}

fn choice_answer(checks: &[Check]) -> Option<usize> {
    checks.iter().find_map(|c| match c {
        Check::Choice { answer } => Some(*answer),
        _ => None,
    })
}

/// The schema that a grammar can hold the answer to: the json_schema check's, the
/// suite's tool calls, or any JSON value for a `json` check.
fn grammar_schema(checks: &[Check], tools: &[tools::ToolSpec]) -> Option<serde_json::Value> {
    checks.iter().find_map(|c| match c {
        Check::JsonSchema { schema } => Some(schema.clone()),
        Check::ToolCall { .. } if !tools.is_empty() => Some(tools::call_schema(tools)),
        Check::Json => Some(serde_json::json!({})),
        _ => None,
    })
}

pub fn load_quality_suite(path: &Path) -> Result<QualitySuite, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("cannot read suite {}: {e}", path.display())))?;
    parse_quality_suite(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<QualitySuite, String> {
        parse_quality_suite(text, Path::new("s.toml")).map_err(|e| e.to_string())
    }

    const HEAD: &str = "name = \"s\"\nkind = \"quality\"\n";

    #[test]
    fn a_minimal_suite_resolves_defaults() {
        let s = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"Capital of France?\"\nchecks = [{{ type = \"contains\", value = \"Paris\" }}]\n"
        ))
        .unwrap();
        let case = &s.cases[0];
        assert_eq!(case.messages.len(), 1);
        assert_eq!(case.messages[0].content, "Capital of France?");
        assert_eq!(case.sampling.temperature, 0.0);
        assert_eq!(case.max_tokens, DEFAULT_MAX_TOKENS);
        assert_eq!(case.decodings, vec![Decoding::Free]);
        assert_eq!(s.reps, 1);
    }

    #[test]
    fn unknown_check_names_the_line() {
        let e = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"x\"\nchecks = [{{ type = \"contans\", value = \"x\" }}]\n"
        ))
        .unwrap_err();
        assert!(e.starts_with("s.toml:7:") && e.contains("contans"), "{e}");
    }

    #[test]
    fn bad_regex_names_the_line_and_case() {
        let e = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"x\"\nchecks = [\n  {{ type = \"regex\", pattern = \"(unclosed\" }},\n]\n"
        ))
        .unwrap_err();
        assert!(e.starts_with("s.toml:8:") && e.contains("case `a`"), "{e}");
    }

    #[test]
    fn missing_prompt_and_checks_are_errors() {
        let e = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nchecks = [{{ type = \"json\" }}]\n"
        ))
        .unwrap_err();
        assert!(e.contains("has no prompt"), "{e}");
        let e = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"x\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("checks"), "{e}");
    }

    #[test]
    fn choice_cases_need_choices_in_range() {
        let e = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"x\"\nchoices = [\" a\", \" b\"]\nchecks = [{{ type = \"choice\", answer = 2 }}]\n"
        ))
        .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }

    #[test]
    fn json_schema_cases_run_free_and_constrained() {
        let s = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"x\"\nchecks = [{{ type = \"json_schema\", schema = {{ type = \"object\", required = [\"n\"] }} }}]\n"
        ))
        .unwrap();
        assert_eq!(
            s.cases[0].decodings,
            vec![Decoding::Free, Decoding::Constrained]
        );
        assert!(s.cases[0].schema.is_some());
    }

    #[test]
    fn messages_must_end_with_the_user() {
        let e = parse(&format!(
            "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nmessages = [{{ role = \"user\", content = \"hi\" }}, {{ role = \"assistant\", content = \"yo\" }}]\nchecks = [{{ type = \"json\" }}]\n"
        ))
        .unwrap_err();
        assert!(e.contains("last message"), "{e}");
    }

    #[test]
    fn prompt_files_stay_under_prompts() {
        for bad in ["/etc/hostname", "../Cargo.toml"] {
            let e = parse(&format!(
                "{HEAD}[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt_file = \"{bad}\"\nchecks = [{{ type = \"json\" }}]\n"
            ))
            .unwrap_err();
            assert!(!e.contains('\n'), "one line: {e}");
            let named = format!(": case `a`: prompt_file \"{bad}\" is not inside");
            assert!(e.starts_with("s.toml:") && e.contains(&named), "{e}");
        }
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let case = "[[case]]\nid = \"a\"\ncategory = \"k\"\nprompt = \"x\"\nchecks = [{ type = \"json\" }]\n";
        let e = parse(&format!("{HEAD}{case}{case}")).unwrap_err();
        assert!(e.contains("used twice"), "{e}");
    }
}
