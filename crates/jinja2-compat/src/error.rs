//! Errors of a template: what went wrong, in Python's words, and where.

use std::fmt;
use std::rc::Rc;

/// The kinds of failure a template can have, as Jinja2 and Python distinguish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A template that does not parse (`TemplateSyntaxError`).
    Syntax,
    /// An undefined name used (`UndefinedError`).
    Undefined,
    /// `TypeError`.
    Type,
    /// `ValueError`.
    Value,
    /// `KeyError`.
    Key,
    /// `IndexError`.
    Index,
    /// `ZeroDivisionError`.
    ZeroDivision,
    /// `OverflowError`.
    Overflow,
    /// A value or an output too large to be made.
    Memory,
    /// `RecursionError`, or an expression or statement nested too deeply.
    Recursion,
    /// More work than any Dockerfile needs: a loop over billions of items.
    Work,
    /// A template the loader does not have (`TemplateNotFound`).
    NotFound,
    /// Jinja2's TemplateRuntimeError and TemplateAssertionError.
    Template,
    /// A filter the application added refused its input.
    Filter,
    /// The engine panicked (a bug of the engine, or of a filter the application added).
    Panic,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Undefined => "undefined value",
            ErrorKind::Type => "type error",
            ErrorKind::Value => "value error",
            ErrorKind::Key => "key error",
            ErrorKind::Index => "index error",
            ErrorKind::ZeroDivision => "division by zero",
            ErrorKind::Overflow => "overflow",
            ErrorKind::Memory => "out of memory",
            ErrorKind::Recursion => "recursion error",
            ErrorKind::Work => "too much work",
            ErrorKind::NotFound => "template not found",
            ErrorKind::Template => "template error",
            ErrorKind::Filter => "filter error",
            ErrorKind::Panic => "internal error",
        }
    }
}

#[derive(Debug, Clone)]
/// An error of a template: its kind, Python's message, and where it happened.
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The message, as Python words it.
    pub message: String,
    /// The template (a path relative to the image's folder) and line where it happened.
    pub location: Option<(Rc<str>, usize)>,
    /// For a recursion error, the templates the recursion went through, innermost first.
    recursed_through: Vec<Rc<str>>,
}

impl Error {
    /// An error of `kind` with `message`, placed nowhere yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            location: None,
            recursed_through: Vec::new(),
        }
    }

    /// A syntax error.
    pub(crate) fn syntax(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Syntax, message)
    }

    /// An error of an undefined value.
    pub(crate) fn undefined(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Undefined, message)
    }

    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Type, message)
    }

    /// A `ValueError`.
    pub(crate) fn value_error(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Value, message)
    }

    /// A `TemplateRuntimeError`.
    pub(crate) fn template(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Template, message)
    }

    /// A `MemoryError`: `what` would be too large.
    pub(crate) fn memory(what: &str) -> Error {
        Error::new(
            ErrorKind::Memory,
            format!("{what} would be too large to hold in memory"),
        )
    }

    /// Places the error in `template` at `line`, unless an inner place is already known.
    ///
    /// A recursion error is placed where the recursion starts, as in Python: at the
    /// outermost call from a template that the recursion goes through again.
    pub(crate) fn at(mut self, template: &Rc<str>, line: usize) -> Error {
        let recurs_here = self.kind == ErrorKind::Recursion
            && self.recursed_through.iter().any(|t| t == template);
        if self.location.is_none() || recurs_here {
            self.location = Some((template.clone(), line));
        }
        self
    }

    /// Notes that the error leaves the code of `template` (for recursion errors).
    pub(crate) fn left(mut self, template: &Rc<str>) -> Error {
        if self.kind == ErrorKind::Recursion {
            self.recursed_through.push(template.clone());
        }
        self
    }

    /// Places the error exactly there, whatever was known.
    pub(crate) fn placed(mut self, template: &Rc<str>, line: usize) -> Error {
        self.location = Some((template.clone(), line));
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.describe(), self.message)
    }
}
