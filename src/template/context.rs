//! The configuration as template values: every key of `config.yaml` is a variable, each YAML
//! value the Python object PyYAML gives docker-pkg 4.0.4.

use std::collections::HashMap;
use std::rc::Rc;

use super::python_objects::{PyBytes, PyDate, PyDateTime, PySet};
use super::value::{Dict, Int, Value};
use crate::yaml;

/// The variables of one render, made afresh each time (a template may change a list of the
/// configuration with `{% do %}`, and that must not reach the next image). Only string keys
/// are variables: 4.0.4 passes the configuration as keyword arguments, which must be strings.
pub fn variables(config: &yaml::Mapping) -> HashMap<Rc<str>, Value> {
    config
        .iter()
        .filter_map(|(key, value)| Some((Rc::from(key.as_str()?), from_yaml(value))))
        .collect()
}

/// `value` as a template value.
pub fn from_yaml(value: &yaml::Value) -> Value {
    match value {
        yaml::Value::Null => Value::None,
        yaml::Value::Bool(b) => Value::Bool(*b),
        yaml::Value::Int(i) => Value::Int(Int::from_big(i.clone())),
        yaml::Value::Float(f) => Value::Float(*f),
        yaml::Value::Str(s) => Value::from(s.as_str()),
        yaml::Value::Bytes(b) => Value::object(PyBytes(b.clone())),
        yaml::Value::Date(d) => Value::object(PyDate(*d)),
        yaml::Value::DateTime(t) => Value::object(PyDateTime(*t)),
        yaml::Value::Seq(items) => Value::list(items.iter().map(from_yaml).collect()),
        yaml::Value::Pairs(pairs) => Value::list(
            pairs
                .iter()
                .map(|(k, v)| Value::tuple(vec![from_yaml(k), from_yaml(v)]))
                .collect(),
        ),
        yaml::Value::Set(set) => Value::object(PySet(set.iter().map(from_yaml).collect())),
        yaml::Value::Map(mapping) => {
            let mut dict = Dict::new();
            for (key, value) in mapping.iter() {
                // YAML keys that Python cannot hash are refused when the file is read.
                let _ = dict.insert(from_yaml(key), from_yaml(value));
            }
            Value::dict(dict)
        }
    }
}
