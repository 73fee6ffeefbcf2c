//! The tokens of one template, read one at a time with a look ahead, as Jinja2's
//! `TokenStream` gives them to its parser.

use std::rc::Rc;

use crate::error::Error;
use crate::lexer::{Op, Tok, Token};

pub struct Stream {
    tokens: Vec<Token>,
    pos: usize,
    pub name: Rc<str>,
}

impl Stream {
    pub fn new(tokens: Vec<Token>, name: Rc<str>) -> Result<Stream, Error> {
        let stream = Stream {
            tokens,
            pos: 0,
            name,
        };
        stream.check_current()?;
        Ok(stream)
    }

    pub fn current(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    /// The token after the current one.
    pub fn look(&self) -> &Token {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)]
    }

    pub fn line(&self) -> usize {
        self.current().line
    }

    /// Moves on, returning the token that was current; a lexing error that becomes current
    /// is raised now.
    pub fn next(&mut self) -> Result<Token, Error> {
        let token = self.current().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        self.check_current()?;
        Ok(token)
    }

    fn check_current(&self) -> Result<(), Error> {
        match &self.current().tok {
            Tok::Error(error) => Err(error.clone().at(&self.name, self.line())),
            _ => Ok(()),
        }
    }

    pub fn fail(&self, message: impl Into<String>, line: usize) -> Error {
        Error::syntax(message).at(&self.name, line)
    }

    pub fn is_op(&self, op: Op) -> bool {
        matches!(self.current().tok, Tok::Op(o) if o == op)
    }

    pub fn is_name(&self, name: &str) -> bool {
        matches!(&self.current().tok, Tok::Name(n) if &**n == name)
    }

    pub fn skip_op(&mut self, op: Op) -> Result<bool, Error> {
        let is = self.is_op(op);
        if is {
            self.next()?;
        }
        Ok(is)
    }

    pub fn skip_name(&mut self, name: &str) -> Result<bool, Error> {
        let is = self.is_name(name);
        if is {
            self.next()?;
        }
        Ok(is)
    }

    /// The current token if it is `expected` (described as Jinja2 does), else an error.
    pub fn expect(&mut self, matches: bool, expected: &str) -> Result<Token, Error> {
        if matches {
            return self.next();
        }
        let current = self.current();
        Err(self.fail(
            if matches!(current.tok, Tok::Eof) {
                format!("unexpected end of template, expected '{expected}'.")
            } else {
                format!(
                    "expected token '{expected}', got '{}'",
                    current.tok.describe()
                )
            },
            current.line,
        ))
    }

    pub fn expect_op(&mut self, op: Op) -> Result<Token, Error> {
        let matches = self.is_op(op);
        self.expect(matches, op.text())
    }

    pub fn expect_name(&mut self, name: &str) -> Result<Token, Error> {
        let matches = self.is_name(name);
        self.expect(matches, name)
    }

    /// Any name token.
    pub fn expect_any_name(&mut self) -> Result<Rc<str>, Error> {
        let matches = matches!(self.current().tok, Tok::Name(_));
        match self.expect(matches, "name")?.tok {
            Tok::Name(name) => Ok(name),
            _ => Err(self.fail("expected a name", self.line())),
        }
    }

    pub fn expect_block_end(&mut self) -> Result<Token, Error> {
        let matches = matches!(self.current().tok, Tok::BlockEnd);
        self.expect(matches, "end of statement block")
    }
}
