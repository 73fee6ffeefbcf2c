//! Python values from nodes, as PyYAML's `SafeConstructor` builds them: one constructor per
//! tag, merge keys, and an error for any tag it does not know.

use super::binary;
use super::compose::{Node, NodeKind};
use super::error::Error;
use super::mapping::Mapping;
use super::number;
use super::resolve;
use super::timestamp;
use super::value::Value;

/// Aliases can make a small file stand for a huge value ("billion laughs"); PyYAML shares the
/// objects, a copy here would not fit in memory. No configuration comes near this.
const MAX_VALUES: usize = 1_000_000;

/// The value of `node`.
pub fn construct(node: &Node) -> Result<Value, Error> {
    Constructor {
        remaining: MAX_VALUES,
    }
    .value(node)
}

struct Constructor {
    remaining: usize,
}

impl Constructor {
    fn value(&mut self, node: &Node) -> Result<Value, Error> {
        self.remaining = self.remaining.checked_sub(1).ok_or_else(|| {
            Error::at(
                node.line,
                format!("the aliases expand to more than {MAX_VALUES} values"),
            )
        })?;
        let at = |message: String| Error::at(node.line, message);
        match node.tag.as_str() {
            resolve::NULL => scalar_text(node).map(|_| Value::Null),
            resolve::BOOL => boolean(scalar_text(node)?).map(Value::Bool).map_err(at),
            resolve::INT => number::int(scalar_text(node)?).map(Value::Int).map_err(at),
            resolve::FLOAT => number::float(scalar_text(node)?)
                .map(Value::Float)
                .map_err(at),
            resolve::BINARY => binary::decode(scalar_text(node)?)
                .map(Value::Bytes)
                .map_err(at),
            resolve::TIMESTAMP => timestamp::parse(scalar_text(node)?).map_err(at),
            resolve::STR => scalar_text(node).map(|s| Value::Str(s.to_owned())),
            resolve::SEQ => self.sequence(node).map(Value::Seq),
            resolve::MAP => self.mapping(node).map(Value::Map),
            resolve::SET => self
                .mapping(node)
                .map(|m| Value::Set(m.into_iter().map(|(key, _)| key).collect())),
            resolve::OMAP | resolve::PAIRS => self.pairs(node).map(Value::Pairs),
            tag => Err(at(format!(
                "could not determine a constructor for the tag '{tag}'"
            ))),
        }
    }

    fn sequence(&mut self, node: &Node) -> Result<Vec<Value>, Error> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().map(|item| self.value(item)).collect(),
            _ => Err(expected("a sequence", node)),
        }
    }

    /// A dict: merged mappings first (the first one that has a key gives its value), then the
    /// node's own keys, each over any equal key before it.
    fn mapping(&mut self, node: &Node) -> Result<Mapping, Error> {
        let NodeKind::Map(pairs) = &node.kind else {
            return Err(expected("a mapping", node));
        };
        let mut mapping = Mapping::new();
        for (_, merged) in pairs.iter().filter(|(key, _)| key.tag == resolve::MERGE) {
            self.merge(merged, &mut mapping)?;
        }
        for (key_node, value_node) in pairs.iter().filter(|(key, _)| key.tag != resolve::MERGE) {
            let key = if key_node.tag == resolve::VALUE {
                Value::Str(scalar_text(key_node)?.to_owned())
            } else {
                self.value(key_node)?
            };
            if !key.is_hashable() {
                return Err(Error::at(key_node.line, "found unhashable key"));
            }
            let value = self.value(value_node)?;
            mapping.insert(key, value);
        }
        Ok(mapping)
    }

    /// `<<: *a` or `<<: [*a, *b]`: the keys not yet in `into`.
    fn merge(&mut self, merged: &Node, into: &mut Mapping) -> Result<(), Error> {
        let sources: Vec<&Node> = match &merged.kind {
            NodeKind::Map(_) => vec![merged],
            NodeKind::Seq(items) => items.iter().map(AsRef::as_ref).collect(),
            NodeKind::Scalar(_) => {
                return Err(Error::at(
                    merged.line,
                    "expected a mapping or list of mappings for merging, but found scalar",
                ));
            }
        };
        for source in sources {
            if !matches!(source.kind, NodeKind::Map(_)) {
                return Err(Error::at(
                    source.line,
                    format!(
                        "expected a mapping for merging, but found {}",
                        source.kind_name()
                    ),
                ));
            }
            for (key, value) in self.mapping(source)? {
                into.insert_if_absent(key, value);
            }
        }
        Ok(())
    }

    /// `!!omap` and `!!pairs`: a sequence of one-pair mappings, as `(key, value)` tuples.
    fn pairs(&mut self, node: &Node) -> Result<Vec<(Value, Value)>, Error> {
        let NodeKind::Seq(items) = &node.kind else {
            return Err(expected("a sequence", node));
        };
        items
            .iter()
            .map(|item| match &item.kind {
                NodeKind::Map(pairs) if pairs.len() == 1 => {
                    let (key, value) = &pairs[0];
                    Ok((self.value(key)?, self.value(value)?))
                }
                NodeKind::Map(pairs) => Err(Error::at(
                    item.line,
                    format!(
                        "expected a single mapping item, but found {} items",
                        pairs.len()
                    ),
                )),
                _ => Err(Error::at(
                    item.line,
                    format!(
                        "expected a mapping of length 1, but found {}",
                        item.kind_name()
                    ),
                )),
            })
            .collect()
    }
}

/// The text of a scalar node; a mapping stands for the scalar under its `=` key.
fn scalar_text(node: &Node) -> Result<&str, Error> {
    match &node.kind {
        NodeKind::Scalar(text) => Ok(text),
        NodeKind::Map(pairs) => match pairs.iter().find(|(key, _)| key.tag == resolve::VALUE) {
            Some((_, value)) => scalar_text(value),
            None => Err(expected("a scalar", node)),
        },
        NodeKind::Seq(_) => Err(expected("a scalar", node)),
    }
}

fn expected(what: &str, node: &Node) -> Error {
    Error::at(
        node.line,
        format!("expected {what} node, but found {}", node.kind_name()),
    )
}

/// `!!bool`: PyYAML looks the lowercased text up among its six words.
fn boolean(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => Err(format!("'{text}' is not a boolean")),
    }
}
