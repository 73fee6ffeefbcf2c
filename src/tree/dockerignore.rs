//! `.dockerignore`: which files of an image's folder stay out of its build context.
//!
//! Docker's rules: one pattern per line, `#` starts a comment, paths are relative to the
//! folder, `*` and `?` do not cross `/` but `**` does, a pattern that matches a folder
//! excludes everything in it, and `!pattern` takes a match back; the last matching line
//! decides.

use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};

pub const DOCKERIGNORE_FILE: &str = ".dockerignore";

struct Rule {
    matcher: GlobMatcher,
    exclude: bool,
}

/// The rules of one `.dockerignore`.
#[derive(Default)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

impl DockerIgnore {
    /// The rules of `text`; a pattern that is not a valid glob is an error naming it.
    pub fn parse(text: &str) -> Result<DockerIgnore, String> {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclude, pattern) = match line.strip_prefix('!') {
                Some(pattern) => (false, pattern.trim()),
                None => (true, line),
            };
            let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("`{line}`: {}", e.kind()))?;
            rules.push(Rule {
                matcher: glob.compile_matcher(),
                exclude,
            });
        }
        Ok(DockerIgnore { rules })
    }

    /// Whether some `!` line may take back files inside an excluded folder, so that excluded
    /// folders still have to be looked into.
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| !r.exclude)
    }

    /// Whether `relative` (a path inside the folder) stays out of the context.
    pub fn excludes(&self, relative: &Path) -> bool {
        let mut excluded = false;
        for rule in &self.rules {
            let matches = relative
                .ancestors()
                .any(|p| !p.as_os_str().is_empty() && rule.matcher.is_match(p));
            if matches {
                excluded = rule.exclude;
            }
        }
        excluded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excludes(rules: &str, path: &str) -> bool {
        DockerIgnore::parse(rules)
            .unwrap()
            .excludes(Path::new(path))
    }

    #[test]
    fn patterns() {
        assert!(excludes("*.pyc", "a.pyc"));
        assert!(!excludes("*.pyc", "sub/a.pyc"));
        assert!(excludes("**/*.pyc", "sub/deep/a.pyc"));
        assert!(excludes("# comment\n\n/build/", "build/out/x.o"));
        assert!(!excludes("build", "builder"));
    }

    #[test]
    fn exceptions() {
        let rules = "logs\n!logs/keep.log\n";
        assert!(excludes(rules, "logs/other.log"));
        assert!(!excludes(rules, "logs/keep.log"));
        assert!(DockerIgnore::parse(rules).unwrap().has_exceptions());
    }

    #[test]
    fn bad_pattern() {
        assert!(DockerIgnore::parse("[z-a]").is_err());
    }
}
