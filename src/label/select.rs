//! `--select GLOB`: shell-style patterns over whole labels, as Python's `fnmatch`: `*` and `?`
//! cross `/`, `[…]` and `[!…]` are character classes, a backslash is an ordinary character.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, thiserror::Error)]
#[error("invalid --select pattern `{pattern}`: {message}")]
pub struct SelectError {
    pattern: String,
    message: String,
}

/// Which images a command acts on.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    matcher: Option<GlobMatcher>,
}

impl Selection {
    /// Every image.
    pub fn all() -> Selection {
        Selection::default()
    }

    pub fn new(pattern: Option<&str>) -> Result<Selection, SelectError> {
        let Some(pattern) = pattern else {
            return Ok(Selection::all());
        };
        let glob = GlobBuilder::new(&to_globset(pattern))
            .literal_separator(false)
            .backslash_escape(false)
            .allow_unclosed_class(true)
            .build()
            .map_err(|e| SelectError {
                pattern: pattern.to_owned(),
                message: e.kind().to_string(),
            })?;
        Ok(Selection {
            matcher: Some(glob.compile_matcher()),
        })
    }

    pub fn matches(&self, label: &str) -> bool {
        self.matcher.as_ref().is_none_or(|m| m.is_match(label))
    }
}

/// The globset spelling of an fnmatch pattern. Outside character classes, a run of stars is
/// one star (globset gives `**` a path meaning of its own) and braces are literal (globset
/// reads `{a,b}` as alternatives); classes are copied as they are.
fn to_globset(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '[' => match class_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i..=end]);
                    i = end;
                }
                None => out.push_str("[[]"),
            },
            '*' if out.ends_with('*') => {}
            '{' => out.push_str("[{]"),
            '}' => out.push_str("[}]"),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Where the class opened at `start` ends, as fnmatch reads it: a `!` and then a `]` right
/// after the opening are part of the class; no closing `]` means a literal `[`.
fn class_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if chars.get(i) == Some(&'!') {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    (i..chars.len()).find(|&j| chars[j] == ']')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, label: &str) -> bool {
        Selection::new(Some(pattern)).unwrap().matches(label)
    }

    #[test]
    fn star_crosses_slashes() {
        assert!(matches("*python*", "registry.org/wikimedia/python3:1.0"));
        assert!(matches("*/python3:*", "127.0.0.1:5000/ns/python3:1.0"));
        assert!(matches("*bar**", "r/foo/bar:1"));
        assert!(!matches("python*", "registry.org/python3:1.0"));
    }

    #[test]
    fn fnmatch_classes_and_wildcards() {
        assert!(matches("foo:1.?", "foo:1.0"));
        assert!(matches("r?foo:1", "r/foo:1"));
        assert!(matches("foo:[0-9].0", "foo:1.0"));
        assert!(!matches("foo:[!0-9].0", "foo:1.0"));
        assert!(matches("foo[:1", "foo[:1"));
        assert!(matches("foo:[]1]", "foo:1"));
    }

    #[test]
    fn braces_are_literal() {
        assert!(matches("foo{:1", "foo{:1"));
        assert!(matches("a{b,c}", "a{b,c}"));
        assert!(!matches("a{b,c}", "ab"));
    }

    #[test]
    fn whole_label_must_match() {
        assert!(!matches("foo", "foo:1.0"));
        assert!(Selection::all().matches("anything"));
    }
}
