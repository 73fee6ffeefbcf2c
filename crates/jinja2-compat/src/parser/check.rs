//! What Jinja2's compiler works out from the parsed template: which special names a macro
//! uses, and that every filter and test named outside an `if` exists.

use std::rc::Rc;

use crate::ast::{CallArgs, Expr, ExprKind, FilterCall, MacroDef, Output, Stmt, StmtKind};
use crate::error::{Error, ErrorKind};
use crate::{checks, filters, limits};

/// A macro (or the `caller` of a call block), with what its body asks for.
pub fn macro_def(name: Rc<str>, params: Vec<(Rc<str>, Option<Expr>)>, body: Vec<Stmt>) -> MacroDef {
    let mut names = Vec::new();
    let _ = walk_stmts(&body, false, &mut |seen, _| {
        if let Seen::Name(name) = seen {
            names.push(name.clone());
        }
        Ok(())
    });
    let uses = |special: &str| names.iter().any(|n| &**n == special);
    let caller = uses("caller") && !params.iter().any(|(p, _)| &**p == "caller");
    MacroDef {
        catch_varargs: uses("varargs"),
        catch_kwargs: uses("kwargs"),
        caller,
        name,
        params,
        body,
    }
}

/// Whether a required block's body is only whitespace (and comments, which are gone).
pub fn only_whitespace(body: &[Stmt]) -> bool {
    body.iter().all(|stmt| match &stmt.kind {
        StmtKind::Output(items) => items.iter().all(|item| match item {
            Output::Data(text) => text.chars().all(crate::lexer::is_space),
            Output::Expr(..) => false,
        }),
        _ => false,
    })
}

/// Jinja2 fails a template that names an unknown filter or test when it is compiled; inside
/// an `if` (or an inline `if`), only when that filter or test is reached.
/// `added_filter` tells the filters the environment added.
pub fn known_filters_and_tests(
    body: &[Stmt],
    template: &Rc<str>,
    added_filter: &dyn Fn(&str) -> bool,
) -> Result<(), Error> {
    walk_stmts(body, true, &mut |seen, soft| {
        let (what, call, exists) = match seen {
            Seen::Filter(call) => ("filter", call, filters::exists(&call.name)),
            Seen::Test(call) => ("test", call, checks::exists(&call.name)),
            Seen::Name(_) => return Ok(()),
        };
        if soft || exists || (what == "filter" && added_filter(&call.name)) {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Template,
            format!("No {what} named '{}'.", call.name),
        )
        .at(template, call.line))
    })
}

/// What the walk meets: a name read, a filter or a test.
enum Seen<'a> {
    Name(&'a Rc<str>),
    Filter(&'a FilterCall),
    Test(&'a FilterCall),
}

type Visit<'a> = dyn FnMut(Seen, bool) -> Result<(), Error> + 'a;

/// Calls `visit` for every expression in `body`, with whether it is inside an `if`.
fn walk_stmts(body: &[Stmt], soft: bool, visit: &mut Visit) -> Result<(), Error> {
    for stmt in body {
        walk_stmt(stmt, soft, visit)?;
    }
    Ok(())
}

fn walk_stmt(stmt: &Stmt, soft: bool, visit: &mut Visit) -> Result<(), Error> {
    match &stmt.kind {
        StmtKind::Output(items) => {
            for item in items {
                if let Output::Expr(expr, _) = item {
                    walk_expr(expr, soft, visit)?;
                }
            }
        }
        StmtKind::If(branches, otherwise) => {
            for (test, body) in branches {
                walk_expr(test, true, visit)?;
                walk_stmts(body, true, visit)?;
            }
            walk_stmts(otherwise, true, visit)?;
        }
        StmtKind::For(f) => {
            walk_expr(&f.iter, soft, visit)?;
            if let Some(filter) = &f.filter {
                walk_expr(filter, false, visit)?;
            }
            walk_stmts(&f.body, false, visit)?;
            walk_stmts(&f.else_body, false, visit)?;
        }
        StmtKind::Set(_, value) => walk_expr(value, soft, visit)?,
        StmtKind::SetBlock(_, filters, body) | StmtKind::FilterBlock(filters, body) => {
            for filter in filters {
                walk_call(filter, soft, visit)?;
            }
            walk_stmts(body, false, visit)?;
        }
        StmtKind::Macro(m) => walk_macro(m, visit)?,
        StmtKind::CallBlock(m, call) => {
            walk_expr(call, soft, visit)?;
            walk_macro(m, visit)?;
        }
        StmtKind::With(assignments, body) => {
            for (_, value) in assignments {
                walk_expr(value, soft, visit)?;
            }
            walk_stmts(body, false, visit)?;
        }
        StmtKind::Autoescape(enabled, body) => {
            walk_expr(enabled, soft, visit)?;
            walk_stmts(body, false, visit)?;
        }
        StmtKind::Block(block) => walk_stmts(&block.body, false, visit)?,
        StmtKind::Extends(e) | StmtKind::Do(e) => walk_expr(e, soft, visit)?,
        StmtKind::Include(include) => walk_expr(&include.template, soft, visit)?,
        StmtKind::Import(import) => walk_expr(&import.template, soft, visit)?,
    }
    Ok(())
}

fn walk_macro(m: &MacroDef, visit: &mut Visit) -> Result<(), Error> {
    for (_, default) in &m.params {
        if let Some(default) = default {
            walk_expr(default, false, visit)?;
        }
    }
    walk_stmts(&m.body, false, visit)
}

fn walk_call(call: &FilterCall, soft: bool, visit: &mut Visit) -> Result<(), Error> {
    visit(Seen::Filter(call), soft)?;
    walk_args(&call.args, soft, visit)
}

fn walk_args(args: &CallArgs, soft: bool, visit: &mut Visit) -> Result<(), Error> {
    for arg in args
        .positional
        .iter()
        .chain(args.keywords.iter().map(|(_, v)| v))
    {
        walk_expr(arg, soft, visit)?;
    }
    for arg in args.star.iter().chain(args.star_star.iter()) {
        walk_expr(arg, soft, visit)?;
    }
    Ok(())
}

fn walk_expr(expr: &Expr, soft: bool, visit: &mut Visit) -> Result<(), Error> {
    limits::with_stack(|| walk_node(expr, soft, visit))
}

fn walk_node(expr: &Expr, soft: bool, visit: &mut Visit) -> Result<(), Error> {
    match &expr.kind {
        ExprKind::Const(_) => Ok(()),
        ExprKind::Name(name) => visit(Seen::Name(name), soft),
        ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Concat(items) => items
            .iter()
            .try_for_each(|item| walk_expr(item, soft, visit)),
        ExprKind::Dict(pairs) => pairs.iter().try_for_each(|(k, v)| {
            walk_expr(k, soft, visit)?;
            walk_expr(v, soft, visit)
        }),
        ExprKind::GetAttr(value, _)
        | ExprKind::Neg(value)
        | ExprKind::Pos(value)
        | ExprKind::Not(value) => walk_expr(value, soft, visit),
        ExprKind::GetItem(value, key) => {
            walk_expr(value, soft, visit)?;
            walk_expr(key, soft, visit)
        }
        ExprKind::Slice(a, b, c) => [a, b, c]
            .into_iter()
            .flatten()
            .try_for_each(|part| walk_expr(part, soft, visit)),
        ExprKind::Call(callee, args) => {
            walk_expr(callee, soft, visit)?;
            walk_args(args, soft, visit)
        }
        ExprKind::Filter(value, call) => {
            walk_expr(value, soft, visit)?;
            walk_call(call, soft, visit)
        }
        ExprKind::Test(value, call) => {
            walk_expr(value, soft, visit)?;
            visit(Seen::Test(call), soft)?;
            walk_args(&call.args, soft, visit)
        }
        ExprKind::Binary(_, a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            walk_expr(a, soft, visit)?;
            walk_expr(b, soft, visit)
        }
        ExprKind::Compare(first, rest) => {
            walk_expr(first, soft, visit)?;
            rest.iter().try_for_each(|(_, e)| walk_expr(e, soft, visit))
        }
        ExprKind::Cond(test, then, otherwise) => {
            walk_expr(test, true, visit)?;
            walk_expr(then, true, visit)?;
            otherwise.iter().try_for_each(|e| walk_expr(e, true, visit))
        }
    }
}
