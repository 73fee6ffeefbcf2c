//! A set of image labels (`LABEL` metadata, not image references): names in the order they
//! were first set, each with its value; a later value of a name replaces the earlier one.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

use pyyaml_compat::{self as yaml, Value};

/// The file in an image's folder whose labels are set over the configuration's.
pub const LABELS_FILE: &str = "labels.yaml";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(Vec<(String, String)>);

/// Why an image's labels file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Labels {
    /// Sets `name` to `value`, in place when it is already set.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// Every label of `other` set over these.
    pub fn overlay(&mut self, other: &Labels) {
        for (name, value) in &other.0 {
            self.set(name, value.clone());
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let found = self.0.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The labels of `LABELS_FILE` in `dir`; none when there is no such file.
    pub fn read_file(dir: &Path) -> Result<Labels, LabelsError> {
        let path = dir.join(LABELS_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Labels::default()),
            Err(source) => return Err(LabelsError::Read { path, source }),
        };
        let invalid = |message: String| LabelsError::Invalid {
            path: path.clone(),
            message,
        };
        let value = yaml::load(&bytes).map_err(|e| invalid(e.to_string()))?;
        match value {
            Value::Null => Ok(Labels::default()),
            value => Labels::deserialize(value).map_err(|e| invalid(e.to_string())),
        }
    }
}

impl<'de> Deserialize<'de> for Labels {
    /// A mapping of label names to strings (an integer reads as its digits).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Labels, D::Error> {
        let Value::Map(mapping) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("must map label names to values"));
        };
        let mut labels = Labels::default();
        for (name, value) in mapping.iter() {
            let Some(name) = name.as_str().filter(|n| is_label_name(n)) else {
                let shown = name.as_str().map_or("a key that is not a string", |n| n);
                return Err(D::Error::custom(format!(
                    "`{shown}` is not a label name: a non-empty string without `=`, spaces or \
                     control characters"
                )));
            };
            let value = match value {
                Value::Str(text) => text.clone(),
                Value::Int(n) => n.to_string(),
                _ => {
                    return Err(D::Error::custom(format!(
                        "the value of {name} must be a string (put it in quotes)"
                    )));
                }
            };
            labels.set(name, value);
        }
        Ok(labels)
    }
}

/// What the engines take as a label name in `--label NAME=VALUE`.
fn is_label_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '=' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(yaml: &str) -> Result<Labels, String> {
        let value = yaml::load(yaml.as_bytes()).unwrap();
        Labels::deserialize(value).map_err(|e| e.to_string())
    }

    #[test]
    fn later_values_replace_earlier_ones_in_place() {
        let mut base = labels("a: '1'\nb: '2'").unwrap();
        base.overlay(&labels("b: three\nc: 4").unwrap());
        assert_eq!(
            base.pairs(),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "three".to_owned()),
                ("c".to_owned(), "4".to_owned()),
            ]
        );
        assert_eq!(base.get("c"), Some("4"));
    }

    #[test]
    fn names_and_values_are_checked() {
        assert!(labels("[a]").unwrap_err().contains("must map label names"));
        let err = labels("'a=b': x").unwrap_err();
        assert!(err.contains("`a=b` is not a label name"), "{err}");
        assert!(labels("1: x").unwrap_err().contains("is not a label name"));
        let err = labels("org.example.version: 1.10").unwrap_err();
        assert!(
            err.contains("the value of org.example.version must be a string (put it in quotes)"),
            "{err}"
        );
    }

    #[test]
    fn files_in_image_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Labels::read_file(dir.path()).unwrap(), Labels::default());
        std::fs::write(dir.path().join(LABELS_FILE), "vendor: Wikimedia\n").unwrap();
        let read = Labels::read_file(dir.path()).unwrap();
        assert_eq!(read.get("vendor"), Some("Wikimedia"));
        std::fs::write(dir.path().join(LABELS_FILE), "vendor: [x]\n").unwrap();
        let err = Labels::read_file(dir.path()).unwrap_err().to_string();
        assert!(
            err.starts_with(&dir.path().join(LABELS_FILE).display().to_string()),
            "{err}"
        );
    }
}
