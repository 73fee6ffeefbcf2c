//! Expressions, with Jinja2's precedence (loosest first): `x if c else y`, `or`, `and`,
//! `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**` (left to right), unary `- +`,
//! then a primary with its `.attr`, `[item]` and calls, and its `|filters` and `is tests`.

use std::rc::Rc;

use super::Parser;
use crate::ast::{BinOp, CallArgs, CmpOp, Expr, ExprKind, FilterCall};
use crate::error::Error;
use crate::lexer::{Op, Tok};
use crate::limits;
use crate::value::Value;

type Result<T> = std::result::Result<T, Error>;

impl Parser {
    /// A node of the tree, refused when it would make the tree deeper than an evaluation
    /// (and dropping the tree) may recurse: `1+1+…`, `x.a.a…` and `|f|f…` chains go down one
    /// level per term.
    fn node(&self, kind: ExprKind, line: usize) -> Result<Expr> {
        let node = Expr::new(kind, line);
        if node.depth > limits::get().max_expression_depth {
            return Err(crate::limits::too_deep().at(&self.stream.name, line));
        }
        Ok(node)
    }

    pub fn parse_expression(&mut self, with_cond: bool) -> Result<Expr> {
        self.depth += 1;
        if self.depth > limits::get().max_expression_nesting {
            return Err(crate::limits::recursion().at(&self.stream.name, self.stream.line()));
        }
        let result = crate::limits::with_stack(|| {
            if with_cond {
                self.parse_cond()
            } else {
                self.parse_or()
            }
        });
        self.depth -= 1;
        result
    }

    /// Comma-separated expressions: a tuple when there is a comma, else the one expression.
    pub fn parse_tuple(
        &mut self,
        with_cond: bool,
        extra_end: &[&str],
        explicit_parentheses: bool,
    ) -> Result<Expr> {
        let line = self.stream.line();
        let mut items = Vec::new();
        let mut is_tuple = false;
        loop {
            if !items.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            if self.is_tuple_end(extra_end) {
                break;
            }
            items.push(self.parse_expression(with_cond)?);
            if self.stream.is_op(Op::Comma) {
                is_tuple = true;
            } else {
                break;
            }
        }
        if !is_tuple {
            if let Some(item) = items.pop() {
                return Ok(item);
            }
            if !explicit_parentheses {
                return Err(self.stream.fail(
                    format!(
                        "Expected an expression, got '{}'",
                        self.stream.current().tok.describe()
                    ),
                    self.stream.line(),
                ));
            }
        }
        self.node(ExprKind::Tuple(items), line)
    }

    pub fn is_tuple_end(&self, extra_end: &[&str]) -> bool {
        matches!(
            self.stream.current().tok,
            Tok::VariableEnd | Tok::BlockEnd | Tok::Op(Op::RParen)
        ) || extra_end.iter().any(|name| self.stream.is_name(name))
    }

    fn parse_cond(&mut self) -> Result<Expr> {
        let mut line = self.stream.line();
        let mut value = self.parse_or()?;
        while self.stream.skip_name("if")? {
            let test = self.parse_or()?;
            let otherwise = if self.stream.skip_name("else")? {
                Some(Box::new(self.nested(Self::parse_cond)?))
            } else {
                None
            };
            value = self.node(
                ExprKind::Cond(Box::new(test), Box::new(value), otherwise),
                line,
            )?;
            line = self.stream.line();
        }
        Ok(value)
    }

    fn parse_or(&mut self) -> Result<Expr> {
        let line = self.stream.line();
        let mut left = self.parse_and()?;
        while self.stream.skip_name("or")? {
            let right = self.parse_and()?;
            left = self.node(ExprKind::Or(Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Expr> {
        let line = self.stream.line();
        let mut left = self.parse_not()?;
        while self.stream.skip_name("and")? {
            let right = self.parse_not()?;
            left = self.node(ExprKind::And(Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> Result<Expr> {
        if self.stream.is_name("not") {
            let line = self.stream.next()?.line;
            let operand = self.nested(Self::parse_not)?;
            return self.node(ExprKind::Not(Box::new(operand)), line);
        }
        self.parse_compare()
    }

    /// Runs `parse` one level deeper, refusing nesting Jinja2's parser could not follow.
    fn nested(&mut self, parse: fn(&mut Parser) -> Result<Expr>) -> Result<Expr> {
        self.depth += 1;
        if self.depth > limits::get().max_expression_nesting {
            return Err(crate::limits::recursion().at(&self.stream.name, self.stream.line()));
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn parse_compare(&mut self) -> Result<Expr> {
        let line = self.stream.line();
        let left = self.parse_math1()?;
        let mut ops = Vec::new();
        loop {
            let op = match &self.stream.current().tok {
                Tok::Op(Op::Eq) => CmpOp::Eq,
                Tok::Op(Op::Ne) => CmpOp::Ne,
                Tok::Op(Op::Lt) => CmpOp::Lt,
                Tok::Op(Op::Lte) => CmpOp::Lte,
                Tok::Op(Op::Gt) => CmpOp::Gt,
                Tok::Op(Op::Gte) => CmpOp::Gte,
                Tok::Name(n) if &**n == "in" => CmpOp::In,
                Tok::Name(n)
                    if &**n == "not"
                        && matches!(&self.stream.look().tok, Tok::Name(m) if &**m == "in") =>
                {
                    self.stream.next()?;
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.stream.next()?;
            ops.push((op, self.parse_math1()?));
        }
        if ops.is_empty() {
            return Ok(left);
        }
        self.node(ExprKind::Compare(Box::new(left), ops), line)
    }

    fn binary_level(
        &mut self,
        operand: fn(&mut Parser) -> Result<Expr>,
        ops: &[(Op, BinOp)],
    ) -> Result<Expr> {
        let line = self.stream.line();
        let mut left = operand(self)?;
        while let Some((_, op)) = ops.iter().find(|(tok, _)| self.stream.is_op(*tok)) {
            self.stream.next()?;
            let right = operand(self)?;
            left = self.node(ExprKind::Binary(*op, Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    fn parse_math1(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::parse_concat,
            &[(Op::Add, BinOp::Add), (Op::Sub, BinOp::Sub)],
        )
    }

    fn parse_concat(&mut self) -> Result<Expr> {
        let line = self.stream.line();
        let mut items = vec![self.parse_math2()?];
        while self.stream.skip_op(Op::Tilde)? {
            items.push(self.parse_math2()?);
        }
        if items.len() == 1 {
            return Ok(items.remove(0));
        }
        self.node(ExprKind::Concat(items), line)
    }

    fn parse_math2(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::parse_pow,
            &[
                (Op::Mul, BinOp::Mul),
                (Op::Div, BinOp::Div),
                (Op::FloorDiv, BinOp::FloorDiv),
                (Op::Mod, BinOp::Mod),
            ],
        )
    }

    fn parse_pow(&mut self) -> Result<Expr> {
        self.binary_level(|p| p.parse_unary(true), &[(Op::Pow, BinOp::Pow)])
    }

    fn parse_unary(&mut self, with_filter: bool) -> Result<Expr> {
        let line = self.stream.line();
        let node = if self.stream.skip_op(Op::Sub)? {
            let operand = self.nested(|p| p.parse_unary(false))?;
            self.node(ExprKind::Neg(Box::new(operand)), line)?
        } else if self.stream.skip_op(Op::Add)? {
            let operand = self.nested(|p| p.parse_unary(false))?;
            self.node(ExprKind::Pos(Box::new(operand)), line)?
        } else {
            self.parse_primary()?
        };
        let node = self.parse_postfix(node)?;
        if with_filter {
            self.parse_filter_expr(node)
        } else {
            Ok(node)
        }
    }

    pub fn parse_primary(&mut self) -> Result<Expr> {
        let token = self.stream.current().clone();
        let line = token.line;
        let kind = match token.tok {
            Tok::Name(name) => {
                self.stream.next()?;
                match &*name {
                    "true" | "True" => ExprKind::Const(Value::Bool(true)),
                    "false" | "False" => ExprKind::Const(Value::Bool(false)),
                    "none" | "None" => ExprKind::Const(Value::None),
                    _ => ExprKind::Name(name),
                }
            }
            Tok::Str(first) => {
                self.stream.next()?;
                let mut text = first;
                while let Tok::Str(more) = &self.stream.current().tok {
                    text.push_str(more);
                    self.stream.next()?;
                }
                ExprKind::Const(Value::from(text))
            }
            Tok::Int(int) => {
                self.stream.next()?;
                ExprKind::Const(Value::Int(int))
            }
            Tok::Float(float) => {
                self.stream.next()?;
                ExprKind::Const(Value::Float(float))
            }
            Tok::Op(Op::LParen) => {
                self.stream.next()?;
                let inner = self.parse_tuple(true, &[], true)?;
                self.stream.expect_op(Op::RParen)?;
                return Ok(inner);
            }
            Tok::Op(Op::LBracket) => return self.parse_list(),
            Tok::Op(Op::LBrace) => return self.parse_dict(),
            other => {
                return Err(self
                    .stream
                    .fail(format!("unexpected '{}'", other.describe()), line));
            }
        };
        self.node(kind, line)
    }

    fn parse_list(&mut self) -> Result<Expr> {
        let line = self.stream.expect_op(Op::LBracket)?.line;
        let mut items = Vec::new();
        while !self.stream.is_op(Op::RBracket) {
            if !items.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            if self.stream.is_op(Op::RBracket) {
                break;
            }
            items.push(self.parse_expression(true)?);
        }
        self.stream.expect_op(Op::RBracket)?;
        self.node(ExprKind::List(items), line)
    }

    fn parse_dict(&mut self) -> Result<Expr> {
        let line = self.stream.expect_op(Op::LBrace)?.line;
        let mut items = Vec::new();
        while !self.stream.is_op(Op::RBrace) {
            if !items.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            if self.stream.is_op(Op::RBrace) {
                break;
            }
            let key = self.parse_expression(true)?;
            self.stream.expect_op(Op::Colon)?;
            let value = self.parse_expression(true)?;
            items.push((key, value));
        }
        self.stream.expect_op(Op::RBrace)?;
        self.node(ExprKind::Dict(items), line)
    }

    pub fn parse_postfix(&mut self, mut node: Expr) -> Result<Expr> {
        loop {
            node = match self.stream.current().tok {
                Tok::Op(Op::Dot | Op::LBracket) => self.parse_subscript(node)?,
                Tok::Op(Op::LParen) => self.parse_call(node)?,
                _ => return Ok(node),
            };
        }
    }

    fn parse_filter_expr(&mut self, mut node: Expr) -> Result<Expr> {
        loop {
            node = if self.stream.is_op(Op::Pipe) {
                self.stream.next()?;
                let filter = self.parse_filter_call()?;
                let line = filter.line;
                self.node(ExprKind::Filter(Box::new(node), filter), line)?
            } else if self.stream.is_name("is") {
                self.parse_test(node)?
            } else if self.stream.is_op(Op::LParen) {
                self.parse_call(node)?
            } else {
                return Ok(node);
            };
        }
    }

    fn parse_subscript(&mut self, node: Expr) -> Result<Expr> {
        let token = self.stream.next()?;
        let line = token.line;
        if matches!(token.tok, Tok::Op(Op::Dot)) {
            let attr = self.stream.next()?;
            return match attr.tok {
                Tok::Name(name) => self.node(ExprKind::GetAttr(Box::new(node), name), line),
                Tok::Int(int) => self.node(
                    ExprKind::GetItem(
                        Box::new(node),
                        Box::new(Expr::new(ExprKind::Const(Value::Int(int)), attr.line)),
                    ),
                    line,
                ),
                _ => Err(self.stream.fail("expected name or number", attr.line)),
            };
        }
        let mut args = Vec::new();
        while !self.stream.is_op(Op::RBracket) {
            if !args.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            args.push(self.parse_subscribed()?);
        }
        self.stream.expect_op(Op::RBracket)?;
        let key = if args.len() == 1 {
            args.remove(0)
        } else {
            self.node(ExprKind::Tuple(args), line)?
        };
        self.node(ExprKind::GetItem(Box::new(node), Box::new(key)), line)
    }

    /// An item or a slice `start:stop:step` inside `[…]`.
    fn parse_subscribed(&mut self) -> Result<Expr> {
        let line = self.stream.line();
        let start = if self.stream.is_op(Op::Colon) {
            None
        } else {
            let node = self.parse_expression(true)?;
            if !self.stream.is_op(Op::Colon) {
                return Ok(node);
            }
            Some(Box::new(node))
        };
        self.stream.expect_op(Op::Colon)?;
        let stop = self.slice_part()?;
        let step = if self.stream.skip_op(Op::Colon)? {
            self.slice_part()?
        } else {
            None
        };
        self.node(ExprKind::Slice(start, stop, step), line)
    }

    fn slice_part(&mut self) -> Result<Option<Box<Expr>>> {
        if matches!(
            self.stream.current().tok,
            Tok::Op(Op::RBracket | Op::Comma | Op::Colon)
        ) {
            return Ok(None);
        }
        Ok(Some(Box::new(self.parse_expression(true)?)))
    }

    fn parse_call(&mut self, callee: Expr) -> Result<Expr> {
        let line = self.stream.line();
        let args = self.parse_call_args()?;
        self.node(ExprKind::Call(Box::new(callee), args), line)
    }

    pub fn parse_call_args(&mut self) -> Result<CallArgs> {
        let line = self.stream.expect_op(Op::LParen)?.line;
        let mut args = CallArgs::default();
        let mut require_comma = false;
        let invalid = |p: &Parser| {
            p.stream
                .fail("invalid syntax for function call expression", line)
        };
        while !self.stream.is_op(Op::RParen) {
            if require_comma {
                self.stream.expect_op(Op::Comma)?;
                if self.stream.is_op(Op::RParen) {
                    break;
                }
            }
            if self.stream.skip_op(Op::Mul)? {
                if args.star.is_some() || args.star_star.is_some() {
                    return Err(invalid(self));
                }
                args.star = Some(Box::new(self.parse_expression(true)?));
            } else if self.stream.skip_op(Op::Pow)? {
                if args.star_star.is_some() {
                    return Err(invalid(self));
                }
                args.star_star = Some(Box::new(self.parse_expression(true)?));
            } else if let (Tok::Name(key), Tok::Op(Op::Assign)) =
                (&self.stream.current().tok, &self.stream.look().tok)
            {
                if args.star_star.is_some() {
                    return Err(invalid(self));
                }
                let key = key.clone();
                self.stream.next()?;
                self.stream.next()?;
                args.keywords.push((key, self.parse_expression(true)?));
            } else {
                if args.star.is_some() || args.star_star.is_some() || !args.keywords.is_empty() {
                    return Err(invalid(self));
                }
                args.positional.push(self.parse_expression(true)?);
            }
            require_comma = true;
        }
        self.stream.expect_op(Op::RParen)?;
        Ok(args)
    }

    /// `name`, `name.more` and optional arguments, after the `|`.
    pub fn parse_filter_call(&mut self) -> Result<FilterCall> {
        let line = self.stream.line();
        let name = self.dotted_name()?;
        let args = if self.stream.is_op(Op::LParen) {
            self.parse_call_args()?
        } else {
            CallArgs::default()
        };
        Ok(FilterCall { name, args, line })
    }

    fn dotted_name(&mut self) -> Result<Rc<str>> {
        let mut name = self.stream.expect_any_name()?.to_string();
        while self.stream.skip_op(Op::Dot)? {
            name.push('.');
            name.push_str(&self.stream.expect_any_name()?);
        }
        Ok(name.into())
    }

    fn parse_test(&mut self, node: Expr) -> Result<Expr> {
        let line = self.stream.next()?.line;
        let negated = self.stream.skip_name("not")?;
        let name = self.dotted_name()?;
        let args = if self.stream.is_op(Op::LParen) {
            self.parse_call_args()?
        } else if self.test_argument_follows() {
            if self.stream.is_name("is") {
                return Err(self.stream.fail(
                    "You cannot chain multiple tests with is",
                    self.stream.line(),
                ));
            }
            let primary = self.parse_primary()?;
            let argument = self.parse_postfix(primary)?;
            CallArgs {
                positional: vec![argument],
                ..CallArgs::default()
            }
        } else {
            CallArgs::default()
        };
        let test = self.node(
            ExprKind::Test(Box::new(node), FilterCall { name, args, line }),
            line,
        )?;
        Ok(if negated {
            self.node(ExprKind::Not(Box::new(test)), line)?
        } else {
            test
        })
    }

    /// `x is divisibleby 3`: a test takes one argument without parentheses.
    fn test_argument_follows(&self) -> bool {
        match &self.stream.current().tok {
            Tok::Name(n) => !matches!(&**n, "else" | "or" | "and"),
            Tok::Str(_) | Tok::Int(_) | Tok::Float(_) => true,
            Tok::Op(op) => matches!(op, Op::LParen | Op::LBracket | Op::LBrace),
            _ => false,
        }
    }
}
