//! Image sizes as buildah and docker print them: `1.99 MB`, `2MB`, `512kB` (decimal units,
//! three significant digits), into bytes and back.

/// The units, each 1000 times the one before.
const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];

/// The number of bytes `text` stands for, as near as its rounding allows.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let unit = unit.trim();
    let power = match unit {
        "" => 0,
        _ => UNITS.iter().position(|u| u.eq_ignore_ascii_case(unit))?,
    };
    let factor = 1000f64.powi(power as i32);
    Some((number * factor).round() as u64)
}

/// Bytes in decimal units with three significant digits, as buildah prints sizes.
pub fn format_size(bytes: u64) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = if unit == 0 || value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_size("1.99 MB"), Some(1_990_000));
        assert_eq!(parse_size("2MB"), Some(2_000_000));
        assert_eq!(parse_size("512kB"), Some(512_000));
        assert_eq!(parse_size("0 B"), Some(0));
        assert_eq!(parse_size("1.2 GB"), Some(1_200_000_000));
        assert_eq!(parse_size("many"), None);
        assert_eq!(parse_size("3 XB"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(1_990_000), "1.99 MB");
        assert_eq!(format_size(3_980_000), "3.98 MB");
        assert_eq!(format_size(25_400), "25.4 kB");
        assert_eq!(format_size(512_000_000), "512 MB");
    }
}
