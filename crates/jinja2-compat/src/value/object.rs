//! Values that are neither data nor containers: macros, the loop variable, `cycler()`,
//! imported modules, and the configuration's dates, bytes and sets. Each says what it is,
//! which attributes it has, how it is called, and how Python compares it.

use super::{Args, Value};
use crate::error::Error;
use crate::eval::Interp;

pub trait Object {
    /// Python's type name, for messages: `Macro`, `LoopContext`.
    fn type_name(&self) -> String;

    /// The module-qualified name Jinja2 shows in "'… object' has no attribute".
    fn qualified_type_name(&self) -> String {
        self.type_name()
    }

    fn repr(&self) -> String;

    /// `str()`; most objects print their repr.
    fn to_str(&self) -> String {
        self.repr()
    }

    fn attr(&self, _name: &str) -> Option<Value> {
        None
    }

    fn is_callable(&self) -> bool {
        false
    }

    fn call(&self, _interp: &mut Interp, _args: Args) -> Result<Value, Error> {
        Err(Error::type_error(format!(
            "'{}' object is not callable",
            self.type_name()
        )))
    }

    /// The items of an iterable object (a set), which also give its length.
    fn items(&self) -> Option<Vec<Value>> {
        None
    }

    /// Python's truth value.
    fn truthy(&self) -> bool {
        true
    }

    /// For an object Python compares and hashes by value (a date, bytes): its kind, and bytes
    /// that order as the values do. Objects without one are equal only to themselves.
    fn value_key(&self) -> Option<(&'static str, Vec<u8>)> {
        None
    }
}
