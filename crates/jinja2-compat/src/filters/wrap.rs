//! `wordwrap`: each line of the text wrapped as Python's `textwrap.wrap` does, with its
//! rules for breaking after hyphens and for breaking long words.

use super::{string_only, text_arg};
use crate::error::Error;
use crate::eval::Interp;
use crate::lexer::is_space;
use crate::methods;
use crate::value::{Args, Value};

type Result<T> = std::result::Result<T, Error>;

/// `wordwrap(width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True)`.
pub fn wordwrap(_: &mut Interp, value: Value, args: Args) -> Result<Value> {
    let bound = args.bind(
        "wordwrap",
        &[
            "width",
            "break_long_words",
            "wrapstring",
            "break_on_hyphens",
        ],
        0,
    )?;
    let width = bound.int(0, 79)?;
    if width <= 0 {
        return Err(Error::value_error(format!(
            "invalid width {width} (must be > 0)"
        )));
    }
    let wrapper = Wrapper {
        width: width as usize,
        break_long_words: bound.flag(1, true)?,
        break_on_hyphens: bound.flag(3, true)?,
    };
    let wrapstring = text_arg(bound.get(2))?.map_or_else(|| "\n".to_owned(), |w| w.to_string());
    let text = string_only(&value, "splitlines")?;
    // Each character is looked at, copied and joined again a few times: a step of work each.
    crate::limits::charge_work(text.len() as u64)?;
    let lines: Vec<String> = methods::split_lines(&text)
        .iter()
        .map(|line| wrapper.wrap(line).join(&wrapstring))
        .collect();
    Ok(Value::from(lines.join(&wrapstring)))
}

struct Wrapper {
    width: usize,
    break_long_words: bool,
    break_on_hyphens: bool,
}

/// textwrap's whitespace: ASCII only.
fn is_wrap_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ')
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_word_punct(c: char) -> bool {
    is_word(c) || matches!(c, '!' | '"' | '\'' | '&' | '.' | ',' | '?')
}

fn blank(chunk: &[char]) -> bool {
    chunk.iter().all(|c| is_space(*c))
}

/// A chunk of the text, of which the first `from` characters are already on a line: a long
/// word is broken by moving `from`, not by copying what is left of it each time, and whether
/// the rest is blank is known without looking at it again (a run of spaces at the start is
/// broken a line's width at a time, each piece dropped).
struct Chunk {
    text: Vec<char>,
    from: usize,
    /// Where the last character that is not whitespace is.
    last_text: Option<usize>,
}

impl Chunk {
    fn new(text: Vec<char>) -> Chunk {
        let last_text = text.iter().rposition(|c| !is_space(*c));
        Chunk {
            text,
            from: 0,
            last_text,
        }
    }

    /// Whether what is left of the chunk is all whitespace, as `str.strip` sees it.
    fn is_blank(&self) -> bool {
        self.last_text.is_none_or(|last| last < self.from)
    }

    fn chars(&self) -> &[char] {
        &self.text[self.from..]
    }

    fn len(&self) -> usize {
        self.text.len() - self.from
    }

    fn into_chars(self) -> Vec<char> {
        match self.from {
            0 => self.text,
            from => self.text[from..].to_vec(),
        }
    }
}

impl Wrapper {
    fn wrap(&self, line: &str) -> Vec<String> {
        let text: Vec<char> = line.chars().collect();
        let chunks = if self.break_on_hyphens {
            hyphenated_chunks(&text)
        } else {
            simple_chunks(&text)
        };
        let mut chunks: Vec<Chunk> = chunks.into_iter().rev().map(Chunk::new).collect();
        let mut lines: Vec<String> = Vec::new();
        while !chunks.is_empty() {
            let mut current: Vec<Vec<char>> = Vec::new();
            let mut length = 0;
            if chunks.last().is_some_and(Chunk::is_blank) && !lines.is_empty() {
                chunks.pop();
            }
            while let Some(chunk) = chunks.last() {
                if length + chunk.len() > self.width {
                    break;
                }
                length += chunk.len();
                current.extend(chunks.pop().map(Chunk::into_chars));
            }
            if chunks.last().is_some_and(|c| c.len() > self.width) {
                self.long_word(&mut chunks, &mut current, length);
            }
            if current.last().is_some_and(|c| blank(c)) {
                current.pop();
            }
            if !current.is_empty() {
                lines.push(current.concat().into_iter().collect());
            }
        }
        lines
    }

    /// A chunk longer than the line: broken (after a hyphen if one fits), or put alone on
    /// a line.
    fn long_word(&self, chunks: &mut Vec<Chunk>, current: &mut Vec<Vec<char>>, length: usize) {
        let space_left = if self.width < 1 {
            1
        } else {
            self.width - length
        };
        if self.break_long_words {
            let Some(chunk) = chunks.last_mut() else {
                return;
            };
            let mut end = space_left;
            if self.break_on_hyphens && chunk.len() > space_left {
                let hyphen = chunk.chars()[..space_left].iter().rposition(|c| *c == '-');
                if let Some(h) = hyphen
                    && h > 0
                    && chunk.chars()[..h].iter().any(|c| *c != '-')
                {
                    end = h + 1;
                }
            }
            let end = end.min(chunk.len());
            current.push(chunk.chars()[..end].to_vec());
            chunk.from += end;
        } else if current.is_empty() {
            current.extend(chunks.pop().map(Chunk::into_chars));
        }
    }
}

/// Runs of whitespace and runs of the rest.
fn simple_chunks(text: &[char]) -> Vec<Vec<char>> {
    let mut chunks: Vec<Vec<char>> = Vec::new();
    for &c in text {
        match chunks.last_mut() {
            Some(last) if is_wrap_space(last[0]) == is_wrap_space(c) => last.push(c),
            _ => chunks.push(vec![c]),
        }
    }
    chunks
}

/// textwrap's `wordsep_re`: whitespace, em-dashes, and words that may break after a hyphen
/// between letters.
fn hyphenated_chunks(text: &[char]) -> Vec<Vec<char>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = if is_wrap_space(text[start]) {
            start
                + text[start..]
                    .iter()
                    .take_while(|c| is_wrap_space(**c))
                    .count()
        } else if let Some(end) = em_dash(text, start) {
            end
        } else {
            word_end(text, start)
        };
        chunks.push(text[start..end].to_vec());
        start = end;
    }
    chunks
}

/// `--` (or longer) after a word and before one.
fn em_dash(text: &[char], start: usize) -> Option<usize> {
    if start == 0 || !is_word_punct(text[start - 1]) {
        return None;
    }
    let dashes = text[start..].iter().take_while(|c| **c == '-').count();
    (dashes >= 2 && text.get(start + dashes).copied().is_some_and(is_word))
        .then_some(start + dashes)
}

/// The end of the word chunk starting at `start`.
fn word_end(text: &[char], start: usize) -> usize {
    let letter_at = |i: usize| text.get(i).copied().is_some_and(is_letter);
    let mut end = start + 1;
    loop {
        let next = text.get(end).copied();
        let Some(next) = next else {
            return end;
        };
        if is_wrap_space(next) {
            return end;
        }
        if next == '-' {
            let before_ok = (end >= 2 && letter_at(end - 1) && letter_at(end - 2))
                || (end >= 3 && letter_at(end - 1) && text[end - 2] == '-' && letter_at(end - 3));
            let after_ok = letter_at(end + 1)
                && (letter_at(end + 2) || (text.get(end + 2) == Some(&'-') && letter_at(end + 3)));
            if before_ok && after_ok {
                return end + 1;
            }
        }
        if is_word_punct(text[end - 1]) && next == '-' && em_dash(text, end).is_some() {
            return end;
        }
        end += 1;
    }
}
