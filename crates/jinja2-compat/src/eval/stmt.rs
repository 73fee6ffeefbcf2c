//! Statements: output, `if`, `set`, `with`, `filter` and `autoescape` blocks, `do`; the
//! others have their own files (loops, macros, inheritance, imports).

use super::{Frame, Interp, Scope};
use crate::ast::{FilterCall, Output, Stmt, StmtKind, Target};
use crate::error::Error;
use crate::limits;
use crate::value::{Value, iterate};
use crate::{escape, python};

type Result<T> = std::result::Result<T, Error>;

impl Interp<'_> {
    pub fn exec(&mut self, body: &[Stmt], frame: &Frame, out: &mut String) -> Result<()> {
        for stmt in body {
            let current = self.current_template();
            self.exec_one(stmt, frame, out)
                .map_err(|e| e.at(&current, stmt.line))?;
        }
        Ok(())
    }

    fn exec_one(&mut self, stmt: &Stmt, frame: &Frame, out: &mut String) -> Result<()> {
        match &stmt.kind {
            StmtKind::Output(items) => self.output(items, frame, out),
            StmtKind::If(branches, otherwise) => {
                for (test, body) in branches {
                    if self.eval(test, frame)?.truthy()? {
                        return self.exec(body, frame, out);
                    }
                }
                self.exec(otherwise, frame, out)
            }
            StmtKind::For(for_loop) => self.exec_for(for_loop, frame, out),
            StmtKind::Set(target, value) => {
                let value = self.eval(value, frame)?;
                self.assign(target, value, frame)
            }
            StmtKind::SetBlock(target, filters, body) => {
                let text = self.capture(body, frame)?;
                let value = self.apply_filters(self.text_value(text), filters, frame)?;
                self.assign(target, value, frame)
            }
            StmtKind::Macro(def) => self.define_macro(def, frame),
            StmtKind::CallBlock(caller, call) => {
                let value = self.call_block(caller, call, frame)?;
                self.write(&value, frame, out)
            }
            StmtKind::FilterBlock(filters, body) => {
                let text = self.capture(body, frame)?;
                let value = self.apply_filters(self.text_value(text), filters, frame)?;
                self.write(&value, frame, out)
            }
            StmtKind::With(assignments, body) => self.exec_with(assignments, body, frame, out),
            StmtKind::Autoescape(enabled, body) => {
                let enabled = self.eval(enabled, frame)?.truthy()?;
                let outer = std::mem::replace(&mut self.autoescape, enabled);
                let result = self.exec(body, &self.inner(frame), out);
                self.autoescape = outer;
                result
            }
            StmtKind::Block(block) => self.exec_block(block, frame, out),
            StmtKind::Extends(name) => self.exec_extends(name, frame, stmt.line),
            StmtKind::Include(include) => self.exec_include(include, frame, out),
            StmtKind::Import(import) => self.exec_import(import, frame, stmt.line),
            StmtKind::Do(expr) => self.eval(expr, frame).map(drop),
        }
    }

    /// A frame for a body with its own variables (Jinja2's inner frame).
    pub fn inner(&self, frame: &Frame) -> Frame {
        Frame {
            scope: Scope::child(&frame.scope),
            ..frame.clone()
        }
    }

    fn output(&mut self, items: &[Output], frame: &Frame, out: &mut String) -> Result<()> {
        for item in items {
            match item {
                Output::Data(text) => self.write_text(text, frame, out)?,
                Output::Expr(expr, line) => {
                    let current = self.current_template();
                    let value = self.eval(expr, frame).map_err(|e| e.at(&current, *line))?;
                    self.write(&value, frame, out)
                        .map_err(|e| e.at(&current, *line))?;
                }
            }
        }
        Ok(())
    }

    /// Prints a value: `str()` of it, escaped when autoescaping.
    pub fn write(&mut self, value: &Value, frame: &Frame, out: &mut String) -> Result<()> {
        let text = if self.autoescape {
            escape::escape(value)?
        } else {
            python::str(value)?
        };
        self.write_text(&text, frame, out)
    }

    pub fn write_text(&mut self, text: &str, frame: &Frame, out: &mut String) -> Result<()> {
        if frame.top_level && frame.ctx.has_parent() {
            return Ok(());
        }
        if out.len() + text.len() > limits::get().max_text {
            return Err(Error::memory("the rendered Dockerfile"));
        }
        limits::charge_text(text.len(), "the rendered Dockerfile")?;
        out.push_str(text);
        Ok(())
    }

    /// The output of `body`, run in its own scope.
    pub fn capture(&mut self, body: &[Stmt], frame: &Frame) -> Result<String> {
        let mut text = String::new();
        let inner = Frame {
            top_level: false,
            ..self.inner(frame)
        };
        self.exec(body, &inner, &mut text)?;
        Ok(text)
    }

    /// Captured output as a value: a `Markup` when autoescaping.
    pub fn text_value(&self, text: String) -> Value {
        if self.autoescape {
            Value::Markup(text.into())
        } else {
            Value::from(text)
        }
    }

    fn apply_filters(
        &mut self,
        mut value: Value,
        filters: &[FilterCall],
        frame: &Frame,
    ) -> Result<Value> {
        for filter in filters {
            value = self.apply_filter(value, filter, frame)?;
        }
        Ok(value)
    }

    fn exec_with(
        &mut self,
        assignments: &[(Target, crate::ast::Expr)],
        body: &[Stmt],
        frame: &Frame,
        out: &mut String,
    ) -> Result<()> {
        let values = assignments
            .iter()
            .map(|(_, expr)| self.eval(expr, frame))
            .collect::<Result<Vec<_>>>()?;
        let inner = self.inner(frame);
        for ((target, _), value) in assignments.iter().zip(values) {
            self.assign(target, value, &inner)?;
        }
        self.exec(body, &inner, out)
    }

    /// Binds `value` to `target` in the frame's scope, unpacking tuples as Python does.
    pub fn assign(&mut self, target: &Target, value: Value, frame: &Frame) -> Result<()> {
        match target {
            Target::Name(name) => {
                frame.scope.set(name.clone(), value);
                Ok(())
            }
            Target::Tuple(targets) => {
                let values = unpack(&value, targets.len())?;
                for (target, value) in targets.iter().zip(values) {
                    self.assign(target, value, frame)?;
                }
                Ok(())
            }
            // `namespace()` objects are the only ones Jinja2 assigns attributes of; assigning
            // theirs is not supported (README.md, "Differences").
            Target::Attr => Err(Error::template(
                "cannot assign attribute on non-namespace object",
            )),
        }
    }
}

/// The items of `value` for a target of `count` names.
pub fn unpack(value: &Value, count: usize) -> Result<Vec<Value>> {
    let items = iterate(value)?;
    match items.len() {
        n if n > count => Err(Error::value_error(format!(
            "too many values to unpack (expected {count})"
        ))),
        n if n < count => Err(Error::value_error(format!(
            "not enough values to unpack (expected {count}, got {n})"
        ))),
        _ => Ok(items),
    }
}
