//! Jinja2's lexer: template data, `{{ … }}`, `{% … %}`, `{# … #}` and raw blocks, with the
//! `-` whitespace control, and the tokens inside tags. A lexing error becomes the last token,
//! so that the parser reports it when it gets there, as Jinja2's lazy lexer does.

use std::rc::Rc;

use super::error::Error;
use super::literal;
use super::value::Int;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Div,
    FloorDiv,
    Mul,
    Mod,
    Pow,
    Tilde,
    LBracket,
    RBracket,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Assign,
    Dot,
    Colon,
    Pipe,
    Comma,
    Semicolon,
}

/// Operators, longest first, as Jinja2 matches them.
const OPERATORS: [(&str, Op); 26] = [
    ("//", Op::FloorDiv),
    ("**", Op::Pow),
    ("==", Op::Eq),
    ("!=", Op::Ne),
    (">=", Op::Gte),
    ("<=", Op::Lte),
    ("+", Op::Add),
    ("-", Op::Sub),
    ("/", Op::Div),
    ("*", Op::Mul),
    ("%", Op::Mod),
    ("~", Op::Tilde),
    ("[", Op::LBracket),
    ("]", Op::RBracket),
    ("(", Op::LParen),
    (")", Op::RParen),
    ("{", Op::LBrace),
    ("}", Op::RBrace),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("=", Op::Assign),
    (".", Op::Dot),
    (":", Op::Colon),
    ("|", Op::Pipe),
    (",", Op::Comma),
    (";", Op::Semicolon),
];

impl Op {
    pub fn text(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(text, _)| text)
    }
}

#[derive(Debug, Clone)]
pub enum Tok {
    Data(String),
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name(Rc<str>),
    Str(String),
    Int(Int),
    Float(f64),
    Op(Op),
    Eof,
    /// The lexer stopped here.
    Error(Error),
}

impl Tok {
    /// How Jinja2 names the token in its messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Data(_) => "template data / text".into(),
            Tok::VariableBegin => "begin of print statement".into(),
            Tok::VariableEnd => "end of print statement".into(),
            Tok::BlockBegin => "begin of statement block".into(),
            Tok::BlockEnd => "end of statement block".into(),
            Tok::Name(name) => name.to_string(),
            Tok::Str(_) => "string".into(),
            Tok::Int(_) => "integer".into(),
            Tok::Float(_) => "float".into(),
            Tok::Op(op) => op.text().into(),
            Tok::Eof => "end of template".into(),
            Tok::Error(_) => "error".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

/// The source as Jinja2 sees it: every line ending `\n`, and one trailing newline dropped.
pub fn normalize(source: &str) -> String {
    let mut text = source.replace("\r\n", "\n").replace('\r', "\n");
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// The tokens of a normalized source.
pub fn tokenize(source: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        src: source,
        pos: 0,
        line: 1,
        tokens: Vec::new(),
    };
    if let Err(error) = lexer.root() {
        let line = lexer.line;
        lexer.tokens.push(Token {
            tok: Tok::Error(error),
            line,
        });
    }
    // Jinja2's end of template has the line of the last token.
    let line = lexer.tokens.last().map_or(1, |t| t.line);
    lexer.tokens.push(Token {
        tok: Tok::Eof,
        line,
    });
    lexer.tokens
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    tokens: Vec<Token>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Variable,
    Block,
    Comment,
    Raw,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn push(&mut self, tok: Tok) {
        self.tokens.push(Token {
            tok,
            line: self.line,
        });
    }

    fn advance(&mut self, len: usize) {
        self.line += self.src[self.pos..self.pos + len].matches('\n').count();
        self.pos += len;
    }

    fn root(&mut self) -> Result<(), Error> {
        while self.pos < self.src.len() {
            let Some((offset, tag, marker_len, strip)) = next_tag(self.rest()) else {
                let (data, line) = (self.rest().to_owned(), self.line);
                self.advance(data.len());
                self.push_data_at(data, line);
                break;
            };
            self.data_before(offset, strip);
            self.advance(marker_len);
            match tag {
                Tag::Comment => self.comment()?,
                Tag::Raw => self.raw()?,
                Tag::Variable => {
                    self.push(Tok::VariableBegin);
                    self.inside(Tag::Variable)?;
                }
                Tag::Block => {
                    self.push(Tok::BlockBegin);
                    self.inside(Tag::Block)?;
                }
            }
        }
        Ok(())
    }

    fn push_data_at(&mut self, data: String, line: usize) {
        if !data.is_empty() {
            self.tokens.push(Token {
                tok: Tok::Data(data),
                line,
            });
        }
    }

    /// The data up to a tag, without its trailing whitespace when the tag starts with `-`.
    fn data_before(&mut self, len: usize, strip: bool) {
        let text = &self.rest()[..len];
        let kept = if strip {
            text.trim_end_matches(is_space)
        } else {
            text
        };
        let line = self.line;
        let kept = kept.to_owned();
        self.advance(len);
        self.push_data_at(kept, line);
    }

    fn comment(&mut self) -> Result<(), Error> {
        let rest = self.rest();
        let Some(end) = rest.find("#}") else {
            return Err(Error::syntax("Missing end of comment tag"));
        };
        let mut len = end + 2;
        if rest[..end].ends_with('-') {
            len += whitespace_len(&rest[len..]);
        }
        self.advance(len);
        Ok(())
    }

    /// A raw block: everything up to `{% endraw %}` is data.
    fn raw(&mut self) -> Result<(), Error> {
        let rest = self.rest();
        let Some((start, end, strip)) = find_endraw(rest) else {
            return Err(Error::syntax("Missing end of raw directive"));
        };
        let text = &rest[..start];
        let kept = if strip {
            text.trim_end_matches(is_space)
        } else {
            text
        };
        let (line, kept) = (self.line, kept.to_owned());
        self.advance(end);
        self.push_data_at(kept, line);
        Ok(())
    }

    /// The tokens of a `{{ … }}` or `{% … %}` up to its end marker.
    fn inside(&mut self, tag: Tag) -> Result<(), Error> {
        let mut balance: Vec<Op> = Vec::new();
        loop {
            let rest = self.rest();
            if balance.is_empty()
                && let Some(len) = end_marker(rest, tag)
            {
                self.push(if tag == Tag::Block {
                    Tok::BlockEnd
                } else {
                    Tok::VariableEnd
                });
                self.advance(len);
                return Ok(());
            }
            let space = whitespace_len(rest);
            if space > 0 {
                self.advance(space);
                continue;
            }
            if rest.is_empty() {
                return Ok(());
            }
            let (tok, len) = self.token(rest)?;
            if let Tok::Op(op) = &tok {
                self.balance(&mut balance, *op)?;
            }
            self.push(tok);
            self.advance(len);
        }
    }

    fn balance(&self, stack: &mut Vec<Op>, op: Op) -> Result<(), Error> {
        match op {
            Op::LParen => stack.push(Op::RParen),
            Op::LBracket => stack.push(Op::RBracket),
            Op::LBrace => stack.push(Op::RBrace),
            Op::RParen | Op::RBracket | Op::RBrace => match stack.pop() {
                None => return Err(Error::syntax(format!("unexpected '{}'", op.text()))),
                Some(expected) if expected != op => {
                    return Err(Error::syntax(format!(
                        "unexpected '{}', expected '{}'",
                        op.text(),
                        expected.text()
                    )));
                }
                Some(_) => {}
            },
            _ => {}
        }
        Ok(())
    }

    /// One token at the start of `rest`: a number, a name, a string or an operator.
    fn token(&self, rest: &str) -> Result<(Tok, usize), Error> {
        let after_dot = self.src[..self.pos].ends_with('.');
        if !after_dot && let Some((value, len)) = float_literal(rest) {
            return Ok((Tok::Float(value), len));
        }
        if let Some(result) = integer_literal(rest) {
            return Ok(result);
        }
        let name_len = name_len(rest);
        if name_len > 0 {
            let name = &rest[..name_len];
            if !is_identifier(name) {
                return Err(Error::syntax("Invalid character in identifier"));
            }
            return Ok((Tok::Name(name.into()), name_len));
        }
        if let Some(len) = string_len(rest) {
            let decoded = literal::decode(&rest[1..len - 1]).map_err(Error::syntax)?;
            return Ok((Tok::Str(decoded), len));
        }
        if let Some((text, op)) = OPERATORS.iter().find(|(text, _)| rest.starts_with(text)) {
            return Ok((Tok::Op(*op), text.len()));
        }
        let c = rest.chars().next().unwrap_or(' ');
        let at = self.src[..self.pos].chars().count();
        Err(Error::syntax(format!(
            "unexpected char {} at {at}",
            super::python::str_repr(&c.to_string())
        )))
    }
}

/// The next tag in `text`: its offset, kind, the length of its opening marker, and whether
/// it strips the whitespace before it.
fn next_tag(text: &str) -> Option<(usize, Tag, usize, bool)> {
    let mut search = 0;
    while let Some(found) = text[search..].find('{') {
        let at = search + found;
        let rest = &text[at..];
        let tag = match rest.as_bytes().get(1) {
            Some(b'{') => Some(Tag::Variable),
            Some(b'%') => Some(raw_begin(rest).map_or(Tag::Block, |_| Tag::Raw)),
            Some(b'#') => Some(Tag::Comment),
            _ => None,
        };
        if let Some(tag) = tag {
            let sign = rest.as_bytes().get(2).copied();
            let mut len = 2 + usize::from(matches!(sign, Some(b'-' | b'+')));
            if tag == Tag::Raw {
                len = raw_begin(rest).unwrap_or(len);
            }
            return Some((at, tag, len, sign == Some(b'-')));
        }
        search = at + 1;
    }
    None
}

/// The length of `{% raw %}` (with its whitespace control) at the start of `text`.
fn raw_begin(text: &str) -> Option<usize> {
    let mut pos = 2;
    if matches!(text.as_bytes().get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    pos += whitespace_len(&text[pos..]);
    pos += text[pos..].strip_prefix("raw").map(|_| 3)?;
    pos += whitespace_len(&text[pos..]);
    let rest = &text[pos..];
    if let Some(after) = rest.strip_prefix("-%}") {
        Some(pos + 3 + whitespace_len(after))
    } else if rest.starts_with("%}") {
        Some(pos + 2)
    } else {
        None
    }
}

/// Where `{% endraw %}` starts and ends in `text`, and whether it strips the data before it.
fn find_endraw(text: &str) -> Option<(usize, usize, bool)> {
    let mut search = 0;
    while let Some(found) = text[search..].find("{%") {
        let start = search + found;
        let mut pos = start + 2;
        let sign = text.as_bytes().get(pos).copied();
        if matches!(sign, Some(b'-' | b'+')) {
            pos += 1;
        }
        pos += whitespace_len(&text[pos..]);
        if text[pos..].starts_with("endraw") {
            pos += 6;
            pos += whitespace_len(&text[pos..]);
            if let Some(len) = end_marker(&text[pos..], Tag::Block) {
                return Some((start, pos + len, sign == Some(b'-')));
            }
        }
        search = start + 2;
    }
    None
}

/// The length of the end marker of `tag` at the start of `text`, with the whitespace a `-`
/// strips after it.
fn end_marker(text: &str, tag: Tag) -> Option<usize> {
    let marker = if tag == Tag::Block { "%}" } else { "}}" };
    if let Some(after) = text.strip_prefix('-').and_then(|t| t.strip_prefix(marker)) {
        return Some(1 + marker.len() + whitespace_len(after));
    }
    if tag == Tag::Block
        && text
            .strip_prefix('+')
            .is_some_and(|t| t.starts_with(marker))
    {
        return Some(1 + marker.len());
    }
    text.starts_with(marker).then_some(marker.len())
}

/// Python's `str.isspace()` of one character (what `\s` and `strip()` match).
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

fn whitespace_len(text: &str) -> usize {
    text.len() - text.trim_start_matches(is_space).len()
}

fn name_len(text: &str) -> usize {
    text.char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(text.len(), |(i, _)| i)
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The length of a quoted string at the start of `text`, quotes included.
fn string_len(text: &str) -> Option<usize> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            c if c == quote => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Digits with single `_` between them: `1_000`.
fn digits_len(text: &str, is_digit: fn(u8) -> bool) -> usize {
    let bytes = text.as_bytes();
    let mut len = 0;
    while len < bytes.len() && is_digit(bytes[len]) {
        len += 1;
        if len + 1 < bytes.len() && bytes[len] == b'_' && is_digit(bytes[len + 1]) {
            len += 1;
        }
    }
    len
}

fn float_literal(text: &str) -> Option<(f64, usize)> {
    let whole = digits_len(text, |b| b.is_ascii_digit());
    if whole == 0 {
        return None;
    }
    let mut len = whole;
    let bytes = text.as_bytes();
    let mut fraction = false;
    if bytes.get(len) == Some(&b'.') {
        let digits = digits_len(&text[len + 1..], |b| b.is_ascii_digit());
        if digits > 0 {
            len += 1 + digits;
            fraction = true;
        }
    }
    let mut exponent = false;
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let mut pos = len + 1;
        if matches!(bytes.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let digits = digits_len(&text[pos..], |b| b.is_ascii_digit());
        if digits > 0 {
            len = pos + digits;
            exponent = true;
        }
    }
    if !fraction && !exponent {
        return None;
    }
    let value: f64 = text[..len].replace('_', "").parse().ok()?;
    Some((value, len))
}

fn integer_literal(text: &str) -> Option<(Tok, usize)> {
    let bytes = text.as_bytes();
    let prefixed = |radix: u32, is_digit: fn(u8) -> bool| -> Option<(Tok, usize)> {
        let mut len = 2;
        loop {
            let underscore = usize::from(bytes.get(len) == Some(&b'_'));
            if bytes.get(len + underscore).copied().is_some_and(is_digit) {
                len += underscore + 1;
            } else {
                break;
            }
        }
        (len > 2).then(|| (parse_int(&text[2..len], radix), len))
    };
    let zero = || Some((Tok::Int(Int::Small(0)), digits_len(text, |b| b == b'0')));
    match (bytes.first(), bytes.get(1).map(u8::to_ascii_lowercase)) {
        (Some(b'0'), Some(b'b')) => prefixed(2, |b| matches!(b, b'0' | b'1')).or_else(zero),
        (Some(b'0'), Some(b'o')) => prefixed(8, |b| matches!(b, b'0'..=b'7')).or_else(zero),
        (Some(b'0'), Some(b'x')) => prefixed(16, |b| b.is_ascii_hexdigit()).or_else(zero),
        (Some(b'0'), _) => zero(),
        (Some(b'1'..=b'9'), _) => {
            let len = digits_len(text, |b| b.is_ascii_digit());
            Some((parse_int(&text[..len], 10), len))
        }
        _ => None,
    }
}

fn parse_int(digits: &str, radix: u32) -> Tok {
    let digits = digits.replace('_', "");
    let big = num_bigint::BigInt::parse_bytes(digits.as_bytes(), radix).unwrap_or_default();
    Tok::Int(Int::from_big(big))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<String> {
        tokenize(&normalize(source))
            .into_iter()
            .map(|t| match t.tok {
                Tok::Data(d) => format!("data:{d}"),
                Tok::Name(n) => format!("name:{n}"),
                Tok::Str(s) => format!("str:{s}"),
                Tok::Int(i) => format!("int:{i}"),
                Tok::Float(f) => format!("float:{f}"),
                Tok::Error(e) => format!("error:{}", e.message),
                other => other.describe(),
            })
            .collect()
    }

    #[test]
    fn data_and_tags() {
        assert_eq!(
            kinds("a {{ x }}b{# c #}{% raw %}{{ y }}{% endraw %}\n"),
            [
                "data:a ",
                "begin of print statement",
                "name:x",
                "end of print statement",
                "data:b",
                "data:{{ y }}",
                "end of template"
            ]
        );
    }

    #[test]
    fn whitespace_control() {
        assert_eq!(
            kinds("a \n {{- x -}} \n b"),
            [
                "data:a",
                "begin of print statement",
                "name:x",
                "end of print statement",
                "data:b",
                "end of template"
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("{{ 1_000 0x1F 0o17 0b11 1e3 2.5 007 }}")[1..8],
            [
                "int:1000",
                "int:31",
                "int:15",
                "int:3",
                "float:1000",
                "float:2.5",
                "int:0"
            ]
        );
    }

    #[test]
    fn braces_balance_inside_tags() {
        assert_eq!(
            kinds("{{ {'a': 1} }}")[1..7],
            ["{", "str:a", ":", "int:1", "}", "end of print statement"]
        );
    }

    #[test]
    fn line_endings_and_the_trailing_newline() {
        assert_eq!(normalize("a\r\nb\rc\n\n"), "a\nb\nc\n");
    }

    #[test]
    fn errors_end_the_tokens() {
        assert_eq!(kinds("{{ 'abc }}")[1], "error:unexpected char \"'\" at 3");
    }
}
