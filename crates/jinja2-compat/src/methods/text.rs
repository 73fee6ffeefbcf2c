//! Character properties and case mappings the way Python's `str` uses them.

use unicode_general_category::{GeneralCategory, get_general_category};

pub use crate::lexer::is_space;

/// Python's title case of one character: its upper case, but for the ligatures and
/// digraphs whose title case is not their upper case.
pub fn titlecase(c: char) -> String {
    match c {
        'ß' => "Ss".into(),
        'ﬀ' => "Ff".into(),
        'ﬁ' => "Fi".into(),
        'ﬂ' => "Fl".into(),
        'ﬃ' => "Ffi".into(),
        'ﬄ' => "Ffl".into(),
        'ﬅ' | 'ﬆ' => "St".into(),
        'Ǆ' | 'ǅ' | 'ǆ' => "ǅ".into(),
        'Ǉ' | 'ǈ' | 'ǉ' => "ǈ".into(),
        'Ǌ' | 'ǋ' | 'ǌ' => "ǋ".into(),
        'Ǳ' | 'ǲ' | 'ǳ' => "ǲ".into(),
        c => c.to_uppercase().collect(),
    }
}

/// Upper case or title case (`Lu`, `Lt`).
pub fn is_cased_upper(c: char) -> bool {
    c.is_uppercase() || get_general_category(c) == GeneralCategory::TitlecaseLetter
}

pub fn is_cased_lower(c: char) -> bool {
    c.is_lowercase()
}

pub fn is_cased(c: char) -> bool {
    is_cased_upper(c) || is_cased_lower(c)
}

/// `str.isalpha()` of one character: a letter.
pub fn is_alpha(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    )
}

/// `str.isdecimal()`: a decimal digit of any script.
pub fn is_decimal(c: char) -> bool {
    get_general_category(c) == GeneralCategory::DecimalNumber
}

/// `str.isdigit()`: a decimal digit, or a digit written differently (superscripts,
/// subscripts, circled digits).
pub fn is_digit(c: char) -> bool {
    is_decimal(c)
        || matches!(
            c,
            '²' | '³' | '¹' | '⁰' | '⁴'..='⁹' | '₀'..='₉' | '①'..='⑨' | '⑴'..='⑼' | '⒈'..='⒐'
                | '⓵'..='⓽' | '❶'..='❾' | '➀'..='➈' | '➊'..='➒'
        )
}

/// `str.isnumeric()`: any number character.
pub fn is_numeric(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::DecimalNumber
            | GeneralCategory::LetterNumber
            | GeneralCategory::OtherNumber
    )
}

/// Python's line boundaries for `splitlines()`.
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `str.splitlines()`, without the line ends.
pub fn split_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_line_break(c) {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            lines.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// `str.title()`: a cased letter after an uncased character starts a word.
pub fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_cased = false;
    for c in text.chars() {
        if previous_cased {
            out.extend(c.to_lowercase());
        } else {
            out.push_str(&titlecase(c));
        }
        previous_cased = is_cased(c);
    }
    out
}

/// `str.capitalize()`: the first character in title case, the rest in lower case.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => titlecase(first) + &chars.as_str().to_lowercase(),
        None => String::new(),
    }
}

pub fn swapcase(text: &str) -> String {
    text.chars()
        .flat_map(|c| -> Box<dyn Iterator<Item = char>> {
            if c.is_uppercase() {
                Box::new(c.to_lowercase())
            } else if c.is_lowercase() {
                Box::new(c.to_uppercase())
            } else {
                Box::new(std::iter::once(c))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_title_rules() {
        assert_eq!(title("it's x1y"), "It'S X1Y");
        assert_eq!(title("hello wORLD"), "Hello World");
        assert_eq!(capitalize("ßa"), "Ssa");
        assert_eq!(swapcase("Hello ß"), "hELLO SS");
    }
}
