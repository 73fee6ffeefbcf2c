//! `x.name` and `x[key]` as Jinja2 resolves them: an attribute (a method of a str, list or
//! dict) first for `x.name`, an item first for `x[key]`, each falling back to the other; what
//! neither finds is a strict undefined value that names the owner and the missing name.

use std::rc::Rc;

use super::error::Error;
use super::methods;
use super::python;
use super::value::{Int, Range, Undefined, Value, length};

/// `value.name`.
pub fn attr(value: &Value, name: &str) -> Result<Value, Error> {
    if let Value::Undefined(u) = value {
        return Err(u.error());
    }
    if let Some(found) = python_attr(value, name) {
        return Ok(found);
    }
    Ok(item(value, &Value::from(name))?.unwrap_or_else(|| missing(value, &Value::from(name))))
}

/// `value[key]`.
pub fn subscript(value: &Value, key: &Value) -> Result<Value, Error> {
    if let Value::Undefined(u) = value {
        return Err(u.error());
    }
    if let Some(found) = item(value, key)? {
        return Ok(found);
    }
    if let Some(name) = key.as_str()
        && let Some(found) = python_attr(value, name)
    {
        return Ok(found);
    }
    Ok(missing(value, key))
}

/// The strict undefined value of a missing attribute or item.
fn missing(owner: &Value, key: &Value) -> Value {
    let owner_repr = owner.object_type_repr();
    let undefined = match key {
        Value::Str(name) => Undefined::attribute(&owner_repr, &python::str_repr(name)),
        other => Undefined::element(&owner_repr, &python::repr(other).unwrap_or_default()),
    };
    Value::Undefined(Rc::new(undefined))
}

/// An attribute in Python's sense: a method of a built-in type, or an object's attribute.
fn python_attr(value: &Value, name: &str) -> Option<Value> {
    match value {
        Value::Object(object) => object.attr(name),
        Value::Tuple(t) => t.field(name).or_else(|| methods::bound(value, name)),
        Value::Range(r) => match name {
            "start" => Some(Value::int(r.start)),
            "stop" => Some(Value::int(r.stop)),
            "step" => Some(Value::int(r.step)),
            _ => methods::bound(value, name),
        },
        _ => methods::bound(value, name),
    }
}

/// `value[key]` in Python, `None` where Python raises a LookupError or TypeError.
fn item(value: &Value, key: &Value) -> Result<Option<Value>, Error> {
    Ok(match value {
        Value::Dict(d) => match key {
            Value::List(_) | Value::Dict(_) => None,
            _ => d.borrow().get(key)?.cloned(),
        },
        Value::List(l) => index(key, l.borrow().len()).map(|i| l.borrow()[i].clone()),
        Value::Tuple(t) => index(key, t.len()).map(|i| t[i].clone()),
        Value::Range(r) => index(key, r.len()).map(|i| Value::int(r.nth(i))),
        Value::Str(s) | Value::Markup(s) => {
            let len = length(value)?;
            index(key, len)
                .and_then(|i| s.chars().nth(i))
                .map(|c| Value::from(c.to_string()))
        }
        _ => None,
    })
}

/// A Python index (negative from the end) into a sequence of `len` items.
fn index(key: &Value, len: usize) -> Option<usize> {
    let i = key.as_int()?.to_i64()?;
    let i = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// `value[start:stop:step]` of a string, list, tuple or range.
pub fn slice(
    value: &Value,
    start: Option<Value>,
    stop: Option<Value>,
    step: Option<Value>,
) -> Result<Value, Error> {
    let bound = |v: Option<Value>| -> Result<Option<i64>, Error> {
        match v {
            None | Some(Value::None) => Ok(None),
            Some(v) => v
                .as_int()
                .map(|i| {
                    i.to_i64()
                        .unwrap_or(if i.is_negative() { i64::MIN } else { i64::MAX })
                })
                .map(Some)
                .ok_or_else(|| {
                    Error::type_error(
                        "slice indices must be integers or None or have an __index__ method",
                    )
                }),
        }
    };
    let (start, stop, step) = (bound(start)?, bound(stop)?, bound(step)?.unwrap_or(1));
    if step == 0 {
        return Err(Error::value_error("slice step cannot be zero"));
    }
    if let Value::Undefined(u) = value {
        return Err(u.error());
    }
    let len = match value {
        Value::Str(_) | Value::Markup(_) | Value::List(_) | Value::Tuple(_) | Value::Range(_) => {
            length(value)?
        }
        other => {
            let owner = other.object_type_repr();
            return Ok(Value::Undefined(Rc::new(Undefined::element(
                &owner,
                "slice(…)",
            ))));
        }
    };
    let picks = positions(len as i64, start, stop, step);
    Ok(match value {
        Value::Str(s) => Value::from(pick_chars(s, &picks)),
        Value::Markup(s) => Value::Markup(pick_chars(s, &picks).into()),
        Value::List(l) => Value::list(picks.iter().map(|&i| l.borrow()[i].clone()).collect()),
        Value::Tuple(t) => Value::tuple(picks.iter().map(|&i| t[i].clone()).collect()),
        Value::Range(r) => slice_range(r, len as i64, start, stop, step),
        _ => Value::None,
    })
}

fn pick_chars(s: &str, picks: &[usize]) -> String {
    let chars: Vec<char> = s.chars().collect();
    picks.iter().map(|&i| chars[i]).collect()
}

/// Python's `slice.indices(len)`: the clamped start and stop.
fn indices(len: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> (i64, i64) {
    let clamp = |v: i64, default_low: i64, default_high: i64| {
        let v = if v < 0 { v.saturating_add(len) } else { v };
        v.clamp(default_low, default_high)
    };
    if step > 0 {
        (
            start.map_or(0, |s| clamp(s, 0, len)),
            stop.map_or(len, |s| clamp(s, 0, len)),
        )
    } else {
        (
            start.map_or(len - 1, |s| clamp(s, -1, len - 1)),
            stop.map_or(-1, |s| clamp(s, -1, len - 1)),
        )
    }
}

fn positions(len: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<usize> {
    let (start, stop) = indices(len, start, stop, step);
    let mut picks = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        picks.push(i as usize);
        i += step;
    }
    picks
}

fn slice_range(r: &Range, len: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> Value {
    let (start, stop) = indices(len, start, stop, step);
    let at = |i: i64| r.start + r.step * i;
    Value::Range(Range {
        start: at(start),
        stop: at(stop),
        step: r.step * step,
    })
}

/// `range(…)` items must fit a machine integer here.
pub fn range_bound(value: &Value) -> Result<i64, Error> {
    let int: Int = value.as_int().ok_or_else(|| {
        Error::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            value.type_name()
        ))
    })?;
    int.to_i64()
        .ok_or_else(|| Error::new(super::error::ErrorKind::Overflow, "range too large"))
}
