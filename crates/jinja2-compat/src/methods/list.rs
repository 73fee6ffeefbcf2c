//! Python's `list` and `tuple` methods.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use crate::ast::CmpOp;
use crate::error::{Error, ErrorKind};
use crate::limits;
use crate::ops;
use crate::python;
use crate::value::{Args, Bound, Items, ListRef, Value, iterate};

type Result<T> = std::result::Result<T, Error>;

pub const METHODS: &[&str] = &[
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse",
    "sort",
];

pub fn call(list: &ListRef, name: &str, args: Args) -> Result<Value> {
    let func = format!("list.{name}");
    let one = |args: &Args| -> Result<Value> {
        let bound = args.bind_positional(&func, 1, 1)?;
        Ok(bound.raw(0).cloned().unwrap_or(Value::None))
    };
    let done = |()| Value::None;
    match name {
        "append" => grow(list, vec![one(&args)?]),
        "extend" => grow(list, iterate(&one(&args)?)?),
        "insert" => insert(list, &args.bind_positional(&func, 2, 2)?),
        "pop" => pop(list, args.bind_positional(&func, 0, 1)?.int(0, -1)?),
        "remove" => remove(list, &one(&args)?),
        "clear" => args
            .bind_positional(&func, 0, 0)
            .map(|_| clear(list))
            .map(done),
        "copy" => args
            .bind_positional(&func, 0, 0)
            .map(|_| Value::list(list.borrow().to_vec())),
        "reverse" => args
            .bind_positional(&func, 0, 0)
            .map(|_| list.borrow_mut().reverse())
            .map(done),
        "sort" => sort_in_place(list, &args.bind(&func, &["key", "reverse"], 0)?),
        _ => call_tuple(&list.borrow().clone(), name, &args),
    }
}

fn insert(list: &ListRef, bound: &Bound) -> Result<Value> {
    let len = list.borrow().len() as i64;
    let at = bound.int(0, 0)?;
    let at = if at < 0 {
        (at + len).max(0)
    } else {
        at.min(len)
    };
    limits::check_items(len as usize + 1, "the list")?;
    limits::count_slots(1);
    let item = bound.raw(1).cloned().unwrap_or(Value::None);
    list.borrow_mut().insert(at as usize, item);
    Ok(Value::None)
}

fn remove(list: &ListRef, item: &Value) -> Result<Value> {
    let at = position(&list.borrow(), item, 0, usize::MAX)?
        .ok_or_else(|| Error::value_error("list.remove(x): x not in list"))?;
    list.borrow_mut().remove(at);
    shrink(list, 1);
    Ok(Value::None)
}

/// Gives back the memory of `removed` items, as Python's list does once it is mostly empty,
/// and takes them off the count of what the render holds.
fn shrink(list: &ListRef, removed: usize) {
    limits::uncount_slots(removed);
    let mut items = list.borrow_mut();
    if items.capacity() > 16 && items.len() < items.capacity() / 4 {
        let keep = items.len() * 2;
        items.shrink_to(keep);
    }
}

fn clear(list: &ListRef) {
    let items = Items(std::mem::take(&mut list.borrow_mut().0));
    limits::uncount_slots(items.len());
    drop(items);
}

fn sort_in_place(list: &ListRef, bound: &Bound) -> Result<Value> {
    if bound.get(0).is_some() {
        return Err(Error::type_error(
            "a key function cannot be given in a template",
        ));
    }
    let sorted = sort(list.borrow().to_vec(), bound.flag(1, false)?, |v| {
        Ok(v.clone())
    })?;
    **list.borrow_mut() = sorted;
    Ok(Value::None)
}

fn grow(list: &ListRef, items: Vec<Value>) -> Result<Value> {
    limits::check_items(list.borrow().len() + items.len(), "the list")?;
    limits::count_slots(items.len());
    list.borrow_mut().extend(items);
    Ok(Value::None)
}

fn pop(list: &ListRef, at: i64) -> Result<Value> {
    let len = list.borrow().len() as i64;
    if len == 0 {
        return Err(Error::new(ErrorKind::Index, "pop from empty list"));
    }
    let index = if at < 0 { at + len } else { at };
    if !(0..len).contains(&index) {
        return Err(Error::new(ErrorKind::Index, "pop index out of range"));
    }
    let item = list.borrow_mut().remove(index as usize);
    shrink(list, 1);
    Ok(item)
}

/// `count` and `index`, which lists, tuples and ranges share.
pub fn call_tuple(items: &[Value], name: &str, args: &Args) -> Result<Value> {
    match name {
        "count" => {
            let item = args
                .bind_positional("count", 1, 1)?
                .raw(0)
                .cloned()
                .unwrap_or(Value::None);
            let mut found = 0;
            for candidate in items {
                if ops::equal(candidate, &item)? {
                    found += 1;
                }
            }
            Ok(Value::int(found))
        }
        _ => {
            let bound = args.bind_positional("index", 1, 3)?;
            let item = bound.raw(0).cloned().unwrap_or(Value::None);
            let len = items.len() as i64;
            let clamp = |i: i64| (if i < 0 { i + len } else { i }).clamp(0, len) as usize;
            let (start, end) = (clamp(bound.int(1, 0)?), clamp(bound.int(2, len)?));
            position(items, &item, start, end)?
                .map(|i| Value::int(i as i64))
                .ok_or_else(|| {
                    Error::value_error(format!(
                        "{} is not in list",
                        python::repr(&item).unwrap_or_default()
                    ))
                })
        }
    }
}

fn position(items: &[Value], item: &Value, start: usize, end: usize) -> Result<Option<usize>> {
    for (i, candidate) in items.iter().enumerate().take(end).skip(start) {
        if ops::equal(candidate, item)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Python's stable `sorted(items, key=key, reverse=reverse)`, with `<` that may fail.
pub fn sort(
    mut items: Vec<Value>,
    reverse: bool,
    key: impl Fn(&Value) -> Result<Value>,
) -> Result<Vec<Value>> {
    let mut keyed = items
        .drain(..)
        .map(|item| Ok((key(&item)?, item)))
        .collect::<Result<Vec<_>>>()?;
    limits::charge_work(keyed.len() as u64)?;
    let failure: Rc<RefCell<Option<Error>>> = Rc::default();
    if reverse {
        keyed.reverse();
    }
    keyed.sort_by(|(a, _), (b, _)| {
        match ops::order(CmpOp::Lt, b, a) {
            Ok(Ordering::Less) => return Ordering::Greater,
            Ok(_) => {}
            Err(e) => {
                failure.borrow_mut().get_or_insert(e);
                return Ordering::Equal;
            }
        }
        match ops::order(CmpOp::Lt, a, b) {
            Ok(Ordering::Less) => Ordering::Less,
            Ok(_) => Ordering::Equal,
            Err(e) => {
                failure.borrow_mut().get_or_insert(e);
                Ordering::Equal
            }
        }
    });
    if let Some(error) = failure.borrow_mut().take() {
        return Err(error);
    }
    if reverse {
        keyed.reverse();
    }
    Ok(keyed.into_iter().map(|(_, item)| item).collect())
}
