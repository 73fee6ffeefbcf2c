//! One problem `lint` finds: where, how bad, and what to do.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A build goes on, but not as the tree's author meant (or only by luck).
    Warning,
    /// A build would fail.
    Error,
}

/// What a finding is about, for tools that sort or count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A definition that cannot be read, two images of one name.
    Definition,
    UnknownDependency,
    UndeclaredDependency,
    UnknownImageTag,
    LiteralFrom,
    TemplateFails,
    TestNotExecutable,
    /// A symbolic link that leads out of the tree.
    LinkOutside,
    Changelog,
    Cycle,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: Check,
    /// The file to look at, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The image concerned, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub message: String,
}

impl Finding {
    pub fn new(severity: Severity, check: Check, message: String) -> Finding {
        Finding {
            severity,
            check,
            file: None,
            image: None,
            message,
        }
    }

    pub fn file(mut self, file: PathBuf) -> Finding {
        self.file = Some(file);
        self
    }

    pub fn image(mut self, name: &str) -> Finding {
        self.image = Some(name.to_owned());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}: {}", file.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}
