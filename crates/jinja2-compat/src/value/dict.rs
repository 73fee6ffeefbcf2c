//! Python's `dict`: insertion-ordered, keyed by Python equality, so that `1`, `1.0` and `True`
//! are one key, and the first key written is the one kept.

use std::rc::Rc;

use indexmap::IndexMap;

use super::{Int, Value};
use crate::error::Error;
use crate::limits;

/// A hashable value, normalised so that values Python finds equal are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    None,
    /// Ints, bools and floats with an integral value.
    Int(IntKey),
    /// Floats without an integral value, by their bits.
    Float(u64),
    Str(Rc<str>),
    Tuple(Rc<[Key]>),
    /// Objects hash by identity, or by value (dates, bytes).
    Identity(usize),
    Object(&'static str, Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IntKey {
    Small(i64),
    Big(String),
}

impl Key {
    /// The key of `value`, or Python's TypeError for an unhashable value.
    pub fn of(value: &Value) -> Result<Key, Error> {
        Ok(match value {
            Value::None => Key::None,
            Value::Bool(b) => Key::Int(IntKey::Small(i64::from(*b))),
            Value::Int(i) => Key::Int(int_key(i)),
            Value::Float(f) => float_key(*f),
            Value::Str(s) | Value::Markup(s) => {
                limits::charge_scan([value])?;
                Key::Str(s.clone())
            }
            Value::Tuple(items) => limits::nested(|| {
                let keys = items.iter().map(Key::of).collect::<Result<Vec<_>, _>>()?;
                Ok(Key::Tuple(keys.into()))
            })?,
            Value::Range(r) => Key::Tuple(
                [r.start, r.stop, r.step]
                    .map(|i| Key::Int(IntKey::Small(i)))
                    .to_vec()
                    .into(),
            ),
            Value::Object(o) => match o.value_key() {
                Some((kind, bytes)) => Key::Object(kind, bytes),
                None if o.items().is_some() => {
                    return Err(Error::type_error(format!(
                        "unhashable type: '{}'",
                        o.type_name()
                    )));
                }
                None => Key::Identity(Rc::as_ptr(o) as *const () as usize),
            },
            Value::Lazy(l) => Key::Identity(Rc::as_ptr(l) as usize),
            Value::Undefined(u) => {
                u.check()?;
                Key::Identity(Rc::as_ptr(u) as usize)
            }
            Value::List(_) | Value::Dict(_) | Value::View(..) => {
                return Err(Error::type_error(format!(
                    "unhashable type: '{}'",
                    value.type_name()
                )));
            }
        })
    }
}

fn int_key(i: &Int) -> IntKey {
    match i {
        Int::Small(i) => IntKey::Small(*i),
        Int::Big(b) => IntKey::Big(b.to_string()),
    }
}

fn float_key(f: f64) -> Key {
    if f.fract() == 0.0 && f.is_finite() {
        if f.abs() < 9.2e18 {
            return Key::Int(IntKey::Small(f as i64));
        }
        let big: Option<num_bigint::BigInt> = num_traits::FromPrimitive::from_f64(f);
        if let Some(big) = big {
            return Key::Int(int_key(&Int::from_big(big)));
        }
    }
    // NaN is never equal to itself, but the same NaN object finds itself in Python.
    Key::Float(if f == 0.0 { 0 } else { f.to_bits() })
}

/// The entries of a dict: the key as first written, and the value.
#[derive(Clone, Default)]
pub struct Dict {
    pub(super) entries: IndexMap<Key, (Value, Value)>,
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }

    /// Sets `key` to `value`, keeping the original key object of an existing entry.
    pub fn insert(&mut self, key: Value, value: Value) -> Result<(), Error> {
        let hashed = Key::of(&key)?;
        match self.entries.get_mut(&hashed) {
            Some(entry) => entry.1 = value,
            None => {
                self.entries.insert(hashed, (key, value));
            }
        }
        Ok(())
    }

    pub fn get(&self, key: &Value) -> Result<Option<&Value>, Error> {
        Ok(self.entries.get(&Key::of(key)?).map(|(_, v)| v))
    }

    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.entries.get(&Key::Str(key.into())).map(|(_, v)| v)
    }

    pub fn contains(&self, key: &Value) -> Result<bool, Error> {
        Ok(self.entries.contains_key(&Key::of(key)?))
    }

    pub fn remove(&mut self, key: &Value) -> Result<Option<Value>, Error> {
        Ok(self.entries.shift_remove(&Key::of(key)?).map(|(_, v)| v))
    }

    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        self.entries.pop().map(|(_, entry)| entry)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.values().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.values().map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.entries.values().map(|(k, v)| (k, v))
    }
}

impl FromIterator<(Rc<str>, Value)> for Dict {
    fn from_iter<I: IntoIterator<Item = (Rc<str>, Value)>>(iter: I) -> Dict {
        let mut dict = Dict::new();
        for (key, value) in iter {
            dict.entries
                .insert(Key::Str(key.clone()), (Value::Str(key), value));
        }
        dict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_numbers_share_a_key() {
        let mut dict = Dict::new();
        dict.insert(Value::int(1), "int".into()).unwrap();
        dict.insert(Value::Float(1.0), "float".into()).unwrap();
        dict.insert(Value::Bool(true), "bool".into()).unwrap();
        assert_eq!(dict.len(), 1);
        let (key, value) = dict.iter().next().unwrap();
        assert!(matches!(key, Value::Int(_)));
        assert_eq!(value.as_str(), Some("bool"));
    }

    #[test]
    fn lists_are_unhashable() {
        let err = Key::of(&Value::list(vec![])).unwrap_err();
        assert_eq!(err.message, "unhashable type: 'list'");
    }
}
