//! Where names live. A scope has its own variables and falls back to the one it was made in:
//! a loop body to the template around it, a macro body to where the macro was defined, a
//! template to the configuration, the configuration to Jinja2's globals (`range`, `dict`…).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::value::Value;

#[derive(Default)]
pub struct Scope {
    vars: RefCell<HashMap<Rc<str>, Value>>,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    pub fn root(vars: HashMap<Rc<str>, Value>, parent: Option<Rc<Scope>>) -> Rc<Scope> {
        Rc::new(Scope {
            vars: RefCell::new(vars),
            parent,
        })
    }

    pub fn child(parent: &Rc<Scope>) -> Rc<Scope> {
        Scope::root(HashMap::new(), Some(parent.clone()))
    }

    pub fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(value) = self.vars.borrow().get(name) {
            return Some(value.clone());
        }
        self.parent.as_ref().and_then(|p| p.lookup(name))
    }

    pub fn set(&self, name: Rc<str>, value: Value) {
        self.vars.borrow_mut().insert(name, value);
    }

    /// The variables of this scope alone.
    pub fn own(&self) -> Vec<(Rc<str>, Value)> {
        self.vars
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Every variable visible from here, as one map (what an `include` with context sees);
    /// the globals at the end of the chain are left out.
    pub fn flatten(&self) -> HashMap<Rc<str>, Value> {
        let mut all = match &self.parent {
            Some(parent) if parent.parent.is_some() => parent.flatten(),
            _ => HashMap::new(),
        };
        for (name, value) in self.vars.borrow().iter() {
            all.insert(name.clone(), value.clone());
        }
        all
    }

    /// Forgets every variable: macros hold the scope they were defined in, and a scope that
    /// holds such a macro would otherwise never be freed.
    pub fn clear(&self) {
        self.vars.borrow_mut().clear();
    }
}
