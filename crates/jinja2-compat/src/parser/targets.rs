//! What `set`, `for` and `with` assign to: a name, a tuple of targets, or `ns.attr`.

use super::{Parser, Result};
use crate::ast::{Expr, ExprKind, Target};
use crate::lexer::{Op, Tok};

impl Parser {
    /// A target, or several separated by commas (a tuple) when `with_tuple`.
    pub fn parse_assign_target(
        &mut self,
        with_tuple: bool,
        extra_end: &[&str],
        with_namespace: bool,
    ) -> Result<Target> {
        if !with_tuple {
            return self.parse_target_primary(with_namespace);
        }
        let mut items = Vec::new();
        let mut is_tuple = false;
        loop {
            if !items.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            if self.is_tuple_end(extra_end) {
                break;
            }
            items.push(self.parse_target_primary(with_namespace)?);
            if self.stream.is_op(Op::Comma) {
                is_tuple = true;
            } else {
                break;
            }
        }
        match items.pop() {
            Some(item) if !is_tuple => Ok(item),
            last => {
                items.extend(last);
                Ok(Target::Tuple(items))
            }
        }
    }

    fn parse_target_primary(&mut self, with_namespace: bool) -> Result<Target> {
        let token = self.stream.current().clone();
        if let Tok::Name(name) = &token.tok
            && !matches!(
                &**name,
                "true" | "false" | "True" | "False" | "none" | "None"
            )
        {
            self.stream.next()?;
            if with_namespace && self.stream.skip_op(Op::Dot)? {
                self.stream.expect_any_name()?;
                return Ok(Target::Attr);
            }
            return Ok(Target::Name(name.clone()));
        }
        let expr = self.parse_primary()?;
        self.target_of(&expr)
    }

    /// The target an expression in parentheses names, or Jinja2's "can't assign to".
    fn target_of(&self, expr: &Expr) -> Result<Target> {
        match &expr.kind {
            ExprKind::Name(name) => Ok(Target::Name(name.clone())),
            ExprKind::Tuple(items) => Ok(Target::Tuple(
                items
                    .iter()
                    .map(|item| self.target_of(item))
                    .collect::<Result<Vec<_>>>()?,
            )),
            other => Err(self
                .stream
                .fail(format!("can't assign to '{}'", node_name(other)), expr.line)),
        }
    }
}

/// Jinja2's node class name, lowercased, for "can't assign to".
fn node_name(kind: &ExprKind) -> &'static str {
    match kind {
        ExprKind::Const(_) => "const",
        ExprKind::List(_) => "list",
        ExprKind::Dict(_) => "dict",
        ExprKind::GetAttr(..) => "getattr",
        ExprKind::GetItem(..) => "getitem",
        ExprKind::Call(..) => "call",
        ExprKind::Filter(..) => "filter",
        ExprKind::Test(..) => "test",
        _ => "expression",
    }
}
