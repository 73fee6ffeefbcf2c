//! Jinja2's parser: the statements of a template and the expressions inside them, with its
//! error messages ("Encountered unknown tag 'x'. Jinja was looking for …").

mod check;
mod expression;
mod stream;
mod targets;

use std::rc::Rc;

use stream::Stream;

use super::ast::{
    BlockDef, Expr, ExprKind, FilterCall, ForLoop, Import, ImportNames, Include, Output, Stmt,
    StmtKind, Template,
};
use super::error::{Error, ErrorKind};
use super::lexer::{self, Op, Tok};
use super::limits;

type Result<T> = std::result::Result<T, Error>;

/// Parses the source of the template `name` (a path inside its image's folder), and checks
/// that every filter and test it names outside an `if` exists, as Jinja2's compiler does;
/// `added_filter` tells the filters the environment added.
pub fn parse(source: &str, name: Rc<str>, added_filter: &dyn Fn(&str) -> bool) -> Result<Template> {
    let tokens = lexer::tokenize(&lexer::normalize(source));
    let mut parser = Parser {
        stream: Stream::new(tokens, name.clone())?,
        depth: 0,
        nesting: 0,
        tag_stack: Vec::new(),
        end_stack: Vec::new(),
        blocks: Vec::new(),
    };
    let body = parser.subparse(None)?;
    check::known_filters_and_tests(&body, &name, added_filter)?;
    Ok(Template {
        name,
        body,
        blocks: parser.blocks,
    })
}

pub struct Parser {
    stream: Stream,
    /// How deep the current expression is nested.
    depth: usize,
    /// How deep the current statement is nested.
    nesting: usize,
    tag_stack: Vec<Rc<str>>,
    end_stack: Vec<&'static [&'static str]>,
    blocks: Vec<Rc<BlockDef>>,
}

const FOR_END: &[&str] = &["endfor", "else"];
const IF_END: &[&str] = &["elif", "else", "endif"];

impl Parser {
    fn subparse(&mut self, end: Option<&'static [&'static str]>) -> Result<Vec<Stmt>> {
        self.nesting += 1;
        if self.nesting > limits::get().max_statement_nesting {
            return Err(self
                .stream
                .fail("too many levels of nested blocks", self.stream.line()));
        }
        if let Some(end) = end {
            self.end_stack.push(end);
        }
        let body = crate::limits::with_stack(|| self.statements(end));
        if end.is_some() {
            self.end_stack.pop();
        }
        self.nesting -= 1;
        body
    }

    fn statements(&mut self, end: Option<&'static [&'static str]>) -> Result<Vec<Stmt>> {
        let mut body: Vec<Stmt> = Vec::new();
        loop {
            let token = self.stream.current().clone();
            match token.tok {
                Tok::Data(text) => {
                    self.stream.next()?;
                    push_output(&mut body, Output::Data(text), token.line);
                }
                Tok::VariableBegin => {
                    self.stream.next()?;
                    let line = self.stream.line();
                    let value = self.parse_tuple(true, &[], false)?;
                    let at_end = matches!(self.stream.current().tok, Tok::VariableEnd);
                    self.stream.expect(at_end, "end of print statement")?;
                    push_output(&mut body, Output::Expr(value, line), token.line);
                }
                Tok::BlockBegin => {
                    self.stream.next()?;
                    if end.is_some_and(|names| names.iter().any(|n| self.stream.is_name(n))) {
                        return Ok(body);
                    }
                    let statement = self.parse_statement()?;
                    body.push(statement);
                    self.stream.expect_block_end()?;
                }
                Tok::Eof => return Ok(body),
                _ => return Err(self.stream.fail("internal parsing error", token.line)),
            }
        }
    }

    /// The body of a statement up to one of `end`, the end tag left current (or consumed
    /// with `drop_end`).
    fn parse_body(&mut self, end: &'static [&'static str], drop_end: bool) -> Result<Vec<Stmt>> {
        self.stream.skip_op(Op::Colon)?;
        self.stream.expect_block_end()?;
        let body = self.subparse(Some(end))?;
        if matches!(self.stream.current().tok, Tok::Eof) {
            return Err(self.unknown_tag_or_eof(None, Some(end), self.stream.line()));
        }
        if drop_end {
            self.stream.next()?;
        }
        Ok(body)
    }

    fn parse_statement(&mut self) -> Result<Stmt> {
        let token = self.stream.current().clone();
        let Tok::Name(tag) = token.tok else {
            return Err(self.stream.fail("tag name expected", token.line));
        };
        self.tag_stack.push(tag.clone());
        let kind = match &*tag {
            "for" => self.parse_for(),
            "if" => self.parse_if(),
            "set" => self.parse_set(),
            "macro" => self.parse_macro(),
            "call" => self.parse_call_block(),
            "filter" => self.parse_filter_block(),
            "with" => self.parse_with(),
            "autoescape" => self.parse_autoescape(),
            "block" => self.parse_block(),
            "extends" => self.parse_extends(),
            "include" => self.parse_include(),
            "import" => self.parse_import(),
            "from" => self.parse_from(),
            "print" => self.parse_print(),
            "do" => self.parse_do(),
            _ => {
                self.tag_stack.pop();
                return Err(self.unknown_tag_or_eof(Some(&tag), None, token.line));
            }
        };
        self.tag_stack.pop();
        Ok(Stmt {
            kind: kind?,
            line: token.line,
        })
    }

    /// Jinja2's message for an unknown tag (`name`) or an early end of template.
    fn unknown_tag_or_eof(
        &self,
        name: Option<&str>,
        also_expected: Option<&'static [&'static str]>,
        line: usize,
    ) -> Error {
        let mut stack = self.end_stack.clone();
        stack.extend(also_expected);
        let mut message = match name {
            None => "Unexpected end of template.".to_owned(),
            Some(name) => format!("Encountered unknown tag '{name}'."),
        };
        if let Some(looking) = stack.last() {
            let looking: Vec<String> = looking.iter().map(|n| format!("'{n}'")).collect();
            let looking = looking.join(" or ");
            if name.is_some_and(|n| stack.iter().any(|names| names.contains(&n))) {
                message.push_str(&format!(
                    " You probably made a nesting mistake. Jinja is expecting this tag, but \
                     currently looking for {looking}."
                ));
            } else {
                message.push_str(&format!(
                    " Jinja was looking for the following tags: {looking}."
                ));
            }
        }
        if let Some(innermost) = self.tag_stack.last() {
            message.push_str(&format!(
                " The innermost block that needs to be closed is '{innermost}'."
            ));
        }
        self.stream.fail(message, line)
    }

    fn parse_for(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let target = self.parse_assign_target(true, &["in"], false)?;
        self.stream.expect_name("in")?;
        let iter = self.parse_tuple(false, &["recursive"], false)?;
        let filter = if self.stream.skip_name("if")? {
            Some(self.parse_expression(true)?)
        } else {
            None
        };
        let recursive = self.stream.skip_name("recursive")?;
        let body = self.parse_body(FOR_END, false)?;
        let else_body = if self.stream.next()?.tok.describe() == "endfor" {
            Vec::new()
        } else {
            self.parse_body(&["endfor"], true)?
        };
        Ok(StmtKind::For(Rc::new(ForLoop {
            target,
            iter,
            filter,
            recursive,
            body,
            else_body,
        })))
    }

    fn parse_if(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let mut branches = Vec::new();
        loop {
            let test = self.parse_tuple(false, &[], false)?;
            let body = self.parse_body(IF_END, false)?;
            branches.push((test, body));
            match self.stream.next()?.tok.describe().as_str() {
                "elif" => continue,
                "else" => {
                    let otherwise = self.parse_body(&["endif"], true)?;
                    return Ok(StmtKind::If(branches, otherwise));
                }
                _ => return Ok(StmtKind::If(branches, Vec::new())),
            }
        }
    }

    fn parse_set(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let target = self.parse_assign_target(true, &[], true)?;
        if self.stream.skip_op(Op::Assign)? {
            let value = self.parse_tuple(true, &[], false)?;
            return Ok(StmtKind::Set(target, value));
        }
        let filters = self.parse_filters(false)?;
        let body = self.parse_body(&["endset"], true)?;
        Ok(StmtKind::SetBlock(target, filters, body))
    }

    /// `| a | b(1)` after a block set, or `a | b(1)` after `filter` (`inline`).
    fn parse_filters(&mut self, mut inline: bool) -> Result<Vec<FilterCall>> {
        let mut filters = Vec::new();
        while inline || self.stream.is_op(Op::Pipe) {
            if !inline {
                self.stream.next()?;
            }
            filters.push(self.parse_filter_call()?);
            inline = false;
        }
        Ok(filters)
    }

    fn parse_macro(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let name = self.stream.expect_any_name()?;
        let params = self.parse_signature()?;
        let body = self.parse_body(&["endmacro"], true)?;
        Ok(StmtKind::Macro(Rc::new(check::macro_def(
            name, params, body,
        ))))
    }

    fn parse_signature(&mut self) -> Result<Vec<(Rc<str>, Option<Expr>)>> {
        self.stream.expect_op(Op::LParen)?;
        let mut params: Vec<(Rc<str>, Option<Expr>)> = Vec::new();
        while !self.stream.is_op(Op::RParen) {
            if !params.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            let name = self.stream.expect_any_name()?;
            let default = if self.stream.skip_op(Op::Assign)? {
                Some(self.parse_expression(true)?)
            } else if params.iter().any(|(_, d)| d.is_some()) {
                return Err(self.stream.fail(
                    "non-default argument follows default argument",
                    self.stream.line(),
                ));
            } else {
                None
            };
            params.push((name, default));
        }
        self.stream.expect_op(Op::RParen)?;
        Ok(params)
    }

    fn parse_call_block(&mut self) -> Result<StmtKind> {
        let line = self.stream.next()?.line;
        let params = if self.stream.is_op(Op::LParen) {
            self.parse_signature()?
        } else {
            Vec::new()
        };
        let call = self.parse_expression(true)?;
        if !matches!(call.kind, ExprKind::Call(..)) {
            return Err(self.stream.fail("expected call", line));
        }
        let body = self.parse_body(&["endcall"], true)?;
        let caller = check::macro_def("caller".into(), params, body);
        Ok(StmtKind::CallBlock(Rc::new(caller), call))
    }

    fn parse_filter_block(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let filters = self.parse_filters(true)?;
        let body = self.parse_body(&["endfilter"], true)?;
        Ok(StmtKind::FilterBlock(filters, body))
    }

    fn parse_with(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let mut assignments = Vec::new();
        while !matches!(self.stream.current().tok, Tok::BlockEnd) {
            if !assignments.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            let target = self.parse_assign_target(true, &[], false)?;
            self.stream.expect_op(Op::Assign)?;
            assignments.push((target, self.parse_expression(true)?));
        }
        let body = self.parse_body(&["endwith"], true)?;
        Ok(StmtKind::With(assignments, body))
    }

    fn parse_autoescape(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let enabled = self.parse_expression(true)?;
        let body = self.parse_body(&["endautoescape"], true)?;
        Ok(StmtKind::Autoescape(enabled, body))
    }

    fn parse_block(&mut self) -> Result<StmtKind> {
        let line = self.stream.next()?.line;
        let name = self.stream.expect_any_name()?;
        let scoped = self.stream.skip_name("scoped")?;
        let required = self.stream.skip_name("required")?;
        if self.stream.is_op(Op::Sub) {
            return Err(self.stream.fail(
                "Block names in Jinja have to be valid Python identifiers and may not contain \
                 hyphens, use an underscore instead.",
                self.stream.line(),
            ));
        }
        let body = self.parse_body(&["endblock"], true)?;
        if required && !check::only_whitespace(&body) {
            return Err(self.stream.fail(
                "Required blocks can only contain comments or whitespace",
                self.stream.line(),
            ));
        }
        self.stream.skip_name(&name)?;
        if self.blocks.iter().any(|b| b.name == name) {
            return Err(
                Error::new(ErrorKind::Template, format!("block '{name}' defined twice"))
                    .at(&self.stream.name, line),
            );
        }
        let block = Rc::new(BlockDef {
            name,
            scoped,
            required,
            body,
        });
        self.blocks.push(block.clone());
        Ok(StmtKind::Block(block))
    }

    fn parse_extends(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        Ok(StmtKind::Extends(self.parse_expression(true)?))
    }

    /// `with context` or `without context`, if given.
    fn parse_context(&mut self) -> Result<Option<bool>> {
        let with = self.stream.is_name("with");
        if (with || self.stream.is_name("without"))
            && matches!(&self.stream.look().tok, Tok::Name(n) if &**n == "context")
        {
            self.stream.next()?;
            self.stream.next()?;
            return Ok(Some(with));
        }
        Ok(None)
    }

    fn parse_include(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let template = self.parse_expression(true)?;
        let ignore_missing = self.stream.is_name("ignore")
            && matches!(&self.stream.look().tok, Tok::Name(n) if &**n == "missing");
        if ignore_missing {
            self.stream.next()?;
            self.stream.next()?;
        }
        let with_context = self.parse_context()?.unwrap_or(true);
        Ok(StmtKind::Include(Include {
            template,
            ignore_missing,
            with_context,
        }))
    }

    fn parse_import(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let template = self.parse_expression(true)?;
        self.stream.expect_name("as")?;
        let name = self.stream.expect_any_name()?;
        let with_context = self.parse_context()?.unwrap_or(false);
        Ok(StmtKind::Import(Import {
            template,
            names: ImportNames::Module(name),
            with_context,
        }))
    }

    fn parse_from(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let template = self.parse_expression(true)?;
        self.stream.expect_name("import")?;
        let mut names = Vec::new();
        let with_context = loop {
            if !names.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            if !matches!(self.stream.current().tok, Tok::Name(_)) {
                self.stream.expect_any_name()?;
            }
            if let Some(with) = self.parse_context()? {
                break Some(with);
            }
            let line = self.stream.line();
            let name = self.stream.expect_any_name()?;
            if name.starts_with('_') {
                return Err(Error::new(
                    ErrorKind::Template,
                    "names starting with an underline can not be imported",
                )
                .at(&self.stream.name, line));
            }
            let alias = if self.stream.skip_name("as")? {
                self.stream.expect_any_name()?
            } else {
                name.clone()
            };
            names.push((name, alias));
            if let Some(with) = self.parse_context()? {
                break Some(with);
            }
            if !self.stream.is_op(Op::Comma) {
                break None;
            }
        };
        Ok(StmtKind::Import(Import {
            template,
            names: ImportNames::Names(names),
            with_context: with_context.unwrap_or(false),
        }))
    }

    fn parse_print(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        let mut items = Vec::new();
        while !matches!(self.stream.current().tok, Tok::BlockEnd) {
            if !items.is_empty() {
                self.stream.expect_op(Op::Comma)?;
            }
            let line = self.stream.line();
            items.push(Output::Expr(self.parse_expression(true)?, line));
        }
        Ok(StmtKind::Output(items))
    }

    fn parse_do(&mut self) -> Result<StmtKind> {
        self.stream.next()?;
        Ok(StmtKind::Do(self.parse_tuple(true, &[], false)?))
    }
}

/// Adds to the output statement at the end of `body`, or starts one.
fn push_output(body: &mut Vec<Stmt>, item: Output, line: usize) {
    if let Some(Stmt {
        kind: StmtKind::Output(items),
        ..
    }) = body.last_mut()
    {
        items.push(item);
        return;
    }
    body.push(Stmt {
        kind: StmtKind::Output(vec![item]),
        line,
    });
}
