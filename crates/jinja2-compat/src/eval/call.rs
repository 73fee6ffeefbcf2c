//! Calls: functions, macros and methods, filters and tests.

use std::rc::Rc;

use super::{Frame, Interp};
use crate::ast::{CallArgs, Expr, ExprKind, FilterCall};
use crate::environment::State;
use crate::error::{Error, ErrorKind};
use crate::value::{Args, Value, iterate};
use crate::{checks, filters, limits, lookup, methods};

type Result<T> = std::result::Result<T, Error>;

impl Interp<'_> {
    /// `callee(args)`, with `caller` added for a call block. A method of a string, list or
    /// dict is called directly.
    pub fn eval_call(
        &mut self,
        callee: &Expr,
        args: &CallArgs,
        frame: &Frame,
        caller: Option<Value>,
    ) -> Result<Value> {
        if let ExprKind::GetAttr(receiver, name) = &callee.kind {
            let receiver = self.eval(receiver, frame)?;
            if methods::has(&receiver, name) {
                let args = self.eval_args(args, frame, caller)?;
                // Appending, and popping the last item, leave the other items where they are.
                let in_place =
                    &**name == "append" || (&**name == "pop" && args.positional.is_empty());
                let scanned = (!in_place).then_some(&receiver);
                limits::charge_scan(scanned.into_iter().chain(args.values()))?;
                return methods::call(&receiver, name, args);
            }
            let function = lookup::attr(&receiver, name)?;
            let args = self.eval_args(args, frame, caller)?;
            return self.call_value(&function, args);
        }
        let function = self.eval(callee, frame)?;
        let args = self.eval_args(args, frame, caller)?;
        self.call_value(&function, args)
    }

    pub fn call_value(&mut self, function: &Value, args: Args) -> Result<Value> {
        match function {
            Value::Object(object) => object.clone().call(self, args),
            Value::Undefined(u) => Err(u.error()),
            other => Err(Error::type_error(format!(
                "'{}' object is not callable",
                other.type_name()
            ))),
        }
    }

    pub fn eval_args(
        &mut self,
        args: &CallArgs,
        frame: &Frame,
        caller: Option<Value>,
    ) -> Result<Args> {
        let mut positional = self.eval_all(&args.positional, frame)?;
        let mut keywords = Vec::new();
        for (name, value) in &args.keywords {
            keywords.push((name.clone(), self.eval(value, frame)?));
        }
        if let Some(star) = &args.star {
            positional.extend(iterate(&self.eval(star, frame)?)?);
        }
        if let Some(star_star) = &args.star_star {
            let Value::Dict(dict) = self.eval(star_star, frame)? else {
                return Err(Error::type_error("argument after ** must be a mapping"));
            };
            for (key, value) in dict.borrow().iter() {
                let name: Rc<str> = key
                    .as_str()
                    .ok_or_else(|| Error::type_error("keywords must be strings"))?
                    .into();
                keywords.push((name, value.clone()));
            }
        }
        keywords.extend(caller.map(|c| (Rc::from("caller"), c)));
        Ok(Args {
            positional,
            keywords,
        })
    }

    pub fn apply_filter(
        &mut self,
        value: Value,
        filter: &FilterCall,
        frame: &Frame,
    ) -> Result<Value> {
        let args = self.eval_args(&filter.args, frame, None)?;
        self.call_filter(&filter.name, value, args)
    }

    /// The filter `name` (one the environment added, or Jinja2's) of `value`.
    pub fn call_filter(&mut self, name: &str, value: Value, args: Args) -> Result<Value> {
        limits::charge_scan(std::iter::once(&value).chain(args.values()))?;
        if let Some(filter) = self.env.filter(name) {
            return filter(&State::new(&self.vars), &value, &args);
        }
        match filters::find(name) {
            Some(filter) => filter(self, value, args),
            None => Err(Error::new(
                ErrorKind::Template,
                format!("No filter named '{name}' found."),
            )),
        }
    }

    pub fn apply_test(&mut self, value: Value, test: &FilterCall, frame: &Frame) -> Result<bool> {
        let args = self.eval_args(&test.args, frame, None)?;
        self.call_test(&test.name, value, args)
    }

    /// The test `name` of `value`.
    pub fn call_test(&mut self, name: &str, value: Value, args: Args) -> Result<bool> {
        limits::charge_scan(std::iter::once(&value).chain(args.values()))?;
        match checks::find(name) {
            Some(test) => test(self, value, args),
            None => Err(Error::new(
                ErrorKind::Template,
                format!("No test named '{name}' found."),
            )),
        }
    }
}
