//! `str.format`: `'{} {name} {0[1]} {:>{width}}'.format(…)`.

use super::spec;
use crate::error::{Error, ErrorKind};
use crate::limits;
use crate::lookup;
use crate::python;
use crate::value::{Args, Value};

type Result<T> = std::result::Result<T, Error>;

/// `template.format(*args, **kwargs)`.
pub fn format(template: &str, args: &Args) -> Result<String> {
    let mut fields = Fields {
        args,
        next: 0,
        manual: None,
    };
    fields.render(template, 0)
}

struct Fields<'a> {
    args: &'a Args,
    /// The next automatic field number.
    next: usize,
    /// Whether fields are numbered by hand (set by the first field).
    manual: Option<bool>,
}

impl Fields<'_> {
    fn render(&mut self, template: &str, depth: usize) -> Result<String> {
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '}' => {
                    return Err(Error::value_error(
                        "Single '}' encountered in format string",
                    ));
                }
                '{' => {
                    let field = read_field(&mut chars)?;
                    let text = self.field(&field, depth)?;
                    limits::charge_text(out.len() + text.len(), "the formatted string")?;
                    out.push_str(&text);
                }
                c => out.push(c),
            }
        }
        Ok(out)
    }

    /// One `{name!conversion:spec}`.
    fn field(&mut self, field: &str, depth: usize) -> Result<String> {
        if depth > 1 {
            return Err(Error::value_error("Max string recursion exceeded"));
        }
        let (head, spec) = split_outside_brackets(field, ':');
        let (name, conversion) = match head.split_once('!') {
            Some((name, conversion)) => (name, Some(conversion)),
            None => (head, None),
        };
        let value = self.resolve(name)?;
        let value = match conversion {
            None => value,
            Some("s") => Value::from(python::str(&value)?),
            Some("r") => Value::from(python::repr(&value)?),
            Some("a") => Value::from(super::printf::ascii(&python::repr(&value)?)),
            Some(other) => {
                return Err(Error::value_error(format!(
                    "Unknown conversion specifier {other}"
                )));
            }
        };
        let spec = self.render(spec.unwrap_or(""), depth + 1)?;
        spec::apply(&value, &spec)
    }

    /// `0`, `name`, or nothing (the next one), then `.attr` and `[key]` parts.
    fn resolve(&mut self, name: &str) -> Result<Value> {
        let end = name.find(['.', '[']).unwrap_or(name.len());
        let (first, mut rest) = name.split_at(end);
        let mut value = self.argument(first)?;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                value = lookup::attr(&value, &after[..end])?;
                value.check()?;
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after
                    .find(']')
                    .ok_or_else(|| Error::value_error("Missing ']' in format string"))?;
                let key = &after[..end];
                let key = key
                    .parse::<i64>()
                    .map(Value::int)
                    .unwrap_or_else(|_| Value::from(key));
                value = lookup::subscript(&value, &key)?;
                value.check()?;
                rest = &after[end + 1..];
            } else {
                return Err(Error::value_error(
                    "Only '.' or '[' may follow ']' in format field specifier",
                ));
            }
        }
        Ok(value)
    }

    fn argument(&mut self, name: &str) -> Result<Value> {
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            let manual = !name.is_empty();
            if *self.manual.get_or_insert(manual) != manual {
                return Err(Error::value_error(
                    "cannot switch from automatic field numbering to manual field specification",
                ));
            }
            let index = if manual {
                name.parse::<usize>().unwrap_or(usize::MAX)
            } else {
                self.next += 1;
                self.next - 1
            };
            return self.args.positional.get(index).cloned().ok_or_else(|| {
                Error::new(
                    ErrorKind::Index,
                    format!("Replacement index {index} out of range for positional args tuple"),
                )
            });
        }
        self.args
            .keywords
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::new(ErrorKind::Key, format!("'{name}'")))
    }
}

/// The text of a field up to its closing `}`, nested `{…}` included.
fn read_field(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<String> {
    let mut field = String::new();
    let mut depth = 0;
    for c in chars.by_ref() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Ok(field),
            '}' => depth -= 1,
            _ => {}
        }
        field.push(c);
    }
    Err(Error::value_error("expected '}' before end of string"))
}

/// Splits at the first `separator` outside `[…]`.
fn split_outside_brackets(text: &str, separator: char) -> (&str, Option<&str>) {
    let mut in_brackets = false;
    for (i, c) in text.char_indices() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            c if c == separator && !in_brackets => return (&text[..i], Some(&text[i + 1..])),
            _ => {}
        }
    }
    (text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(template: &str, positional: Vec<Value>) -> String {
        format(template, &Args::positional(positional)).unwrap()
    }

    #[test]
    fn fields() {
        assert_eq!(fmt("{} {}", vec!["a".into(), "b".into()]), "a b");
        assert_eq!(fmt("{1}{0}{1}", vec!["a".into(), "b".into()]), "bab");
        assert_eq!(fmt("{{}} {}", vec![Value::int(1)]), "{} 1");
        assert_eq!(
            fmt(
                "{0[1]}",
                vec![Value::list(vec![Value::int(1), Value::int(2)])]
            ),
            "2"
        );
        assert_eq!(fmt("{!r:>6}", vec![Value::int(1)]), "     1");
    }

    #[test]
    fn nested_spec() {
        let args = Args {
            positional: vec!["x".into()],
            keywords: vec![("w".into(), Value::int(4))],
        };
        assert_eq!(format("{:>{w}}", &args).unwrap(), "   x");
    }

    #[test]
    fn errors() {
        assert!(format("{1}", &Args::positional(vec!["a".into()])).is_err());
        assert!(format("{x}", &Args::default()).is_err());
    }
}
