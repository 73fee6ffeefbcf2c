//! Typed reading of a [`Value`] through serde: `from_value::<T>(value)`.
//!
//! Dates and datetimes read as the text Python's `str()` gives them (`2024-01-01`), so that a
//! string setting may hold one; a set reads as a sequence of its members, `!!omap`/`!!pairs`
//! as a sequence of `(key, value)` tuples.

use num_traits::ToPrimitive;
use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer, Visitor};
use serde::{Deserializer, forward_to_deserialize_any};

use super::error::Error;
use super::value::Value;

/// `value` as a `T`.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(value)
}

impl<'de> Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => {
                if let Some(small) = i.to_i64() {
                    visitor.visit_i64(small)
                } else if let Some(large) = i.to_u64() {
                    visitor.visit_u64(large)
                } else if let Some(wide) = i.to_i128() {
                    visitor.visit_i128(wide)
                } else if let Some(wide) = i.to_u128() {
                    visitor.visit_u128(wide)
                } else {
                    // Not the number itself: it may be a password written without quotes.
                    let digits = i.to_string().trim_start_matches('-').len();
                    Err(Error::new(format!(
                        "an integer of {digits} digits is too large"
                    )))
                }
            }
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::Date(d) => visitor.visit_string(d.to_string()),
            Value::DateTime(t) => visitor.visit_string(t.to_string()),
            Value::Seq(items) => visit_seq(items, visitor),
            Value::Pairs(pairs) => visit_seq(
                pairs.into_iter().map(|(k, v)| Value::Seq(vec![k, v])),
                visitor,
            ),
            Value::Set(set) => visit_seq(set, visitor),
            Value::Map(mapping) => {
                let mut map = MapDeserializer::new(mapping.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(value),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A unit variant is its name; another variant a one-key mapping of name to content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Value::Str(name) => visitor.visit_enum(name.into_deserializer()),
            Value::Map(mapping) if mapping.len() == 1 => visitor.visit_enum(
                MapAccessDeserializer::new(MapDeserializer::new(mapping.into_iter())),
            ),
            other => other.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl IntoDeserializer<'_, Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

fn visit_seq<'de, V: Visitor<'de>>(
    items: impl IntoIterator<Item = Value>,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut seq = SeqDeserializer::new(items.into_iter());
    let value = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::load;

    fn read<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
        from_value(load(text.as_bytes()).unwrap())
    }

    #[test]
    fn typed_values() {
        assert_eq!(read::<bool>("yes"), Ok(true));
        assert_eq!(read::<u32>("0755"), Ok(493));
        assert_eq!(read::<Option<String>>("~"), Ok(None));
        assert_eq!(read::<String>("2024-01-01"), Ok("2024-01-01".into()));
        assert_eq!(
            read::<Vec<String>>("[a, b]"),
            Ok(vec!["a".into(), "b".into()])
        );
        let map: BTreeMap<String, u64> = read("{a: 1, b: 0x10}").unwrap();
        assert_eq!(map["b"], 16);
        assert_eq!(read::<u128>(&(1u128 << 100).to_string()), Ok(1 << 100));
    }

    #[test]
    fn wrong_types_say_what_they_found() {
        let err = read::<bool>("maybe").unwrap_err().to_string();
        assert_eq!(err, "invalid type: string \"maybe\", expected a boolean");
        let err = read::<u8>("300").unwrap_err().to_string();
        assert!(err.contains("300"), "{err}");
        assert!(
            read::<u64>(&"9".repeat(50))
                .unwrap_err()
                .to_string()
                .contains("of 50 digits is too large")
        );
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Engine {
        Buildah,
        Limited { memory: String },
    }

    #[test]
    fn enums() {
        assert_eq!(read::<Engine>("buildah"), Ok(Engine::Buildah));
        assert_eq!(
            read::<Engine>("limited: {memory: 2g}"),
            Ok(Engine::Limited {
                memory: "2g".into()
            })
        );
    }
}
