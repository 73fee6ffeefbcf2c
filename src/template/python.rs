//! Python's `str()` of template values. Jinja2 prints `None`, `True`, `['a', 'b']` and
//! `{'root': 0}` where minijinja would print `none`, `true`, `["a", "b"]`; rendered Dockerfiles
//! must be byte-identical to docker-pkg 4.0.4's, so values are printed the Python way.

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};

/// `str(value)`.
pub fn str(value: &Value) -> String {
    if let Some(text) = super::python_objects::str(value) {
        return text;
    }
    match value.as_str() {
        Some(s) => s.to_owned(),
        None => repr(value),
    }
}

/// `repr(value)`.
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    if let Some(text) = super::python_objects::repr(value) {
        out.push_str(&text);
        return;
    }
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number if value.is_integer() => {
            let _ = write!(out, "{value}");
        }
        ValueKind::Number => match f64::try_from(value.clone()) {
            Ok(f) => out.push_str(&float_repr(f)),
            Err(_) => {
                let _ = write!(out, "{value}");
            }
        },
        ValueKind::String => string_repr(out, value.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            write_items(out, value, |out, item| write_repr(out, &item));
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            write_items(out, value, |out, key| {
                write_repr(out, &key);
                out.push_str(": ");
                write_repr(out, &value.get_item(&key).unwrap_or_default());
            });
            out.push('}');
        }
        _ => {
            let _ = write!(out, "{value}");
        }
    }
}

fn write_items(out: &mut String, value: &Value, mut write_item: impl FnMut(&mut String, Value)) {
    let Ok(items) = value.try_iter() else { return };
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_item(out, item);
    }
}

/// Python quotes with `'` unless the text holds a `'` and no `"`.
fn string_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
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
            c if !printable(c) => {
                let _ = match c as u32 {
                    code @ ..0x100 => write!(out, "\\x{code:02x}"),
                    code @ ..0x10000 => write!(out, "\\u{code:04x}"),
                    code => write!(out, "\\U{code:08x}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for one character: not a control, format, surrogate,
/// private-use, unassigned or separator character, the space excepted.
fn printable(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    c == ' '
        || !matches!(
            get_general_category(c),
            G::Control
                | G::Format
                | G::Surrogate
                | G::PrivateUse
                | G::Unassigned
                | G::LineSeparator
                | G::ParagraphSeparator
                | G::SpaceSeparator
        )
}

/// `repr(float)`: the shortest digits that read back the same, in positional notation when
/// the decimal exponent is in -4..16, else in scientific notation with a signed, two-digit
/// or longer exponent.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
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

    fn yaml(text: &str) -> Value {
        super::super::context::from_yaml(&crate::yaml::load(text.as_bytes()).unwrap())
    }

    #[test]
    fn scalars() {
        assert_eq!(str(&Value::from(())), "None");
        assert_eq!(str(&Value::from(true)), "True");
        assert_eq!(str(&Value::from(false)), "False");
        assert_eq!(str(&Value::from(42)), "42");
        assert_eq!(str(&Value::from("text")), "text");
    }

    #[test]
    fn floats() {
        for (f, expected) in [
            (1.0, "1.0"),
            (3.1, "3.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.0, "123456789012345.0"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(float_repr(f), expected, "{f}");
        }
    }

    #[test]
    fn containers_in_yaml_order() {
        assert_eq!(
            str(&yaml("{root: 0, www-data: 33, list: [a, 1, null, true]}")),
            "{'root': 0, 'www-data': 33, 'list': ['a', 1, None, True]}"
        );
    }

    #[test]
    fn string_quotes() {
        assert_eq!(repr(&Value::from("it's")), "\"it's\"");
        assert_eq!(repr(&Value::from("say \"hi\"")), "'say \"hi\"'");
        assert_eq!(repr(&Value::from("both ' \"")), "'both \\' \"'");
        assert_eq!(repr(&Value::from("a\\b\n")), "'a\\\\b\\n'");
        assert_eq!(
            repr(&Value::from("\u{85}\u{a0}\u{2028}\u{e000}\u{10ffff} é")),
            "'\\x85\\xa0\\u2028\\ue000\\U0010ffff é'"
        );
    }
}
