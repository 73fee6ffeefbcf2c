//! Template values with Python's semantics: what Jinja2 templates compute with.
//!
//! Lists and dicts are shared and mutable (`{% do list.append(x) %}` changes every alias), as
//! in Python; a render is single-threaded, so they are `Rc<RefCell<…>>`.

mod args;
mod dict;
mod drop;
mod int;
mod iter;
mod lazy;
mod object;
mod range;
mod undefined;

use std::cell::RefCell;
use std::rc::Rc;

pub use args::{Args, Bound};
pub use dict::{Dict, Key};
pub use drop::{Items, drop_flat};
pub use int::{Int, cmp_int_float};
pub use iter::{iterate, length};
pub use lazy::Lazy;
pub use object::Object;
pub use range::Range;
pub use undefined::Undefined;

use super::error::Error;

pub type ListRef = Rc<RefCell<Items>>;
pub type DictRef = Rc<RefCell<Dict>>;

#[derive(Clone)]
/// A value of a template: a Python object.
pub enum Value {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An `int` of any size.
    Int(Int),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(Rc<str>),
    /// A string that is safe for HTML (markupsafe's `Markup`).
    Markup(Rc<str>),
    /// A `list`.
    List(ListRef),
    /// A `tuple`.
    Tuple(Tuple),
    /// A `dict`.
    Dict(DictRef),
    /// A `range`.
    Range(Range),
    /// `dict.keys()`, `dict.values()` or `dict.items()`: a live view of the dict.
    View(View, DictRef),
    /// A generator or iterator: used up by the first loop over it.
    Lazy(Rc<Lazy>),
    /// An undefined name or attribute (Jinja2's `StrictUndefined`).
    Undefined(Rc<Undefined>),
    /// Any other object: a macro, a loop, a date.
    Object(Rc<dyn Object>),
}

/// Python's `tuple`, and its named variant.
#[derive(Clone)]
pub struct Tuple {
    items: Rc<[Value]>,
    names: Option<&'static [&'static str]>,
}

impl Tuple {
    /// The item a named tuple calls `name`.
    pub fn field(&self, name: &str) -> Option<Value> {
        let index = self.names?.iter().position(|n| *n == name)?;
        self.items.get(index).cloned()
    }
}

impl std::ops::Deref for Tuple {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.items
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Keys,
    Values,
    Items,
}

impl Value {
    /// An `int`.
    pub fn int(i: i64) -> Value {
        Value::Int(Int::Small(i))
    }

    /// A `list` of `items`.
    pub fn list(items: Vec<Value>) -> Value {
        crate::limits::count_container(items.len());
        Value::List(Rc::new(RefCell::new(Items(items))))
    }

    /// A `tuple` of `items`.
    pub fn tuple(items: Vec<Value>) -> Value {
        crate::limits::count_container(items.len());
        Value::Tuple(Tuple {
            items: items.into(),
            names: None,
        })
    }

    /// A named tuple: a tuple whose items are also attributes (`groupby`'s `grouper`, `list`).
    pub(crate) fn named_tuple(items: Vec<Value>, names: &'static [&'static str]) -> Value {
        crate::limits::count_container(items.len());
        Value::Tuple(Tuple {
            items: items.into(),
            names: Some(names),
        })
    }

    /// A `dict`.
    pub(crate) fn dict(dict: Dict) -> Value {
        // A key, its value and the index's entry.
        crate::limits::count_container(dict.len().saturating_mul(3));
        Value::Dict(Rc::new(RefCell::new(dict)))
    }

    /// An object of its own kind.
    pub(crate) fn object(object: impl Object + 'static) -> Value {
        Value::Object(Rc::new(object))
    }

    /// Python's type name: `str`, `int`, `NoneType`, `list`…
    pub fn type_name(&self) -> String {
        match self {
            Value::None => "NoneType".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Str(_) => "str".into(),
            Value::Markup(_) => "Markup".into(),
            Value::List(_) => "list".into(),
            Value::Tuple(_) => "tuple".into(),
            Value::Dict(_) => "dict".into(),
            Value::Range(_) => "range".into(),
            Value::View(View::Keys, _) => "dict_keys".into(),
            Value::View(View::Values, _) => "dict_values".into(),
            Value::View(View::Items, _) => "dict_items".into(),
            Value::Lazy(l) => l.kind.into(),
            Value::Undefined(u) => u.type_name().into(),
            Value::Object(o) => o.type_name(),
        }
    }

    /// What Jinja2 calls the value in "'dict object' has no attribute 'x'".
    pub(crate) fn object_type_repr(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Markup(_) => "markupsafe.Markup object".into(),
            Value::Object(o) => format!("{} object", o.qualified_type_name()),
            other => format!("{} object", other.type_name()),
        }
    }

    /// Python's truth value; a strict undefined value has none.
    pub fn truthy(&self) -> Result<bool, Error> {
        Ok(match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => !i.is_zero(),
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::Markup(s) => !s.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
            Value::Tuple(t) => !t.is_empty(),
            Value::Dict(d) | Value::View(_, d) => !d.borrow().is_empty(),
            Value::Range(r) => r.len() > 0,
            Value::Lazy(_) => true,
            Value::Undefined(u) => return u.check().map(|()| false),
            Value::Object(o) => o.truthy(),
        })
    }

    /// The text of a `str` (or a `Markup`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Markup(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the value is undefined.
    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined(_))
    }

    /// Whether the value is a `str` (or a `Markup`).
    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Value::Str(_) | Value::Markup(_))
    }

    /// An integer, as Python's `__index__` gives it (`True` is 1).
    pub(crate) fn as_int(&self) -> Option<Int> {
        match self {
            Value::Int(i) => Some(i.clone()),
            Value::Bool(b) => Some(Int::Small(i64::from(*b))),
            _ => None,
        }
    }

    /// An integer argument that must fit a machine integer.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_int().and_then(|i| i.to_i64())
    }

    /// A number as a float (ints and bools too).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            other => other.as_int().and_then(|i| i.to_f64()),
        }
    }

    /// Whether the value is an `int`, a `float` or a `bool`.
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_) | Value::Bool(_))
    }

    /// Fails for a strict undefined value: it may not be used.
    pub fn check(&self) -> Result<&Value, Error> {
        match self {
            Value::Undefined(u) => u.check().map(|()| self),
            _ => Ok(self),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Int> for Value {
    fn from(i: Int) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s.into())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.into())
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match super::python::repr(self) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "<{}>", self.type_name()),
        }
    }
}
