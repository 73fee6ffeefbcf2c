//! The environment of renders, as Jinja2's `Environment`: the filters the application adds,
//! the limits of a render, and whether a panic of the engine becomes an error.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use crate::error::{Error, ErrorKind};
use crate::eval;
use crate::limits::Limits;
use crate::value::{Args, Value};

/// Reads a template by its name (a `/`-separated path, as Jinja2's loaders take it); `None`
/// when there is no such template.
pub type Loader<'a> = dyn Fn(&str) -> Result<Option<String>, Error> + 'a;

/// A filter the application adds: the value, its arguments, and what the render knows.
pub type Filter = dyn Fn(&State, &Value, &Args) -> Result<Value, Error> + Send + Sync;

/// The name a template given as a string has in error locations.
const STRING_TEMPLATE: &str = "<template>";

/// Filters, limits and the safety net shared by renders (Jinja2's `Environment`). It holds
/// no template and no value: renders of it may run on many threads at once.
#[derive(Clone)]
pub struct Environment {
    filters: HashMap<String, Arc<Filter>>,
    limits: Limits,
    catch_panics: bool,
}

impl Default for Environment {
    fn default() -> Environment {
        Environment::new()
    }
}

impl Environment {
    /// Jinja2's filters and tests only, [`Limits::PYTHON`], and panics caught.
    pub fn new() -> Environment {
        Environment {
            filters: HashMap::new(),
            limits: Limits::PYTHON,
            catch_panics: true,
        }
    }

    /// Adds the filter `name`, as `env.filters[name] = filter` does in Jinja2; it hides a
    /// built-in filter of that name.
    pub fn add_filter(
        &mut self,
        name: impl Into<String>,
        filter: impl Fn(&State, &Value, &Args) -> Result<Value, Error> + Send + Sync + 'static,
    ) {
        self.filters.insert(name.into(), Arc::new(filter));
    }

    /// Sets what one render may use.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// What one render may use.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// With `catch` (the default), a panic of the engine during a render becomes that
    /// render's error of kind [`ErrorKind::Panic`]; without, it unwinds to the caller.
    pub fn set_catch_panics(&mut self, catch: bool) {
        self.catch_panics = catch;
    }

    /// Renders the template `name`, read through `loader` as are the templates it includes,
    /// imports or extends, with `vars` as its context. Nothing is kept from one render to the
    /// next.
    pub fn render(
        &self,
        loader: &Loader,
        vars: HashMap<Rc<str>, Value>,
        name: &str,
    ) -> Result<String, Error> {
        if !self.catch_panics {
            return eval::render(self, loader, vars, name);
        }
        catch_unwind(AssertUnwindSafe(|| eval::render(self, loader, vars, name))).unwrap_or_else(
            |panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                Err(Error::new(ErrorKind::Panic, message))
            },
        )
    }

    /// Renders `source`, a template that includes, imports and extends nothing, with `vars` as
    /// its context (Jinja2's `Environment.from_string(source).render(vars)`).
    pub fn render_str(&self, source: &str, vars: HashMap<Rc<str>, Value>) -> Result<String, Error> {
        let loader = |name: &str| Ok((name == STRING_TEMPLATE).then(|| source.to_owned()));
        self.render(&loader, vars, STRING_TEMPLATE)
    }

    pub(crate) fn filter(&self, name: &str) -> Option<&Filter> {
        self.filters.get(name).map(|f| &**f)
    }

    pub(crate) fn has_filter(&self, name: &str) -> bool {
        self.filters.contains_key(name)
    }
}

/// What a filter the application added knows of the render that calls it (as a Jinja2 filter
/// marked `pass_context` does).
pub struct State<'a> {
    vars: &'a HashMap<Rc<str>, Value>,
}

impl<'a> State<'a> {
    pub(crate) fn new(vars: &'a HashMap<Rc<str>, Value>) -> State<'a> {
        State { vars }
    }

    /// The variable `name` of the context the render was given.
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
}
