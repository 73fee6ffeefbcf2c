//! Python's operators on template values: arithmetic with integers of any size, `str` and
//! `list` concatenation and repetition, `%` formatting, comparisons and `in`.

use std::cmp::Ordering;

use super::ast::{BinOp, CmpOp};
use super::error::{Error, ErrorKind};
use super::escape;
use super::format::printf;
use super::limits;
use super::value::{Int, Value, cmp_int_float, iterate};

type Result<T> = std::result::Result<T, Error>;

pub fn binary(op: BinOp, left: &Value, right: &Value) -> Result<Value> {
    left.check()?;
    right.check()?;
    limits::charge_scan([left, right])?;
    if let (Some(a), Some(b)) = (left.as_int(), right.as_int()) {
        return int_op(op, &a, &b, left, right);
    }
    if left.is_number() && right.is_number() {
        return number_op(op, left, right);
    }
    match op {
        BinOp::Add => add(left, right),
        BinOp::Mul => multiply(left, right),
        BinOp::Mod if left.is_string() => printf::format(left, right),
        _ => Err(unsupported(op, left, right)),
    }
}

fn unsupported(op: BinOp, left: &Value, right: &Value) -> Error {
    Error::type_error(format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        op.symbol(),
        left.type_name(),
        right.type_name()
    ))
}

fn int_op(op: BinOp, a: &Int, b: &Int, left: &Value, right: &Value) -> Result<Value> {
    charge_big(a.bits() + b.bits())?;
    let int = match op {
        BinOp::Add => a.add(b),
        BinOp::Sub => a.sub(b),
        BinOp::Mul => {
            check_bits(a.bits() + b.bits())?;
            a.mul(b)
        }
        BinOp::FloorDiv => a
            .floor_div(b)
            .ok_or_else(|| zero_division("integer division or modulo by zero"))?,
        BinOp::Mod => a
            .modulo(b)
            .ok_or_else(|| zero_division("integer modulo by zero"))?,
        BinOp::Div | BinOp::Pow => return number_op(op, left, right),
    };
    Ok(Value::Int(int))
}

/// Integers of more bits than the limit (by default about 300,000 digits) are refused rather
/// than computed (Python would spend minutes and gigabytes on `2 ** 2 ** 40`).
fn check_bits(bits: u64) -> Result<()> {
    if bits > limits::get().max_int_bits {
        return Err(Error::memory("the integer"));
    }
    Ok(())
}

/// Counts the work of an operation on integers of `bits` bits in all, past those of a
/// machine word: a product or quotient of 13,000 bits costs about 800 steps.
fn charge_big(bits: u64) -> Result<()> {
    if bits > 128 {
        limits::charge_work(bits / 16)?;
    }
    Ok(())
}

fn zero_division(message: &str) -> Error {
    Error::new(ErrorKind::ZeroDivision, message)
}

fn float_of(value: &Value) -> Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| Error::new(ErrorKind::Overflow, "int too large to convert to float"))
}

fn number_op(op: BinOp, left: &Value, right: &Value) -> Result<Value> {
    if op == BinOp::Pow {
        return power(left, right);
    }
    if op == BinOp::Div {
        return true_division(left, right);
    }
    let (a, b) = (float_of(left)?, float_of(right)?);
    let result = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::FloorDiv if b == 0.0 => return Err(zero_division("float floor division by zero")),
        BinOp::FloorDiv => float_floor_div(a, b),
        BinOp::Mod if b == 0.0 => return Err(zero_division("float modulo")),
        BinOp::Mod => float_mod(a, b),
        BinOp::Div | BinOp::Pow => 0.0,
    };
    Ok(Value::Float(result))
}

/// Python's float modulo: the result has the sign of the divisor.
fn float_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && (m < 0.0) != (b < 0.0) {
        m + b
    } else if m == 0.0 {
        0.0_f64.copysign(b)
    } else {
        m
    }
}

fn float_floor_div(a: f64, b: f64) -> f64 {
    ((a - float_mod(a, b)) / b).round()
}

fn true_division(left: &Value, right: &Value) -> Result<Value> {
    if let (Some(a), Some(b)) = (left.as_int(), right.as_int()) {
        if b.is_zero() {
            return Err(zero_division("division by zero"));
        }
        if let (Some(x), Some(y)) = (a.to_i64(), b.to_i64())
            && x.unsigned_abs() < (1 << 53)
            && y.unsigned_abs() < (1 << 53)
        {
            return Ok(Value::Float(x as f64 / y as f64));
        }
        return big_division(&a, &b);
    }
    let (a, b) = (float_of(left)?, float_of(right)?);
    if b == 0.0 {
        return Err(zero_division("float division by zero"));
    }
    Ok(Value::Float(a / b))
}

/// `a / b` of large integers: the whole part, then the fraction.
fn big_division(a: &Int, b: &Int) -> Result<Value> {
    use num_integer::Integer;
    use num_traits::ToPrimitive;
    let (whole, rest) = a.to_big().div_rem(&b.to_big());
    let fraction = match (rest.to_f64(), b.to_big().to_f64()) {
        (Some(r), Some(d)) if d.is_finite() => r / d,
        _ => 0.0,
    };
    whole
        .to_f64()
        .map(|w| w + fraction)
        .filter(|f| f.is_finite())
        .map(Value::Float)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Overflow,
                "integer division result too large for a float",
            )
        })
}

fn power(left: &Value, right: &Value) -> Result<Value> {
    if let (Some(base), Some(exp)) = (left.as_int(), right.as_int()) {
        if !exp.is_negative() {
            return int_power(&base, &exp);
        }
        if base.is_zero() {
            return Err(zero_division("0.0 cannot be raised to a negative power"));
        }
    }
    let (a, b) = (float_of(left)?, float_of(right)?);
    if a == 0.0 && b < 0.0 {
        return Err(zero_division("0.0 cannot be raised to a negative power"));
    }
    let result = a.powf(b);
    if result.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(Error::new(
            ErrorKind::Overflow,
            "(34, 'Numerical result out of range')",
        ));
    }
    if result.is_nan() && !a.is_nan() && !b.is_nan() {
        return Err(Error::value_error(
            "math domain error (a negative number to a fractional power)",
        ));
    }
    Ok(Value::Float(result))
}

/// `base ** exp` for a non-negative exponent; 0, 1 and -1 to any power are cheap.
fn int_power(base: &Int, exp: &Int) -> Result<Value> {
    if base.bits() <= 1 {
        let odd = exp.modulo(&Int::Small(2)).is_some_and(|r| !r.is_zero());
        let result = match base.to_i64() {
            Some(0) if exp.is_zero() => 1,
            Some(-1) if odd => -1,
            Some(b) if b != 0 => 1,
            _ => 0,
        };
        return Ok(Value::int(result));
    }
    let exp = exp.to_i64().and_then(|e| u32::try_from(e).ok());
    match exp {
        Some(exp) if base.bits().saturating_mul(u64::from(exp)) <= limits::get().max_int_bits => {
            charge_big(base.bits().saturating_mul(u64::from(exp)))?;
            Ok(Value::Int(base.pow(exp)))
        }
        _ => Err(Error::memory("the integer")),
    }
}

fn add(left: &Value, right: &Value) -> Result<Value> {
    match (left, right) {
        (Value::Str(a), Value::Str(b)) => {
            limits::charge_text(a.len() + b.len(), "the joined text")?;
            Ok(Value::from(format!("{a}{b}")))
        }
        (Value::Markup(_), _) | (_, Value::Markup(_)) if left.is_string() && right.is_string() => {
            let text = format!("{}{}", escape::escape(left)?, escape::escape(right)?);
            limits::charge_text(text.len(), "the joined text")?;
            Ok(Value::Markup(text.into()))
        }
        (Value::List(a), Value::List(b)) => {
            let items: Vec<Value> = a
                .borrow()
                .iter()
                .chain(b.borrow().iter())
                .cloned()
                .collect();
            limits::check_items(items.len(), "the list")?;
            Ok(Value::list(items))
        }
        (Value::Tuple(a), Value::Tuple(b)) => {
            Ok(Value::tuple(a.iter().chain(b.iter()).cloned().collect()))
        }
        (Value::Str(_) | Value::Markup(_), other) => Err(Error::type_error(format!(
            "can only concatenate str (not \"{}\") to str",
            other.type_name()
        ))),
        (Value::List(_), other) => Err(Error::type_error(format!(
            "can only concatenate list (not \"{}\") to list",
            other.type_name()
        ))),
        (Value::Tuple(_), other) => Err(Error::type_error(format!(
            "can only concatenate tuple (not \"{}\") to tuple",
            other.type_name()
        ))),
        _ => Err(unsupported(BinOp::Add, left, right)),
    }
}

/// `sequence * n` (or `n * sequence`): the sequence repeated.
fn multiply(left: &Value, right: &Value) -> Result<Value> {
    let (sequence, count) = match (left.as_int(), right.as_int()) {
        (None, Some(n)) => (left, n),
        (Some(n), None) => (right, n),
        _ => return Err(unsupported(BinOp::Mul, left, right)),
    };
    let count = match count.to_i64() {
        None => {
            return Err(Error::new(
                ErrorKind::Overflow,
                "cannot fit 'int' into an index-sized integer",
            ));
        }
        Some(n) => usize::try_from(n).unwrap_or(0),
    };
    match sequence {
        Value::Str(s) | Value::Markup(s) => {
            let len = s.len().saturating_mul(count);
            limits::charge_text(len, "the repeated string")?;
            let text: std::rc::Rc<str> = s.repeat(count).into();
            Ok(if matches!(sequence, Value::Markup(_)) {
                Value::Markup(text)
            } else {
                Value::Str(text)
            })
        }
        Value::List(_) | Value::Tuple(_) => {
            let items = iterate(sequence)?;
            limits::check_items(items.len().saturating_mul(count), "the repeated list")?;
            // An empty sequence repeated any number of times is empty: no count to walk.
            let count = if items.is_empty() { 0 } else { count };
            let repeated: Vec<Value> = (0..count).flat_map(|_| items.iter().cloned()).collect();
            Ok(if matches!(sequence, Value::List(_)) {
                Value::list(repeated)
            } else {
                Value::tuple(repeated)
            })
        }
        _ => Err(Error::type_error(format!(
            "can't multiply sequence by non-int of type '{}'",
            sequence.type_name()
        ))),
    }
}

pub fn neg(value: &Value) -> Result<Value> {
    value.check()?;
    match value {
        Value::Float(f) => Ok(Value::Float(-f)),
        other => other
            .as_int()
            .map(|i| Value::Int(i.neg()))
            .ok_or_else(|| bad_unary("-", other)),
    }
}

pub fn pos(value: &Value) -> Result<Value> {
    value.check()?;
    match value {
        Value::Float(f) => Ok(Value::Float(*f)),
        other => other
            .as_int()
            .map(Value::Int)
            .ok_or_else(|| bad_unary("+", other)),
    }
}

fn bad_unary(op: &str, value: &Value) -> Error {
    Error::type_error(format!(
        "bad operand type for unary {op}: '{}'",
        value.type_name()
    ))
}

pub fn compare(op: CmpOp, left: &Value, right: &Value) -> Result<bool> {
    limits::charge_scan([left, right])?;
    match op {
        CmpOp::Eq => equal(left, right),
        CmpOp::Ne => equal(left, right).map(|eq| !eq),
        CmpOp::In => contains(right, left),
        CmpOp::NotIn => contains(right, left).map(|found| !found),
        CmpOp::Lt => order(op, left, right).map(Ordering::is_lt),
        CmpOp::Lte => order(op, left, right).map(Ordering::is_le),
        CmpOp::Gt => order(op, left, right).map(Ordering::is_gt),
        CmpOp::Gte => order(op, left, right).map(Ordering::is_ge),
    }
}

/// Python's `==`.
pub fn equal(left: &Value, right: &Value) -> Result<bool> {
    limits::nested(|| equal_one(left, right))
}

fn equal_one(left: &Value, right: &Value) -> Result<bool> {
    Ok(match (left, right) {
        (Value::Undefined(a), Value::Undefined(b)) => {
            a.check()?;
            b.check()?;
            a.strict == b.strict
        }
        (Value::Undefined(u), _) | (_, Value::Undefined(u)) => {
            u.check()?;
            false
        }
        (Value::None, Value::None) => true,
        (a, b) if a.is_number() && b.is_number() => number_order(a, b) == Some(Ordering::Equal),
        (a, b) if a.is_string() && b.is_string() => a.as_str() == b.as_str(),
        (Value::List(a), Value::List(b)) => all_equal(&a.borrow(), &b.borrow())?,
        (Value::Tuple(a), Value::Tuple(b)) => all_equal(a, b)?,
        (Value::Range(a), Value::Range(b)) => {
            a.len() == b.len()
                && (a.len() == 0 || (a.start == b.start && (a.len() == 1 || a.step == b.step)))
        }
        (Value::Dict(a), Value::Dict(b)) => dicts_equal(&a.borrow(), &b.borrow())?,
        (Value::Object(a), Value::Object(b)) => match (a.value_key(), b.value_key()) {
            (Some(x), Some(y)) => x == y,
            _ => std::rc::Rc::ptr_eq(a, b),
        },
        (Value::Lazy(a), Value::Lazy(b)) => std::rc::Rc::ptr_eq(a, b),
        _ => false,
    })
}

fn all_equal(a: &[Value], b: &[Value]) -> Result<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for (x, y) in a.iter().zip(b) {
        if !equal(x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn dicts_equal(a: &super::value::Dict, b: &super::value::Dict) -> Result<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for (key, value) in a.iter() {
        match b.get(key)? {
            Some(other) if equal(value, other)? => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

fn number_order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a.as_int(), b.as_int()) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        (Some(x), None) => cmp_int_float(&x, b.as_f64()?),
        (None, Some(y)) => cmp_int_float(&y, a.as_f64()?).map(Ordering::reverse),
        (None, None) => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// Python's ordering (`<`), which only some pairs of types have.
pub fn order(op: CmpOp, left: &Value, right: &Value) -> Result<Ordering> {
    left.check()?;
    right.check()?;
    let refuse = || {
        Error::type_error(format!(
            "'{}' not supported between instances of '{}' and '{}'",
            op.symbol(),
            left.type_name(),
            right.type_name()
        ))
    };
    match (left, right) {
        (a, b) if a.is_number() && b.is_number() => {
            // NaN compares false every way: an ordering that makes `<` and `>` false.
            Ok(number_order(a, b).unwrap_or(Ordering::Equal))
        }
        (a, b) if a.is_string() && b.is_string() => Ok(a.as_str().cmp(&b.as_str())),
        (Value::List(a), Value::List(b)) => sequence_order(op, &a.borrow(), &b.borrow()),
        (Value::Tuple(a), Value::Tuple(b)) => sequence_order(op, a, b),
        (Value::Object(a), Value::Object(b)) => match (a.value_key(), b.value_key()) {
            (Some((x, a)), Some((y, b))) if x == y => Ok(a.cmp(&b)),
            _ => Err(refuse()),
        },
        _ => Err(refuse()),
    }
}

fn sequence_order(op: CmpOp, a: &[Value], b: &[Value]) -> Result<Ordering> {
    for (x, y) in a.iter().zip(b) {
        if !equal(x, y)? {
            return limits::nested(|| order(op, x, y));
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// Python's `needle in haystack`.
pub fn contains(haystack: &Value, needle: &Value) -> Result<bool> {
    match haystack {
        Value::Str(h) | Value::Markup(h) => match needle.as_str() {
            Some(n) => Ok(h.contains(n)),
            None => Err(Error::type_error(format!(
                "'in <string>' requires string as left operand, not {}",
                needle.type_name()
            ))),
        },
        Value::Dict(d) | Value::View(super::value::View::Keys, d) => d.borrow().contains(needle),
        Value::Range(r) => Ok(needle
            .as_int()
            .and_then(|i| i.to_i64())
            .is_some_and(|i| r.contains(i))
            || matches!(needle, Value::Float(f) if f.fract() == 0.0 && r.contains(*f as i64))),
        Value::Undefined(u) => {
            u.check()?;
            Ok(false)
        }
        Value::Object(o) if o.items().is_some() => {
            for item in iterate(haystack)? {
                if equal(&item, needle)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::List(_) | Value::Tuple(_) | Value::View(..) | Value::Lazy(_) => {
            for item in iterate(haystack)? {
                if equal(&item, needle)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => Err(Error::type_error(format!(
            "argument of type '{}' is not iterable",
            other.type_name()
        ))),
    }
}
