//! Jinja2 3.1 with Python's semantics: a template renders byte for byte as Python's Jinja2
//! renders it, errors included.
//!
//! This is a Jinja2 of its own rather than a Rust template engine bent towards Jinja2: the
//! same output takes Python's string literals, integers of any size, float printing, mutable
//! lists, `%` formatting and Jinja2's operator precedence, none of which an existing engine
//! lets one change. A render: lexer → parser → evaluator, over [`Value`]s, within
//! [`Limits`].
//!
//! ```
//! use jinja2_compat::{Environment, Value};
//!
//! let mut env = Environment::new();
//! env.add_filter("shout", |_, value, _| {
//!     Ok(Value::from(format!("{}!", value.as_str().unwrap_or_default())))
//! });
//! let vars = [("name".into(), Value::from("world"))].into_iter().collect();
//! let out = env.render_str("{{ name|shout }} {{ 1/3 }} {{ [1, 'a'] }}", vars).unwrap();
//! assert_eq!(out, "world! 0.3333333333333333 [1, 'a']");
//! ```

#![warn(missing_docs)]

mod ast;
mod checks;
mod environment;
mod error;
mod escape;
mod eval;
mod filters;
mod format;
mod globals;
mod lexer;
mod limits;
mod literal;
mod lookup;
mod methods;
mod ops;
mod parser;
mod pprint;
mod python;
#[cfg(feature = "pyyaml")]
mod python_objects;
mod value;
#[cfg(feature = "pyyaml")]
mod yaml;

pub use environment::{Environment, Filter, Loader, State};
pub use error::{Error, ErrorKind};
pub use limits::Limits;
pub use value::{Args, Value};

/// Python's built-ins and operators on values, for the filters an application adds.
pub mod py {
    pub use crate::lookup::subscript;
    pub use crate::ops::{contains, equal};
    pub use crate::python::{repr, str};
}
