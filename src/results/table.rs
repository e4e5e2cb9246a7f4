//! One definition per result table: its file stem and its columns (name, type,
//! nullable, in file order). Parquet/CSV writing, reading back, the docs check
//! and `compare`'s loader all go through it. A row converts to and from a
//! record (column name -> JSON value), with serde doing the field work, so a
//! table is its column list plus at most two small conversions.
use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use anyhow::{anyhow, Result};
use polars::prelude::{Column, DataFrame, DataType, ParquetReader, SerReader};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::write_frame;
use crate::error::UsageError;

/// One row as column name -> value (null for a missing value).
pub type Record = serde_json::Map<String, Value>;

/// A column's type, as docs/results.md writes it (`str`, `u32`, `f64`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    Str,
    U32,
    U64,
    I64,
    F64,
    Bool,
}

impl Dtype {
    pub fn polars(self) -> DataType {
        match self {
            Dtype::Str => DataType::String,
            Dtype::U32 => DataType::UInt32,
            Dtype::U64 => DataType::UInt64,
            Dtype::I64 => DataType::Int64,
            Dtype::F64 => DataType::Float64,
            Dtype::Bool => DataType::Boolean,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dtype::Str => "str",
            Dtype::U32 => "u32",
            Dtype::U64 => "u64",
            Dtype::I64 => "i64",
            Dtype::F64 => "f64",
            Dtype::Bool => "bool",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Col {
    pub name: Cow<'static, str>,
    pub dtype: Dtype,
    /// Null allowed (`f64?` in the docs).
    pub nullable: bool,
    /// Left out of a file where every row is null: figures only some runs
    /// have (served candidates, concurrency levels), so a run without them
    /// writes the same files as before they existed.
    pub sparse: bool,
}

/// A column that always has a value.
pub const fn col(name: &'static str, dtype: Dtype) -> Col {
    Col {
        name: Cow::Borrowed(name),
        dtype,
        nullable: false,
        sparse: false,
    }
}

/// A column that may be null.
pub const fn opt(name: &'static str, dtype: Dtype) -> Col {
    Col {
        name: Cow::Borrowed(name),
        dtype,
        nullable: true,
        sparse: false,
    }
}

/// A nullable column left out of files where every row is null.
pub const fn sparse(name: &'static str, dtype: Dtype) -> Col {
    Col {
        name: Cow::Borrowed(name),
        dtype,
        nullable: true,
        sparse: true,
    }
}

impl fmt::Display for Col {
    /// The type as the docs write it: `u32`, `f64?`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "?" } else { "" };
        write!(f, "{}{null}", self.dtype.name())
    }
}

/// A result table: `<STEM>.parquet` and `<STEM>.csv`, one row per `Self`.
pub trait Table: Sized {
    const STEM: &'static str;
    /// Columns a file must have to be read as this table.
    const REQUIRED: &'static [&'static str] = &["candidate"];
    /// The columns, in file order.
    fn columns() -> Vec<Col>;
    /// The row as a record holding at least every column.
    fn to_record(&self) -> Result<Record>;
    /// A row from a record; columns an older file lacks are absent.
    fn from_record(record: Record) -> Result<Self>;
}

/// A serde row type as a record: its fields (flattened structs inlined).
pub fn serde_record<T: Serialize>(row: &T) -> Result<Record> {
    match serde_json::to_value(row)? {
        Value::Object(record) => Ok(record),
        other => Err(anyhow!("a row must serialise as a map, not {other}")),
    }
}

/// A serde row type from a record.
pub fn from_serde<T: DeserializeOwned>(record: Record) -> Result<T> {
    Ok(serde_json::from_value(Value::Object(record))?)
}

/// `impl Table` for a serde row type whose fields are its columns.
macro_rules! serde_table {
    ($row:ty, $stem:literal, $columns:expr) => {
        impl $crate::results::Table for $row {
            const STEM: &'static str = $stem;
            fn columns() -> Vec<$crate::results::Col> {
                $columns.to_vec()
            }
            fn to_record(&self) -> anyhow::Result<$crate::results::Record> {
                $crate::results::table::serde_record(self)
            }
            fn from_record(record: $crate::results::Record) -> anyhow::Result<Self> {
                $crate::results::table::from_serde(record)
            }
        }
    };
}
pub(super) use serde_table;

/// The rows as a DataFrame with exactly the table's columns and types.
pub fn table_frame<T: Table>(rows: &[T]) -> Result<DataFrame> {
    let records: Vec<Record> = rows.iter().map(T::to_record).collect::<Result<_>>()?;
    let mut columns = Vec::new();
    for c in T::columns() {
        let column = build_column(T::STEM, &c, &records)?;
        if !(c.sparse && column.null_count() == column.len()) {
            columns.push(column);
        }
    }
    Ok(DataFrame::new(rows.len(), columns)?)
}

fn build_column(stem: &str, col: &Col, records: &[Record]) -> Result<Column> {
    let cells: Vec<&Value> = records
        .iter()
        .map(|r| {
            r.get(col.name.as_ref())
                .ok_or_else(|| anyhow!("{stem}: the row has no field {}", col.name))
        })
        .collect::<Result<_>>()?;
    let name = col.name.as_ref().into();
    let u32_of = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    Ok(match col.dtype {
        Dtype::Str => Column::new(name, typed(stem, col, &cells, Value::as_str)?),
        Dtype::U32 => Column::new(name, typed(stem, col, &cells, u32_of)?),
        Dtype::U64 => Column::new(name, typed(stem, col, &cells, Value::as_u64)?),
        Dtype::I64 => Column::new(name, typed(stem, col, &cells, Value::as_i64)?),
        Dtype::F64 => Column::new(name, typed(stem, col, &cells, Value::as_f64)?),
        Dtype::Bool => Column::new(name, typed(stem, col, &cells, Value::as_bool)?),
    })
}

fn typed<'a, T>(
    stem: &str,
    col: &Col,
    cells: &[&'a Value],
    get: impl Fn(&'a Value) -> Option<T>,
) -> Result<Vec<Option<T>>> {
    cells
        .iter()
        .map(|&v| match v {
            Value::Null => Ok(None),
            v => get(v)
                .map(Some)
                .ok_or_else(|| anyhow!("{stem}.{}: {v} is not {col}", col.name)),
        })
        .collect()
}

/// The frame's rows; a column the file lacks (an older edgebench) is left out
/// of the records, a column the table does not know is ignored.
pub fn table_rows<T: Table>(frame: &DataFrame) -> Result<Vec<T>> {
    let mut records = vec![Record::new(); frame.height()];
    for col in T::columns() {
        let Ok(column) = frame.column(col.name.as_ref()) else {
            continue;
        };
        for (record, value) in records.iter_mut().zip(cells(column, col.dtype)?) {
            if !value.is_null() {
                record.insert(col.name.to_string(), value);
            }
        }
    }
    records.into_iter().map(T::from_record).collect()
}

fn cells(column: &Column, dtype: Dtype) -> Result<Vec<Value>> {
    let c = column.cast(&dtype.polars())?;
    fn json<T: Into<Value>>(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
    Ok(match dtype {
        Dtype::Str => c.str()?.iter().map(json).collect(),
        Dtype::U32 => c.u32()?.iter().map(json).collect(),
        Dtype::U64 => c.u64()?.iter().map(json).collect(),
        Dtype::I64 => c.i64()?.iter().map(json).collect(),
        Dtype::F64 => c.f64()?.iter().map(json).collect(),
        Dtype::Bool => c.bool()?.iter().map(json).collect(),
    })
}

/// Writes `<STEM>.parquet` and `<STEM>.csv` in `dir`, each atomically.
pub fn write_table<T: Table>(dir: &Path, rows: &[T]) -> Result<()> {
    write_frame(dir, T::STEM, &mut table_frame(rows)?)
}

/// Reads a Parquet file of this table (e.g. `<run>/speed.parquet`).
pub fn read_table<T: Table>(path: &Path) -> Result<Vec<T>> {
    let frame = read_parquet(path)?;
    if let Some(missing) = T::REQUIRED.iter().find(|c| frame.column(c).is_err()) {
        return Err(UsageError::new(format!(
            "{}: not an edgebench {} table (no {missing} column)",
            path.display(),
            T::STEM
        ))
        .into());
    }
    table_rows(&frame).map_err(|e| anyhow!("{}: {e:#}", path.display()))
}

/// A whole Parquet file; a file that cannot be opened or read is a usage error.
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError::new(format!("{}: cannot open: {e}", path.display())))?;
    Ok(ParquetReader::new(file)
        .finish()
        .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?)
}
