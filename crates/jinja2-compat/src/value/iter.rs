//! Python's iteration of a value: the characters of a string, the keys of a dict, the items
//! of a list, tuple, range or dict view.

use super::{Value, View};
use crate::error::Error;
use crate::limits;

/// The items `for x in value` goes through.
pub fn iterate(value: &Value) -> Result<Vec<Value>, Error> {
    let items: Vec<Value> = match value {
        // Iterating a `Markup` gives plain strings, as in Python.
        Value::Str(s) | Value::Markup(s) => {
            let chars = s.chars().count();
            limits::charge_list(chars, limits::STRING_BYTES, "the characters of this string")?;
            s.chars().map(|c| Value::from(c.to_string())).collect()
        }
        Value::List(l) => l.borrow().to_vec(),
        Value::Tuple(t) => t.to_vec(),
        Value::Dict(d) | Value::View(View::Keys, d) => d.borrow().keys().cloned().collect(),
        Value::View(View::Values, d) => d.borrow().values().cloned().collect(),
        Value::View(View::Items, d) => d
            .borrow()
            .iter()
            .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
            .collect(),
        Value::Range(r) => {
            limits::check_items(r.len(), "the items of this range")?;
            r.iter().map(Value::int).collect()
        }
        Value::Lazy(lazy) => lazy.take()?,
        Value::Object(o) if o.items().is_some() => o.items().unwrap_or_default(),
        Value::Undefined(u) => {
            u.check()?;
            Vec::new()
        }
        other => {
            return Err(Error::type_error(format!(
                "'{}' object is not iterable",
                other.type_name()
            )));
        }
    };
    limits::charge_work(items.len() as u64)?;
    Ok(items)
}

/// Python's `len()`.
pub fn length(value: &Value) -> Result<usize, Error> {
    Ok(match value {
        Value::Str(s) | Value::Markup(s) => s.chars().count(),
        Value::List(l) => l.borrow().len(),
        Value::Tuple(t) => t.len(),
        Value::Dict(d) | Value::View(_, d) => d.borrow().len(),
        Value::Range(r) => r.len(),
        Value::Object(o) if o.items().is_some() => o.items().map_or(0, |i| i.len()),
        Value::Undefined(u) => {
            u.check()?;
            0
        }
        other => {
            return Err(Error::type_error(format!(
                "object of type '{}' has no len()",
                other.type_name()
            )));
        }
    })
}
