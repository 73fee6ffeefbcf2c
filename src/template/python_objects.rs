//! The Python objects of the configuration that minijinja has no value for: dates,
//! datetimes, bytes, integers beyond 128 bits, sets, and the tuples of `!!omap`/`!!pairs`.
//! Each prints as Python prints it: `str()` where a template outputs it, `repr()` inside a
//! list or dict.

use std::cmp::Ordering;
use std::fmt::{self, Write};
use std::sync::Arc;

use chrono::{Datelike, Timelike};
use minijinja::value::{DynObject, Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};
use num_bigint::BigInt;

use super::python;
use crate::yaml::{self, Date, DateTime};

/// A scalar of the configuration that minijinja has no type for.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Date(Date),
    DateTime(DateTime),
    Bytes(Vec<u8>),
    BigInt(BigInt),
}

/// A set: its members in the order the file gave them (Python's order follows hashes).
#[derive(Debug)]
pub struct Set(pub Vec<Value>);

/// A tuple, as `!!omap` and `!!pairs` give them.
#[derive(Debug)]
pub struct Tuple(pub Vec<Value>);

/// `str(value)` for the objects of this module.
pub fn str(value: &Value) -> Option<String> {
    match value.downcast_object_ref::<Scalar>()? {
        Scalar::Date(date) => Some(date.to_string()),
        Scalar::DateTime(datetime) => Some(datetime.to_string()),
        _ => repr(value),
    }
}

/// `repr(value)` for the objects of this module.
pub fn repr(value: &Value) -> Option<String> {
    if let Some(scalar) = value.downcast_object_ref::<Scalar>() {
        return Some(scalar.repr());
    }
    if let Some(Set(members)) = value.downcast_object_ref::<Set>() {
        if members.is_empty() {
            return Some("set()".into());
        }
        return Some(format!("{{{}}}", join_reprs(members)));
    }
    let Tuple(items) = value.downcast_object_ref::<Tuple>()?;
    let comma = if items.len() == 1 { "," } else { "" };
    Some(format!("({}{comma})", join_reprs(items)))
}

fn join_reprs(values: &[Value]) -> String {
    values
        .iter()
        .map(python::repr)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Scalar {
    pub fn to_yaml(&self) -> yaml::Value {
        match self {
            Scalar::Date(d) => yaml::Value::Date(*d),
            Scalar::DateTime(t) => yaml::Value::DateTime(*t),
            Scalar::Bytes(b) => yaml::Value::Bytes(b.clone()),
            Scalar::BigInt(i) => yaml::Value::Int(i.clone()),
        }
    }

    fn repr(&self) -> String {
        match self {
            Scalar::Date(d) => format!("datetime.date({}, {}, {})", d.year(), d.month(), d.day()),
            Scalar::DateTime(t) => datetime_repr(t),
            Scalar::Bytes(bytes) => bytes_repr(bytes),
            Scalar::BigInt(i) => i.to_string(),
        }
    }
}

/// `datetime.datetime(2001, 12, 14, 21, 59, 43, 100000, tzinfo=…)`: seconds and microseconds
/// only when not zero.
fn datetime_repr(t: &DateTime) -> String {
    let (date, time) = (t.local.date(), t.local.time());
    let micro = time.nanosecond() / 1000;
    let mut fields = vec![date.year(), date.month() as i32, date.day() as i32];
    fields.extend([time.hour() as i32, time.minute() as i32]);
    if time.second() != 0 || micro != 0 {
        fields.push(time.second() as i32);
    }
    if micro != 0 {
        fields.push(micro as i32);
    }
    let mut out = format!(
        "datetime.datetime({}",
        fields
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(offset) = t.offset {
        out.push_str(", tzinfo=");
        out.push_str(&timezone_repr(offset.local_minus_utc()));
    }
    out.push(')');
    out
}

/// `datetime.timezone.utc`, or `datetime.timezone(datetime.timedelta(days=-1, seconds=68400))`
/// (a timedelta keeps its seconds positive and carries the sign in its days).
fn timezone_repr(seconds: i32) -> String {
    if seconds == 0 {
        return "datetime.timezone.utc".into();
    }
    let days = seconds.div_euclid(86_400);
    let seconds = seconds.rem_euclid(86_400);
    let mut fields = Vec::new();
    if days != 0 {
        fields.push(format!("days={days}"));
    }
    if seconds != 0 {
        fields.push(format!("seconds={seconds}"));
    }
    format!(
        "datetime.timezone(datetime.timedelta({}))",
        fields.join(", ")
    )
}

/// `b'…'`: printable ASCII as is, `\t \n \r \\` and the quote escaped, other bytes as `\xNN`.
fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..0x7f => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push(quote);
    out
}

impl Object for Scalar {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    /// The attributes of `datetime.date` and `datetime.datetime`.
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (date, time) = match &**self {
            Scalar::Date(date) => (*date, None),
            Scalar::DateTime(t) => (t.local.date(), Some(t.local.time())),
            _ => return None,
        };
        let value = match (key.as_str()?, time) {
            ("year", _) => date.year() as u32,
            ("month", _) => date.month(),
            ("day", _) => date.day(),
            ("hour", Some(time)) => time.hour(),
            ("minute", Some(time)) => time.minute(),
            ("second", Some(time)) => time.second(),
            ("microsecond", Some(time)) => time.nanosecond() / 1000,
            _ => return None,
        };
        Some(Value::from(value))
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !matches!(&**self, Scalar::Bytes(bytes) if bytes.is_empty())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (&**self, method, args) {
            (Scalar::Date(date), "isoformat", []) => Ok(Value::from(date.to_string())),
            (Scalar::DateTime(t), "isoformat", []) => {
                Ok(Value::from(t.to_string().replacen(' ', "T", 1)))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        match (&**self, other.downcast_ref::<Self>()?) {
            (Scalar::Date(a), Scalar::Date(b)) => Some(a.cmp(b)),
            (Scalar::DateTime(a), Scalar::DateTime(b)) => {
                let (a, b) = (a.comparable(), b.comparable());
                (a.0 == b.0).then(|| a.1.cmp(&b.1))
            }
            (Scalar::Bytes(a), Scalar::Bytes(b)) => Some(a.cmp(b)),
            (Scalar::BigInt(a), Scalar::BigInt(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &**self {
            Scalar::Date(date) => write!(f, "{date}"),
            Scalar::DateTime(datetime) => write!(f, "{datetime}"),
            scalar => f.write_str(&scalar.repr()),
        }
    }
}

impl Object for Set {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.clone())
    }
}

impl Object for Tuple {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_usize()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::template::{context, python};
    use crate::yaml;

    fn value(text: &str) -> minijinja::Value {
        context::from_yaml(&yaml::load(text.as_bytes()).unwrap())
    }

    #[test]
    fn dates_print_as_python_str_alone_and_repr_inside() {
        assert_eq!(python::str(&value("2024-01-01")), "2024-01-01");
        assert_eq!(
            python::str(&value("[2024-01-01]")),
            "[datetime.date(2024, 1, 1)]"
        );
        assert_eq!(
            python::str(&value("2001-12-14 21:59:43.10 -5")),
            "2001-12-14 21:59:43.100000-05:00"
        );
        assert_eq!(
            python::str(&value("[2024-01-01T12:00:00+05:30]")),
            "[datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone(\
             datetime.timedelta(seconds=19800)))]"
        );
    }

    #[test]
    fn other_python_objects() {
        assert_eq!(python::str(&value("!!binary aGk=")), "b'hi'");
        assert_eq!(python::str(&value("!!set {a, 1}")), "{'a', 1}");
        assert_eq!(python::str(&value("!!set {}")), "set()");
        assert_eq!(python::str(&value("!!omap [a: 1]")), "[('a', 1)]");
        let big = "1".repeat(45);
        assert_eq!(python::str(&value(&big)), big);
        assert_eq!(
            python::str(&value("{1: a, ~: b, off: c, yes: d}")),
            "{1: 'd', None: 'b', False: 'c'}"
        );
    }
}
