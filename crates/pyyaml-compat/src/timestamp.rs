//! `!!timestamp`: a date, or a date and time with an optional time zone, as PyYAML builds
//! `datetime.date` and `datetime.datetime` objects (and with the range checks Python makes).

use std::fmt;
use std::sync::LazyLock;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use regex::Regex;

use super::value::Value;

/// `datetime.date`.
pub type Date = NaiveDate;

/// `datetime.datetime`: naive, or aware with a fixed offset (`Z` and `+00:00` are UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// The date and time as written.
    pub local: NaiveDateTime,
    /// The offset from UTC, when one is written.
    pub offset: Option<FixedOffset>,
}

impl DateTime {
    /// What Python compares: the instant of an aware datetime, the fields of a naive one
    /// (and an aware one never equals a naive one).
    pub fn comparable(&self) -> (bool, NaiveDateTime) {
        match self.offset {
            Some(offset) => (true, self.local - offset),
            None => (false, self.local),
        }
    }
}

/// Python's `str()`: `2001-12-14 21:59:43.100000-05:00`, the fraction only when not zero.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local.format("%Y-%m-%d %H:%M:%S"))?;
        let micro = self.local.nanosecond() / 1000;
        if micro != 0 {
            write!(f, ".{micro:06}")?;
        }
        if let Some(offset) = self.offset {
            let seconds = offset.local_minus_utc();
            let sign = if seconds < 0 { '-' } else { '+' };
            let seconds = seconds.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)?;
        }
        Ok(())
    }
}

/// The date or datetime that `text` (which matched the timestamp resolver, or carries an
/// explicit `!!timestamp`) stands for; `Err` holds the message Python would raise.
pub fn parse(text: &str) -> Result<Value, String> {
    let Some(c) = TIMESTAMP.captures(text) else {
        return Err(format!("`{text}` is not a timestamp"));
    };
    let number = |name: &str| {
        c.name(name)
            .map_or(0, |m| m.as_str().parse::<u32>().unwrap_or(0))
    };
    let date = date(number("year"), number("month"), number("day"))?;
    if c.name("hour").is_none() {
        return Ok(Value::Date(date));
    }
    let micro = c.name("fraction").map_or(0, |m| microseconds(m.as_str()));
    let time = time(number("hour"), number("minute"), number("second"), micro)?;
    let offset = match (c.name("tz_sign"), c.name("tz")) {
        (Some(sign), _) => {
            let seconds = (number("tz_hour") * 60 + number("tz_minute")) * 60;
            let seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
            Some(offset(if sign.as_str() == "-" {
                -seconds
            } else {
                seconds
            })?)
        }
        (None, Some(_)) => Some(FixedOffset::east_opt(0).expect("UTC is a valid offset")),
        (None, None) => None,
    };
    Ok(Value::DateTime(DateTime {
        local: date.and_time(time),
        offset,
    }))
}

/// SafeConstructor's `timestamp_regexp`.
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?P<year>[0-9][0-9][0-9][0-9])
            -(?P<month>[0-9][0-9]?)
            -(?P<day>[0-9][0-9]?)
            (?:(?:[Tt]|[\ \t]+)
            (?P<hour>[0-9][0-9]?)
            :(?P<minute>[0-9][0-9])
            :(?P<second>[0-9][0-9])
            (?:\.(?P<fraction>[0-9]*))?
            (?:[\ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)
            (?::(?P<tz_minute>[0-9][0-9]))?))?)?\n?\z",
    )
    .expect("the timestamp pattern is valid")
});

/// The first six digits of a fraction, padded with zeros: microseconds.
fn microseconds(fraction: &str) -> u32 {
    let digits: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    digits.parse().unwrap_or(0)
}

fn date(year: u32, month: u32, day: u32) -> Result<Date, String> {
    if year == 0 {
        return Err(format!("year {year} is out of range"));
    }
    if !(1..=12).contains(&month) {
        return Err("month must be in 1..12".into());
    }
    let year = i32::try_from(year).map_err(|_| format!("year {year} is out of range"))?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| "day is out of range for month".into())
}

fn time(hour: u32, minute: u32, second: u32, micro: u32) -> Result<NaiveTime, String> {
    for (name, value) in [("hour", hour), ("minute", minute), ("second", second)] {
        let max = if name == "hour" { 23 } else { 59 };
        if value > max {
            return Err(format!("{name} must be in 0..{max}"));
        }
    }
    NaiveTime::from_hms_micro_opt(hour, minute, second, micro)
        .ok_or_else(|| "microsecond must be in 0..999999".into())
}

/// `datetime.timezone(timedelta(seconds=…))`, which takes offsets strictly within a day.
fn offset(seconds: i32) -> Result<FixedOffset, String> {
    FixedOffset::east_opt(seconds).ok_or_else(|| {
        "offset must be a timedelta strictly between -timedelta(hours=24) and \
         timedelta(hours=24)"
            .into()
    })
}
