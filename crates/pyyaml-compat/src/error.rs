//! A YAML error: what is wrong and, when known, the line (counted from 1).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
/// An error of a YAML document, with the line where it is when known.
pub struct Error {
    line: Option<usize>,
    message: String,
}

impl Error {
    /// An error without a line.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            line: None,
            message: message.into(),
        }
    }

    /// An error at `line` (counted from 1).
    pub fn at(line: usize, message: impl Into<String>) -> Error {
        Error {
            line: Some(line),
            message: message.into(),
        }
    }

    /// The line of the problem, counted from 1.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error::new(message.to_string())
    }
}
