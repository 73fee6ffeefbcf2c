//! The text of a YAML file, decoded and checked as PyYAML's reader does: UTF-16 when the
//! bytes start with its byte order mark, UTF-8 otherwise, and no character outside YAML's
//! printable set.

use super::error::Error;

/// The text of `input`, without a leading byte order mark.
pub fn decode(input: &[u8]) -> Result<String, Error> {
    let text = match input {
        [0xff, 0xfe, rest @ ..] => utf16(rest, u16::from_le_bytes, "utf-16-le")?,
        [0xfe, 0xff, rest @ ..] => utf16(rest, u16::from_be_bytes, "utf-16-be")?,
        _ => utf8(input)?,
    };
    check_printable(&text)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

fn utf8(input: &[u8]) -> Result<String, Error> {
    String::from_utf8(input.to_vec()).map_err(|e| {
        let position = e.utf8_error().valid_up_to();
        Error::at(
            line_at(&input[..position]),
            format!(
                "'utf-8' codec can't decode byte {:#04x} in position {position}",
                input[position]
            ),
        )
    })
}

fn utf16(input: &[u8], unit: fn([u8; 2]) -> u16, codec: &str) -> Result<String, Error> {
    let (pairs, rest) = input.as_chunks::<2>();
    if !rest.is_empty() {
        return Err(Error::new(format!(
            "'{codec}' codec can't decode the last byte: truncated data"
        )));
    }
    char::decode_utf16(pairs.iter().map(|pair| unit(*pair)))
        .collect::<Result<String, _>>()
        .map_err(|e| {
            Error::new(format!(
                "'{codec}' codec can't decode {:#06x}: illegal UTF-16 surrogate",
                e.unpaired_surrogate()
            ))
        })
}

/// PyYAML's `NON_PRINTABLE`: anything but tab, line feed, carriage return, `\x20`-`\x7E`,
/// `\x85`, `\xA0`-`\uD7FF`, `\uE000`-`\uFFFD` and the planes above.
fn check_printable(text: &str) -> Result<(), Error> {
    let printable = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
    match text.char_indices().find(|(_, c)| !printable(*c)) {
        Some((index, c)) => Err(Error::at(
            line_at(&text.as_bytes()[..index]),
            format!(
                "unacceptable character #x{:04x}: special characters are not allowed",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// The line (from 1) that starts after `before`.
fn line_at(before: &[u8]) -> usize {
    before.iter().filter(|b| **b == b'\n').count() + 1
}
