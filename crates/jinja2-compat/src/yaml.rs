//! Template values of YAML values, each the Python object PyYAML's `safe_load` gives: a
//! context read from a YAML file renders as it does in Python.

use std::collections::HashMap;
use std::rc::Rc;

use pyyaml_compat as yaml;

use crate::python_objects::{PyBytes, PyDate, PyDateTime, PySet};
use crate::value::{Dict, Int, Value};

impl Value {
    /// The Python object PyYAML makes of `value`: a `datetime.date`, `bytes` of `!!binary`,
    /// a `set` of `!!set`, a list of tuples of `!!omap`, …
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
            yaml::Value::Seq(items) => Value::list(items.iter().map(Value::from_yaml).collect()),
            yaml::Value::Pairs(pairs) => Value::list(
                pairs
                    .iter()
                    .map(|(k, v)| Value::tuple(vec![Value::from_yaml(k), Value::from_yaml(v)]))
                    .collect(),
            ),
            yaml::Value::Set(set) => {
                Value::object(PySet(set.iter().map(Value::from_yaml).collect()))
            }
            yaml::Value::Map(mapping) => {
                let mut dict = Dict::new();
                for (key, value) in mapping.iter() {
                    // PyYAML refuses keys that Python cannot hash when it reads the file.
                    let _ = dict.insert(Value::from_yaml(key), Value::from_yaml(value));
                }
                Value::dict(dict)
            }
        }
    }

    /// The variables of a context read from a YAML mapping: one per string key (Jinja2's
    /// `render(**mapping)` takes only string keys).
    pub fn vars_from_yaml(mapping: &yaml::Mapping) -> HashMap<Rc<str>, Value> {
        mapping
            .iter()
            .filter_map(|(key, value)| Some((Rc::from(key.as_str()?), Value::from_yaml(value))))
            .collect()
    }
}
