//! Python's `pprint.pformat` (what the `pprint` filter gives): dict keys sorted, and a
//! container whose repr is wider than 80 columns written one item per line.

use std::cmp::Ordering;

use super::ast::CmpOp;
use super::error::Error;
use super::ops;
use super::python;
use super::value::Value;

const WIDTH: usize = 80;

pub fn pformat(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    format(value, &mut out, 0, 0)?;
    Ok(out)
}

/// The repr with every dict's keys sorted.
fn sorted_repr(value: &Value) -> Result<String, Error> {
    super::limits::nested(|| sorted_repr_one(value))
}

fn sorted_repr_one(value: &Value) -> Result<String, Error> {
    match value {
        Value::Dict(_) => {
            let items: Result<Vec<String>, Error> = sorted_items(value)?
                .iter()
                .map(|(k, v)| Ok(format!("{}: {}", sorted_repr(k)?, sorted_repr(v)?)))
                .collect();
            Ok(format!("{{{}}}", items?.join(", ")))
        }
        Value::List(l) => {
            let items: Result<Vec<String>, Error> = l.borrow().iter().map(sorted_repr).collect();
            Ok(format!("[{}]", items?.join(", ")))
        }
        Value::Tuple(t) => {
            let items: Result<Vec<String>, Error> = t.iter().map(sorted_repr).collect();
            let items = items?;
            let comma = if items.len() == 1 { "," } else { "" };
            Ok(format!("({}{comma})", items.join(", ")))
        }
        other => python::repr(other),
    }
}

fn sorted_items(value: &Value) -> Result<Vec<(Value, Value)>, Error> {
    let Value::Dict(d) = value else {
        return Ok(Vec::new());
    };
    let mut items: Vec<(Value, Value)> = d
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    items.sort_by(|(a, _), (b, _)| match ops::order(CmpOp::Lt, a, b) {
        Ok(order) => order,
        Err(_) => a.type_name().cmp(&b.type_name()).then(Ordering::Equal),
    });
    Ok(items)
}

fn format(value: &Value, out: &mut String, indent: usize, allowance: usize) -> Result<(), Error> {
    super::limits::nested(|| format_one(value, out, indent, allowance))
}

fn format_one(
    value: &Value,
    out: &mut String,
    indent: usize,
    allowance: usize,
) -> Result<(), Error> {
    let rep = sorted_repr(value)?;
    if rep.chars().count() <= WIDTH.saturating_sub(indent + allowance) {
        out.push_str(&rep);
        return Ok(());
    }
    match value {
        Value::Dict(_) => {
            out.push('{');
            let items = sorted_items(value)?;
            let inner = indent + 1;
            for (i, (key, entry)) in items.iter().enumerate() {
                let last = i + 1 == items.len();
                let key_rep = sorted_repr(key)?;
                out.push_str(&key_rep);
                out.push_str(": ");
                let width = key_rep.chars().count() + 2;
                format(
                    entry,
                    out,
                    inner + width,
                    if last { allowance + 1 } else { 1 },
                )?;
                if !last {
                    out.push_str(",\n");
                    out.push_str(&" ".repeat(inner));
                }
            }
            out.push('}');
        }
        Value::List(l) => {
            out.push('[');
            items(&l.borrow(), out, indent, allowance + 1)?;
            out.push(']');
        }
        Value::Tuple(t) => {
            out.push('(');
            items(t, out, indent, allowance + 1)?;
            if t.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        _ => out.push_str(&rep),
    }
    Ok(())
}

fn items(values: &[Value], out: &mut String, indent: usize, allowance: usize) -> Result<(), Error> {
    let inner = indent + 1;
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
            out.push_str(&" ".repeat(inner));
        }
        let last = i + 1 == values.len();
        format(value, out, inner, if last { allowance } else { 1 })?;
    }
    Ok(())
}
