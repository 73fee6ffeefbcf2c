//! Python's iterators: what `map`, `select`, `unique`, `batch`… give (generators) and what
//! `reverse` gives of a list. They print as objects, have no length, and are used up by the
//! first loop over them, as in Jinja2.

use std::cell::RefCell;

use super::Value;
use crate::error::Error;

pub struct Lazy {
    /// Python's type: `generator`, `list_reverseiterator`.
    pub kind: &'static str,
    /// The function a generator comes from, for its repr.
    pub origin: &'static str,
    /// The items not yet taken, or the error making them gave (raised when they are taken,
    /// as a generator raises it).
    items: RefCell<Result<Vec<Value>, Error>>,
}

impl Lazy {
    pub fn generator(origin: &'static str, items: Result<Vec<Value>, Error>) -> Value {
        Lazy::value("generator", origin, items)
    }

    pub fn value(
        kind: &'static str,
        origin: &'static str,
        items: Result<Vec<Value>, Error>,
    ) -> Value {
        // It holds its items as a list does (`big|select`, kept in a loop).
        crate::limits::count_container(items.as_ref().map_or(0, Vec::len));
        Value::Lazy(std::rc::Rc::new(Lazy {
            kind,
            origin,
            items: RefCell::new(items),
        }))
    }

    /// The remaining items; the iterator is used up.
    pub fn take(&self) -> Result<Vec<Value>, Error> {
        std::mem::replace(&mut *self.items.borrow_mut(), Ok(Vec::new()))
    }

    pub fn repr(&self) -> String {
        let address = self as *const Lazy as usize;
        if self.kind == "generator" {
            format!("<generator object {} at {address:#x}>", self.origin)
        } else {
            format!("<{} object at {address:#x}>", self.kind)
        }
    }
}

impl Drop for Lazy {
    fn drop(&mut self) {
        if let Ok(items) = self.items.get_mut() {
            super::drop_flat(std::mem::take(items));
        }
    }
}
