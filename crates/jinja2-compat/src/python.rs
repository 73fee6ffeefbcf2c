//! Python's `str()` and `repr()` of template values: `None`, `True`, `['a', (1,)]`,
//! `{'k': 1.5}`, `range(0, 3)`, `dict_items([('a', 1)])`, `1e+20`. Rendered Dockerfiles must
//! be byte-identical to Python's, so values print exactly as Python prints them.

use std::fmt::Write;
use std::rc::Rc;

use unicode_general_category::{GeneralCategory, get_general_category};

use super::error::Error;
use super::limits;
use super::value::{Int, Value, View};

/// `str(value)`.
pub fn str(value: &Value) -> Result<String, Error> {
    match value {
        Value::Str(s) | Value::Markup(s) => Ok(s.to_string()),
        Value::Undefined(u) => u.check().map(|()| String::new()),
        Value::Object(o) => Ok(o.to_str()),
        other => repr(other),
    }
}

/// `repr(value)`.
pub fn repr(value: &Value) -> Result<String, Error> {
    let mut writer = Writer::default();
    writer.value(value)?;
    Ok(writer.out)
}

/// `str(int)`, which Python refuses past 4300 digits.
pub fn int_str(int: &Int) -> Result<String, Error> {
    let max_int_digits = limits::get().max_int_digits;
    if int.decimal_digits() > max_int_digits {
        return Err(Error::value_error(format!(
            "Exceeds the limit ({max_int_digits} digits) for integer string conversion"
        )));
    }
    let digits = int.decimal_digits();
    if digits > 64 {
        // Writing a big integer in decimal takes time that grows with the square of its
        // digits: 4,000 digits cost about as much as 4,000 steps of work.
        limits::charge_work((digits * digits / 4096) as u64)?;
    }
    Ok(int.to_string())
}

/// Writes a repr, refusing what would be too large, and printing a container that holds
/// itself as `[...]`, as Python does.
#[derive(Default)]
struct Writer {
    out: String,
    open: Vec<*const ()>,
}

impl Writer {
    fn value(&mut self, value: &Value) -> Result<(), Error> {
        if self.out.len() > limits::get().max_text {
            return Err(Error::memory("the printed value"));
        }
        limits::nested(|| self.one(value))
    }

    fn one(&mut self, value: &Value) -> Result<(), Error> {
        match value {
            Value::None => self.out.push_str("None"),
            Value::Bool(b) => self.out.push_str(if *b { "True" } else { "False" }),
            Value::Int(i) => self.out.push_str(&int_str(i)?),
            Value::Float(f) => self.out.push_str(&float_repr(*f)),
            Value::Str(s) => self.out.push_str(&str_repr(s)),
            Value::Markup(s) => {
                let _ = write!(self.out, "Markup({})", str_repr(s));
            }
            Value::List(l) => self.nested(Rc::as_ptr(l).cast(), "[", "]", &l.borrow())?,
            Value::Tuple(t) => self.tuple(t)?,
            Value::Dict(d) => self.dict(Rc::as_ptr(d).cast(), value)?,
            Value::Range(r) => {
                let _ = match r.step {
                    1 => write!(self.out, "range({}, {})", r.start, r.stop),
                    step => write!(self.out, "range({}, {}, {step})", r.start, r.stop),
                };
            }
            Value::View(view, d) => self.view(*view, &d.borrow())?,
            Value::Lazy(l) => self.out.push_str(&l.repr()),
            Value::Undefined(_) => self.out.push_str("Undefined"),
            Value::Object(o) => self.out.push_str(&o.repr()),
        }
        Ok(())
    }

    fn items<'a>(&mut self, items: impl IntoIterator<Item = &'a Value>) -> Result<(), Error> {
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                self.out.push_str(", ");
            }
            self.value(item)?;
        }
        Ok(())
    }

    fn nested(
        &mut self,
        id: *const (),
        open: &str,
        close: &str,
        items: &[Value],
    ) -> Result<(), Error> {
        if self.open.contains(&id) {
            let _ = write!(self.out, "{open}...{close}");
            return Ok(());
        }
        self.open.push(id);
        self.out.push_str(open);
        self.items(items)?;
        self.out.push_str(close);
        self.open.pop();
        Ok(())
    }

    fn tuple(&mut self, items: &[Value]) -> Result<(), Error> {
        self.out.push('(');
        self.items(items)?;
        if items.len() == 1 {
            self.out.push(',');
        }
        self.out.push(')');
        Ok(())
    }

    fn dict(&mut self, id: *const (), value: &Value) -> Result<(), Error> {
        let Value::Dict(dict) = value else {
            return Ok(());
        };
        if self.open.contains(&id) {
            self.out.push_str("{...}");
            return Ok(());
        }
        self.open.push(id);
        self.out.push('{');
        for (index, (key, value)) in dict.borrow().iter().enumerate() {
            if index > 0 {
                self.out.push_str(", ");
            }
            self.value(key)?;
            self.out.push_str(": ");
            self.value(value)?;
        }
        self.out.push('}');
        self.open.pop();
        Ok(())
    }

    fn view(&mut self, view: View, dict: &super::value::Dict) -> Result<(), Error> {
        let (name, items): (&str, Vec<Value>) = match view {
            View::Keys => ("dict_keys", dict.keys().cloned().collect()),
            View::Values => ("dict_values", dict.values().cloned().collect()),
            View::Items => (
                "dict_items",
                dict.iter()
                    .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
                    .collect(),
            ),
        };
        let _ = write!(self.out, "{name}([");
        self.items(&items)?;
        self.out.push_str("])");
        Ok(())
    }
}

/// `repr(str)`: single quotes unless the text holds `'` and no `"`, and escapes for what is
/// not printable.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` of one character.
pub fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::SpaceSeparator
    )
}

/// `repr(float)`: the shortest digits that read back the same, in positional notation when
/// the decimal exponent is in -4..16, else in scientific notation with a signed, two-digit
/// or longer exponent.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let positional = format!("{f}");
        if positional.contains('.') {
            positional
        } else {
            positional + ".0"
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Dict;

    fn repr_of(value: Value) -> String {
        repr(&value).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(str(&Value::None).unwrap(), "None");
        assert_eq!(str(&Value::Bool(true)).unwrap(), "True");
        assert_eq!(str(&Value::int(42)).unwrap(), "42");
        assert_eq!(str(&Value::from("text")).unwrap(), "text");
    }

    #[test]
    fn floats() {
        for (f, expected) in [
            (1.0, "1.0"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1e20, "1e+20"),
            (1e-7, "1e-07"),
            (123456789012345.0, "123456789012345.0"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(float_repr(f), expected, "{f}");
        }
    }

    #[test]
    fn containers() {
        assert_eq!(repr_of(Value::tuple(vec![])), "()");
        assert_eq!(repr_of(Value::tuple(vec![Value::int(1)])), "(1,)");
        let mut dict = Dict::new();
        dict.insert("a".into(), Value::list(vec![Value::None]))
            .unwrap();
        assert_eq!(repr_of(Value::dict(dict.clone())), "{'a': [None]}");
        let items = Value::View(View::Items, Rc::new(dict.into()));
        assert_eq!(repr_of(items), "dict_items([('a', [None])])");
    }

    #[test]
    fn a_list_holding_itself() {
        let list = Value::list(vec![]);
        if let Value::List(l) = &list {
            l.borrow_mut().push(list.clone());
        }
        assert_eq!(repr_of(list), "[[...]]");
    }

    #[test]
    fn string_escapes() {
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("both ' \""), "'both \\' \"'");
        assert_eq!(str_repr("\x00\u{a0}\u{200b}é"), "'\\x00\\xa0\\u200bé'");
        assert_eq!(str_repr("\u{e000}"), "'\\ue000'");
    }

    #[test]
    fn huge_ints_refuse_to_print() {
        let big = Int::Small(2).pow(20000);
        assert!(int_str(&big).is_err());
        assert_eq!(int_str(&Int::Small(2).pow(100)).unwrap().len(), 31);
    }
}
