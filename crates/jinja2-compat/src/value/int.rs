//! Python's `int`: any size. Small values stay machine integers; arithmetic that overflows
//! moves to a big integer, and a big result that fits moves back.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

#[derive(Debug, Clone)]
pub enum Int {
    Small(i64),
    Big(Rc<BigInt>),
}

impl Int {
    pub fn from_big(big: BigInt) -> Int {
        match big.to_i64() {
            Some(small) => Int::Small(small),
            None => Int::Big(Rc::new(big)),
        }
    }

    pub fn to_big(&self) -> BigInt {
        match self {
            Int::Small(i) => BigInt::from(*i),
            Int::Big(b) => (**b).clone(),
        }
    }

    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Int::Small(i) => Some(*i),
            Int::Big(_) => None,
        }
    }

    /// The nearest float, or `None` when it is too large (Python's OverflowError).
    pub fn to_f64(&self) -> Option<f64> {
        match self {
            Int::Small(i) => Some(*i as f64),
            Int::Big(b) => b.to_f64().filter(|f| f.is_finite()),
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Int::Small(0))
    }

    pub fn is_negative(&self) -> bool {
        match self {
            Int::Small(i) => *i < 0,
            Int::Big(b) => b.is_negative(),
        }
    }

    /// The number of bits of the magnitude.
    pub fn bits(&self) -> u64 {
        match self {
            Int::Small(i) => 64 - i.unsigned_abs().leading_zeros() as u64,
            Int::Big(b) => b.bits(),
        }
    }

    fn binary(
        &self,
        other: &Int,
        small: fn(i64, i64) -> Option<i64>,
        big: fn(&BigInt, &BigInt) -> BigInt,
    ) -> Int {
        if let (Int::Small(a), Int::Small(b)) = (self, other)
            && let Some(r) = small(*a, *b)
        {
            return Int::Small(r);
        }
        Int::from_big(big(&self.to_big(), &other.to_big()))
    }

    pub fn add(&self, other: &Int) -> Int {
        self.binary(other, i64::checked_add, |a, b| a + b)
    }

    pub fn sub(&self, other: &Int) -> Int {
        self.binary(other, i64::checked_sub, |a, b| a - b)
    }

    pub fn mul(&self, other: &Int) -> Int {
        self.binary(other, i64::checked_mul, |a, b| a * b)
    }

    /// Floor division; `None` for a zero divisor.
    pub fn floor_div(&self, other: &Int) -> Option<Int> {
        if other.is_zero() {
            return None;
        }
        Some(self.binary(
            other,
            |a, b| a.checked_div_euclid(b).map(|_| Integer::div_floor(&a, &b)),
            |a, b| a.div_floor(b),
        ))
    }

    /// Modulo with the sign of the divisor; `None` for a zero divisor.
    pub fn modulo(&self, other: &Int) -> Option<Int> {
        if other.is_zero() {
            return None;
        }
        Some(self.binary(
            other,
            |a, b| a.checked_rem_euclid(b).map(|_| Integer::mod_floor(&a, &b)),
            |a, b| a.mod_floor(b),
        ))
    }

    pub fn neg(&self) -> Int {
        match self {
            Int::Small(i) => i
                .checked_neg()
                .map_or_else(|| Int::from_big(-BigInt::from(*i)), Int::Small),
            Int::Big(b) => Int::from_big(-(**b).clone()),
        }
    }

    pub fn abs(&self) -> Int {
        if self.is_negative() {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// `self ** exp` for a non-negative exponent.
    pub fn pow(&self, exp: u32) -> Int {
        if let Int::Small(base) = self
            && let Some(r) = base.checked_pow(exp)
        {
            return Int::Small(r);
        }
        Int::from_big(num_traits::pow(self.to_big(), exp as usize))
    }

    pub fn to_str_radix(&self, radix: u32) -> String {
        match self {
            Int::Small(i) if radix == 10 => i.to_string(),
            _ => self.to_big().to_str_radix(radix),
        }
    }

    /// The number of decimal digits, without the sign.
    pub fn decimal_digits(&self) -> usize {
        match self {
            Int::Small(i) => i.unsigned_abs().to_string().len(),
            // log10(2) ≈ 0.30103: exact enough to compare with a limit of thousands.
            Int::Big(b) => (b.bits() as f64 * std::f64::consts::LOG10_2) as usize + 1,
        }
    }
}

impl From<i64> for Int {
    fn from(i: i64) -> Int {
        Int::Small(i)
    }
}

impl PartialEq for Int {
    fn eq(&self, other: &Int) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Int {}

impl PartialOrd for Int {
    fn partial_cmp(&self, other: &Int) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Int {
    fn cmp(&self, other: &Int) -> Ordering {
        match (self, other) {
            (Int::Small(a), Int::Small(b)) => a.cmp(b),
            _ => self.to_big().cmp(&other.to_big()),
        }
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Int::Small(i) => write!(f, "{i}"),
            Int::Big(b) => write!(f, "{b}"),
        }
    }
}

/// Compares an integer with a float exactly, as Python does.
pub fn cmp_int_float(int: &Int, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    if float.is_infinite() {
        return Some(if float > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let floor = float.floor();
    let whole = BigInt::from_f64_exact(floor);
    match int.to_big().cmp(&whole) {
        Ordering::Equal if float > floor => Some(Ordering::Less),
        order => Some(order),
    }
}

trait FromF64Exact {
    fn from_f64_exact(f: f64) -> BigInt;
}

impl FromF64Exact for BigInt {
    fn from_f64_exact(f: f64) -> BigInt {
        num_traits::FromPrimitive::from_f64(f).unwrap_or_else(BigInt::zero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_moves_to_big_and_back() {
        let max = Int::Small(i64::MAX);
        let big = max.add(&Int::Small(1));
        assert!(matches!(big, Int::Big(_)));
        assert_eq!(big.to_string(), "9223372036854775808");
        assert!(matches!(big.sub(&Int::Small(1)), Int::Small(i64::MAX)));
    }

    #[test]
    fn floor_semantics() {
        let q = |a: i64, b: i64| Int::Small(a).floor_div(&Int::Small(b)).unwrap().to_string();
        let r = |a: i64, b: i64| Int::Small(a).modulo(&Int::Small(b)).unwrap().to_string();
        assert_eq!((q(-7, 2), r(-7, 2)), ("-4".into(), "1".into()));
        assert_eq!((q(7, -2), r(7, -2)), ("-4".into(), "-1".into()));
        assert_eq!(q(i64::MIN, -1), "9223372036854775808");
        assert!(Int::Small(1).floor_div(&Int::Small(0)).is_none());
    }

    #[test]
    fn powers() {
        assert_eq!(
            Int::Small(2).pow(100).to_string(),
            "1267650600228229401496703205376"
        );
        assert_eq!(Int::Small(-3).pow(3).to_string(), "-27");
    }

    #[test]
    fn int_float_comparison() {
        assert_eq!(cmp_int_float(&Int::Small(2), 2.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(&Int::Small(3), 2.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(&Int::Small(2), 2.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(&Int::Small(-3), -2.5), Some(Ordering::Less));
    }
}
