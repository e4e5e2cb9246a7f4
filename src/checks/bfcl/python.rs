//! Python's view of JSON values, as bfcl-eval's checker sees them after `json.loads`:
//! its `type(x) == T` tests and its `==` / `in` (where `1 == 1.0 == True`).
use serde_json::Value;

/// `type(value)` for a value decoded from JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyType {
    Int,
    Float,
    Str,
    Bool,
    List,
    Dict,
    NoneType,
}

impl PyType {
    pub fn name(self) -> &'static str {
        match self {
            PyType::Int => "int",
            PyType::Float => "float",
            PyType::Str => "str",
            PyType::Bool => "bool",
            PyType::List => "list",
            PyType::Dict => "dict",
            PyType::NoneType => "NoneType",
        }
    }

    /// bfcl-eval's PYTHON_TYPE_MAPPING: the parameter types of its function docs.
    pub fn from_doc(doc_type: &str) -> Option<PyType> {
        Some(match doc_type {
            "string" | "any" => PyType::Str,
            "integer" => PyType::Int,
            "float" => PyType::Float,
            "boolean" => PyType::Bool,
            "array" | "tuple" => PyType::List,
            "dict" => PyType::Dict,
            _ => return None,
        })
    }
}

pub fn py_type(value: &Value) -> PyType {
    match value {
        Value::Null => PyType::NoneType,
        Value::Bool(_) => PyType::Bool,
        // json.loads gives a float exactly when the number has a fraction or exponent.
        Value::Number(n) if n.is_f64() => PyType::Float,
        Value::Number(_) => PyType::Int,
        Value::String(_) => PyType::Str,
        Value::Array(_) => PyType::List,
        Value::Object(_) => PyType::Dict,
    }
}

/// Python's `==`: numbers and booleans compare by value, containers element-wise.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| py_eq(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => match (numeric(a), numeric(b)) {
            (Some(Numeric::Int(a)), Some(Numeric::Int(b))) => a == b,
            (Some(a), Some(b)) => a.as_f64() == b.as_f64(),
            _ => false,
        },
    }
}

/// Python's `value in list`.
pub fn py_in(value: &Value, list: &[Value]) -> bool {
    list.iter().any(|item| py_eq(value, item))
}

/// `"" in list`: the marker of an optional parameter in a possible answer.
pub fn has_empty_string(list: &[Value]) -> bool {
    list.iter().any(is_empty_string)
}

pub fn is_empty_string(value: &Value) -> bool {
    value.as_str() == Some("")
}

#[derive(Clone, Copy)]
enum Numeric {
    Int(i128),
    Float(f64),
}

impl Numeric {
    fn as_f64(self) -> f64 {
        match self {
            Numeric::Int(i) => i as f64,
            Numeric::Float(f) => f,
        }
    }
}

fn numeric(value: &Value) -> Option<Numeric> {
    match value {
        Value::Bool(b) => Some(Numeric::Int(i128::from(*b))),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Some(Numeric::Int(i128::from(i))),
            (_, Some(u)) => Some(Numeric::Int(i128::from(u))),
            _ => n.as_f64().map(Numeric::Float),
        },
        _ => None,
    }
}

/// bfcl-eval's `standardize_string`: drops ` ,./-_*^`, lowercases, `'` becomes `"`,
/// so "April 1, 2024" equals "april 1 2024".
pub fn standardize(text: &str) -> String {
    text.chars()
        .filter(|c| !" ,./-_*^".contains(*c))
        .collect::<String>()
        .to_lowercase()
        .replace('\'', "\"")
}

/// A value with its strings standardised (bfcl-eval does this one level deep).
pub fn standardize_if_string(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(standardize(s)),
        other => other.clone(),
    }
}

/// `len(x)` and `x[i]` as bfcl-eval applies them to a possible answer: a list's
/// items, or a string's characters (its `""` optional marker has none).
pub fn items_of(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items.clone()),
        Value::String(s) => Some(s.chars().map(|c| Value::String(c.to_string())).collect()),
        _ => None,
    }
}
