//! Jinja2's undefined values. A missing name, attribute or item is strict (StrictUndefined):
//! using it is an error naming what was missing. An inline `x if cond` without `else` gives
//! a lenient one that prints as nothing and iterates as empty.

use crate::error::Error;

#[derive(Debug)]
pub struct Undefined {
    pub message: String,
    pub strict: bool,
}

impl Undefined {
    /// `'name' is undefined`.
    pub fn name(name: &str) -> Undefined {
        Undefined::strict(format!("{} is undefined", crate::python::str_repr(name)))
    }

    /// `'dict object' has no attribute 'x'`, with the name as Python's repr gives it.
    pub fn attribute(owner: &str, name_repr: &str) -> Undefined {
        Undefined::strict(format!("'{owner}' has no attribute {name_repr}"))
    }

    /// `list object has no element 10`: an item that is not a string.
    pub fn element(owner: &str, key_repr: &str) -> Undefined {
        Undefined::strict(format!("{owner} has no element {key_repr}"))
    }

    pub fn strict(message: String) -> Undefined {
        Undefined {
            message,
            strict: true,
        }
    }

    pub fn lenient(message: String) -> Undefined {
        Undefined {
            message,
            strict: false,
        }
    }

    pub fn type_name(&self) -> &'static str {
        if self.strict {
            "StrictUndefined"
        } else {
            "Undefined"
        }
    }

    /// Fails when the value may not be used at all.
    pub fn check(&self) -> Result<(), Error> {
        if self.strict {
            Err(self.error())
        } else {
            Ok(())
        }
    }

    /// The error of any use beyond printing, iterating or testing truth.
    pub fn error(&self) -> Error {
        Error::undefined(self.message.clone())
    }
}
