//! The values of a document, as the Python objects PyYAML's `safe_load` builds.

use num_bigint::BigInt;

use super::mapping::{Mapping, Set};
use super::timestamp::{Date, DateTime};

/// A value read from YAML, one variant per Python type that `safe_load` gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`: `~`, `null`, an empty value.
    Null,
    /// `True` or `False`: also `yes`, `no`, `on`, `off`.
    Bool(bool),
    /// Python's `int`, of any size.
    Int(BigInt),
    /// `float`: also `.inf`, `.nan` and `1_000.5`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `bytes`, from `!!binary`.
    Bytes(Vec<u8>),
    /// `datetime.date`.
    Date(Date),
    /// `datetime.datetime`, with or without a time zone.
    DateTime(DateTime),
    /// A list.
    Seq(Vec<Value>),
    /// The list of `(key, value)` tuples that `!!omap` and `!!pairs` give.
    Pairs(Vec<(Value, Value)>),
    /// A set, from `!!set`.
    Set(Set),
    /// A dict.
    Map(Mapping),
}

impl Value {
    /// Python's `hash()` refuses lists, dicts and sets: they cannot be keys.
    pub fn is_hashable(&self) -> bool {
        !matches!(
            self,
            Value::Seq(_) | Value::Pairs(_) | Value::Set(_) | Value::Map(_)
        )
    }

    /// The text of a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping of a `Map`.
    pub fn into_mapping(self) -> Option<Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(BigInt::from(i))
    }
}
