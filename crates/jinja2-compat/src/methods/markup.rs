//! The `str` methods of markupsafe's `Markup`: most give `Markup` again, with their string
//! arguments escaped first.

use super::str;
use crate::error::Error;
use crate::escape::escape;
use crate::value::{Args, Value, iterate};

/// The methods whose result is `Markup` (a list or tuple of `Markup` for the splitting ones).
const WRAPPED: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "expandtabs",
    "format",
    "format_map",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "strip",
    "swapcase",
    "title",
    "upper",
    "zfill",
];

pub fn call(s: &str, name: &str, args: Args) -> Result<Value, Error> {
    if !WRAPPED.contains(&name) {
        return str::call(s, name, &args);
    }
    let args = escaped(args, name == "join")?;
    Ok(wrap(str::call(s, name, &args)?))
}

/// The arguments with every plain string escaped (and every item of `join`'s argument).
fn escaped(args: Args, items_too: bool) -> Result<Args, Error> {
    let escape_one = |value: Value| -> Result<Value, Error> {
        Ok(match value {
            Value::Str(_) => Value::Markup(escape(&value)?.into()),
            other => other,
        })
    };
    let mut positional = Vec::with_capacity(args.positional.len());
    for value in args.positional {
        let value = if items_too {
            let items = iterate(&value)?
                .into_iter()
                .map(|item| escape_one(item).map(|v| Value::from(v.as_str().unwrap_or_default())))
                .collect::<Result<Vec<_>, _>>()?;
            Value::list(items)
        } else {
            escape_one(value)?
        };
        positional.push(value);
    }
    let keywords = args
        .keywords
        .into_iter()
        .map(|(k, v)| escape_one(v).map(|v| (k, v)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Args {
        positional,
        keywords,
    })
}

fn wrap(value: Value) -> Value {
    match value {
        Value::Str(s) => Value::Markup(s),
        Value::List(items) => Value::list(items.borrow().iter().cloned().map(wrap).collect()),
        Value::Tuple(items) => Value::tuple(items.iter().cloned().map(wrap).collect()),
        other => other,
    }
}
