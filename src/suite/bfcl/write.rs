//! BFCL entries as a quality suite file (TOML), with where they came from.
use toml::{Table, Value as Toml};

use super::read::BfclEntry;
use crate::checks::Check;

/// How the model is asked, recorded in the suite because it changes scores.
pub const PROMPT_FORMAT: &str = "edgebench-json-system: the case's BFCL function docs as JSON \
in the system message with edgebench's JSON call instruction (docs/suites.md), not BFCL's \
Python-syntax prompt nor the model's native tool template";

/// Tokens an answer may use: room for the longest parallel answers.
const MAX_TOKENS: i64 = 256;

/// What the suite file says about itself.
pub struct SuiteHeader {
    pub name: String,
    pub description: String,
    pub source: String,
    pub licence: String,
}

pub fn suite_toml(header: &SuiteHeader, entries: &[BfclEntry]) -> Result<String, String> {
    let mut suite = Table::new();
    let text = |s: &str| Toml::String(s.to_string());
    suite.insert("name".into(), text(&header.name));
    suite.insert("kind".into(), text("quality"));
    suite.insert("description".into(), text(&header.description));
    suite.insert("source".into(), text(&header.source));
    suite.insert("licence".into(), text(&header.licence));
    suite.insert("prompt_format".into(), text(PROMPT_FORMAT));
    suite.insert("max_tokens".into(), Toml::Integer(MAX_TOKENS));
    suite.insert("constrained".into(), text("off"));
    let cases = entries
        .iter()
        .map(case_table)
        .collect::<Result<Vec<_>, _>>()?;
    suite.insert("case".into(), Toml::Array(cases));
    toml::to_string(&suite).map_err(|e| format!("cannot write the suite: {e}"))
}

fn case_table(entry: &BfclEntry) -> Result<Toml, String> {
    let check = Check::Bfcl {
        category: entry.category.clone(),
        functions: entry.functions.clone(),
        ground_truth: entry.ground_truth.clone(),
    };
    check
        .validate()
        .map_err(|e| format!("`{}`: {e}", entry.id))?;
    let mut case = Table::new();
    case.insert("id".into(), Toml::String(entry.id.clone()));
    case.insert("category".into(), Toml::String(entry.category.clone()));
    match entry.messages.as_slice() {
        [only] if only.role == "user" => {
            case.insert("prompt".into(), Toml::String(only.content.clone()));
        }
        turns => {
            let turns = Toml::try_from(turns).map_err(|e| format!("`{}`: {e}", entry.id))?;
            case.insert("messages".into(), turns);
        }
    }
    let check = Toml::try_from(&check).map_err(|e| format!("`{}`: {e}", entry.id))?;
    case.insert("checks".into(), Toml::Array(vec![check]));
    Ok(Toml::Table(case))
}
