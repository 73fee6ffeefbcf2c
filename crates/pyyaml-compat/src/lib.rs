//! YAML read as Python reads it with PyYAML's `yaml.safe_load`: YAML 1.1, value for value.
//!
//! The file goes through the reader (encoding, forbidden characters), libyaml's parser (the C
//! sibling of PyYAML's, for the same YAML 1.1 grammar), PyYAML's composer (anchors, aliases,
//! one document), its resolver (`yes` is a boolean, `0755` octal, `1:20` base 60, `2024-01-01`
//! a date) and its safe constructor (merge keys, `!!binary`, `!!set`, `!!omap`, duplicate
//! keys where the last wins). The result is a [`Value`] per Python object.
//!
//! ```
//! use pyyaml_compat::{Value, load};
//!
//! let value = load(b"mode: 0755\nenabled: yes\nport: 1:20\n").unwrap();
//! let config = value.into_mapping().unwrap();
//! assert_eq!(config.get("mode"), Some(&Value::Int(493.into())));
//! assert_eq!(config.get("enabled"), Some(&Value::Bool(true)));
//! assert_eq!(config.get("port"), Some(&Value::Int(80.into())));
//! ```
//!
//! [`to_string`] writes YAML back, for documents that another YAML reader takes; and
//! [`from_value`] reads a value into a `serde` type.

#![warn(missing_docs)]

mod binary;
mod compose;
mod construct;
mod de;
mod emit;
mod error;
mod mapping;
mod number;
mod reader;
mod resolve;
mod timestamp;
mod value;
mod visit;

pub use de::from_value;
pub use emit::{Node, to_string};
pub use error::Error;
pub use mapping::{Mapping, Set};
pub use timestamp::{Date, DateTime};
pub use value::Value;

/// The value of the one document in `input` (`Null` when it holds none), as `yaml.safe_load`
/// gives it.
pub fn load(input: &[u8]) -> Result<Value, Error> {
    let text = reader::decode(input)?;
    match compose::single_document(&text)? {
        Some(root) => construct::construct(&root),
        None => Ok(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_cannot_blow_up_memory() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let previous = format!("*a{}", level - 1);
            let items = [previous.as_str(); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let err = load(text.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("more than 1000000 values"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = load(b"a: &x 1\nb: &x 2\n").unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert_eq!(
            err.to_string(),
            "line 2: found duplicate anchor 'x' (first occurrence at line 1)"
        );
        assert_eq!(load(b"a: 1\nb: [\n").unwrap_err().line(), Some(3));
    }

    #[test]
    fn a_parser_panic_is_an_error_of_the_document() {
        // Both make libyaml-safer 0.3 panic where PyYAML reports an error on line 1.
        for (text, line) in [("a: ''|\n 0", 1), ("[!,", 1), ("a: 1\nb: [!,", 2)] {
            let error = load(text.as_bytes()).unwrap_err();
            assert_eq!(error.line(), Some(line), "{text:?}: {error}");
            assert!(
                error.to_string().contains("the document is malformed"),
                "{text:?}: {error}"
            );
        }
    }
}
