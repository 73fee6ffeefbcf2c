//! Dropping values without recursion. A template can nest lists, tuples and dicts a million
//! levels deep (`{% do path[-1].append([]) %}` in a loop); dropping such a value the usual
//! way recurses once per level and overflows the stack. Containers hand their items to a
//! queue instead, which the outermost drop on the thread empties one item at a time.

use std::cell::{Cell, RefCell};
use std::ops::{Deref, DerefMut};

use super::Value;

thread_local! {
    static DROPPING: Cell<bool> = const { Cell::new(false) };
    static PENDING: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Drops `values`, the items of a container being dropped, at the depth of the outermost
/// drop under way.
pub fn drop_flat(values: impl IntoIterator<Item = Value>) {
    PENDING.with_borrow_mut(|pending| pending.extend(values));
    if DROPPING.get() {
        return;
    }
    DROPPING.set(true);
    while let Some(value) = PENDING.with_borrow_mut(Vec::pop) {
        drop(value);
    }
    DROPPING.set(false);
}

/// The items of a list.
#[derive(Clone, Default)]
pub struct Items(pub Vec<Value>);

impl Deref for Items {
    type Target = Vec<Value>;

    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl DerefMut for Items {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            drop_flat(std::mem::take(&mut self.0));
        }
    }
}

impl Drop for super::Tuple {
    fn drop(&mut self) {
        if let Some(items) = std::rc::Rc::get_mut(&mut self.items)
            && !items.is_empty()
        {
            let taken: Vec<Value> = items
                .iter_mut()
                .map(|item| std::mem::replace(item, Value::None))
                .collect();
            drop_flat(taken);
        }
    }
}

impl Drop for super::Dict {
    fn drop(&mut self) {
        if !self.is_empty() {
            let entries = std::mem::take(&mut self.entries);
            drop_flat(entries.into_values().flat_map(|(key, value)| [key, value]));
        }
    }
}
