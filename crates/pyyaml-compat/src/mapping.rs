//! Dicts and sets with Python's key equality: `1`, `1.0` and `true` are one key, as are two
//! datetimes of the same instant; the first key stays (with its place) and the last value wins,
//! as when Python fills a dict.

use std::hash::{Hash, Hasher};

use indexmap::{Equivalent, IndexMap, IndexSet};
use num_bigint::BigInt;
use num_traits::FromPrimitive;

use super::value::Value;

/// A value used as a dict key or set member, compared and hashed as Python does.
#[derive(Debug, Clone)]
pub struct Key(pub Value);

/// A dict: keys in the order they first appeared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping(IndexMap<Key, Value>);

/// A set: members in the order they first appeared (Python's own order follows hashes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Set(IndexSet<Key>);

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Mapping {
        Mapping::default()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of the string key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(&StrKey(key))
    }

    /// The value of `key`, found with Python's equality (`1` finds the key `1.0`).
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        self.0.get(&Key(key.clone()))
    }

    /// `dict[key] = value`: an equal key keeps its place and takes the new value.
    pub fn insert(&mut self, key: Value, value: Value) {
        self.0.insert(Key(key), value);
    }

    /// Sets `key` only when no equal key is there yet.
    pub fn insert_if_absent(&mut self, key: Value, value: Value) {
        self.0.entry(Key(key)).or_insert(value);
    }

    /// The keys and values, in the order of the document.
    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.0.iter().map(|(k, v)| (&k.0, v))
    }
}

impl Extend<(Value, Value)> for Mapping {
    fn extend<I: IntoIterator<Item = (Value, Value)>>(&mut self, items: I) {
        for (key, value) in items {
            self.insert(key, value);
        }
    }
}

impl FromIterator<(Value, Value)> for Mapping {
    fn from_iter<I: IntoIterator<Item = (Value, Value)>>(items: I) -> Mapping {
        let mut mapping = Mapping::new();
        mapping.extend(items);
        mapping
    }
}

impl IntoIterator for Mapping {
    type Item = (Value, Value);
    type IntoIter =
        std::iter::Map<indexmap::map::IntoIter<Key, Value>, fn((Key, Value)) -> (Value, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().map(|(k, v)| (k.0, v))
    }
}

impl Set {
    /// The members, in the order of the document.
    pub fn iter(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|k| &k.0)
    }
}

impl FromIterator<Value> for Set {
    fn from_iter<I: IntoIterator<Item = Value>>(items: I) -> Set {
        Set(items.into_iter().map(Key).collect())
    }
}

impl IntoIterator for Set {
    type Item = Value;
    type IntoIter = std::iter::Map<indexmap::set::IntoIter<Key>, fn(Key) -> Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().map(|k| k.0)
    }
}

/// Hash tags, so that values that Python holds equal hash alike and others seldom collide.
const NONE: u8 = 0;
const NUMBER: u8 = 1;
const NAN: u8 = 2;
const FLOAT: u8 = 3;
const STR: u8 = 4;
const BYTES: u8 = 5;
const DATE: u8 = 6;
const DATETIME: u8 = 7;
const UNHASHABLE: u8 = 8;

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Value::Null => NONE.hash(state),
            Value::Bool(b) => (NUMBER, BigInt::from(u8::from(*b))).hash(state),
            Value::Int(i) => (NUMBER, i).hash(state),
            Value::Float(f) => match integral(*f) {
                Some(i) => (NUMBER, i).hash(state),
                None if f.is_nan() => NAN.hash(state),
                None => (FLOAT, f.to_bits()).hash(state),
            },
            Value::Str(s) => (STR, s.as_str()).hash(state),
            Value::Bytes(b) => (BYTES, b).hash(state),
            Value::Date(d) => (DATE, d).hash(state),
            Value::DateTime(t) => (DATETIME, t.comparable()).hash(state),
            Value::Seq(_) | Value::Pairs(_) | Value::Set(_) | Value::Map(_) => {
                UNHASHABLE.hash(state)
            }
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        python_eq(&self.0, &other.0)
    }
}

impl Eq for Key {}

/// A string key, to look one up without building a [`Value`].
struct StrKey<'a>(&'a str);

impl Hash for StrKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (STR, self.0).hash(state);
    }
}

impl Equivalent<Key> for StrKey<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        key.0.as_str() == Some(self.0)
    }
}

/// Python's `==`. NaN equals NaN here: every `.nan` PyYAML reads is one and the same object,
/// and a dict finds a key by identity first.
fn python_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Bytes(a), Value::Bytes(b)) => a == b,
        (Value::Date(a), Value::Date(b)) => a == b,
        (Value::DateTime(a), Value::DateTime(b)) => a.comparable() == b.comparable(),
        (Value::Seq(a), Value::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| python_eq(a, b))
        }
        (Value::Pairs(a), Value::Pairs(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ak, av), (bk, bv))| python_eq(ak, bk) && python_eq(av, bv))
        }
        (Value::Set(a), Value::Set(b)) => a == b,
        (Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get_value(k).is_some_and(|w| python_eq(v, w)))
        }
        _ => match (number(a), number(b)) {
            (Some(a), Some(b)) => a.equals(&b),
            _ => false,
        },
    }
}

/// A bool, int or float, as Python compares them.
enum Number {
    Int(BigInt),
    Float(f64),
}

impl Number {
    fn equals(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Number::Int(i), Number::Float(f)) | (Number::Float(f), Number::Int(i)) => {
                integral(*f).as_ref() == Some(i)
            }
        }
    }
}

fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Bool(b) => Some(Number::Int(BigInt::from(u8::from(*b)))),
        Value::Int(i) => Some(Number::Int(i.clone())),
        Value::Float(f) => Some(Number::Float(*f)),
        _ => None,
    }
}

/// The integer a float is exactly equal to, if any.
fn integral(f: f64) -> Option<BigInt> {
    if f.is_finite() && f.fract() == 0.0 {
        BigInt::from_f64(f)
    } else {
        None
    }
}
