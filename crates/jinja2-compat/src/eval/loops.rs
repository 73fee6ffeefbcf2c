//! `{% for %}` and its `loop` variable: `index`, `revindex`, `first`, `last`, `length`,
//! `cycle()`, `changed()`, `previtem`/`nextitem`, `depth`, and `loop(items)` for recursive
//! loops.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::{Frame, Interp, Scope};
use crate::ast::ForLoop;
use crate::error::Error;
use crate::limits;
use crate::ops;
use crate::value::{Args, Object, Undefined, Value, iterate};

type Result<T> = std::result::Result<T, Error>;

impl Interp<'_> {
    pub fn exec_for(
        &mut self,
        for_loop: &Rc<ForLoop>,
        frame: &Frame,
        out: &mut String,
    ) -> Result<()> {
        let items = iterate(&self.eval(&for_loop.iter, frame)?)?;
        self.run_loop(for_loop, items, 0, frame, out)
    }

    /// Runs the loop over `items` (filtered by its `if`), at recursion `depth0`.
    fn run_loop(
        &mut self,
        for_loop: &Rc<ForLoop>,
        items: Vec<Value>,
        depth0: usize,
        frame: &Frame,
        out: &mut String,
    ) -> Result<()> {
        let items = self.filtered(for_loop, items, frame)?;
        if items.is_empty() {
            return self.exec(&for_loop.else_body, &self.inner(frame), out);
        }
        let body = self.inner(frame);
        let state = Rc::new(LoopState {
            items: Rc::new(items),
            index0: Cell::new(0),
            depth0,
            last_changed: Rc::new(RefCell::new(None)),
            recursion: for_loop
                .recursive
                .then(|| (for_loop.clone(), frame.clone())),
        });
        for index0 in 0..state.items.len() {
            limits::charge_work(1)?;
            state.index0.set(index0);
            self.assign(&for_loop.target, state.items[index0].clone(), &body)?;
            body.scope.set("loop".into(), Value::Object(state.clone()));
            self.exec(&for_loop.body, &body, out)?;
        }
        Ok(())
    }

    /// The items that pass the loop's `if`, tested with the loop variable bound.
    fn filtered(
        &mut self,
        for_loop: &ForLoop,
        items: Vec<Value>,
        frame: &Frame,
    ) -> Result<Vec<Value>> {
        let Some(test) = &for_loop.filter else {
            return Ok(items);
        };
        let test_frame = Frame {
            scope: Scope::child(&frame.scope),
            ..frame.clone()
        };
        let mut kept = Vec::new();
        for item in items {
            self.assign(&for_loop.target, item.clone(), &test_frame)?;
            if self.eval(test, &test_frame)?.truthy()? {
                kept.push(item);
            }
        }
        Ok(kept)
    }
}

/// The `loop` variable.
pub struct LoopState {
    items: Rc<Vec<Value>>,
    index0: Cell<usize>,
    depth0: usize,
    /// Shared with the `loop.changed` values made from this state.
    last_changed: Rc<RefCell<Option<Vec<Value>>>>,
    /// For a recursive loop: the loop and the frame it runs in.
    recursion: Option<(Rc<ForLoop>, Frame)>,
}

impl LoopState {
    fn length(&self) -> usize {
        self.items.len()
    }

    fn index0(&self) -> usize {
        self.index0.get()
    }

    fn int(i: usize) -> Value {
        Value::int(i as i64)
    }

    fn neighbour(&self, offset: isize, missing: &str) -> Value {
        let index = self.index0() as isize + offset;
        match self.items.get(usize::try_from(index).unwrap_or(usize::MAX)) {
            Some(item) => item.clone(),
            None => Value::Undefined(Rc::new(Undefined::strict(missing.into()))),
        }
    }

    fn cycle(&self, args: &Args) -> Result<Value> {
        if args.positional.is_empty() {
            return Err(Error::type_error("no items for cycling given"));
        }
        Ok(args.positional[self.index0() % args.positional.len()].clone())
    }

    /// True the first time, and whenever the values differ from the last call's.
    fn changed(&self, args: Args) -> Result<Value> {
        let mut last = self.last_changed.borrow_mut();
        let same = match last.as_ref() {
            Some(previous) if previous.len() == args.positional.len() => {
                let mut all = true;
                for (a, b) in previous.iter().zip(&args.positional) {
                    all &= ops::equal(a, b)?;
                }
                all
            }
            _ => false,
        };
        if same {
            return Ok(Value::Bool(false));
        }
        *last = Some(args.positional);
        Ok(Value::Bool(true))
    }
}

impl Object for LoopState {
    fn type_name(&self) -> String {
        "LoopContext".into()
    }

    fn qualified_type_name(&self) -> String {
        "jinja2.runtime.LoopContext".into()
    }

    fn repr(&self) -> String {
        format!("<LoopContext {}/{}>", self.index0() + 1, self.length())
    }

    fn attr(&self, name: &str) -> Option<Value> {
        let (index0, length) = (self.index0(), self.length());
        Some(match name {
            "index" => Self::int(index0 + 1),
            "index0" => Self::int(index0),
            "revindex" => Self::int(length - index0),
            "revindex0" => Self::int(length - index0 - 1),
            "first" => Value::Bool(index0 == 0),
            "last" => Value::Bool(index0 + 1 == length),
            "length" => Self::int(length),
            "depth" => Self::int(self.depth0 + 1),
            "depth0" => Self::int(self.depth0),
            "previtem" => self.neighbour(-1, "there is no previous item"),
            "nextitem" => self.neighbour(1, "there is no next item"),
            "cycle" | "changed" => Value::object(LoopMethod {
                name: if name == "cycle" { "cycle" } else { "changed" },
                state: self.clone_state(),
            }),
            _ => return None,
        })
    }

    fn is_callable(&self) -> bool {
        self.recursion.is_some()
    }

    /// `loop(items)` in a recursive loop: the loop's body over `items`, one level deeper.
    fn call(&self, interp: &mut Interp, args: Args) -> Result<Value> {
        let Some((for_loop, frame)) = &self.recursion else {
            return Err(Error::type_error(
                "Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.",
            ));
        };
        let items = match args.positional.first() {
            Some(items) if args.positional.len() == 1 => iterate(items)?,
            _ => return Err(Error::type_error("loop() takes exactly one argument")),
        };
        interp.deeper(|interp| {
            let mut out = String::new();
            interp.run_loop(for_loop, items, self.depth0 + 1, frame, &mut out)?;
            Ok(interp.text_value(out))
        })
    }
}

impl LoopState {
    fn clone_state(&self) -> Rc<LoopState> {
        Rc::new(LoopState {
            items: self.items.clone(),
            index0: Cell::new(self.index0()),
            depth0: self.depth0,
            last_changed: self.last_changed.clone(),
            recursion: None,
        })
    }
}

/// `loop.cycle` and `loop.changed`, as values to call.
struct LoopMethod {
    name: &'static str,
    state: Rc<LoopState>,
}

impl Object for LoopMethod {
    fn type_name(&self) -> String {
        "method".into()
    }

    fn repr(&self) -> String {
        format!("<bound method LoopContext.{}>", self.name)
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, _interp: &mut Interp, args: Args) -> Result<Value> {
        match self.name {
            "cycle" => self.state.cycle(&args),
            _ => self.state.changed(args),
        }
    }
}
