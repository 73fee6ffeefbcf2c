//! Filters of markup and URLs: `escape`, `forceescape`, `safe`, `striptags`, `tojson`,
//! `urlencode`, `urlize`, `xmlattr`.

use super::soft_str;
use crate::error::Error;
use crate::escape::{escape as escape_value, escape_str};
use crate::eval::Interp;
use crate::lexer::is_space;
use crate::python::float_repr;
use crate::value::{Args, Value, iterate};

type Result<T> = std::result::Result<T, Error>;

pub fn escape(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("escape", &[], 0)?;
    Ok(Value::Markup(escape_value(&value)?.into()))
}

/// Escapes even `Markup`.
pub fn forceescape(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("forceescape", &[], 0)?;
    Ok(Value::Markup(escape_str(&soft_str(&value)?).into()))
}

pub fn safe(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("safe", &[], 0)?;
    Ok(Value::Markup(soft_str(&value)?.into()))
}

/// The text without tags and comments, entities decoded, whitespace collapsed.
pub fn striptags(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("striptags", &[], 0)?;
    let text = soft_str(&value)?;
    let mut stripped = String::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find('<') {
        stripped.push_str(&rest[..open]);
        let after = &rest[open..];
        let end = if after.starts_with("<!--") {
            after.find("-->").map(|e| e + 3)
        } else {
            after.find('>').map(|e| e + 1)
        };
        match end {
            Some(end) => rest = &after[end..],
            None => {
                stripped.push_str(after);
                rest = "";
            }
        }
    }
    stripped.push_str(rest);
    let collapsed = stripped
        .split(is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Value::from(unescape(&collapsed)))
}

/// HTML character references: the common named ones and numeric ones.
fn unescape(text: &str) -> String {
    const NAMED: &[(&str, char)] = &[
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("nbsp", '\u{a0}'),
        ("copy", '©'),
        ("reg", '®'),
    ];
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let decoded = after.find(';').and_then(|end| {
            let name = &after[..end];
            let c = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `tojson(indent=None)`: JSON with sorted keys, safe inside HTML (`<`, `>`, `&`, `'`
/// escaped).
pub fn tojson(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("tojson", &["indent"], 0)?;
    let indent = match bound.get(0) {
        None => None,
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(_) => Some(" ".repeat(bound.int(0, 0)?.max(0) as usize)),
    };
    let mut out = String::new();
    json(&value, indent.as_deref(), 0, &mut out)?;
    let safe = out
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\'', "\\u0027");
    Ok(Value::Markup(safe.into()))
}

fn json(value: &Value, indent: Option<&str>, level: usize, out: &mut String) -> Result<()> {
    crate::limits::nested(|| json_one(value, indent, level, out))
}

fn json_one(value: &Value, indent: Option<&str>, level: usize, out: &mut String) -> Result<()> {
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&crate::python::int_str(i)?),
        Value::Float(f) if f.is_nan() => out.push_str("NaN"),
        Value::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Value::Float(f) => out.push_str(&float_repr(*f)),
        Value::Str(s) | Value::Markup(s) => json_string(s, out),
        Value::List(_) | Value::Tuple(_) => {
            let items = iterate(value)?;
            json_container(out, ('[', ']'), items.len(), indent, level, |i, out| {
                json(&items[i], indent, level + 1, out)
            })?;
        }
        Value::Dict(d) => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            for (key, value) in d.borrow().iter() {
                entries.push((json_key(key)?, value.clone()));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            json_container(out, ('{', '}'), entries.len(), indent, level, |i, out| {
                json_string(&entries[i].0, out);
                out.push_str(": ");
                json(&entries[i].1, indent, level + 1, out)
            })?;
        }
        other => {
            return Err(Error::type_error(format!(
                "Object of type {} is not JSON serializable",
                other.type_name()
            )));
        }
    }
    Ok(())
}

fn json_key(key: &Value) -> Result<String> {
    Ok(match key {
        Value::Str(s) | Value::Markup(s) => s.to_string(),
        Value::None => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => crate::python::int_str(i)?,
        Value::Float(f) => float_repr(*f),
        other => {
            return Err(Error::type_error(format!(
                "keys must be str, int, float, bool or None, not {}",
                other.type_name()
            )));
        }
    })
}

fn json_container(
    out: &mut String,
    (open, close): (char, char),
    len: usize,
    indent: Option<&str>,
    level: usize,
    mut item: impl FnMut(usize, &mut String) -> Result<()>,
) -> Result<()> {
    out.push(open);
    if len == 0 {
        out.push(close);
        return Ok(());
    }
    let newline = |out: &mut String, level: usize| {
        if let Some(unit) = indent {
            out.push('\n');
            out.push_str(&unit.repeat(level));
        }
    };
    for i in 0..len {
        if i > 0 {
            out.push(',');
            if indent.is_none() {
                out.push(' ');
            }
        }
        newline(out, level + 1);
        item(i, out)?;
    }
    newline(out, level);
    out.push(close);
    Ok(())
}

/// A JSON string, ASCII only, as Python's `json.dumps` writes it.
fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Percent-encoding as Python's `quote`: letters, digits and `_.-~` kept, and `/` too
/// unless for a query string (where a space becomes `+`).
fn url_quote(text: &str, for_query: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(byte as char)
            }
            b'/' if !for_query => out.push('/'),
            b' ' if for_query => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

pub fn urlencode(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("urlencode", &[], 0)?;
    value.check()?;
    let iterable = matches!(
        value,
        Value::List(_)
            | Value::Tuple(_)
            | Value::Dict(_)
            | Value::Range(_)
            | Value::View(..)
            | Value::Lazy(_)
    );
    if !iterable {
        return Ok(Value::from(url_quote(&soft_str(&value)?, false)));
    }
    let pairs = crate::methods::pairs_of(&value)?;
    let encoded: Result<Vec<String>> = pairs
        .iter()
        .map(|(k, v)| {
            Ok(format!(
                "{}={}",
                url_quote(&soft_str(k)?, true),
                url_quote(&soft_str(v)?, true)
            ))
        })
        .collect();
    Ok(Value::from(encoded?.join("&")))
}

/// `xmlattr(autospace=True)`: ` key="value"` for each item that is not none or undefined.
pub fn xmlattr(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let autospace = args.bind("xmlattr", &["autospace"], 0)?.flag(0, true)?;
    let Value::Dict(dict) = &value else {
        return Err(Error::type_error(format!(
            "'{}' object has no attribute 'items'",
            value.type_name()
        )));
    };
    let mut items = Vec::new();
    for (key, item) in dict.borrow().iter() {
        if matches!(item, Value::None | Value::Undefined(_)) {
            continue;
        }
        let key = soft_str(key)?;
        if key
            .chars()
            .any(|c| c.is_ascii_whitespace() || matches!(c, '/' | '>' | '='))
        {
            return Err(Error::value_error(format!(
                "Invalid character in attribute name: {}",
                crate::python::str_repr(&key)
            )));
        }
        items.push(format!("{}=\"{}\"", escape_str(&key), escape_value(item)?));
    }
    let mut text = items.join(" ");
    if autospace && !text.is_empty() {
        text.insert(0, ' ');
    }
    Ok(if interp.autoescape {
        Value::Markup(text.into())
    } else {
        Value::from(text)
    })
}

/// `urlize`: URLs (`http://`, `https://`, `www.`) and e-mail addresses made links.
pub fn urlize(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind(
        "urlize",
        &[
            "trim_url_limit",
            "nofollow",
            "target",
            "rel",
            "extra_schemes",
        ],
        0,
    )?;
    let rel = if bound.flag(1, false)? {
        "nofollow noopener"
    } else {
        "noopener"
    };
    let text = soft_str(&value)?;
    let mut out = String::new();
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(&link(word, rel));
    }
    Ok(if interp.autoescape {
        Value::Markup(out.into())
    } else {
        Value::from(out)
    })
}

fn link(word: &str, rel: &str) -> String {
    let trimmed = word.trim_end_matches(['.', ',', ')', '>', '\n']);
    let tail = &word[trimmed.len()..];
    let href = if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        Some(trimmed.to_owned())
    } else if trimmed.starts_with("www.") {
        Some(format!("https://{trimmed}"))
    } else if trimmed.contains('@') && !trimmed.starts_with('@') && trimmed.contains('.') {
        Some(format!("mailto:{trimmed}"))
    } else {
        None
    };
    match href {
        Some(href) if href.starts_with("mailto:") => {
            format!(
                "<a href=\"{}\">{}</a>{}",
                escape_str(&href),
                escape_str(trimmed),
                escape_str(tail)
            )
        }
        Some(href) => format!(
            "<a href=\"{}\" rel=\"{rel}\">{}</a>{}",
            escape_str(&href),
            escape_str(trimmed),
            escape_str(tail)
        ),
        None => escape_str(word),
    }
}
