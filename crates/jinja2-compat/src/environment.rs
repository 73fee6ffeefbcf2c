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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, Value)]) -> HashMap<Rc<str>, Value> {
        pairs
            .iter()
            .map(|(k, v)| (Rc::from(*k), v.clone()))
            .collect()
    }

    #[test]
    fn added_filters_see_their_arguments_and_the_context() {
        let mut env = Environment::new();
        env.add_filter("greet", |state, value, args| {
            let greeting = state.variable("greeting").cloned().unwrap_or(Value::None);
            let punctuation = args.positional.first().cloned().unwrap_or(Value::from(""));
            Ok(Value::from(format!(
                "{} {}{}",
                crate::py::str(&greeting)?,
                crate::py::str(value)?,
                crate::py::str(&punctuation)?
            )))
        });
        let out = env
            .render_str(
                "{{ 'world'|greet('!') }} {{ 'greet' is filter }}",
                vars(&[("greeting", Value::from("Hello"))]),
            )
            .unwrap();
        assert_eq!(out, "Hello world! True");
    }

    #[test]
    fn an_added_filter_hides_jinja2s_and_counts_when_compiled() {
        let mut env = Environment::new();
        env.add_filter("upper", |_, _, _| Ok(Value::from("mine")));
        assert_eq!(
            env.render_str("{{ 'a'|upper }}", vars(&[])).unwrap(),
            "mine"
        );
        // A filter in a loop that never runs is still checked when the template is
        // compiled, as in Jinja2, and one the environment added passes.
        let unrun = "{% for x in [] %}{{ x|nope }}{% endfor %}ok";
        let err = env.render_str(unrun, vars(&[])).unwrap_err();
        assert_eq!(err.to_string(), "template error: No filter named 'nope'.");
        assert_eq!(err.location, Some(("<template>".into(), 1)));
        env.add_filter("nope", |_, value, _| Ok(value.clone()));
        assert_eq!(env.render_str(unrun, vars(&[])).unwrap(), "ok");
    }

    #[test]
    fn limits_are_the_environments() {
        let looping = "{% for i in range(1000) %}{{ i }}{% endfor %}";
        let mut env = Environment::new();
        assert!(env.render_str(looping, vars(&[])).is_ok());
        env.set_limits(Limits {
            max_work: 100,
            ..Limits::PYTHON
        });
        let err = env.render_str(looping, vars(&[])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Work);
        assert!(err.message.contains("more than 100 steps"), "{err}");
        env.set_limits(Limits {
            max_text: 10,
            ..Limits::PYTHON
        });
        let err = env.render_str("{{ 'x' * 11 }}", vars(&[])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Memory);
    }

    #[test]
    fn a_panic_is_an_error_of_the_render_unless_asked_otherwise() {
        let mut env = Environment::new();
        env.add_filter("boom", |_, _, _| panic!("index out of bounds"));
        let err = env.render_str("{{ 1|boom }}", vars(&[])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Panic);
        assert_eq!(err.message, "index out of bounds");
        env.set_catch_panics(false);
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            env.render_str("{{ 1|boom }}", vars(&[]))
        }));
        assert!(unwound.is_err());
    }
}
