//! Expressions.

use std::rc::Rc;

use super::inheritance::SelfRef;
use super::{Frame, Interp};
use crate::ast::{CmpOp, Expr, ExprKind};
use crate::error::Error;
use crate::limits;
use crate::value::{Dict, Undefined, Value};
use crate::{escape, lookup, ops, python};

type Result<T> = std::result::Result<T, Error>;

impl Interp<'_> {
    /// The value of `expr`. The evaluation recurses once per level of the tree (at most
    /// [`limits::Limits::max_expression_depth`]), on whatever stack is left. Each node is a step of
    /// work: a loop's body of a thousand statements costs a thousand steps a turn.
    pub fn eval(&mut self, expr: &Expr, frame: &Frame) -> Result<Value> {
        limits::charge_work(1)?;
        limits::with_stack(|| self.eval_node(expr, frame))
    }

    fn eval_node(&mut self, expr: &Expr, frame: &Frame) -> Result<Value> {
        match &expr.kind {
            ExprKind::Const(value) => Ok(value.clone()),
            ExprKind::Name(name) => Ok(self.lookup(name, frame)),
            ExprKind::List(items) => {
                limits::check_items(items.len(), "the list")?;
                Ok(Value::list(self.eval_all(items, frame)?))
            }
            ExprKind::Tuple(items) => {
                limits::check_items(items.len(), "the tuple")?;
                Ok(Value::tuple(self.eval_all(items, frame)?))
            }
            ExprKind::Dict(pairs) => {
                limits::check_items(pairs.len(), "the dict")?;
                let mut dict = Dict::new();
                for (key, value) in pairs {
                    let key = self.eval(key, frame)?;
                    let value = self.eval(value, frame)?;
                    dict.insert(key, value)?;
                }
                Ok(Value::dict(dict))
            }
            ExprKind::GetAttr(value, name) => lookup::attr(&self.eval(value, frame)?, name),
            ExprKind::GetItem(value, key) => self.eval_item(value, key, frame),
            ExprKind::Slice(..) => Err(Error::syntax("a slice outside of brackets")),
            ExprKind::Call(callee, args) => self.eval_call(callee, args, frame, None),
            ExprKind::Filter(value, filter) => {
                let value = self.eval(value, frame)?;
                self.apply_filter(value, filter, frame)
            }
            ExprKind::Test(value, test) => {
                let value = self.eval(value, frame)?;
                self.apply_test(value, test, frame).map(Value::Bool)
            }
            ExprKind::Neg(operand) => ops::neg(&self.eval(operand, frame)?),
            ExprKind::Pos(operand) => ops::pos(&self.eval(operand, frame)?),
            ExprKind::Not(operand) => Ok(Value::Bool(!self.eval(operand, frame)?.truthy()?)),
            ExprKind::Binary(op, left, right) => {
                let left = self.eval(left, frame)?;
                let right = self.eval(right, frame)?;
                ops::binary(*op, &left, &right)
            }
            ExprKind::Concat(items) => self.concat(items, frame),
            ExprKind::Compare(first, rest) => self.compare(first, rest, frame),
            ExprKind::And(left, right) => self.logic(left, right, false, frame),
            ExprKind::Or(left, right) => self.logic(left, right, true, frame),
            ExprKind::Cond(test, then, otherwise) => {
                self.conditional(test, then, otherwise.as_deref(), expr.line, frame)
            }
        }
    }

    /// `a and b` (the first false operand, else the last) or `a or b` (the first true one,
    /// else the last), as Python gives them.
    fn logic(&mut self, left: &Expr, right: &Expr, or: bool, frame: &Frame) -> Result<Value> {
        let left = self.eval(left, frame)?;
        if left.truthy()? == or {
            Ok(left)
        } else {
            self.eval(right, frame)
        }
    }

    /// `a if test else b`; without `else`, a false test gives a lenient undefined value,
    /// which prints as nothing.
    fn conditional(
        &mut self,
        test: &Expr,
        then: &Expr,
        otherwise: Option<&Expr>,
        line: usize,
        frame: &Frame,
    ) -> Result<Value> {
        if self.eval(test, frame)?.truthy()? {
            return self.eval(then, frame);
        }
        match otherwise {
            Some(otherwise) => self.eval(otherwise, frame),
            None => Ok(Value::Undefined(Rc::new(Undefined::lenient(format!(
                "the inline if-expression on line {line} in '{}' evaluated to false and no else \
                 section was defined.",
                self.current_template()
            ))))),
        }
    }

    pub fn eval_all(&mut self, items: &[Expr], frame: &Frame) -> Result<Vec<Value>> {
        limits::check_items(items.len(), "the list")?;
        items.iter().map(|item| self.eval(item, frame)).collect()
    }

    /// A name: a variable, `self` (the template's blocks), or a strict undefined value.
    fn lookup(&self, name: &Rc<str>, frame: &Frame) -> Value {
        if let Some(value) = frame.scope.lookup(name) {
            return value;
        }
        if &**name == "self" {
            return Value::object(SelfRef::new(frame.ctx.clone()));
        }
        Value::Undefined(Rc::new(Undefined::name(name)))
    }

    fn eval_item(&mut self, value: &Expr, key: &Expr, frame: &Frame) -> Result<Value> {
        let value = self.eval(value, frame)?;
        // A string's item is found by walking its characters; a list's is not.
        if value.is_string() {
            limits::charge_scan([&value])?;
        }
        if let ExprKind::Slice(start, stop, step) = &key.kind {
            let mut part = |e: &Option<Box<Expr>>| -> Result<Option<Value>> {
                e.as_ref().map(|e| self.eval(e, frame)).transpose()
            };
            let (start, stop, step) = (part(start)?, part(stop)?, part(step)?);
            return lookup::slice(&value, start, stop, step);
        }
        let key = self.eval(key, frame)?;
        lookup::subscript(&value, &key)
    }

    /// `a ~ b ~ c`: the texts joined, escaped when autoescaping.
    fn concat(&mut self, items: &[Expr], frame: &Frame) -> Result<Value> {
        let mut text = String::new();
        for item in items {
            let value = self.eval(item, frame)?;
            value.check()?;
            let part = if self.autoescape {
                escape::escape(&value)?
            } else {
                python::str(&value)?
            };
            limits::charge_text(text.len() + part.len(), "the joined text")?;
            text.push_str(&part);
        }
        Ok(self.text_value(text))
    }

    /// `a < b < c`: each comparison with the next operand, stopping at the first false one.
    fn compare(&mut self, first: &Expr, rest: &[(CmpOp, Expr)], frame: &Frame) -> Result<Value> {
        let mut left = self.eval(first, frame)?;
        for (op, right) in rest {
            let right = self.eval(right, frame)?;
            if !ops::compare(*op, &left, &right)? {
                return Ok(Value::Bool(false));
            }
            left = right;
        }
        Ok(Value::Bool(true))
    }
}
