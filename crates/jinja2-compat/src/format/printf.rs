//! Python's `%` formatting of strings: `'%s-%d' % (name, 3)`, `'%(key)s' % mapping`,
//! `'%05.1f'`, `'%o'`, `'%x'`, `'%r'`, `'%c'` and the `format` filter.

use std::rc::Rc;

use super::number;
use crate::error::{Error, ErrorKind};
use crate::escape;
use crate::limits;
use crate::python;
use crate::value::{Int, Value};

type Result<T> = std::result::Result<T, Error>;

/// `template % args`.
pub fn format(template: &Value, args: &Value) -> Result<Value> {
    let markup = matches!(template, Value::Markup(_));
    let text = template.as_str().unwrap_or_default();
    let mut source = Args::new(args);
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = Spec::parse(&mut chars, text, at, &mut source)?;
        if spec.kind == '%' {
            out.push('%');
            continue;
        }
        let value = source.next(spec.key.as_deref())?;
        let piece = spec.apply(&value)?;
        let piece = if markup {
            escape::escape(&Value::from(piece))?
        } else {
            piece
        };
        limits::charge_text(out.len() + piece.len(), "the formatted string")?;
        out.push_str(&piece);
    }
    source.finish()?;
    Ok(if markup {
        Value::Markup(out.into())
    } else {
        Value::from(out)
    })
}

/// Where the values come from: a tuple, a mapping for `%(key)s`, or one value.
struct Args<'a> {
    positional: Vec<Value>,
    mapping: Option<&'a Value>,
    used: usize,
}

impl<'a> Args<'a> {
    fn new(args: &'a Value) -> Args<'a> {
        match args {
            Value::Tuple(items) => Args {
                positional: items.to_vec(),
                mapping: None,
                used: 0,
            },
            // Python takes anything with items but a tuple or a string as a mapping: then
            // arguments left over are no error.
            Value::Dict(_) | Value::List(_) | Value::Range(_) => Args {
                positional: vec![args.clone()],
                mapping: Some(args),
                used: 0,
            },
            other => Args {
                positional: vec![other.clone()],
                mapping: None,
                used: 0,
            },
        }
    }

    fn next(&mut self, key: Option<&str>) -> Result<Value> {
        if let Some(key) = key {
            let Some(Value::Dict(dict)) = self.mapping else {
                return Err(Error::type_error(match self.mapping {
                    Some(other) => format!("{} indices must be integers", other.type_name()),
                    None => "format requires a mapping".into(),
                }));
            };
            self.used = self.positional.len();
            return dict
                .borrow()
                .get(&Value::from(key))?
                .cloned()
                .ok_or_else(|| Error::new(ErrorKind::Key, format!("'{key}'")));
        }
        let value = self
            .positional
            .get(self.used)
            .cloned()
            .ok_or_else(|| Error::type_error("not enough arguments for format string"))?;
        self.used += 1;
        Ok(value)
    }

    fn star(&mut self) -> Result<usize> {
        let value = self.next(None)?;
        let width = value
            .as_i64()
            .ok_or_else(|| Error::type_error("* wants int"))?;
        Ok(width.unsigned_abs() as usize)
    }

    fn finish(&self) -> Result<()> {
        if self.mapping.is_none() && self.used < self.positional.len() {
            return Err(Error::type_error(
                "not all arguments converted during string formatting",
            ));
        }
        Ok(())
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// One conversion: `%(key)-#0+ 5.2f`.
struct Spec {
    key: Option<String>,
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alternate: bool,
    width: usize,
    precision: Option<usize>,
    kind: char,
}

impl Spec {
    fn parse(chars: &mut Chars, text: &str, at: usize, args: &mut Args) -> Result<Spec> {
        let mut spec = Spec {
            key: None,
            left: false,
            zero: false,
            plus: false,
            space: false,
            alternate: false,
            width: 0,
            precision: None,
            kind: 's',
        };
        if chars.peek().is_some_and(|(_, c)| *c == '(') {
            chars.next();
            let key: String = chars
                .by_ref()
                .map(|(_, c)| c)
                .take_while(|c| *c != ')')
                .collect();
            spec.key = Some(key);
        }
        while let Some(&(_, c)) = chars.peek() {
            match c {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alternate = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = number_or_star(chars, args)?.unwrap_or(0);
        if chars.peek().is_some_and(|(_, c)| *c == '.') {
            chars.next();
            spec.precision = Some(number_or_star(chars, args)?.unwrap_or(0));
        }
        while chars
            .peek()
            .is_some_and(|(_, c)| matches!(c, 'h' | 'l' | 'L'))
        {
            chars.next();
        }
        let Some((index, kind)) = chars.next() else {
            return Err(Error::value_error("incomplete format"));
        };
        if !"diouxXeEfFgGcrsa%".contains(kind) {
            return Err(Error::value_error(format!(
                "unsupported format character '{kind}' (0x{:x}) at index {}",
                kind as u32,
                text[..index].chars().count()
            )));
        }
        let _ = at;
        limits::check_text(spec.width, "the formatted string")?;
        if !matches!(kind, 's' | 'r' | 'a' | 'c' | '%') {
            limits::charge_precision(spec.precision.unwrap_or(0))?;
        }
        spec.kind = kind;
        Ok(spec)
    }

    fn apply(&self, value: &Value) -> Result<String> {
        let (body, numeric) = match self.kind {
            's' => (self.truncate(python::str(value)?), false),
            'r' => (self.truncate(python::repr(value)?), false),
            'a' => (self.truncate(ascii(&python::repr(value)?)), false),
            'c' => (character(value)?, false),
            'd' | 'i' | 'u' => (self.signed(&integer(value, self.kind, true)?, 10)?, true),
            'o' | 'x' | 'X' => (
                self.signed(&integer(value, self.kind, false)?, radix(self.kind))?,
                true,
            ),
            _ => (self.float(real(value, self.kind)?), true),
        };
        Ok(self.pad(body, numeric))
    }

    fn truncate(&self, text: String) -> String {
        match self.precision {
            Some(p) => text.chars().take(p).collect(),
            None => text,
        }
    }

    fn sign(&self, negative: bool) -> &'static str {
        if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        }
    }

    fn signed(&self, int: &Int, radix: u32) -> Result<String> {
        let digits = if radix == 10 {
            python::int_str(&int.abs())?
        } else {
            int.abs().to_str_radix(radix)
        };
        let digits = if self.kind == 'X' {
            digits.to_uppercase()
        } else {
            digits
        };
        let digits = match self.precision {
            Some(p) if digits.len() < p => "0".repeat(p - digits.len()) + &digits,
            _ => digits,
        };
        let prefix = match (self.alternate, self.kind) {
            (true, 'o') => "0o",
            (true, 'x') => "0x",
            (true, 'X') => "0X",
            _ => "",
        };
        Ok(format!("{}{prefix}{digits}", self.sign(int.is_negative())))
    }

    fn float(&self, f: f64) -> String {
        let precision = self.precision.unwrap_or(6);
        let upper = self.kind.is_ascii_uppercase();
        let body = match self.kind {
            'e' | 'E' => number::exponent(f.abs(), precision, upper),
            'f' | 'F' => number::fixed(f.abs(), precision, upper),
            _ => number::general(f.abs(), precision, self.alternate, upper),
        };
        let negative = f.is_sign_negative() && !f.is_nan();
        format!("{}{body}", self.sign(negative))
    }

    /// Pads to the width: left-justified with `-`, with zeros after the sign with `0`.
    fn pad(&self, body: String, numeric: bool) -> String {
        let len = body.chars().count();
        if len >= self.width {
            return body;
        }
        let fill = self.width - len;
        if self.left {
            return format!("{body}{}", " ".repeat(fill));
        }
        if self.zero && numeric && !body.ends_with(['n', 'f', 'N', 'F']) {
            let sign_len = body
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(0)
                .min(body.len());
            let (sign, digits) = body.split_at(sign_len);
            return format!("{sign}{}{digits}", "0".repeat(fill));
        }
        format!("{}{body}", " ".repeat(fill))
    }
}

fn number_or_star(chars: &mut Chars, args: &mut Args) -> Result<Option<usize>> {
    if chars.peek().is_some_and(|(_, c)| *c == '*') {
        chars.next();
        return args.star().map(Some);
    }
    let mut digits = String::new();
    while let Some(&(_, c)) = chars.peek() {
        if !c.is_ascii_digit() {
            break;
        }
        digits.push(c);
        chars.next();
    }
    if digits.is_empty() {
        return Ok(None);
    }
    digits
        .parse::<usize>()
        .map(Some)
        .map_err(|_| Error::value_error("width too big"))
}

fn radix(kind: char) -> u32 {
    if kind == 'o' { 8 } else { 16 }
}

/// The integer `%d` (a real number, truncated) or `%x` (an integer) formats.
fn integer(value: &Value, kind: char, real_allowed: bool) -> Result<Int> {
    if let Some(int) = value.as_int() {
        return Ok(int);
    }
    match value {
        Value::Float(f) if real_allowed && f.is_finite() => {
            let big: Option<num_bigint::BigInt> = num_traits::FromPrimitive::from_f64(f.trunc());
            Ok(Int::from_big(big.unwrap_or_default()))
        }
        Value::Float(f) if real_allowed => Err(Error::new(
            ErrorKind::Overflow,
            format!("cannot convert float {} to integer", python::float_repr(*f)),
        )),
        other => Err(Error::type_error(format!(
            "%{kind} format: {} is required, not {}",
            if real_allowed {
                "a real number"
            } else {
                "an integer"
            },
            other.type_name()
        ))),
    }
}

fn real(value: &Value, kind: char) -> Result<f64> {
    match value {
        Value::Float(f) => Ok(*f),
        other if other.is_number() => other
            .as_f64()
            .ok_or_else(|| Error::new(ErrorKind::Overflow, "int too large to convert to float")),
        other => Err(Error::type_error(format!(
            "must be real number, not {} (%{kind})",
            other.type_name()
        ))),
    }
}

fn character(value: &Value) -> Result<String> {
    if let Some(s) = value.as_str()
        && s.chars().count() == 1
    {
        return Ok(s.to_owned());
    }
    value
        .as_i64()
        .and_then(|i| u32::try_from(i).ok())
        .and_then(char::from_u32)
        .map(String::from)
        .ok_or_else(|| Error::type_error("%c requires int or char"))
}

/// Python's `ascii()`: a repr with non-ASCII characters escaped.
pub fn ascii(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let code = c as u32;
        match code {
            0..0x80 => out.push(c),
            0x80..0x100 => out.push_str(&format!("\\x{code:02x}")),
            0x100..0x10000 => out.push_str(&format!("\\u{code:04x}")),
            _ => out.push_str(&format!("\\U{code:08x}")),
        }
    }
    out
}

/// The `format` filter: `value % args`, or `value % kwargs` with keyword arguments.
pub fn filter(
    value: &Value,
    positional: Vec<Value>,
    keywords: Vec<(Rc<str>, Value)>,
) -> Result<Value> {
    if !positional.is_empty() && !keywords.is_empty() {
        return Err(Error::new(
            ErrorKind::Filter,
            "can't handle positional and keyword arguments at the same time",
        ));
    }
    let template = Value::from(python::str(value)?);
    let args = if keywords.is_empty() {
        Value::tuple(positional)
    } else {
        Value::dict(keywords.into_iter().collect())
    };
    format(&template, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(template: &str, args: Value) -> String {
        format(&Value::from(template), &args)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn conversions() {
        let tuple = |items: Vec<Value>| Value::tuple(items);
        assert_eq!(fmt("%s-%d", tuple(vec!["a".into(), Value::int(3)])), "a-3");
        assert_eq!(
            fmt(
                "[%5s][%-5s][%05d][%+d]",
                tuple(vec![
                    "ab".into(),
                    "ab".into(),
                    Value::int(42),
                    Value::int(5)
                ])
            ),
            "[   ab][ab   ][00042][+5]"
        );
        assert_eq!(
            fmt(
                "%o %#x %X",
                tuple(vec![Value::int(493), Value::int(255), Value::int(255)])
            ),
            "755 0xff FF"
        );
        assert_eq!(
            fmt(
                "%.2f %e",
                tuple(vec![Value::Float(1.23456), Value::Float(12345.678)])
            ),
            "1.23 1.234568e+04"
        );
        assert_eq!(
            fmt("%05d %x", tuple(vec![Value::int(-42), Value::int(-255)])),
            "-0042 -ff"
        );
        assert_eq!(fmt("100%%", tuple(vec![])), "100%");
    }

    #[test]
    fn argument_count_errors() {
        assert!(format(&Value::from("%s %s"), &Value::from("a")).is_err());
        assert!(
            format(
                &Value::from("%s"),
                &Value::tuple(vec![Value::int(1), Value::int(2)])
            )
            .is_err()
        );
    }
}
