//! YAML read as docker-pkg 4.0.4 reads its configuration: PyYAML's `safe_load`, YAML 1.1.
//!
//! The file goes through the reader (encoding, forbidden characters), libyaml's parser (the C
//! sibling of PyYAML's, for the same YAML 1.1 grammar), PyYAML's composer (anchors, aliases,
//! one document), its resolver (`yes` is a boolean, `0755` octal, `1:20` base 60, `2024-01-01`
//! a date) and its safe constructor (merge keys, `!!binary`, `!!set`, `!!omap`, duplicate
//! keys where the last wins). The result is a [`Value`] per Python object.

mod binary;
mod compose;
mod construct;
mod de;
mod error;
mod mapping;
mod number;
mod reader;
mod resolve;
mod timestamp;
mod value;

pub use de::from_value;
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
