//! Python's `str` methods.

use super::text::{self, is_space};
use crate::error::Error;
use crate::format::str_format;
use crate::limits;
use crate::python;
use crate::value::{Args, Bound, Value, iterate};

type Result<T> = std::result::Result<T, Error>;

pub const METHODS: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "upper",
    "zfill",
];

pub fn call(s: &str, name: &str, args: &Args) -> Result<Value> {
    let func = format!("str.{name}");
    let none = || args.bind_positional(&func, 0, 0).map(drop);
    let text = |t: String| Ok(Value::from(t));
    match name {
        "upper" => none().and_then(|()| text(s.to_uppercase())),
        "lower" => none().and_then(|()| text(s.to_lowercase())),
        "casefold" => none().and_then(|()| text(caseless::default_case_fold_str(s))),
        "capitalize" => none().and_then(|()| text(text::capitalize(s))),
        "title" => none().and_then(|()| text(text::title(s))),
        "swapcase" => none().and_then(|()| text(text::swapcase(s))),
        "strip" | "lstrip" | "rstrip" => strip(s, name, &args.bind_positional(&func, 0, 1)?),
        "split" | "rsplit" => split(
            s,
            name == "rsplit",
            &args.bind(&func, &["sep", "maxsplit"], 0)?,
        ),
        "splitlines" => splitlines(s, args.bind(&func, &["keepends"], 0)?.flag(0, false)?),
        "join" => join(s, &args.bind_positional(&func, 1, 1)?),
        "replace" => replace(s, &args.bind_positional(&func, 2, 3)?),
        "startswith" | "endswith" => affix(s, name, &args.bind_positional(&func, 1, 3)?),
        "find" | "rfind" | "index" | "rindex" => find(s, name, &args.bind_positional(&func, 1, 3)?),
        "count" => count(s, &args.bind_positional(&func, 1, 3)?),
        "center" | "ljust" | "rjust" => justify(s, name, &args.bind_positional(&func, 1, 2)?),
        "zfill" => zfill(s, &args.bind_positional(&func, 1, 1)?),
        "partition" | "rpartition" => {
            partition(s, name == "rpartition", &args.bind_positional(&func, 1, 1)?)
        }
        "removeprefix" => {
            let prefix = string_arg(&args.bind_positional(&func, 1, 1)?, 0, &func)?;
            text(s.strip_prefix(prefix.as_str()).unwrap_or(s).to_owned())
        }
        "removesuffix" => {
            let suffix = string_arg(&args.bind_positional(&func, 1, 1)?, 0, &func)?;
            text(s.strip_suffix(suffix.as_str()).unwrap_or(s).to_owned())
        }
        "expandtabs" => expandtabs(s, args.bind(&func, &["tabsize"], 0)?.int(0, 8)?),
        "format" => text(str_format::format(s, args)?),
        "format_map" => format_map(s, &args.bind_positional(&func, 1, 1)?),
        _ => none().map(|()| Value::Bool(predicate(s, name))),
    }
}

/// The `is…` methods.
fn predicate(s: &str, name: &str) -> bool {
    let all = |test: fn(char) -> bool| !s.is_empty() && s.chars().all(test);
    match name {
        "isalpha" => all(text::is_alpha),
        "isdecimal" => all(text::is_decimal),
        "isdigit" => all(text::is_digit),
        "isnumeric" => all(text::is_numeric),
        "isalnum" => all(|c| text::is_alpha(c) || text::is_numeric(c)),
        "isspace" => all(is_space),
        "isascii" => s.is_ascii(),
        "isprintable" => s.chars().all(python::is_printable),
        "isidentifier" => {
            let mut chars = s.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        }
        "islower" => s.chars().any(text::is_cased_lower) && !s.chars().any(text::is_cased_upper),
        "isupper" => s.chars().any(text::is_cased_upper) && !s.chars().any(text::is_cased_lower),
        _ => is_title(s),
    }
}

fn is_title(s: &str) -> bool {
    let mut previous_cased = false;
    let mut any_cased = false;
    for c in s.chars() {
        if text::is_cased_upper(c) {
            if previous_cased {
                return false;
            }
            previous_cased = true;
            any_cased = true;
        } else if text::is_cased_lower(c) {
            if !previous_cased {
                return false;
            }
            previous_cased = true;
            any_cased = true;
        } else {
            previous_cased = false;
        }
    }
    any_cased
}

/// A string argument, or Python's TypeError.
fn string_arg(bound: &Bound, index: usize, func: &str) -> Result<String> {
    match bound.raw(index) {
        Some(v) if v.is_string() => Ok(v.as_str().unwrap_or_default().to_owned()),
        Some(v) => Err(Error::type_error(format!(
            "{func}() argument {} must be str, not {}",
            index + 1,
            v.type_name()
        ))),
        None => Err(Error::type_error(format!("{func}() missing argument"))),
    }
}

/// An optional string argument (`None` meaning whitespace), or "must be str or None".
fn optional_string(bound: &Bound, index: usize) -> Result<Option<String>> {
    match bound.raw(index) {
        None | Some(Value::None) => Ok(None),
        Some(v) if v.is_string() => Ok(Some(v.as_str().unwrap_or_default().to_owned())),
        Some(v) => Err(Error::type_error(format!(
            "must be str or None, not {}",
            v.type_name()
        ))),
    }
}

fn strip(s: &str, name: &str, bound: &Bound) -> Result<Value> {
    let chars = optional_string(bound, 0)?;
    let matches = |c: char| match &chars {
        Some(set) => set.contains(c),
        None => is_space(c),
    };
    Ok(Value::from(match name {
        "lstrip" => s.trim_start_matches(matches),
        "rstrip" => s.trim_end_matches(matches),
        _ => s.trim_matches(matches),
    }))
}

fn split(s: &str, from_right: bool, bound: &Bound) -> Result<Value> {
    let sep = optional_string(bound, 0)?;
    let max = bound.int(1, -1)?;
    let max = if max < 0 { usize::MAX } else { max as usize };
    let splits = match &sep {
        Some(sep) if !sep.is_empty() => s.matches(sep.as_str()).count(),
        _ => s.chars().filter(|c| is_space(*c)).count(),
    };
    limits::charge_list(
        splits.min(max).saturating_add(1),
        limits::STRING_BYTES,
        "the split string",
    )?;
    let parts = match sep {
        Some(sep) if sep.is_empty() => return Err(Error::value_error("empty separator")),
        Some(sep) if from_right => {
            let mut parts: Vec<&str> = s.rsplitn(max.saturating_add(1), sep.as_str()).collect();
            parts.reverse();
            parts.into_iter().map(str::to_owned).collect()
        }
        Some(sep) => s
            .splitn(max.saturating_add(1), sep.as_str())
            .map(str::to_owned)
            .collect(),
        None => split_whitespace(s, max, from_right),
    };
    Ok(Value::list(parts.into_iter().map(Value::from).collect()))
}

/// Python's `split()` without a separator: runs of whitespace separate, at most `max`
/// splits (counted from the right for `rsplit`).
fn split_whitespace(s: &str, max: usize, from_right: bool) -> Vec<String> {
    let chars: Vec<char> = if from_right {
        s.chars().rev().collect()
    } else {
        s.chars().collect()
    };
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && is_space(chars[i]) {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        if parts.len() == max {
            parts.push(chars[i..].iter().collect());
            break;
        }
        let start = i;
        while i < chars.len() && !is_space(chars[i]) {
            i += 1;
        }
        parts.push(chars[start..i].iter().collect());
    }
    if from_right {
        parts.reverse();
        for part in &mut parts {
            *part = part.chars().rev().collect();
        }
    }
    parts
}

fn splitlines(s: &str, keep_ends: bool) -> Result<Value> {
    let breaks = s.chars().filter(|c| text::is_line_break(*c)).count();
    limits::charge_list(breaks + 1, limits::STRING_BYTES, "the lines")?;
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if !text::is_line_break(c) {
            current.push(c);
            continue;
        }
        let mut end = c.to_string();
        if c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
            end.push('\n');
        }
        if keep_ends {
            current.push_str(&end);
        }
        lines.push(Value::from(std::mem::take(&mut current)));
    }
    if !current.is_empty() {
        lines.push(Value::from(current));
    }
    Ok(Value::list(lines))
}

fn join(s: &str, bound: &Bound) -> Result<Value> {
    let items = iterate(bound.raw(0).unwrap_or(&Value::None))?;
    let mut parts = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(text) => parts.push(text),
            None => {
                return Err(Error::type_error(format!(
                    "sequence item {index}: expected str instance, {} found",
                    item.type_name()
                )));
            }
        }
    }
    let len = parts.iter().map(|p| p.len()).sum::<usize>() + s.len() * parts.len();
    limits::charge_text(len, "the joined string")?;
    Ok(Value::from(parts.join(s)))
}

fn replace(s: &str, bound: &Bound) -> Result<Value> {
    let old = string_arg(bound, 0, "replace")?;
    let new = string_arg(bound, 1, "replace")?;
    let count = bound.int(2, -1)?;
    Ok(Value::from(python_replace(s, &old, &new, count)?))
}

/// `str.replace` with Python's count (negative: all) and its empty `old` (between every
/// character and at both ends).
pub fn python_replace(s: &str, old: &str, new: &str, count: i64) -> Result<String> {
    let limit = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let occurrences = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    let estimate = s.len() + occurrences.min(limit).saturating_mul(new.len());
    limits::charge_text(estimate, "the replaced string")?;
    if !old.is_empty() {
        return Ok(s.replacen(old, new, limit));
    }
    let mut out = String::new();
    let mut done = 0;
    for c in s.chars() {
        if done < limit {
            out.push_str(new);
            done += 1;
        }
        out.push(c);
    }
    if done < limit {
        out.push_str(new);
    }
    Ok(out)
}

/// Python's bounds `[start:end]` over `len` characters, as the search methods adjust them:
/// the end within the text, the start not past it only from below (a start past the end
/// finds nothing).
fn bounds(bound: &Bound, first: usize, len: usize) -> Result<(usize, usize)> {
    let at = |index: usize, default: usize| -> Result<i64> {
        match bound.get(index) {
            None => Ok(default as i64),
            Some(v) => {
                let i = v.as_i64().ok_or_else(|| {
                    Error::type_error(
                        "slice indices must be integers or None or have an __index__ method",
                    )
                })?;
                Ok(if i < 0 { (i + len as i64).max(0) } else { i })
            }
        }
    };
    let start = at(first, 0)?.min(len as i64 + 1) as usize;
    let end = at(first + 1, len)?.min(len as i64) as usize;
    Ok((start, end))
}

fn affix(s: &str, name: &str, bound: &Bound) -> Result<Value> {
    let chars: Vec<char> = s.chars().collect();
    let (start, end) = bounds(bound, 1, chars.len())?;
    let candidates: Vec<String> = match bound.raw(0) {
        Some(Value::Tuple(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::type_error("a tuple for startswith must only contain str"))?,
        Some(v) if v.is_string() => vec![v.as_str().unwrap_or_default().to_owned()],
        Some(v) => {
            return Err(Error::type_error(format!(
                "{name} first arg must be str or a tuple of str, not {}",
                v.type_name()
            )));
        }
        None => Vec::new(),
    };
    if start > chars.len() || (start > end && !chars.is_empty()) {
        return Ok(Value::Bool(false));
    }
    let window: String = chars[start..end.max(start)].iter().collect();
    Ok(Value::Bool(candidates.iter().any(|c| {
        if name == "startswith" {
            window.starts_with(c.as_str())
        } else {
            window.ends_with(c.as_str())
        }
    })))
}

/// The character offset of `needle` in the characters `start..end` of `s`, first or last.
/// Rust's substring search takes time in proportion to the lengths, as Python's does.
fn locate(s: &str, needle: &str, start: usize, end: usize, last: bool) -> Option<usize> {
    if start > end {
        return None;
    }
    if needle.is_empty() {
        return Some(if last { end } else { start });
    }
    let window = char_window(s, start, end);
    let at = if last {
        window.rfind(needle)
    } else {
        window.find(needle)
    }?;
    Some(start + window[..at].chars().count())
}

/// The characters `start..end` of `s`.
fn char_window(s: &str, start: usize, end: usize) -> &str {
    if start == 0 && end >= s.len() {
        return s;
    }
    let byte = |index: usize| s.char_indices().nth(index).map_or(s.len(), |(at, _)| at);
    let from = byte(start);
    let to = from
        + s[from..]
            .char_indices()
            .nth(end - start)
            .map_or(s.len() - from, |(at, _)| at);
    &s[from..to]
}

fn find(s: &str, name: &str, bound: &Bound) -> Result<Value> {
    let needle = string_arg(bound, 0, name)?;
    let (start, end) = bounds(bound, 1, s.chars().count())?;
    let found = locate(s, &needle, start, end, name.starts_with('r'));
    match (found, name) {
        (Some(i), _) => Ok(Value::int(i as i64)),
        (None, "find" | "rfind") => Ok(Value::int(-1)),
        (None, _) => Err(Error::value_error("substring not found")),
    }
}

fn count(s: &str, bound: &Bound) -> Result<Value> {
    let needle = string_arg(bound, 0, "count")?;
    let (start, end) = bounds(bound, 1, s.chars().count())?;
    if start > end {
        return Ok(Value::int(0));
    }
    if needle.is_empty() {
        return Ok(Value::int((end - start + 1) as i64));
    }
    Ok(Value::int(
        char_window(s, start, end).matches(needle.as_str()).count() as i64,
    ))
}

/// `center`, `ljust`, `rjust`: padded to `width` characters with a one-character fill.
fn justify(s: &str, name: &str, bound: &Bound) -> Result<Value> {
    let width = bound.int(0, 0)?.max(0) as usize;
    let fill = match bound.raw(1) {
        None => ' ',
        Some(v) => {
            let text = v.as_str().unwrap_or_default();
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(Error::type_error(
                        "The fill character must be exactly one character long",
                    ));
                }
            }
        }
    };
    let len = s.chars().count();
    if width <= len {
        return Ok(Value::from(s));
    }
    limits::charge_text(width.saturating_mul(fill.len_utf8()), "the padded string")?;
    let margin = width - len;
    let left = match name {
        "ljust" => 0,
        "rjust" => margin,
        _ => margin / 2 + (margin & width & 1),
    };
    let pad = |n: usize| fill.to_string().repeat(n);
    Ok(Value::from(format!(
        "{}{s}{}",
        pad(left),
        pad(margin - left)
    )))
}

fn zfill(s: &str, bound: &Bound) -> Result<Value> {
    let width = bound.int(0, 0)?.max(0) as usize;
    let len = s.chars().count();
    if width <= len {
        return Ok(Value::from(s));
    }
    limits::charge_text(width, "the padded string")?;
    let zeros = "0".repeat(width - len);
    Ok(Value::from(match s.strip_prefix(['+', '-']) {
        Some(rest) => format!("{}{zeros}{rest}", &s[..1]),
        None => format!("{zeros}{s}"),
    }))
}

fn partition(s: &str, from_right: bool, bound: &Bound) -> Result<Value> {
    let sep = string_arg(bound, 0, "partition")?;
    if sep.is_empty() {
        return Err(Error::value_error("empty separator"));
    }
    let split = if from_right {
        s.rsplit_once(sep.as_str())
    } else {
        s.split_once(sep.as_str())
    };
    let parts = match (split, from_right) {
        (Some((a, b)), _) => [a, sep.as_str(), b],
        (None, false) => [s, "", ""],
        (None, true) => ["", "", s],
    };
    Ok(Value::tuple(
        parts.iter().map(|p| Value::from(*p)).collect(),
    ))
}

fn expandtabs(s: &str, tabsize: i64) -> Result<Value> {
    let tabsize = tabsize.max(0) as usize;
    let tabs = s.matches('\t').count();
    limits::charge_text(
        s.len() + tabs.saturating_mul(tabsize),
        "the expanded string",
    )?;
    let mut out = String::new();
    let mut column = 0;
    for c in s.chars() {
        match c {
            '\t' if tabsize > 0 => {
                let spaces = tabsize - column % tabsize;
                out.push_str(&" ".repeat(spaces));
                column += spaces;
            }
            '\t' => {}
            '\n' | '\r' => {
                out.push(c);
                column = 0;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    Ok(Value::from(out))
}

fn format_map(s: &str, bound: &Bound) -> Result<Value> {
    let Some(Value::Dict(dict)) = bound.raw(0) else {
        return Err(Error::type_error("format_map() argument must be a mapping"));
    };
    let keywords = dict
        .borrow()
        .iter()
        .filter_map(|(k, v)| k.as_str().map(|k| (k.into(), v.clone())))
        .collect();
    let args = Args {
        positional: Vec::new(),
        keywords,
    };
    Ok(Value::from(str_format::format(s, &args)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_str(s: &str, name: &str, args: Vec<Value>) -> String {
        crate::python::repr(&call(s, name, &Args::positional(args)).unwrap()).unwrap()
    }

    #[test]
    fn splitting() {
        assert_eq!(call_str("a b  c", "split", vec![]), "['a', 'b', 'c']");
        assert_eq!(
            call_str("  a  b  ", "rsplit", vec![Value::None, Value::int(1)]),
            "['  a', 'b']"
        );
        assert_eq!(
            call_str("a.b.c", "rsplit", vec![".".into(), Value::int(1)]),
            "['a.b', 'c']"
        );
        assert_eq!(
            call_str("a\r\nb\rc", "splitlines", vec![]),
            "['a', 'b', 'c']"
        );
        assert_eq!(
            call_str("k=v=w", "rpartition", vec!["=".into()]),
            "('k=v', '=', 'w')"
        );
    }

    #[test]
    fn padding() {
        assert_eq!(call_str("a", "center", vec![Value::int(4)]), "' a  '");
        assert_eq!(call_str("ab", "center", vec![Value::int(5)]), "'  ab '");
        assert_eq!(call_str("-42", "zfill", vec![Value::int(5)]), "'-0042'");
        assert_eq!(
            call_str("ab\tc", "expandtabs", vec![Value::int(2)]),
            "'ab  c'"
        );
    }

    #[test]
    fn searching() {
        assert_eq!(
            call_str("hello", "find", vec!["l".into(), Value::int(3)]),
            "3"
        );
        assert_eq!(call_str("hello", "rfind", vec!["l".into()]), "3");
        assert_eq!(
            call_str("banana", "count", vec!["a".into(), Value::int(2)]),
            "2"
        );
        assert_eq!(call_str("abc", "count", vec!["".into()]), "4");
        assert_eq!(
            call_str(
                "abcdef",
                "startswith",
                vec!["cd".into(), Value::int(2), Value::int(3)]
            ),
            "False"
        );
        assert_eq!(
            call_str("abc", "replace", vec!["".into(), "-".into()]),
            "'-a-b-c-'"
        );
    }
}
