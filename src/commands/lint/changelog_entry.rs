//! The newest entry of a changelog must end with its trailer, ` -- NAME <EMAIL>  DATE`:
//! Debian's tools refuse a changelog without it, and `update` writes its entries above it.

use std::sync::LazyLock;

use regex::Regex;

use super::{Check, Finding, Severity};
use crate::tree::Image;

static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ -- (.+) <([^>]*)>  (.+)$").expect("the trailer pattern is valid")
});

pub fn finding(image: &Image) -> Option<Finding> {
    let path = image.definition.changelog_path();
    let text = std::fs::read_to_string(&path).ok()?;
    let problem = newest_entry_problem(&text)?;
    Some(
        Finding::new(Severity::Warning, Check::Changelog, problem)
            .file(path)
            .image(image.name()),
    )
}

/// What is wrong with the newest entry's trailer, if anything. The entry starts at the first
/// line that is not blank, and ends before the next line starting in the first column.
fn newest_entry_problem(text: &str) -> Option<String> {
    let mut lines = text
        .lines()
        .enumerate()
        .skip_while(|(_, l)| l.trim().is_empty());
    let (heading, _) = lines.next()?;
    let body = lines.take_while(|(_, line)| line.is_empty() || line.starts_with([' ', '\t']));
    let trailer = body.clone().find(|(_, line)| line.starts_with(" --"));
    let Some((index, line)) = trailer else {
        return Some(format!(
            "the newest entry (line {}) has no trailer line ` -- NAME <EMAIL>  DATE`: Debian's \
             tools (dpkg-parsechangelog) refuse the changelog",
            heading + 1
        ));
    };
    let line_number = index + 1;
    let Some(parts) = TRAILER.captures(line) else {
        return Some(format!(
            "line {line_number}: the trailer `{line}` is not ` -- NAME <EMAIL>  DATE` (two \
             spaces before the date): Debian's tools refuse it"
        ));
    };
    let date = &parts[3];
    if chrono::DateTime::parse_from_rfc2822(date.trim()).is_err() {
        return Some(format!(
            "line {line_number}: `{date}` is not an RFC 2822 date (`Mon, 01 Jan 2024 10:00:00 \
             +0000`): Debian's tools refuse it"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers() {
        let good = "a (1.0) wikimedia; urgency=medium\n\n  * x.\n\n -- Jane <j@e.org>  \
                    Mon, 01 Jan 2024 10:00:00 +0000\n\na (0.9) wikimedia; urgency=medium\n";
        assert_eq!(newest_entry_problem(good), None);
        let missing = "a (1.0) wikimedia; urgency=medium\n\n  * x.\n\na (0.9) w; urgency=low\n\n \
                       -- Jane <j@e.org>  Mon, 01 Jan 2024 10:00:00 +0000\n";
        assert!(
            newest_entry_problem(missing)
                .unwrap()
                .contains("line 1) has no trailer")
        );
        let one_space = "a (1.0) w; urgency=medium\n\n -- Jane <j@e.org> Mon, 01 Jan 2024\n";
        assert!(
            newest_entry_problem(one_space)
                .unwrap()
                .starts_with("line 3: the trailer")
        );
        let bad_date = "a (1.0) w; urgency=medium\n\n -- Jane <j@e.org>  yesterday\n";
        assert!(
            newest_entry_problem(bad_date)
                .unwrap()
                .contains("`yesterday` is not")
        );
    }
}
