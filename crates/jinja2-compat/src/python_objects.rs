//! The Python objects of the configuration that are not plain data: `datetime.date`,
//! `datetime.datetime`, `bytes` (from `!!binary`) and `set` (from `!!set`), printed, compared
//! and hashed as Python does.

use std::fmt::Write;

use chrono::{Datelike, Timelike};

use super::eval::Interp;
use super::python;
use super::value::{Args, Object, Value};
use crate::error::Error;
use pyyaml_compat::{Date, DateTime};

/// `datetime.date`.
pub struct PyDate(pub Date);

/// `datetime.datetime`.
pub struct PyDateTime(pub DateTime);

/// `bytes`.
pub struct PyBytes(pub Vec<u8>);

/// A set: its members in the order the file gave them (Python's order follows hashes).
pub struct PySet(pub Vec<Value>);

impl Object for PyDate {
    fn type_name(&self) -> String {
        "date".into()
    }

    fn qualified_type_name(&self) -> String {
        "datetime.date".into()
    }

    fn repr(&self) -> String {
        let d = self.0;
        format!("datetime.date({}, {}, {})", d.year(), d.month(), d.day())
    }

    fn to_str(&self) -> String {
        self.0.to_string()
    }

    fn attr(&self, name: &str) -> Option<Value> {
        date_attr(self.0, name).or_else(|| isoformat(name, self.0.to_string()))
    }

    fn value_key(&self) -> Option<(&'static str, Vec<u8>)> {
        Some(("date", self.0.to_string().into_bytes()))
    }
}

fn date_attr(date: Date, name: &str) -> Option<Value> {
    let value = match name {
        "year" => date.year() as i64,
        "month" => i64::from(date.month()),
        "day" => i64::from(date.day()),
        _ => return None,
    };
    Some(Value::int(value))
}

/// `value.isoformat` as a method to call.
fn isoformat(name: &str, text: String) -> Option<Value> {
    (name == "isoformat").then(|| Value::object(IsoFormat(text)))
}

impl Object for PyDateTime {
    fn type_name(&self) -> String {
        "datetime".into()
    }

    fn qualified_type_name(&self) -> String {
        "datetime.datetime".into()
    }

    fn repr(&self) -> String {
        datetime_repr(&self.0)
    }

    fn to_str(&self) -> String {
        self.0.to_string()
    }

    fn attr(&self, name: &str) -> Option<Value> {
        let time = self.0.local.time();
        let value = match name {
            "hour" => time.hour(),
            "minute" => time.minute(),
            "second" => time.second(),
            "microsecond" => time.nanosecond() / 1000,
            _ => {
                let iso = self.0.to_string().replacen(' ', "T", 1);
                return date_attr(self.0.local.date(), name).or_else(|| isoformat(name, iso));
            }
        };
        Some(Value::int(i64::from(value)))
    }

    /// Aware and naive datetimes are of different kinds: never equal, not ordered.
    fn value_key(&self) -> Option<(&'static str, Vec<u8>)> {
        let (aware, instant) = self.0.comparable();
        let kind = if aware {
            "aware datetime"
        } else {
            "naive datetime"
        };
        let text = instant.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        Some((kind, text.into_bytes()))
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
    let fields: Vec<String> = fields.iter().map(i32::to_string).collect();
    let mut out = format!("datetime.datetime({}", fields.join(", "));
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

impl Object for PyBytes {
    fn type_name(&self) -> String {
        "bytes".into()
    }

    /// `b'…'`: printable ASCII as is, `\t \n \r \\` and the quote escaped, other bytes as
    /// `\xNN`.
    fn repr(&self) -> String {
        let bytes = &self.0;
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

    fn items(&self) -> Option<Vec<Value>> {
        Some(self.0.iter().map(|b| Value::int(i64::from(*b))).collect())
    }

    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }

    fn value_key(&self) -> Option<(&'static str, Vec<u8>)> {
        Some(("bytes", self.0.clone()))
    }
}

impl Object for PySet {
    fn type_name(&self) -> String {
        "set".into()
    }

    fn repr(&self) -> String {
        if self.0.is_empty() {
            return "set()".into();
        }
        let members: Vec<String> = self
            .0
            .iter()
            .map(|m| python::repr(m).unwrap_or_default())
            .collect();
        format!("{{{}}}", members.join(", "))
    }

    fn items(&self) -> Option<Vec<Value>> {
        Some(self.0.clone())
    }

    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }
}

/// `date.isoformat` (and a datetime's), to call.
struct IsoFormat(String);

impl Object for IsoFormat {
    fn type_name(&self) -> String {
        "builtin_function_or_method".into()
    }

    fn repr(&self) -> String {
        "<built-in method isoformat>".into()
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, _interp: &mut Interp, args: Args) -> Result<Value, Error> {
        args.bind_positional("isoformat", 0, 0)?;
        Ok(Value::from(self.0.as_str()))
    }
}
