//! Python's format specification mini-language, `[[fill]align][sign][#][0][width][,|_]
//! [.precision][type]`, as `str.format` applies it to strings, integers and floats.

use super::number;
use crate::error::Error;
use crate::limits;
use crate::python;
use crate::value::{Int, Value};

type Result<T> = std::result::Result<T, Error>;

#[derive(Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

/// `format(value, spec)`.
pub fn apply(value: &Value, spec: &str) -> Result<String> {
    if spec.is_empty() {
        return python::str(value);
    }
    let spec = parse(spec)?;
    limits::check_text(spec.width, "the formatted string")?;
    if !matches!(value, Value::Str(_) | Value::Markup(_)) {
        limits::charge_precision(spec.precision.unwrap_or(0))?;
    }
    match value {
        Value::Str(_) | Value::Markup(_) => spec.string(value.as_str().unwrap_or_default()),
        Value::Bool(_) | Value::Int(_) => match spec.kind {
            Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => {
                spec.float(value.as_f64().unwrap_or(f64::INFINITY))
            }
            _ => spec.int(&value.as_int().unwrap_or(Int::Small(0))),
        },
        Value::Float(f) => spec.float(*f),
        other => Err(Error::type_error(format!(
            "unsupported format string passed to {}.__format__",
            other.type_name()
        ))),
    }
}

fn parse(text: &str) -> Result<Spec> {
    let chars: Vec<char> = text.chars().collect();
    let mut spec = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        spec.fill = Some(chars[0]);
        spec.align = Some(chars[1]);
        i = 2;
    } else if chars.first().copied().is_some_and(is_align) {
        spec.align = Some(chars[0]);
        i = 1;
    }
    if let Some(&c) = chars.get(i).filter(|c| matches!(c, '+' | '-' | ' ')) {
        spec.sign = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        spec.alternate = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        spec.zero = true;
        i += 1;
    }
    let (width, next) = digits(&chars, i)?;
    spec.width = width.unwrap_or(0);
    i = next;
    if let Some(&c) = chars.get(i).filter(|c| matches!(c, ',' | '_')) {
        spec.grouping = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        let (precision, next) = digits(&chars, i + 1)?;
        spec.precision = Some(
            precision.ok_or_else(|| Error::value_error("Format specifier missing precision"))?,
        );
        i = next;
    }
    spec.kind = chars.get(i).copied();
    if chars.len() > i + 1 {
        return Err(Error::value_error("Invalid format specifier"));
    }
    Ok(spec)
}

fn digits(chars: &[char], start: usize) -> Result<(Option<usize>, usize)> {
    let end = chars[start.min(chars.len())..]
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map_or(chars.len(), |p| start + p);
    if end == start {
        return Ok((None, end));
    }
    let text: String = chars[start..end].iter().collect();
    let value = text
        .parse::<usize>()
        .map_err(|_| Error::value_error("Too many decimal digits in format string"))?;
    Ok((Some(value), end))
}

impl Spec {
    fn unknown(&self, type_name: &str) -> Error {
        Error::value_error(format!(
            "Unknown format code '{}' for object of type '{type_name}'",
            self.kind.unwrap_or(' ')
        ))
    }

    fn string(&self, text: &str) -> Result<String> {
        if !matches!(self.kind, None | Some('s')) {
            return Err(self.unknown("str"));
        }
        let text: String = match self.precision {
            Some(p) => text.chars().take(p).collect(),
            None => text.to_owned(),
        };
        Ok(self.pad(String::new(), text, '<'))
    }

    fn int(&self, int: &Int) -> Result<String> {
        let digits = match self.kind {
            None | Some('d' | 'n') => python::int_str(&int.abs())?,
            Some('b') => int.abs().to_str_radix(2),
            Some('o') => int.abs().to_str_radix(8),
            Some('x') => int.abs().to_str_radix(16),
            Some('X') => int.abs().to_str_radix(16).to_uppercase(),
            Some('c') => {
                let c = int
                    .to_i64()
                    .and_then(|i| u32::try_from(i).ok())
                    .and_then(char::from_u32);
                return Ok(self.pad(String::new(), c.map(String::from).unwrap_or_default(), '>'));
            }
            _ => return Err(self.unknown("int")),
        };
        let digits = self.group(
            &digits,
            if matches!(self.kind, None | Some('d' | 'n')) {
                3
            } else {
                4
            },
        );
        let prefix = match (self.alternate, self.kind) {
            (true, Some('b')) => "0b",
            (true, Some('o')) => "0o",
            (true, Some('x')) => "0x",
            (true, Some('X')) => "0X",
            _ => "",
        };
        let sign = self.sign_of(int.is_negative());
        Ok(self.pad(format!("{sign}{prefix}"), digits, '>'))
    }

    fn float(&self, f: f64) -> Result<String> {
        let upper = self.kind.is_some_and(|k| k.is_ascii_uppercase());
        let precision = self.precision.unwrap_or(6);
        let magnitude = f.abs();
        let body = match self.kind {
            None => number::no_type(magnitude, self.precision),
            Some('e' | 'E') => number::exponent(magnitude, precision, upper),
            Some('f' | 'F') => number::fixed(magnitude, precision, upper),
            Some('g' | 'G' | 'n') => number::general(magnitude, precision, self.alternate, upper),
            Some('%') => number::fixed(magnitude * 100.0, precision, false) + "%",
            _ => return Err(self.unknown("float")),
        };
        let body = match body.split_once('.') {
            Some((whole, fraction)) => format!("{}.{fraction}", self.group(whole, 3)),
            None if body.chars().all(|c| c.is_ascii_digit()) => self.group(&body, 3),
            None => body,
        };
        let negative = f.is_sign_negative() && !f.is_nan();
        Ok(self.pad(self.sign_of(negative).to_owned(), body, '>'))
    }

    fn sign_of(&self, negative: bool) -> &'static str {
        match (negative, self.sign) {
            (true, _) => "-",
            (false, Some('+')) => "+",
            (false, Some(' ')) => " ",
            _ => "",
        }
    }

    /// Thousands separators every `every` digits from the right.
    fn group(&self, digits: &str, every: usize) -> String {
        let Some(separator) = self.grouping else {
            return digits.to_owned();
        };
        let chars: Vec<char> = digits.chars().collect();
        let mut out = String::new();
        for (i, c) in chars.iter().enumerate() {
            if i > 0 && (chars.len() - i).is_multiple_of(every) {
                out.push(separator);
            }
            out.push(*c);
        }
        out
    }

    /// Pads `sign` + `body` to the width; `=` (and a `0` flag) pads between sign and body.
    fn pad(&self, sign: String, body: String, default_align: char) -> String {
        let len = sign.chars().count() + body.chars().count();
        let fill_count = self.width.saturating_sub(len);
        let (fill, align) = match (self.align, self.zero) {
            (None, true) if default_align == '>' => ('0', '='),
            (align, _) => (self.fill.unwrap_or(' '), align.unwrap_or(default_align)),
        };
        let fill_with = |n: usize| fill.to_string().repeat(n);
        match align {
            '<' => format!("{sign}{body}{}", fill_with(fill_count)),
            '^' => format!(
                "{}{sign}{body}{}",
                fill_with(fill_count / 2),
                fill_with(fill_count - fill_count / 2)
            ),
            '=' => format!("{sign}{}{body}", fill_with(fill_count)),
            _ => format!("{}{sign}{body}", fill_with(fill_count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::apply;
    use crate::value::Value;

    #[test]
    fn strings_and_numbers() {
        assert_eq!(apply(&Value::from("ab"), "*^7").unwrap(), "**ab***");
        assert_eq!(apply(&Value::int(42), "05d").unwrap(), "00042");
        assert_eq!(apply(&Value::int(1234567), ",").unwrap(), "1,234,567");
        assert_eq!(apply(&Value::int(8), "#o").unwrap(), "0o10");
        assert_eq!(apply(&Value::int(-3), "=+6").unwrap(), "-    3");
        assert_eq!(apply(&Value::Float(0.25), ".0%").unwrap(), "25%");
        assert_eq!(apply(&Value::Float(1.23456), ".3").unwrap(), "1.23");
        assert_eq!(apply(&Value::Bool(true), ">5").unwrap(), "    1");
    }

    #[test]
    fn huge_widths_are_refused() {
        assert!(apply(&Value::int(1), ">99999999999").is_err());
    }
}
