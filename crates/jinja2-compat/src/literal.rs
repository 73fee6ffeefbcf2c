//! String literals as Jinja2 reads them: the text between the quotes, made ASCII with
//! backslash escapes for anything else, then decoded by Python's `unicode-escape` codec. So
//! `\n`, `\t`, `\x41`, `\u00e9`, `\U0001F600`, `\N{BULLET}`, octal escapes and a backslash at
//! the end of a line (which joins the lines) are decoded, and any other backslash is kept as
//! written (`\d` stays `\d`).

use std::fmt::Write;

/// Decodes the text of a literal (without its quotes, newlines already `\n`), or says why
/// the codec refuses it, in the codec's words.
pub fn decode(body: &str) -> Result<String, String> {
    let ascii = backslash_replace(body);
    let mut out = String::with_capacity(ascii.len());
    let mut chars = ascii.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            return Err("\\ at end of string".into());
        };
        match escape {
            '\n' => {}
            '\\' | '\'' | '"' => out.push(escape),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => out.push(octal(escape, &mut chars)),
            'x' => out.push(hex(&mut chars, 2, "truncated \\xXX escape")?),
            'u' => out.push(hex(&mut chars, 4, "truncated \\uXXXX escape")?),
            'U' => out.push(hex(&mut chars, 8, "truncated \\UXXXXXXXX escape")?),
            'N' => out.push(named(&mut chars)?),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Python's `encode("ascii", "backslashreplace")`.
fn backslash_replace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let code = c as u32;
        let _ = match code {
            0..0x80 => {
                out.push(c);
                Ok(())
            }
            0x80..0x100 => write!(out, "\\x{code:02x}"),
            0x100..0x10000 => write!(out, "\\u{code:04x}"),
            _ => write!(out, "\\U{code:08x}"),
        };
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Up to three octal digits; Python accepts values up to 0o777.
fn octal(first: char, chars: &mut Chars) -> char {
    let mut value = first.to_digit(8).unwrap_or(0);
    for _ in 0..2 {
        match chars.peek().and_then(|c| c.to_digit(8)) {
            Some(digit) => {
                value = value * 8 + digit;
                chars.next();
            }
            None => break,
        }
    }
    char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn hex(chars: &mut Chars, digits: usize, truncated: &str) -> Result<char, String> {
    let mut value: u32 = 0;
    for _ in 0..digits {
        let digit = chars
            .peek()
            .and_then(|c| c.to_digit(16))
            .ok_or_else(|| truncated.to_owned())?;
        chars.next();
        value = value * 16 + digit;
    }
    if value > 0x10FFFF {
        return Err("illegal Unicode character".into());
    }
    // A lone surrogate cannot be written to a Dockerfile in UTF-8 anyway.
    Ok(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER))
}

fn named(chars: &mut Chars) -> Result<char, String> {
    let malformed = || "malformed \\N character escape".to_owned();
    if chars.next() != Some('{') {
        return Err(malformed());
    }
    let mut name = String::new();
    loop {
        match chars.next() {
            Some('}') => break,
            Some(c) => name.push(c),
            None => return Err(malformed()),
        }
    }
    if name.is_empty() {
        return Err(malformed());
    }
    unicode_names2::character(&name.to_uppercase())
        .ok_or_else(|| "unknown Unicode character name".to_owned())
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn python_escapes() {
        assert_eq!(decode(r#"a\nb\t\\\'\""#).unwrap(), "a\nb\t\\'\"");
        assert_eq!(decode(r"\a\v\x41\u00e9\U0001F600").unwrap(), "\x07\x0bAé😀");
        assert_eq!(decode(r"\N{BULLET} \N{bullet}").unwrap(), "• •");
        assert_eq!(decode(r"\101\0\777").unwrap(), "A\0\u{1ff}");
    }

    #[test]
    fn unknown_escapes_are_kept() {
        assert_eq!(decode(r"^\d+\.\d+$ \q \8").unwrap(), r"^\d+\.\d+$ \q \8");
    }

    #[test]
    fn backslash_newline_joins_lines() {
        assert_eq!(decode("curl \\\n    wget").unwrap(), "curl     wget");
    }

    #[test]
    fn non_ascii_after_a_backslash_is_escaped_first() {
        assert_eq!(decode("\\é").unwrap(), "\\xe9");
        assert_eq!(decode("café").unwrap(), "café");
    }

    #[test]
    fn codec_errors() {
        assert_eq!(decode(r"\x4").unwrap_err(), r"truncated \xXX escape");
        assert_eq!(
            decode(r"\U00110000").unwrap_err(),
            "illegal Unicode character"
        );
        assert_eq!(
            decode(r"\N{NO SUCH NAME}").unwrap_err(),
            "unknown Unicode character name"
        );
        assert_eq!(decode("x\\").unwrap_err(), "\\ at end of string");
    }
}
