//! The arguments of a call, bound to a signature the way Python binds them.

use std::rc::Rc;

use super::Value;
use crate::error::Error;

#[derive(Default, Clone)]
/// The arguments of a call: positional, then keyword.
pub struct Args {
    /// The positional arguments, in order.
    pub positional: Vec<Value>,
    /// The keyword arguments, in order.
    pub keywords: Vec<(Rc<str>, Value)>,
}

/// Arguments bound to named parameters; a parameter not given is `None`.
pub struct Bound(Vec<Option<Value>>);

impl Args {
    /// The values given, positional then keywords.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.positional
            .iter()
            .chain(self.keywords.iter().map(|(_, value)| value))
    }

    /// Positional arguments only.
    pub fn positional(values: Vec<Value>) -> Args {
        Args {
            positional: values,
            keywords: Vec::new(),
        }
    }

    /// Whether there is no argument at all.
    pub fn is_empty(&self) -> bool {
        self.positional.is_empty() && self.keywords.is_empty()
    }

    /// Binds to `params` by position, then by keyword, as a Python function of that
    /// signature would; `required` of them must be given.
    pub(crate) fn bind(
        &self,
        func: &str,
        params: &[&str],
        required: usize,
    ) -> Result<Bound, Error> {
        if self.positional.len() > params.len() {
            return Err(Error::type_error(format!(
                "{func}() takes at most {} argument(s) ({} given)",
                params.len(),
                self.positional.len()
            )));
        }
        let mut bound: Vec<Option<Value>> = vec![None; params.len()];
        for (slot, value) in bound.iter_mut().zip(&self.positional) {
            *slot = Some(value.clone());
        }
        for (name, value) in &self.keywords {
            let index = params.iter().position(|p| **p == **name).ok_or_else(|| {
                Error::type_error(format!(
                    "{func}() got an unexpected keyword argument '{name}'"
                ))
            })?;
            if bound[index].replace(value.clone()).is_some() {
                return Err(Error::type_error(format!(
                    "{func}() got multiple values for argument '{name}'"
                )));
            }
        }
        if let Some(missing) = bound[..required].iter().position(Option::is_none) {
            return Err(Error::type_error(format!(
                "{func}() missing required argument '{}'",
                params[missing]
            )));
        }
        Ok(Bound(bound))
    }

    /// Binds positional arguments only, as Python's built-in methods take them.
    pub(crate) fn bind_positional(
        &self,
        func: &str,
        min: usize,
        max: usize,
    ) -> Result<Bound, Error> {
        if !self.keywords.is_empty() {
            return Err(Error::type_error(format!(
                "{func}() takes no keyword arguments"
            )));
        }
        let given = self.positional.len();
        if given < min || given > max {
            return Err(Error::type_error(format!(
                "{func}() takes {} argument(s) ({given} given)",
                if min == max {
                    min.to_string()
                } else {
                    format!("from {min} to {max}")
                }
            )));
        }
        let mut bound: Vec<Option<Value>> = self.positional.iter().cloned().map(Some).collect();
        bound.resize(max, None);
        Ok(Bound(bound))
    }
}

impl Bound {
    /// The argument at `index`, if given; `None` given explicitly counts as not given.
    pub fn get(&self, index: usize) -> Option<&Value> {
        self.0
            .get(index)
            .and_then(Option::as_ref)
            .filter(|v| !matches!(v, Value::None))
    }

    /// The argument at `index`, even an explicit `None`.
    pub fn raw(&self, index: usize) -> Option<&Value> {
        self.0.get(index).and_then(Option::as_ref)
    }

    /// An integer argument, `default` when not given (an explicit `None` is no integer).
    pub fn int(&self, index: usize, default: i64) -> Result<i64, Error> {
        match self.raw(index) {
            None => Ok(default),
            Some(v) => v.as_i64().ok_or_else(|| {
                Error::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    v.type_name()
                ))
            }),
        }
    }

    /// An integer argument, `default` when not given or `None`.
    pub fn int_or_none(&self, index: usize, default: i64) -> Result<i64, Error> {
        match self.get(index) {
            None => Ok(default),
            Some(_) => self.int(index, default),
        }
    }

    /// A truth-valued argument, `default` when not given.
    pub fn flag(&self, index: usize, default: bool) -> Result<bool, Error> {
        self.raw(index).map_or(Ok(default), Value::truthy)
    }
}
