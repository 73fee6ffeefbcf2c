//! Filters of sequences and mappings.

use std::rc::Rc;

use super::{Getter, ignore_case, soft_str};
use crate::ast::CmpOp;
use crate::error::{Error, ErrorKind};
use crate::eval::Interp;
use crate::lookup;
use crate::methods::sort as python_sort;
use crate::ops;
use crate::value::{Args, Key, Lazy, Undefined, Value, View, iterate, length as len_of};
use crate::{escape, limits};

type Result<T> = std::result::Result<T, Error>;

pub fn length(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("length", &[], 0)?;
    Ok(Value::int(len_of(&value)? as i64))
}

pub fn list(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("list", &[], 0)?;
    Ok(Value::list(iterate(&value)?))
}

fn strict_undefined(message: &str) -> Value {
    Value::Undefined(Rc::new(Undefined::strict(message.into())))
}

pub fn first(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("first", &[], 0)?;
    Ok(iterate(&value)?
        .into_iter()
        .next()
        .unwrap_or_else(|| strict_undefined("No first item, sequence was empty.")))
}

pub fn last(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("last", &[], 0)?;
    if let Value::Lazy(lazy) = &value {
        return Err(Error::type_error(format!(
            "'{}' object is not reversible",
            lazy.kind
        )));
    }
    Ok(iterate(&value)?
        .pop()
        .unwrap_or_else(|| strict_undefined("No last item, sequence was empty.")))
}

/// A random item: which one cannot matter to a reproducible Dockerfile, so it is only as
/// random as the hasher's seed.
pub fn random(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("random", &[], 0)?;
    let items = iterate(&value)?;
    if items.is_empty() {
        return Ok(strict_undefined("No random item, sequence was empty."));
    }
    let seed = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0);
    Ok(items[(seed % items.len() as u64) as usize].clone())
}

pub fn reverse(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("reverse", &[], 0)?;
    match &value {
        Value::Str(s) => Ok(Value::from(s.chars().rev().collect::<String>())),
        Value::Markup(s) => Ok(Value::Markup(s.chars().rev().collect::<String>().into())),
        other => {
            let kind = match other {
                Value::List(_) => "list_reverseiterator",
                Value::Tuple(_) => "reversed",
                Value::Range(_) => "range_iterator",
                Value::Dict(_) | Value::View(..) => "dict_reverseiterator",
                _ => "",
            };
            let mut items = iterate(other)?;
            items.reverse();
            Ok(if kind.is_empty() {
                Value::list(items)
            } else {
                Lazy::value(kind, "reversed", Ok(items))
            })
        }
    }
}

/// `join(d='', attribute=None)`: the items as text, `d` between them.
pub fn join(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("join", &["d", "attribute"], 0)?;
    let separator = bound.raw(0).cloned().unwrap_or_else(|| Value::from(""));
    let getter = Getter::new(bound.get(1), None, false);
    let items = iterate(&value)?
        .iter()
        .map(|item| getter.get(item))
        .collect::<Result<Vec<_>>>()?;
    let escape_all = interp.autoescape
        && (matches!(separator, Value::Markup(_))
            || items.iter().any(|i| matches!(i, Value::Markup(_))));
    let texts = items
        .iter()
        .map(|item| {
            if escape_all {
                escape::escape(item)
            } else {
                soft_str(item)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let separator = if escape_all {
        escape::escape(&separator)?
    } else {
        soft_str(&separator)?
    };
    let total = texts.iter().map(String::len).sum::<usize>() + separator.len() * texts.len();
    limits::charge_text(total, "the joined text")?;
    let joined = texts.join(&separator);
    Ok(if escape_all {
        Value::Markup(joined.into())
    } else {
        Value::from(joined)
    })
}

/// `batch(linecount, fill_with=None)`: lists of `linecount` items.
pub fn batch(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("batch", &["linecount", "fill_with"], 1)?;
    let size = bound.raw(0).cloned().unwrap_or(Value::None);
    let fill = bound.get(1).cloned();
    Ok(Lazy::generator("do_batch", batches(&value, &size, fill)))
}

/// The rows of `batch`; a size of `None` makes one row, as in Jinja2.
fn batches(value: &Value, size: &Value, fill: Option<Value>) -> Result<Vec<Value>> {
    let items = iterate(value)?;
    let size = match size {
        Value::None if fill.is_some() && !items.is_empty() => {
            return Err(Error::type_error(
                "'<' not supported between instances of 'int' and 'NoneType'",
            ));
        }
        Value::None => items.len().max(1),
        other => other
            .as_i64()
            .filter(|n| *n > 0)
            .ok_or_else(|| Error::value_error("batch size must be a positive integer"))?
            as usize,
    };
    let rows = items.len().div_ceil(size);
    let cells = if fill.is_some() {
        rows.saturating_mul(size)
    } else {
        items.len()
    };
    limits::charge_list(rows, limits::LIST_BYTES, "the batches")?;
    limits::charge_list(cells, 0, "the batches")?;
    let mut rows: Vec<Vec<Value>> = items.chunks(size).map(<[Value]>::to_vec).collect();
    if let (Some(fill), Some(last)) = (fill, rows.last_mut()) {
        let missing = size - last.len();
        last.extend(std::iter::repeat_n(fill, missing));
    }
    Ok(rows.into_iter().map(Value::list).collect())
}

/// `slice(slices, fill_with=None)`: the items in `slices` columns.
pub fn slice(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("slice", &["slices", "fill_with"], 1)?;
    let slices = bound.int(0, 1)?.max(0) as usize;
    limits::check_items(slices, "the slices")?;
    let fill = bound.get(1).cloned();
    Ok(Lazy::generator(
        "sync_do_slice",
        columns(&value, slices, fill),
    ))
}

fn columns(value: &Value, slices: usize, fill: Option<Value>) -> Result<Vec<Value>> {
    let items = iterate(value)?;
    limits::charge_list(slices, limits::LIST_BYTES, "the slices")?;
    limits::charge_list(items.len().saturating_add(slices), 0, "the slices")?;
    let (per_slice, with_extra) = (items.len() / slices.max(1), items.len() % slices.max(1));
    let mut offset = 0;
    let mut out = Vec::new();
    for number in 0..slices {
        let start = offset + number * per_slice;
        if number < with_extra {
            offset += 1;
        }
        let end = offset + (number + 1) * per_slice;
        let mut part = items[start..end].to_vec();
        if let Some(fill) = &fill
            && number >= with_extra
        {
            part.push(fill.clone());
        }
        out.push(Value::list(part));
    }
    Ok(out)
}

/// `sort(reverse=False, case_sensitive=False, attribute=None)`; `attribute` may name
/// several attributes separated by commas.
pub fn sort(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("sort", &["reverse", "case_sensitive", "attribute"], 0)?;
    let reverse = bound.flag(0, false)?;
    let lower = !bound.flag(1, false)?;
    let getters: Option<Vec<Getter>> = bound.get(2).map(|attribute| match attribute.as_str() {
        Some(names) => names
            .split(',')
            .map(|name| Getter::new(Some(&Value::from(name)), None, lower))
            .collect(),
        None => vec![Getter::new(Some(attribute), None, lower)],
    });
    let key = |item: &Value| -> Result<Value> {
        match &getters {
            None => Ok(if lower {
                ignore_case(item.clone())
            } else {
                item.clone()
            }),
            Some(getters) => Ok(Value::list(
                getters
                    .iter()
                    .map(|g| g.get(item))
                    .collect::<Result<Vec<_>>>()?,
            )),
        }
    };
    Ok(Value::list(python_sort(iterate(&value)?, reverse, key)?))
}

/// `dictsort(case_sensitive=False, by='key', reverse=False)`: the (key, value) pairs sorted.
pub fn dictsort(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("dictsort", &["case_sensitive", "by", "reverse"], 0)?;
    let lower = !bound.flag(0, false)?;
    let position = match bound.raw(1).and_then(Value::as_str).unwrap_or("key") {
        "key" => 0,
        "value" => 1,
        _ => {
            return Err(Error::new(
                ErrorKind::Filter,
                "You can only sort by either \"key\" or \"value\"",
            ));
        }
    };
    let pairs = items_of(&value)?;
    let key = |pair: &Value| -> Result<Value> {
        let part = lookup::subscript(pair, &Value::int(position))?;
        Ok(if lower { ignore_case(part) } else { part })
    };
    Ok(Value::list(python_sort(pairs, bound.flag(2, false)?, key)?))
}

/// The (key, value) tuples of a mapping.
fn items_of(value: &Value) -> Result<Vec<Value>> {
    match value {
        Value::Dict(_) => iterate(&Value::View(View::Items, dict_of(value))),
        _ => Err(Error::type_error(format!(
            "'{}' object has no attribute 'items'",
            value.type_name()
        ))),
    }
}

fn dict_of(value: &Value) -> crate::value::DictRef {
    match value {
        Value::Dict(d) => d.clone(),
        _ => Rc::default(),
    }
}

/// `items`: the (key, value) pairs of a mapping (none of an undefined value).
pub fn items(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("items", &[], 0)?;
    let pairs = match &value {
        Value::Undefined(_) => Ok(Vec::new()),
        Value::Dict(_) => items_of(&value),
        _ => Err(Error::type_error("Can only get item pairs from a mapping.")),
    };
    Ok(Lazy::generator("do_items", pairs))
}

/// `groupby(attribute, default=None, case_sensitive=False)`: `(grouper, list)` tuples.
pub fn groupby(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("groupby", &["attribute", "default", "case_sensitive"], 1)?;
    let attribute = bound.raw(0).cloned().unwrap_or(Value::None);
    let default = bound.get(1).cloned();
    let case_sensitive = bound.flag(2, false)?;
    let key_getter = Getter::new(Some(&attribute), default.clone(), !case_sensitive);
    let sorted = python_sort(iterate(&value)?, false, |item| key_getter.get(item))?;
    let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
    for item in sorted {
        let key = key_getter.get(&item)?;
        match groups.last_mut() {
            Some((last, members)) if ops::equal(last, &key)? => members.push(item),
            _ => groups.push((key, vec![item])),
        }
    }
    let shown = Getter::new(Some(&attribute), default, false);
    groups
        .into_iter()
        .map(|(key, members)| {
            let grouper = if case_sensitive {
                key
            } else {
                shown.get(&members[0])?
            };
            Ok(Value::named_tuple(
                vec![grouper, Value::list(members)],
                &["grouper", "list"],
            ))
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::list)
}

/// `unique(case_sensitive=False, attribute=None)`: the first item of each key.
pub fn unique(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("unique", &["case_sensitive", "attribute"], 0)?;
    let getter = Getter::new(bound.get(1), None, !bound.flag(0, false)?);
    Ok(Lazy::generator(
        "sync_do_unique",
        first_of_each(&value, &getter),
    ))
}

fn first_of_each(value: &Value, getter: &Getter) -> Result<Vec<Value>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for item in iterate(value)? {
        if seen.insert(Key::of(&getter.get(&item)?)?) {
            out.push(item);
        }
    }
    Ok(out)
}

fn min_or_max(value: &Value, args: &Args, name: &str, wanted: std::cmp::Ordering) -> Result<Value> {
    let bound = args.bind(name, &["case_sensitive", "attribute"], 0)?;
    let getter = Getter::new(bound.get(1), None, !bound.flag(0, false)?);
    let mut best: Option<(Value, Value)> = None;
    for item in iterate(value)? {
        let key = getter.get(&item)?;
        let better = match &best {
            None => true,
            Some((best_key, _)) => {
                ops::order(
                    if wanted.is_lt() { CmpOp::Lt } else { CmpOp::Gt },
                    &key,
                    best_key,
                )? == wanted
            }
        };
        if better {
            best = Some((key, item));
        }
    }
    Ok(best.map_or_else(
        || strict_undefined("No aggregated item, sequence was empty."),
        |(_, item)| item,
    ))
}

pub fn min(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    min_or_max(&value, &args, "min", std::cmp::Ordering::Less)
}

pub fn max(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    min_or_max(&value, &args, "max", std::cmp::Ordering::Greater)
}

/// `sum(attribute=None, start=0)`.
pub fn sum(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("sum", &["attribute", "start"], 0)?;
    let getter = Getter::new(bound.get(0), None, false);
    let mut total = bound.raw(1).cloned().unwrap_or(Value::int(0));
    for item in iterate(&value)? {
        total = ops::binary(crate::ast::BinOp::Add, &total, &getter.get(&item)?)?;
    }
    Ok(total)
}

/// `attr(name)`: an attribute only, never an item.
pub fn attr(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("attr", &["name"], 1)?;
    let name = soft_str(bound.raw(0).unwrap_or(&Value::None))?;
    let found = lookup::attr(&value, &name)?;
    let is_item = matches!(&value, Value::Dict(d) if d.borrow().get_str(&name).is_some())
        && !crate::methods::has(&value, &name);
    if is_item {
        return Ok(Value::Undefined(Rc::new(Undefined::attribute(
            &value.object_type_repr(),
            &crate::python::str_repr(&name),
        ))));
    }
    Ok(found)
}
