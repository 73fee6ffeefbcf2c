//! Filters of text: case, padding, `indent`, `replace`, `truncate`, `wordcount`, `pprint`.

use super::{soft_str, string_only, text_arg};
use crate::error::Error;
use crate::eval::Interp;
use crate::format::printf;
use crate::lexer::is_space;
use crate::limits;
use crate::methods;
use crate::pprint::pformat;
use crate::value::{Args, Value};

type Result<T> = std::result::Result<T, Error>;

/// `soft_str(value).method(args)`: a `Markup` stays one.
fn soft_method(value: &Value, method: &str, args: Vec<Value>) -> Result<Value> {
    let text = match value {
        Value::Markup(_) => value.clone(),
        other => Value::from(soft_str(other)?),
    };
    methods::call(&text, method, Args::positional(args))
}

pub fn lower(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("lower", &[], 0)?;
    soft_method(&value, "lower", Vec::new())
}

pub fn upper(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("upper", &[], 0)?;
    soft_method(&value, "upper", Vec::new())
}

pub fn capitalize(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("capitalize", &[], 0)?;
    soft_method(&value, "capitalize", Vec::new())
}

/// Jinja2's `title`, not Python's: a word starts after `-`, whitespace or an opening
/// bracket, and only its first character is upper-cased.
pub fn title(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("title", &[], 0)?;
    let text = soft_str(&value)?;
    let mut out = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        let separator = c == '-' || is_space(c) || matches!(c, '(' | '{' | '[' | '<');
        if separator {
            out.push(c);
        } else if at_word_start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        at_word_start = separator;
    }
    Ok(Value::from(out))
}

pub fn center(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("center", &["width"], 0)?;
    soft_method(&value, "center", vec![Value::int(bound.int(0, 80)?)])
}

pub fn string(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("string", &[], 0)?;
    Ok(match value {
        Value::Markup(_) => value,
        other => Value::from(soft_str(&other)?),
    })
}

pub fn format(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    printf::filter(&value, args.positional, args.keywords)
}

pub fn replace(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("replace", &["old", "new", "count"], 2)?;
    let old = text_arg(bound.raw(0))?.unwrap_or_default();
    let new = text_arg(bound.raw(1))?.unwrap_or_default();
    let count = bound.int_or_none(2, -1)?;
    Ok(Value::from(methods::python_replace(
        &soft_str(&value)?,
        &old,
        &new,
        count,
    )?))
}

pub fn trim(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("trim", &["chars"], 0)?;
    let chars = bound.get(0).cloned().into_iter().collect();
    soft_method(&value, "strip", chars)
}

/// `indent(width=4, first=False, blank=False)`: every line but the first (unless `first`)
/// and the blank ones (unless `blank`) indented by `width` spaces, or by `width` itself when
/// it is a string. The lines are split as Python's `splitlines()` does.
pub fn indent(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("indent", &["width", "first", "blank"], 0)?;
    let indentation = match bound.raw(0) {
        Some(width) if width.is_string() => soft_str(width)?,
        _ => {
            let width = bound.int(0, 4)?.max(0) as usize;
            limits::check_text(width, "the indentation")?;
            " ".repeat(width)
        }
    };
    let (first, blank) = (bound.flag(1, false)?, bound.flag(2, false)?);
    let text = string_only(&value, "splitlines")? + "\n";
    let lines = methods::split_lines(&text);
    let count = lines.len();
    limits::charge_text(
        text.len() + count.saturating_mul(indentation.len()),
        "the indented text",
    )?;
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            out.push('\n');
            if blank || !line.is_empty() {
                out.push_str(&indentation);
            }
        }
        out.push_str(line);
    }
    if first {
        out.insert_str(0, &indentation);
    }
    Ok(match value {
        Value::Markup(_) => Value::Markup(out.into()),
        _ => Value::from(out),
    })
}

/// `truncate(length=255, killwords=False, end='...', leeway=5)`.
pub fn truncate(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("truncate", &["length", "killwords", "end", "leeway"], 0)?;
    if !value.is_string() {
        return truncate_other(value, &bound);
    }
    let text = soft_str(&value)?;
    let length = bound.int(0, 255)?;
    let kill_words = bound.flag(1, false)?;
    let end = text_arg(bound.raw(2))?.map_or_else(|| "...".to_owned(), |e| e.to_string());
    let leeway = bound.int_or_none(3, 5)?;
    let end_len = end.chars().count() as i64;
    if length < end_len {
        return Err(Error::new(
            crate::error::ErrorKind::Filter,
            format!("expected length >= {end_len}, got {length}"),
        ));
    }
    if leeway < 0 {
        return Err(Error::new(
            crate::error::ErrorKind::Filter,
            format!("expected leeway >= 0, got {leeway}"),
        ));
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() as i64 <= length + leeway {
        return Ok(Value::from(text));
    }
    let kept: String = chars[..(length - end_len) as usize].iter().collect();
    if kill_words {
        return Ok(Value::from(kept + &end));
    }
    let kept = match kept.rsplit_once(' ') {
        Some((before, _)) => before.to_owned(),
        None => kept,
    };
    Ok(Value::from(kept + &end))
}

/// `truncate` of what is not a string: a short enough sequence comes back as it is; Jinja2
/// fails on anything else (it has no length, or no `rsplit`).
fn truncate_other(value: Value, bound: &crate::value::Bound) -> Result<Value> {
    let len = crate::value::length(&value)? as i64;
    if len <= bound.int(0, 255)? + bound.int_or_none(3, 5)? {
        return Ok(value);
    }
    Err(Error::type_error(format!(
        "'{}' object has no attribute 'rsplit'",
        value.type_name()
    )))
}

/// The number of words (runs of letters, digits and `_`).
pub fn wordcount(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("wordcount", &[], 0)?;
    let text = soft_str(&value)?;
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        let word = c.is_alphanumeric() || c == '_';
        if word && !in_word {
            count += 1;
        }
        in_word = word;
    }
    Ok(Value::int(count))
}

pub fn pprint(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("pprint", &[], 0)?;
    Ok(Value::from(pformat(&value)?))
}
