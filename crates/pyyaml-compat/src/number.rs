//! `!!int` and `!!float` as SafeConstructor builds them, with Python's `int()` and `float()`
//! underneath (which an explicit tag such as `!!int ' 12 '` reaches with odd text).

use std::sync::LazyLock;

use num_bigint::BigInt;
use num_traits::{Num, Zero};
use regex::Regex;

/// Python refuses to read a decimal integer of more digits than this (`sys.int_info`).
const MAX_DECIMAL_DIGITS: usize = 4300;

/// `construct_yaml_int`: sign, `0b`, `0x`, a leading `0` for octal, `:` for base 60.
pub fn int(text: &str) -> Result<BigInt, String> {
    let text = text.replace('_', "");
    let (negative, digits) = split_sign(&text);
    let value = if digits == "0" {
        BigInt::zero()
    } else if let Some(binary) = digits.strip_prefix("0b") {
        python_int(binary, 2)?
    } else if let Some(hex) = digits.strip_prefix("0x") {
        python_int(hex, 16)?
    } else if digits.starts_with('0') {
        python_int(digits, 8)?
    } else if digits.contains(':') {
        sexagesimal(digits, |part| python_int(part, 10), BigInt::from(60))?
    } else if digits.is_empty() {
        return Err("an integer needs digits".into());
    } else {
        python_int(digits, 10)?
    };
    Ok(if negative { -value } else { value })
}

/// `construct_yaml_float`: sign, `.inf`, `.nan`, `:` for base 60.
pub fn float(text: &str) -> Result<f64, String> {
    let text = text.replace('_', "").to_lowercase();
    let (negative, digits) = split_sign(&text);
    let value = match digits {
        ".inf" => f64::INFINITY,
        ".nan" => return Ok(f64::NAN),
        _ if digits.contains(':') => sexagesimal(digits, python_float, 60.0)?,
        _ => python_float(digits)?,
    };
    Ok(if negative { -value } else { value })
}

/// One leading `-` or `+`, as the constructors strip it.
fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// `1:20:30`: the parts, last first, times 1, 60, 3600… (added in that order, as PyYAML does).
fn sexagesimal<T>(
    text: &str,
    part: impl Fn(&str) -> Result<T, String>,
    sixty: T,
) -> Result<T, String>
where
    T: Clone + std::ops::Add<Output = T> + std::ops::Mul<Output = T> + Zero + num_traits::One,
{
    let parts = text
        .split(':')
        .map(part)
        .collect::<Result<Vec<T>, String>>()?;
    let mut base = T::one();
    let mut value = T::zero();
    for digit in parts.into_iter().rev() {
        value = value + digit * base.clone();
        base = base * sixty.clone();
    }
    Ok(value)
}

/// Python's `int(text, base)`: surrounding blanks, a sign, the base's prefix, digits.
fn python_int(text: &str, base: u32) -> Result<BigInt, String> {
    let invalid = || format!("invalid literal for int() with base {base}: '{text}'");
    let (negative, rest) = split_sign(text.trim());
    let prefix = match base {
        2 => ["0b", "0B"],
        8 => ["0o", "0O"],
        16 => ["0x", "0X"],
        _ => ["", ""],
    };
    let digits = prefix
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| rest.strip_prefix(p))
        .unwrap_or(rest);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return Err(invalid());
    }
    if base == 10 && digits.len() > MAX_DECIMAL_DIGITS {
        return Err(format!(
            "Exceeds the limit ({MAX_DECIMAL_DIGITS} digits) for integer string conversion"
        ));
    }
    let value = BigInt::from_str_radix(digits, base).map_err(|_| invalid())?;
    Ok(if negative { -value } else { value })
}

/// Python's `float(text)`.
fn python_float(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    if !FLOAT.is_match(trimmed) {
        return Err(format!("could not convert string to float: '{text}'"));
    }
    trimmed
        .parse()
        .map_err(|_| format!("could not convert string to float: '{text}'"))
}

/// What `float()` reads (underscores are gone by then).
static FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf|infinity|nan)$")
        .expect("the float pattern is valid")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        for (text, expected) in [
            ("0755", 493),
            ("0x1F", 31),
            ("-0b11", -3),
            ("1:20", 80),
            ("190:20:30", 685230),
            ("1_000", 1000),
            ("-0", 0),
            ("0o17", 15),
            (" 12 ", 12),
        ] {
            assert_eq!(int(text), Ok(BigInt::from(expected)), "{text}");
        }
        assert!(int("0b_").is_err());
        assert!(int("abc").is_err());
        assert!(int("").is_err());
    }

    #[test]
    fn floats() {
        assert_eq!(float("1:30.5"), Ok(90.5));
        assert_eq!(float("-.INF"), Ok(f64::NEG_INFINITY));
        assert_eq!(float("1.e+5"), Ok(100000.0));
        assert_eq!(float("1_000.5"), Ok(1000.5));
        assert!(float(".NaN").is_ok_and(f64::is_nan));
        assert!(float("abc").is_err());
    }
}
