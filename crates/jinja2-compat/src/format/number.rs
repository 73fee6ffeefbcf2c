//! Numbers as C's printf and Python's format() write them: fixed, exponent and general
//! notation, with Python's exponent of at least two digits.

use crate::python::float_repr;

/// `inf`, `-inf` and `nan` in the case the format asks for.
fn special(f: f64, upper: bool) -> Option<String> {
    let text = if f.is_nan() {
        "nan"
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }
    } else {
        return None;
    };
    Some(if upper {
        text.to_uppercase()
    } else {
        text.into()
    })
}

/// Digits after the point that write any `f64` exactly: its binary fraction has at most 1074
/// digits, and so has its decimal one. Rust's formatter takes a precision of at most 65,535,
/// Python's any: past this many digits, the rest are zeros and are added as such.
const EXACT_DIGITS: usize = 1100;

/// `%.{precision}f`.
pub fn fixed(f: f64, precision: usize, upper: bool) -> String {
    if let Some(text) = special(f, upper) {
        return text;
    }
    let exact = precision.min(EXACT_DIGITS);
    let mut text = format!("{f:.exact$}");
    pad_zeros(&mut text, precision - exact);
    text
}

fn pad_zeros(text: &mut String, count: usize) {
    text.extend(std::iter::repeat_n('0', count));
}

/// `%.{precision}e`: `1.234568e+04`.
pub fn exponent(f: f64, precision: usize, upper: bool) -> String {
    if let Some(text) = special(f, upper) {
        return text;
    }
    let exact = precision.min(EXACT_DIGITS);
    let text = format!("{f:.exact$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let mut mantissa = mantissa.to_owned();
    pad_zeros(&mut mantissa, precision - exact);
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{sign}{:02}", exp.abs())
}

/// The decimal exponent `f` has when written with `precision` significant digits.
fn exponent_of(f: f64, significant: usize) -> i32 {
    let digits = significant.saturating_sub(1).min(EXACT_DIGITS);
    let text = format!("{f:.digits$e}");
    text.split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0)
}

/// `%.{precision}g`: fixed or exponent notation by the size of the number, trailing zeros
/// dropped unless `alternate`.
pub fn general(f: f64, precision: usize, alternate: bool, upper: bool) -> String {
    if let Some(text) = special(f, upper) {
        return text;
    }
    // Without `alternate`, the digits past those that write `f` exactly are zeros, which are
    // dropped: they need not be made.
    let significant = match alternate {
        true => precision.max(1),
        false => precision.clamp(1, 2 * EXACT_DIGITS),
    };
    let exp = exponent_of(f, significant);
    let text = if exp >= -4 && (exp as i64) < significant as i64 {
        let decimals = (significant as i64 - 1 - exp as i64).max(0) as usize;
        fixed(f, decimals, upper)
    } else {
        exponent(f, significant - 1, upper)
    };
    if alternate {
        return text;
    }
    strip_zeros(&text)
}

/// Drops trailing zeros of the fraction (and a bare point) in front of any exponent.
fn strip_zeros(text: &str) -> String {
    let (number, exp) = match text.find(['e', 'E']) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    if !number.contains('.') {
        return text.to_owned();
    }
    let number = number.trim_end_matches('0').trim_end_matches('.');
    format!("{number}{exp}")
}

/// `format(f, '.{precision}')` with no type: general notation, but a fixed number keeps at
/// least one digit after the point, and the exponent switch is at `precision`.
pub fn no_type(f: f64, precision: Option<usize>) -> String {
    let Some(precision) = precision else {
        return float_repr(f);
    };
    if let Some(text) = special(f, false) {
        return text;
    }
    let text = general(f, precision, false, false);
    if text.contains(['.', 'e', 'n', 'i']) {
        text
    } else {
        text + ".0"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_notations() {
        assert_eq!(fixed(1.23456, 2, false), "1.23");
        assert_eq!(fixed(2.675, 2, false), "2.67");
        assert_eq!(exponent(12345.678, 6, false), "1.234568e+04");
        assert_eq!(general(0.00001, 6, false, false), "1e-05");
        assert_eq!(general(1e20, 6, false, true), "1E+20");
        assert_eq!(general(100000.0, 6, false, false), "100000");
        assert_eq!(general(1000000.0, 6, false, false), "1e+06");
        assert_eq!(general(0.0001234, 3, false, false), "0.000123");
    }

    #[test]
    fn precisions_past_rusts_limit_are_written_as_python_writes_them() {
        let fixed_text = fixed(1.5, 70_000, false);
        assert_eq!(fixed_text.len(), 70_002);
        assert!(fixed_text.starts_with("1.5000") && fixed_text.ends_with('0'));
        assert_eq!(fixed(0.1, 1100, false), fixed(0.1, 1200, false)[..1102]);
        let exp = exponent(1.5, 70_000, true);
        assert!(exp.starts_with("1.5000") && exp.ends_with("0E+00"));
        assert_eq!(exp.len(), 70_006);
        assert_eq!(general(1.5, 70_000, false, false), "1.5");
        assert_eq!(general(1.5, 70_000, true, false).len(), 70_001);
        assert_eq!(general(1e300, 70_000, false, false).len(), 301);
    }

    #[test]
    fn no_type_keeps_a_decimal() {
        assert_eq!(no_type(1.23456, Some(3)), "1.23");
        assert_eq!(no_type(2.0, Some(3)), "2.0");
        assert_eq!(no_type(1e-7, None), "1e-07");
    }
}
