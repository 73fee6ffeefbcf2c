//! Debian changelogs: the newest entry names the image and gives its version.

use std::sync::LazyLock;

use regex::Regex;

/// The heading of a changelog entry: `NAME (VERSION) DISTRIBUTIONS; KEY=VALUE…`.
static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(\w[-+0-9a-z.]*) \(([^() \t]+)\)((\s+[-+0-9a-z.]+)+);")
        .expect("the heading pattern is valid")
});

/// What the newest entry of a changelog says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub package: String,
    /// The version as written, epoch and revision included.
    pub version: String,
}

/// Why a changelog could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangelogError {
    #[error("it has no entries")]
    Empty,
    #[error(
        "line {line}: expected an entry heading `NAME (VERSION) DISTRIBUTION; urgency=…`, found `{text}`"
    )]
    BadHeading { line: usize, text: String },
    #[error("line {line}: `{version}` is not a valid Debian version: {reason}")]
    BadVersion {
        line: usize,
        version: String,
        reason: String,
    },
}

/// Reads the heading of the newest entry. Blank lines and comments may come before it, as
/// Debian's tools allow; anything else is an error.
pub fn newest_heading(text: &str) -> Result<Heading, ChangelogError> {
    let (index, line) = text
        .lines()
        .enumerate()
        .find(|(_, line)| !is_preamble(line))
        .ok_or(ChangelogError::Empty)?;
    let line_number = index + 1;
    let captures = HEADING
        .captures(line)
        .ok_or_else(|| ChangelogError::BadHeading {
            line: line_number,
            text: line.to_owned(),
        })?;
    let version = captures[2].to_owned();
    if let Err(reason) = version.parse::<debversion::Version>() {
        return Err(ChangelogError::BadVersion {
            line: line_number,
            version,
            reason: reason.to_string(),
        });
    }
    Ok(Heading {
        package: captures[1].to_owned(),
        version,
    })
}

/// The first line of the changes of the newest entry, without its `*` (`Release 1.0.` of
/// `  * Release 1.0.`): what the image is about, in its own changelog's words. `None` when
/// the entry lists no change.
pub fn newest_summary(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|line| is_preamble(line)).skip(1);
    let first = lines
        .by_ref()
        .take_while(|line| !line.starts_with(" -- "))
        .map(str::trim)
        .find(|line| !line.is_empty())?;
    let summary = first.trim_start_matches(['*', '-', '+']).trim();
    (!summary.is_empty()).then(|| summary.to_owned())
}

/// A new entry, as `update` writes it.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub package: &'a str,
    pub version: &'a str,
    pub distribution: &'a str,
    /// One line of the entry per line of the reason.
    pub reason: &'a str,
    /// `NAME <EMAIL>`.
    pub author: &'a str,
    /// RFC 2822, day of month space-padded: `Thu, 26 Nov 2026 21:15:16 +0000`.
    pub date: &'a str,
}

impl Entry<'_> {
    pub fn text(&self) -> String {
        let mut text = format!(
            "{} ({}) {}; urgency=high\n\n",
            self.package, self.version, self.distribution
        );
        for line in self.reason.split('\n') {
            text.push_str("   ");
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!("\n -- {}  {}\n\n", self.author, self.date));
        text
    }
}

/// `text` with `entry` as its newest entry. Leading blank lines and comments stay first, as
/// Debian's tools keep them; the rest of `text` follows unchanged.
pub fn prepend(text: &str, entry: &Entry) -> String {
    let mut preamble = 0;
    for line in text.split_inclusive('\n') {
        if !is_preamble(line.trim_end_matches('\n')) {
            break;
        }
        preamble += line.len();
    }
    let (head, rest) = text.split_at(preamble);
    format!("{head}{}{rest}", entry.text())
}

/// Lines Debian's changelog parser passes over before the first entry.
fn is_preamble(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty()
        || line.starts_with("# ")
        || (line.starts_with("/*") && line.trim_end().ends_with("*/"))
        || (line.starts_with('$') && line[1..].contains(':') && line.trim_end().ends_with('$'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE: &str = "\
foo (1.2.3-1) wikimedia; urgency=medium

  * Initial release.

 -- Jane Doe <jane@example.org>  Mon, 01 Jan 2024 00:00:00 +0000
";

    #[test]
    fn reads_name_and_version() {
        let heading = newest_heading(SIMPLE).unwrap();
        assert_eq!(heading.package, "foo");
        assert_eq!(heading.version, "1.2.3-1");
    }

    #[test]
    fn keeps_the_epoch() {
        let text = SIMPLE.replace("1.2.3-1", "2:1.0~rc1-3");
        assert_eq!(newest_heading(&text).unwrap().version, "2:1.0~rc1-3");
    }

    #[test]
    fn skips_leading_blank_lines_and_comments() {
        let text = format!("\n# a comment\n\n{SIMPLE}");
        assert_eq!(newest_heading(&text).unwrap().package, "foo");
    }

    #[test]
    fn empty_file() {
        assert_eq!(newest_heading(""), Err(ChangelogError::Empty));
        assert_eq!(newest_heading("\n  \n"), Err(ChangelogError::Empty));
    }

    #[test]
    fn bad_heading() {
        let err = newest_heading("\nfoo 1.0 wikimedia; urgency=low\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: expected an entry heading `NAME (VERSION) DISTRIBUTION; urgency=…`, \
             found `foo 1.0 wikimedia; urgency=low`"
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(newest_summary(SIMPLE).as_deref(), Some("Initial release."));
        let two = format!("{}{SIMPLE}", entry("Security update\nand more").text());
        assert_eq!(newest_summary(&two).as_deref(), Some("Security update"));
        let empty =
            "foo (1.0) wikimedia; urgency=low\n\n -- A <a@b>  Mon, 01 Jan 2024 00:00:00 +0000\n";
        assert_eq!(newest_summary(empty), None);
    }

    fn entry(reason: &str) -> Entry<'_> {
        Entry {
            package: "foo",
            version: "1.2.3-1-s1",
            distribution: "wikimedia",
            reason,
            author: "Rel Eng <re@example.org>",
            date: "Thu,  5 Nov 2026 21:15:16 +0000",
        }
    }

    #[test]
    fn new_entry_goes_first() {
        let text = prepend(SIMPLE, &entry("Security update"));
        assert_eq!(
            text,
            format!(
                "foo (1.2.3-1-s1) wikimedia; urgency=high\n\n   Security update\n\n \
                 -- Rel Eng <re@example.org>  Thu,  5 Nov 2026 21:15:16 +0000\n\n{SIMPLE}"
            )
        );
        assert_eq!(newest_heading(&text).unwrap().version, "1.2.3-1-s1");
    }

    #[test]
    fn each_reason_line_is_indented() {
        let text = entry("Refresh for update in parent image base:\nSecurity update").text();
        assert!(text.contains(
            "\n\n   Refresh for update in parent image base:\n   Security update\n\n -- "
        ));
    }

    #[test]
    fn leading_blank_lines_stay_first() {
        let old = format!("\n# comment\n{SIMPLE}");
        let text = prepend(&old, &entry("x"));
        assert!(text.starts_with("\n# comment\nfoo (1.2.3-1-s1)"), "{text}");
        assert!(text.ends_with(SIMPLE));
    }

    #[test]
    fn bad_version() {
        let err = newest_heading("foo (1.0_beta) wikimedia; urgency=low\n").unwrap_err();
        assert!(
            matches!(err, ChangelogError::BadVersion { line: 1, ref version, .. } if version == "1.0_beta"),
            "{err}"
        );
    }
}
