//! `abs`, `int`, `float`, `round` and `filesizeformat`, with Python's parsing of numbers in
//! strings (`' 12 '`, `'1_000'`, `'0x1F'` with base 16, `'1e3'` as a float).

use num_bigint::BigInt;

use crate::error::{Error, ErrorKind};
use crate::eval::Interp;
use crate::format::spec;
use crate::lexer::is_space;
use crate::value::{Args, Int, Value};

type Result<T> = std::result::Result<T, Error>;

pub fn abs(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    args.bind("abs", &[], 0)?;
    match &value {
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => other.as_int().map(|i| Value::Int(i.abs())).ok_or_else(|| {
            Error::type_error(format!(
                "bad operand type for abs(): '{}'",
                other.type_name()
            ))
        }),
    }
}

/// `int(value, default=0, base=10)`: Python's `int()`, else `int(float())`, else the default.
pub fn int(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("int", &["default", "base"], 0)?;
    fail_if_undefined(&value)?;
    let default = bound.raw(0).cloned().unwrap_or(Value::int(0));
    // A base that is no integer fails Python's int(), and the filter goes on with float().
    let base = match bound.raw(1) {
        None => Some(10),
        Some(base) => base.as_i64(),
    };
    let direct = match &value {
        Value::Str(s) | Value::Markup(s) => base.and_then(|base| parse_int(s, base)),
        Value::Float(f) => return float_to_int(*f).map(Value::Int),
        other => other.as_int(),
    };
    if let Some(int) = direct {
        return Ok(Value::Int(int));
    }
    match to_float(&value)? {
        Some(f) if f.is_finite() => float_to_int(f).map(Value::Int),
        _ => Ok(default),
    }
}

/// `float(value, default=0.0)`.
pub fn float(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("float", &["default"], 0)?;
    fail_if_undefined(&value)?;
    Ok(match to_float(&value)? {
        Some(f) => Value::Float(f),
        None => bound.raw(0).cloned().unwrap_or(Value::Float(0.0)),
    })
}

/// `int()` and `float()` of an undefined value (even a lenient one) fail in Jinja2.
fn fail_if_undefined(value: &Value) -> Result<()> {
    match value {
        Value::Undefined(u) => Err(u.error()),
        _ => Ok(()),
    }
}

/// Python's `float(value)`; `None` where Python raises a TypeError or ValueError.
fn to_float(value: &Value) -> Result<Option<f64>> {
    match value {
        Value::Str(s) | Value::Markup(s) => Ok(parse_float(s)),
        Value::Float(f) => Ok(Some(*f)),
        other => match other.as_int() {
            Some(int) => int.to_f64().map(Some).ok_or_else(|| {
                Error::new(ErrorKind::Overflow, "int too large to convert to float")
            }),
            None => Ok(None),
        },
    }
}

fn float_to_int(f: f64) -> Result<Int> {
    if !f.is_finite() {
        return Err(Error::new(
            ErrorKind::Overflow,
            "cannot convert float infinity to integer",
        ));
    }
    let big: Option<BigInt> = num_traits::FromPrimitive::from_f64(f.trunc());
    Ok(Int::from_big(big.unwrap_or_default()))
}

/// Digits with single underscores between them, as Python's number parsing accepts.
fn without_underscores(digits: &str) -> Option<String> {
    if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    Some(digits.replace('_', ""))
}

/// Python's `int(text, base)`.
pub fn parse_int(text: &str, base: i64) -> Option<Int> {
    if base != 0 && !(2..=36).contains(&base) {
        return None;
    }
    let text = text.trim_matches(is_space);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let lower = text.to_ascii_lowercase();
    let prefixed = |prefix: &str, radix: i64| {
        lower
            .strip_prefix(prefix)
            .filter(|_| base == 0 || base == radix)
            .map(|rest| (rest.strip_prefix('_').unwrap_or(rest).to_owned(), radix))
    };
    let (digits, radix) = prefixed("0x", 16)
        .or_else(|| prefixed("0o", 8))
        .or_else(|| prefixed("0b", 2))
        .unwrap_or_else(|| (lower.clone(), if base == 0 { 10 } else { base }));
    if base == 0
        && radix == 10
        && digits.len() > 1
        && digits.starts_with('0')
        && digits
            .trim_start_matches(['0', '_'])
            .chars()
            .next()
            .is_some()
    {
        return None;
    }
    let digits = without_underscores(&digits)?;
    if digits.is_empty() {
        return None;
    }
    let big = BigInt::parse_bytes(digits.as_bytes(), radix as u32)?;
    Some(Int::from_big(if negative { -big } else { big }))
}

/// Python's `float(text)`.
pub fn parse_float(text: &str) -> Option<f64> {
    let text = text.trim_matches(is_space);
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    let negative = lower.starts_with('-');
    let special = match unsigned {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if lower.len() - unsigned.len() <= 1
        && let Some(f) = special
    {
        return Some(if negative { -f } else { f });
    }
    let valid = !lower.is_empty()
        && lower
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-' | '_'));
    if !valid {
        return None;
    }
    let parts_ok = lower
        .split(['.', 'e', '+', '-'])
        .all(|part| part.is_empty() || without_underscores(part).is_some());
    if !parts_ok {
        return None;
    }
    lower.replace('_', "").parse().ok()
}

/// `round(value, precision=0, method='common')`.
pub fn round(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind("round", &["precision", "method"], 0)?;
    let no_precision = matches!(bound.raw(0), Some(Value::None));
    let precision = bound.int_or_none(0, 0)?;
    let method = bound
        .raw(1)
        .and_then(Value::as_str)
        .unwrap_or("common")
        .to_owned();
    if !matches!(method.as_str(), "common" | "ceil" | "floor") {
        return Err(Error::new(
            ErrorKind::Filter,
            "method must be common, ceil or floor",
        ));
    }
    if let (Some(int), "common") = (value.as_int(), method.as_str()) {
        return Ok(Value::Int(round_int(&int, precision)));
    }
    if no_precision && method == "common" {
        let f = value.as_f64().unwrap_or(f64::NAN);
        return float_to_int(f.round_ties_even()).map(Value::Int);
    }
    let f = value.as_f64().ok_or_else(|| {
        Error::type_error(format!(
            "type {} doesn't define __round__ method",
            value.type_name()
        ))
    })?;
    if method == "common" {
        return Ok(Value::Float(round_float(f, precision)));
    }
    // `math.ceil(value * 10**precision) / 10**precision`, where `10**precision` is an int
    // that no float holds past 10**308, and a float that is 0.0 below 10**-323.
    if precision > 308 {
        return Err(Error::new(
            ErrorKind::Overflow,
            "int too large to convert to float",
        ));
    }
    if precision < -323 {
        return Err(Error::new(
            ErrorKind::ZeroDivision,
            "float division by zero",
        ));
    }
    let scale = 10f64.powi(precision as i32);
    Ok(Value::Float(match method.as_str() {
        "ceil" => (f * scale).ceil() / scale,
        _ => (f * scale).floor() / scale,
    }))
}

/// Python's `round(int, ndigits)`: an int, to the nearest multiple of `10**-ndigits`, ties
/// to even.
fn round_int(int: &Int, ndigits: i64) -> Int {
    if ndigits >= 0 {
        return int.clone();
    }
    let places = ndigits.unsigned_abs();
    if places > int.decimal_digits() as u64 {
        return Int::from(0);
    }
    let unit = Int::from(10).pow(places as u32);
    let (Some(quotient), Some(rest)) = (int.floor_div(&unit), int.modulo(&unit)) else {
        return int.clone();
    };
    let twice = rest.add(&rest);
    let up =
        twice > unit || (twice == unit && quotient.modulo(&Int::from(2)) == Some(Int::from(1)));
    let quotient = if up {
        quotient.add(&Int::from(1))
    } else {
        quotient
    };
    quotient.mul(&unit)
}

/// Python's `round(float, ndigits)`, which leaves a float alone past 323 digits and makes it
/// zero before -308.
fn round_float(f: f64, ndigits: i64) -> f64 {
    match ndigits {
        324.. => f,
        0..=323 => format!("{f:.*}", ndigits as usize).parse().unwrap_or(f),
        -308..0 => {
            let scale = 10f64.powi(ndigits as i32);
            (f * scale).round_ties_even() / scale
        }
        _ => 0.0 * f,
    }
}

/// `filesizeformat(value, binary=False)`: `1.5 MB`, `1.0 KiB`.
pub fn filesizeformat(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let binary = args
        .bind("filesizeformat", &["binary"], 0)?
        .flag(0, false)?;
    let bytes = to_float(&value)?.ok_or_else(|| {
        Error::value_error(format!("could not convert {} to float", value.type_name()))
    })?;
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let prefixes = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    if bytes == 1.0 {
        return Ok(Value::from("1 Byte"));
    }
    if bytes < base {
        return Ok(Value::from(format!("{} Bytes", bytes.trunc() as i64)));
    }
    let mut unit = base;
    let mut chosen = prefixes[prefixes.len() - 1];
    for (i, prefix) in prefixes.iter().enumerate() {
        unit = base.powi(i as i32 + 2);
        chosen = prefix;
        if bytes < unit {
            break;
        }
    }
    let amount = spec::apply(&Value::Float(base * bytes / unit), ".1f")?;
    Ok(Value::from(format!("{amount} {chosen}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_parsing() {
        let parse = |t: &str, base: i64| parse_int(t, base).map(|i| i.to_string());
        assert_eq!(parse(" 12 ", 10).as_deref(), Some("12"));
        assert_eq!(parse("1_000", 10).as_deref(), Some("1000"));
        assert_eq!(parse("0x1F", 16).as_deref(), Some("31"));
        assert_eq!(parse("0b101", 0).as_deref(), Some("5"));
        assert_eq!(parse("ff", 16).as_deref(), Some("255"));
        assert_eq!(parse("3.7", 10), None);
        assert_eq!(parse("010", 0), None);
        assert_eq!(parse("z", 40), None);
    }

    #[test]
    fn rounding_keeps_ints_ints() {
        let round = |i: i64, n: i64| round_int(&Int::from(i), n).to_string();
        assert_eq!(round(1200, -2), "1200");
        assert_eq!(round(1250, -2), "1200");
        assert_eq!(round(1350, -2), "1400");
        assert_eq!(round(1251, -2), "1300");
        assert_eq!(round(-1250, -2), "-1200");
        assert_eq!(round(-1251, -2), "-1300");
        assert_eq!(round(49, -2), "0");
        assert_eq!(round(51, -2), "100");
        assert_eq!(round(7, -100), "0");
        assert_eq!(round(7, 3), "7");
    }

    #[test]
    fn rounding_floats_to_any_precision() {
        assert_eq!(round_float(1.5, 70_000), 1.5);
        assert_eq!(round_float(2.675, 2), 2.67);
        assert_eq!(round_float(1250.0, -2), 1200.0);
        assert_eq!(round_float(1250.0, -400), 0.0);
    }

    #[test]
    fn python_float_parsing() {
        assert_eq!(parse_float(" 2.5 "), Some(2.5));
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float("1__0"), None);
    }
}
