//! Jinja2's tests (`x is defined`, `n is divisibleby 3`, …).

use std::rc::Rc;

use super::ast::{BinOp, CmpOp};
use super::error::Error;
use super::eval::Interp;
use super::methods;
use super::ops;
use super::python;
use super::value::{Args, Value, iterate, length};

type Result<T> = std::result::Result<T, Error>;

pub type Test = fn(&mut Interp, Value, Args) -> Result<bool>;

const TESTS: &[(&str, Test)] = &[
    ("boolean", |_, v, a| {
        none(a, "boolean").map(|()| matches!(v, Value::Bool(_)))
    }),
    ("callable", |_, v, a| {
        none(a, "callable").map(|()| callable(&v))
    }),
    ("defined", |_, v, a| {
        none(a, "defined").map(|()| !v.is_undefined())
    }),
    ("divisibleby", divisible_by),
    ("eq", |_, v, a| compare(v, a, CmpOp::Eq)),
    ("equalto", |_, v, a| compare(v, a, CmpOp::Eq)),
    ("==", |_, v, a| compare(v, a, CmpOp::Eq)),
    ("escaped", |_, v, a| {
        none(a, "escaped").map(|()| matches!(v, Value::Markup(_)))
    }),
    ("even", |_, v, a| parity(v, a, 0)),
    ("false", |_, v, a| {
        none(a, "false").map(|()| matches!(v, Value::Bool(false)))
    }),
    ("filter", |interp, v, a| {
        none(a, "filter").map(|()| v.as_str().is_some_and(|name| interp.filter_exists(name)))
    }),
    ("float", |_, v, a| {
        none(a, "float").map(|()| matches!(v, Value::Float(_)))
    }),
    ("ge", |_, v, a| compare(v, a, CmpOp::Gte)),
    (">=", |_, v, a| compare(v, a, CmpOp::Gte)),
    ("gt", |_, v, a| compare(v, a, CmpOp::Gt)),
    ("greaterthan", |_, v, a| compare(v, a, CmpOp::Gt)),
    (">", |_, v, a| compare(v, a, CmpOp::Gt)),
    ("in", |_, v, a| compare(v, a, CmpOp::In)),
    ("integer", |_, v, a| {
        none(a, "integer").map(|()| matches!(v, Value::Int(_)))
    }),
    ("iterable", |_, v, a| {
        none(a, "iterable").map(|()| iterable(&v))
    }),
    ("le", |_, v, a| compare(v, a, CmpOp::Lte)),
    ("<=", |_, v, a| compare(v, a, CmpOp::Lte)),
    ("lower", |_, v, a| case(v, a, "islower")),
    ("lt", |_, v, a| compare(v, a, CmpOp::Lt)),
    ("lessthan", |_, v, a| compare(v, a, CmpOp::Lt)),
    ("<", |_, v, a| compare(v, a, CmpOp::Lt)),
    ("mapping", |_, v, a| {
        none(a, "mapping").map(|()| matches!(v, Value::Dict(_)))
    }),
    ("ne", |_, v, a| compare(v, a, CmpOp::Ne)),
    ("!=", |_, v, a| compare(v, a, CmpOp::Ne)),
    ("none", |_, v, a| {
        none(a, "none").map(|()| matches!(v, Value::None))
    }),
    ("number", |_, v, a| {
        none(a, "number").map(|()| v.is_number())
    }),
    ("odd", |_, v, a| parity(v, a, 1)),
    ("sameas", same_as),
    ("sequence", |_, v, a| {
        none(a, "sequence").map(|()| sequence(&v))
    }),
    ("string", |_, v, a| {
        none(a, "string").map(|()| v.is_string())
    }),
    ("test", |_, v, a| {
        none(a, "test").map(|()| v.as_str().is_some_and(exists))
    }),
    ("true", |_, v, a| {
        none(a, "true").map(|()| matches!(v, Value::Bool(true)))
    }),
    ("undefined", |_, v, a| {
        none(a, "undefined").map(|()| v.is_undefined())
    }),
    ("upper", |_, v, a| case(v, a, "isupper")),
];

pub fn exists(name: &str) -> bool {
    find(name).is_some()
}

pub fn find(name: &str) -> Option<Test> {
    static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&str, Test>> =
        std::sync::OnceLock::new();
    BY_NAME
        .get_or_init(|| TESTS.iter().copied().collect())
        .get(name)
        .copied()
}

fn none(args: Args, name: &str) -> Result<()> {
    args.bind(name, &[], 0).map(drop)
}

fn other(args: Args, name: &str) -> Result<Value> {
    Ok(args
        .bind(name, &["other"], 1)?
        .raw(0)
        .cloned()
        .unwrap_or(Value::None))
}

fn compare(value: Value, args: Args, op: CmpOp) -> Result<bool> {
    let other = other(args, op.symbol())?;
    ops::compare(op, &value, &other)
}

fn parity(value: Value, args: Args, remainder: i64) -> Result<bool> {
    none(args, "even")?;
    let rest = ops::binary(BinOp::Mod, &value, &Value::int(2))?;
    ops::equal(&rest, &Value::int(remainder))
}

fn divisible_by(_: &mut Interp, value: Value, args: Args) -> Result<bool> {
    let num = args
        .bind("divisibleby", &["num"], 1)?
        .raw(0)
        .cloned()
        .unwrap_or(Value::None);
    let rest = ops::binary(BinOp::Mod, &value, &num)?;
    ops::equal(&rest, &Value::int(0))
}

fn case(value: Value, args: Args, method: &str) -> Result<bool> {
    none(args, method)?;
    let text = python::str(&value)?;
    methods::call(&Value::from(text), method, Args::default())?.truthy()
}

/// `iter(value)` would work (without using up an iterator).
fn iterable(value: &Value) -> bool {
    match value {
        Value::Lazy(_) => true,
        Value::Undefined(u) => !u.strict,
        other => iterate(other).is_ok(),
    }
}

/// Python's `callable()`: undefined values have `__call__` (which fails).
fn callable(value: &Value) -> bool {
    match value {
        Value::Object(o) => o.is_callable(),
        Value::Undefined(_) => true,
        _ => false,
    }
}

/// `len()` and item access: strings, lists, tuples, ranges and dicts.
fn sequence(value: &Value) -> bool {
    matches!(
        value,
        Value::Str(_)
            | Value::Markup(_)
            | Value::List(_)
            | Value::Tuple(_)
            | Value::Range(_)
            | Value::Dict(_)
    ) && length(value).is_ok()
}

/// `is sameas`: Python's `is`. `None`, the booleans and small integers are single objects
/// in CPython; containers are the same when they are the same list or dict.
fn same_as(_: &mut Interp, value: Value, args: Args) -> Result<bool> {
    let other = other(args, "sameas")?;
    Ok(match (&value, &other) {
        (Value::None, Value::None) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Int(a), Value::Int(b)) => {
            a == b && a.to_i64().is_some_and(|i| (-5..=256).contains(&i))
        }
        (Value::List(a), Value::List(b)) => Rc::ptr_eq(a, b),
        (Value::Dict(a), Value::Dict(b)) => Rc::ptr_eq(a, b),
        (Value::Object(a), Value::Object(b)) => Rc::ptr_eq(a, b),
        _ => false,
    })
}
