//! Formatting values into text as Python does: `%` (printf), `str.format` and the format
//! specification mini-language they share the number notations of.

mod number;
pub mod printf;
pub mod spec;
pub mod str_format;
