//! A chat template rendered as Jinja with the tools offered, the way Hugging
//! Face transformers' `apply_chat_template` renders it (and llama-server with
//! `--jinja`): llama.cpp's C API renders only its built-in templates, and
//! without tools. minijinja stands in for Python's jinja2, with its Python
//! string and dict methods (minijinja-contrib's pycompat), transformers'
//! `tojson` (Python's `json.dumps`, not minijinja's HTML-safe one),
//! `raise_exception` and `strftime_now`.
use std::fmt::Write as _;
use std::io;

use anyhow::{anyhow, Result};
use minijinja::value::{Kwargs, Value};
use minijinja::{context, Environment, Error, ErrorKind};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter, Serializer};

use crate::suite::tools::{openai_tools, ToolSpec};
use crate::suite::Message;

/// The template's name in its environment (and in minijinja's messages).
const NAME: &str = "chat_template";

/// A compiled chat template that shows the model the tools offered.
pub(super) struct ToolTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

/// Why a template cannot render tools.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TemplateProblem {
    /// It never uses the `tools` variable: rendered anyway, the model would
    /// never see the tools.
    NoTools,
    /// minijinja cannot compile it (a syntax error, or a construct it lacks),
    /// in one line.
    Compile(String),
}

impl ToolTemplate {
    /// Compiles `source`; `bos_token` and `eos_token` are the texts of the
    /// vocabulary's special tokens, which some templates write themselves.
    pub(super) fn new(
        source: &str,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<Self, TemplateProblem> {
        let mut env = environment();
        env.add_template_owned(NAME, source.to_owned())
            .map_err(|e| TemplateProblem::Compile(one_line(&e)))?;
        let template = env
            .get_template(NAME)
            .map_err(|e| TemplateProblem::Compile(one_line(&e)))?;
        if !template.undeclared_variables(false).contains("tools") {
            return Err(TemplateProblem::NoTools);
        }
        Ok(ToolTemplate {
            env,
            bos_token: bos_token.to_owned(),
            eos_token: eos_token.to_owned(),
        })
    }

    /// The prompt: `messages` with `tools` (the API's `tools` field, as a
    /// server would get them) and the assistant's turn opened.
    pub(super) fn render(&self, messages: &[Message], tools: &[ToolSpec]) -> Result<String> {
        let template = self.env.get_template(NAME)?;
        let context = context! {
            messages => Value::from_serialize(messages),
            tools => Value::from_serialize(openai_tools(tools)),
            add_generation_prompt => true,
            bos_token => self.bos_token.as_str(),
            eos_token => self.eos_token.as_str(),
        };
        template.render(context).map_err(|e| {
            anyhow!(
                "the chat template could not be rendered with tools: {}",
                one_line(&e)
            )
        })
    }
}

/// Instructions one rendering may run.
const TEMPLATE_FUEL: u64 = 5_000_000;

/// transformers' environment: `ImmutableSandboxedEnvironment(trim_blocks=True,
/// lstrip_blocks=True, extensions=[loopcontrols])` with its own globals.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // A GGUF's template is code from the model file: a bounded number of
    // instructions (a real one with tools takes thousands), so a hostile or
    // broken loop is an error, not a unit stuck until its timeout.
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // `.strip()`, `.items()`, `.startswith()`...: templates are written for Python.
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_filter("tojson", tojson);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
    env
}

/// minijinja's message with where it happened, on one line.
fn one_line(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// transformers' `tojson`: Python's `json.dumps(x, ensure_ascii=False,
/// indent=indent)`, keys in their order, `", "` and `": "` between items.
fn tojson(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let ensure_ascii: Option<bool> = kwargs.get("ensure_ascii")?;
    kwargs.assert_all_used()?;
    if ensure_ascii == Some(true) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "tojson(ensure_ascii=true) is not supported",
        ));
    }
    let mut out = Vec::new();
    let written = match indent {
        Some(n) => {
            let pad = vec![b' '; n];
            value.serialize(&mut Serializer::with_formatter(
                &mut out,
                PrettyFormatter::with_indent(&pad),
            ))
        }
        None => value.serialize(&mut Serializer::with_formatter(&mut out, PythonSeparators)),
    };
    written.map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("tojson: {e}")))?;
    String::from_utf8(out).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Python's default JSON separators: `, ` and `: `.
struct PythonSeparators;

/// Python's item separator before every element but the first.
fn comma_unless_first<W: ?Sized + io::Write>(w: &mut W, first: bool) -> io::Result<()> {
    match first {
        true => Ok(()),
        false => w.write_all(b", "),
    }
}

impl Formatter for PythonSeparators {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        comma_unless_first(w, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        comma_unless_first(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// A template's own refusal (`raise_exception('...')`), as an error.
fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// The local time in a strftime format (Llama 3.x templates write the date).
fn strftime_now(format: String) -> Result<String, Error> {
    let mut out = String::new();
    write!(out, "{}", chrono::Local::now().format(&format)).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("strftime_now: `{format}` is not a strftime format"),
        )
    })?;
    Ok(out)
}

#[cfg(test)]
#[path = "jinja_tests.rs"]
mod tests;
