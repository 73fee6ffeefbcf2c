//! The methods of Python's built-in types that templates call: `'a,b'.split(',')`,
//! `list.append(x)` in a `{% do %}`, `dict.items()`.

mod dict;
mod list;
mod markup;
mod str;
mod text;

use std::rc::Rc;

pub use dict::{from_pairs, pairs_of};
pub use list::sort;
pub use str::python_replace;
pub use text::split_lines;

use super::error::Error;
use super::eval::Interp;
use super::value::{Args, Object, Value};

const TUPLE_METHODS: &[&str] = &["count", "index"];
const RANGE_METHODS: &[&str] = &["count", "index"];

/// Whether `value` has a method `name`.
pub fn has(value: &Value, name: &str) -> bool {
    let names: &[&str] = match value {
        Value::Str(_) | Value::Markup(_) => str::METHODS,
        Value::List(_) => list::METHODS,
        Value::Tuple(_) => TUPLE_METHODS,
        Value::Dict(_) => dict::METHODS,
        Value::Range(_) => RANGE_METHODS,
        Value::Float(_) => &["is_integer"],
        Value::Int(_) | Value::Bool(_) => &["bit_length"],
        _ => &[],
    };
    names.contains(&name)
}

/// `value.name` as a value, when it is a method.
pub fn bound(value: &Value, name: &str) -> Option<Value> {
    has(value, name).then(|| {
        Value::object(BoundMethod {
            receiver: value.clone(),
            name: name.into(),
        })
    })
}

/// `value.name(args)`; the caller checked that the method exists.
pub fn call(value: &Value, name: &str, args: Args) -> Result<Value, Error> {
    match value {
        Value::Str(s) => str::call(s, name, &args),
        Value::Markup(s) => markup::call(s, name, args),
        Value::List(l) => list::call(l, name, args),
        Value::Tuple(t) => list::call_tuple(t, name, &args),
        Value::Dict(d) => dict::call(d, name, args),
        Value::Range(_) => list::call_tuple(&super::value::iterate(value)?, name, &args),
        Value::Float(f) => {
            args.bind_positional("float.is_integer", 0, 0)?;
            Ok(Value::Bool(f.fract() == 0.0 && f.is_finite()))
        }
        other => {
            args.bind_positional("int.bit_length", 0, 0)?;
            let bits = other.as_int().map_or(0, |i| i.bits());
            Ok(Value::int(bits as i64))
        }
    }
}

/// A method taken without calling it: `'x'.upper`.
struct BoundMethod {
    receiver: Value,
    name: Rc<str>,
}

impl Object for BoundMethod {
    fn type_name(&self) -> String {
        "builtin_function_or_method".into()
    }

    fn repr(&self) -> String {
        format!(
            "<built-in method {} of {} object>",
            self.name,
            self.receiver.type_name()
        )
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, _interp: &mut Interp, args: Args) -> Result<Value, Error> {
        call(&self.receiver, &self.name, args)
    }
}
