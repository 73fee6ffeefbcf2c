//! Python's `dict` methods.

use crate::error::{Error, ErrorKind};
use crate::limits;
use crate::python;
use crate::value::{Args, Dict, DictRef, Value, View, iterate};

type Result<T> = std::result::Result<T, Error>;

pub const METHODS: &[&str] = &[
    "clear",
    "copy",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];

pub fn call(dict: &DictRef, name: &str, args: Args) -> Result<Value> {
    let func = format!("dict.{name}");
    let view = |view: View| -> Result<Value> {
        args.bind_positional(&func, 0, 0)?;
        Ok(Value::View(view, dict.clone()))
    };
    match name {
        "keys" => view(View::Keys),
        "values" => view(View::Values),
        "items" => view(View::Items),
        "get" => {
            let bound = args.bind_positional(&func, 1, 2)?;
            let key = bound.raw(0).cloned().unwrap_or(Value::None);
            let found = dict.borrow().get(&key)?.cloned();
            Ok(found.unwrap_or_else(|| bound.raw(1).cloned().unwrap_or(Value::None)))
        }
        "pop" => {
            let bound = args.bind_positional(&func, 1, 2)?;
            let key = bound.raw(0).cloned().unwrap_or(Value::None);
            let removed = dict.borrow_mut().remove(&key)?;
            match (removed, bound.raw(1)) {
                (Some(value), _) => Ok(value),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(key_error(&key)),
            }
        }
        "popitem" => {
            args.bind_positional(&func, 0, 0)?;
            let (key, value) = dict
                .borrow_mut()
                .pop_last()
                .ok_or_else(|| Error::new(ErrorKind::Key, "'popitem(): dictionary is empty'"))?;
            Ok(Value::tuple(vec![key, value]))
        }
        "setdefault" => {
            let bound = args.bind_positional(&func, 1, 2)?;
            let key = bound.raw(0).cloned().unwrap_or(Value::None);
            if let Some(value) = dict.borrow().get(&key)? {
                return Ok(value.clone());
            }
            let default = bound.raw(1).cloned().unwrap_or(Value::None);
            limits::count_slots(3);
            dict.borrow_mut().insert(key, default.clone())?;
            Ok(default)
        }
        "update" => update(dict, args),
        "clear" => {
            args.bind_positional(&func, 0, 0)?;
            dict.borrow_mut().clear();
            Ok(Value::None)
        }
        _ => {
            args.bind_positional(&func, 0, 0)?;
            Ok(Value::dict(dict.borrow().clone()))
        }
    }
}

fn key_error(key: &Value) -> Error {
    Error::new(ErrorKind::Key, python::repr(key).unwrap_or_default())
}

/// `d.update(other, **kwargs)`: a mapping or pairs, then the keyword arguments.
fn update(dict: &DictRef, args: Args) -> Result<Value> {
    if args.positional.len() > 1 {
        return Err(Error::type_error(format!(
            "update expected at most 1 argument, got {}",
            args.positional.len()
        )));
    }
    let mut pairs = Vec::new();
    if let Some(other) = args.positional.first() {
        pairs = pairs_of(other)?;
    }
    for (key, value) in args.keywords {
        pairs.push((Value::Str(key), value));
    }
    limits::count_slots(pairs.len().saturating_mul(3));
    let mut dict = dict.borrow_mut();
    for (key, value) in pairs {
        dict.insert(key, value)?;
    }
    Ok(Value::None)
}

/// The key-value pairs of a mapping, or of a sequence of pairs.
pub fn pairs_of(value: &Value) -> Result<Vec<(Value, Value)>> {
    if let Value::Dict(other) = value {
        return Ok(other
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect());
    }
    let mut pairs = Vec::new();
    for (index, item) in iterate(value)?.into_iter().enumerate() {
        let pair = iterate(&item).map_err(|_| {
            Error::type_error(format!(
                "cannot convert dictionary update sequence element #{index} to a sequence"
            ))
        })?;
        let [key, value] = <[Value; 2]>::try_from(pair).map_err(|pair| {
            Error::value_error(format!(
                "dictionary update sequence element #{index} has length {}; 2 is required",
                pair.len()
            ))
        })?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// A new dict from the pairs.
pub fn from_pairs(pairs: Vec<(Value, Value)>) -> Result<Dict> {
    let mut dict = Dict::new();
    for (key, value) in pairs {
        dict.insert(key, value)?;
    }
    Ok(dict)
}
