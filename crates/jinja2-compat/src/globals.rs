//! Jinja2's global functions: `range`, `dict`, `cycler`, `joiner`, `namespace`, `lipsum`.
//! Variables of the context hide them.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use super::error::Error;
use super::eval::{Interp, Scope};
use super::lookup::range_bound;
use super::methods::{from_pairs, pairs_of};
use super::value::{Args, Object, Range, Value, drop_flat};

type Result<T> = std::result::Result<T, Error>;

/// The scope of the globals, under every template's variables.
pub fn scope() -> Rc<Scope> {
    let names = ["range", "dict", "cycler", "joiner", "namespace", "lipsum"];
    let vars: HashMap<Rc<str>, Value> = names
        .into_iter()
        .map(|name| (Rc::from(name), Value::object(Global(name))))
        .collect();
    Scope::root(vars, None)
}

struct Global(&'static str);

impl Object for Global {
    fn type_name(&self) -> String {
        if self.0 == "range" || self.0 == "dict" {
            "type".into()
        } else {
            "function".into()
        }
    }

    fn repr(&self) -> String {
        match self.0 {
            "range" | "dict" => format!("<class '{}'>", self.0),
            name => format!("<function {name}>"),
        }
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, _interp: &mut Interp, args: Args) -> Result<Value> {
        match self.0 {
            "range" => range(&args),
            "dict" => dict(args),
            "cycler" => Ok(Value::object(Cycler {
                items: args.positional,
                position: Rc::default(),
            })),
            "joiner" => {
                let bound = args.bind("joiner", &["sep"], 0)?;
                let sep = bound.raw(0).cloned().unwrap_or_else(|| Value::from(", "));
                Ok(Value::object(Joiner {
                    sep,
                    used: Cell::new(false),
                }))
            }
            "namespace" => Err(Error::template("namespace() is not available here")),
            _ => Err(Error::template(
                "lipsum() makes random text, which a reproducible Dockerfile cannot use",
            )),
        }
    }
}

fn range(args: &Args) -> Result<Value> {
    let bound = args.bind_positional("range", 1, 3)?;
    let at = |i: usize| bound.raw(i).map(range_bound).transpose();
    let (start, stop, step) = match (at(0)?, at(1)?, at(2)?) {
        (Some(stop), None, _) => (0, stop, 1),
        (Some(start), Some(stop), step) => (start, stop, step.unwrap_or(1)),
        _ => (0, 0, 1),
    };
    if step == 0 {
        return Err(Error::value_error("range() arg 3 must not be zero"));
    }
    Ok(Value::Range(Range { start, stop, step }))
}

fn dict(args: Args) -> Result<Value> {
    if args.positional.len() > 1 {
        return Err(Error::type_error(format!(
            "dict expected at most 1 argument, got {}",
            args.positional.len()
        )));
    }
    let mut pairs = match args.positional.first() {
        Some(source) => pairs_of(source)?,
        None => Vec::new(),
    };
    pairs.extend(args.keywords.into_iter().map(|(k, v)| (Value::Str(k), v)));
    Ok(Value::dict(from_pairs(pairs)?))
}

/// `cycler(a, b)`: `next()` gives the items in turn, `current` the one it would give.
struct Cycler {
    items: Vec<Value>,
    /// Shared with the `next` and `reset` values made from this cycler.
    position: Rc<Cell<usize>>,
}

impl Object for Cycler {
    fn type_name(&self) -> String {
        "Cycler".into()
    }

    fn qualified_type_name(&self) -> String {
        "jinja2.utils.Cycler".into()
    }

    fn repr(&self) -> String {
        "<jinja2.utils.Cycler object>".into()
    }

    fn attr(&self, name: &str) -> Option<Value> {
        match name {
            "current" => self.items.get(self.position.get()).cloned(),
            "next" | "reset" => Some(Value::object(CyclerMethod {
                next: name == "next",
                items: self.items.clone(),
                position: self.position.clone(),
            })),
            _ => None,
        }
    }
}

/// `cycler.next` or `cycler.reset`.
struct CyclerMethod {
    next: bool,
    items: Vec<Value>,
    position: Rc<Cell<usize>>,
}

impl Object for CyclerMethod {
    fn type_name(&self) -> String {
        "method".into()
    }

    fn repr(&self) -> String {
        "<bound method Cycler>".into()
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, _interp: &mut Interp, _args: Args) -> Result<Value> {
        let position = &self.position;
        if !self.next {
            position.set(0);
            return Ok(Value::None);
        }
        let current = self
            .items
            .get(position.get())
            .cloned()
            .unwrap_or(Value::None);
        position.set((position.get() + 1) % self.items.len().max(1));
        Ok(current)
    }
}

/// `joiner(sep)`: nothing the first time it is called, `sep` after.
struct Joiner {
    sep: Value,
    used: Cell<bool>,
}

impl Object for Joiner {
    fn type_name(&self) -> String {
        "Joiner".into()
    }

    fn repr(&self) -> String {
        "<jinja2.utils.Joiner object>".into()
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, _interp: &mut Interp, _args: Args) -> Result<Value> {
        if self.used.replace(true) {
            Ok(self.sep.clone())
        } else {
            Ok(Value::from(""))
        }
    }
}

impl Drop for Cycler {
    fn drop(&mut self) {
        drop_flat(std::mem::take(&mut self.items));
    }
}

impl Drop for CyclerMethod {
    fn drop(&mut self) {
        drop_flat(std::mem::take(&mut self.items));
    }
}
