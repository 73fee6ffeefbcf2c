//! The configuration as the templates see it: each YAML value as the Python object that
//! docker-pkg 4.0.4's templates get from PyYAML.

use minijinja::value::{Value, ValueKind};
use num_bigint::BigInt;
use num_traits::ToPrimitive;

use super::python_objects::{Scalar, Set, Tuple};
use crate::yaml;

/// The template variables of `config`: its keys that are strings. (4.0.4 passes the
/// configuration as keyword arguments, which must be strings: any other key fails every
/// template there; here it is left out.)
pub fn variables(config: &yaml::Mapping) -> Value {
    let strings = config
        .iter()
        .filter_map(|(key, value)| Some((Value::from(key.as_str()?), from_yaml(value))));
    Value::from(strings.collect::<indexmap::IndexMap<Value, Value>>())
}

/// `value` as a template value.
pub fn from_yaml(value: &yaml::Value) -> Value {
    match value {
        yaml::Value::Null => Value::from(()),
        yaml::Value::Bool(b) => Value::from(*b),
        yaml::Value::Int(i) => match (i.to_i64(), i.to_i128()) {
            (Some(small), _) => Value::from(small),
            (None, Some(wide)) => Value::from(wide),
            (None, None) => Value::from_object(Scalar::BigInt(i.clone())),
        },
        yaml::Value::Float(f) => Value::from(*f),
        yaml::Value::Str(s) => Value::from(s.as_str()),
        yaml::Value::Bytes(b) => Value::from_object(Scalar::Bytes(b.clone())),
        yaml::Value::Date(d) => Value::from_object(Scalar::Date(*d)),
        yaml::Value::DateTime(t) => Value::from_object(Scalar::DateTime(*t)),
        yaml::Value::Seq(items) => items.iter().map(from_yaml).collect(),
        yaml::Value::Pairs(pairs) => pairs
            .iter()
            .map(|(k, v)| Value::from_object(Tuple(vec![from_yaml(k), from_yaml(v)])))
            .collect(),
        yaml::Value::Set(set) => Value::from_object(Set(set.iter().map(from_yaml).collect())),
        yaml::Value::Map(mapping) => Value::from(
            mapping
                .iter()
                .map(|(k, v)| (from_yaml(k), from_yaml(v)))
                .collect::<indexmap::IndexMap<Value, Value>>(),
        ),
    }
}

/// The YAML scalar a template value stands for, to look it up among YAML keys; `None` for a
/// list, a dict or anything else that cannot be a key.
pub fn to_yaml(value: &Value) -> Option<yaml::Value> {
    if let Some(scalar) = value.downcast_object_ref::<Scalar>() {
        return Some(scalar.to_yaml());
    }
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => Some(yaml::Value::Null),
        ValueKind::Bool => Some(yaml::Value::Bool(value.is_true())),
        ValueKind::Number if value.is_integer() => i128::try_from(value.clone())
            .map(BigInt::from)
            .or_else(|_| u128::try_from(value.clone()).map(BigInt::from))
            .ok()
            .map(yaml::Value::Int),
        ValueKind::Number => f64::try_from(value.clone()).ok().map(yaml::Value::Float),
        ValueKind::String => Some(yaml::Value::from(value.as_str()?)),
        _ => None,
    }
}
