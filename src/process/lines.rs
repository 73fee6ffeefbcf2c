//! Lines of a child's output, each bounded: a tool that prints one 50 MB progress line must not
//! put 50 MB in the log, nor hold it in memory.

use std::io::{BufRead, ErrorKind};

/// The longest line handed on whole; the rest of a longer line is dropped, and said so.
pub const MAX_LINE: usize = 16 * 1024;

/// Reads `input` to its end, handing each line (line ending removed, invalid UTF-8 replaced,
/// cut at [`MAX_LINE`] bytes) to `on_line`.
pub fn for_each_line(
    input: &mut dyn BufRead,
    on_line: &mut dyn FnMut(&str),
) -> std::io::Result<()> {
    let mut line: Vec<u8> = Vec::new();
    let mut dropped = 0usize;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            if !line.is_empty() || dropped > 0 {
                emit(&line, dropped, on_line);
            }
            return Ok(());
        }
        let (part, ends_line) = match chunk.iter().position(|&b| b == b'\n') {
            Some(end) => (&chunk[..end], true),
            None => (chunk, false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        let kept = part.len().min(room);
        line.extend_from_slice(&part[..kept]);
        dropped += part.len() - kept;
        let consumed = part.len() + usize::from(ends_line);
        input.consume(consumed);
        if ends_line {
            emit(&line, dropped, on_line);
            line.clear();
            dropped = 0;
        }
    }
}

fn emit(line: &[u8], dropped: usize, on_line: &mut dyn FnMut(&str)) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches('\r');
    if dropped == 0 {
        on_line(text);
    } else {
        on_line(&format!(
            "{text}… [{dropped} more bytes of this line not shown]"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<String> {
        let mut seen = Vec::new();
        let mut reader = std::io::BufReader::with_capacity(7, input);
        for_each_line(&mut reader, &mut |line| seen.push(line.to_owned())).unwrap();
        seen
    }

    #[test]
    fn ordinary_lines() {
        assert_eq!(lines(b"one\r\ntwo\n\nthree"), ["one", "two", "", "three"]);
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn a_huge_line_is_cut() {
        let mut input = vec![b'x'; MAX_LINE + 1000];
        input.extend_from_slice(b"\nnext\n");
        let seen = lines(&input);
        assert_eq!(seen.len(), 2);
        assert!(seen[0].starts_with(&"x".repeat(MAX_LINE)));
        assert!(seen[0].ends_with("[1000 more bytes of this line not shown]"));
        assert_eq!(seen[1], "next");
    }
}
