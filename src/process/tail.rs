//! The last lines of a child's output, for the message of its failure: a few lines, each cut
//! short, so that a message stays a few kilobytes whatever the tool printed.

use std::collections::VecDeque;

/// How many of its last lines a failure quotes.
const LINES: usize = 15;
/// How many characters of the start and of the end of a long line it quotes: tools such as
/// buildah put the whole story on one line, the reason last.
const HEAD_CHARS: usize = 100;
const END_CHARS: usize = 300;

#[derive(Debug, Default)]
pub struct Tail {
    lines: VecDeque<String>,
}

impl Tail {
    /// Keeps `line`, cut short, dropping the oldest line when there are enough.
    pub fn push(&mut self, line: &str) {
        if self.lines.len() == LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(shorten(line));
    }

    /// The last lines of `text`.
    pub fn of(text: &str) -> Tail {
        let mut tail = Tail::default();
        text.lines().for_each(|line| tail.push(line));
        tail
    }

    /// The lines kept, joined, without surrounding blank lines.
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        lines.join("\n").trim().to_owned()
    }
}

fn shorten(line: &str) -> String {
    let chars = line.chars().count();
    if chars <= HEAD_CHARS + END_CHARS {
        return line.to_owned();
    }
    let head: String = line.chars().take(HEAD_CHARS).collect();
    let end: String = line.chars().skip(chars - END_CHARS).collect();
    format!("{head} … {end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_each_short() {
        let text: String = (1..=30).map(|i| format!("line{i}\n")).collect();
        let tail = Tail::of(&text).text();
        assert!(
            tail.starts_with("line16\n") && tail.ends_with("line30"),
            "{tail}"
        );
        let long = format!("start{}end", "é".repeat(10_000));
        let short = Tail::of(&long).text();
        assert_eq!(short.chars().count(), HEAD_CHARS + END_CHARS + 3);
        assert!(
            short.starts_with("startéé") && short.ends_with("ééend"),
            "{short}"
        );
    }
}
