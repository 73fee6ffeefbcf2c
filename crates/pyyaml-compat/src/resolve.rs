//! The tag of an untagged plain scalar: PyYAML's implicit resolvers (YAML 1.1's types), with
//! their own patterns, tried in PyYAML's order. Python's `$` also matches before a final line
//! break, hence `\n?\z`.

use std::sync::LazyLock;

use regex::Regex;

pub const NULL: &str = "tag:yaml.org,2002:null";
pub const BOOL: &str = "tag:yaml.org,2002:bool";
pub const INT: &str = "tag:yaml.org,2002:int";
pub const FLOAT: &str = "tag:yaml.org,2002:float";
pub const TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
pub const BINARY: &str = "tag:yaml.org,2002:binary";
pub const STR: &str = "tag:yaml.org,2002:str";
pub const SEQ: &str = "tag:yaml.org,2002:seq";
pub const MAP: &str = "tag:yaml.org,2002:map";
pub const SET: &str = "tag:yaml.org,2002:set";
pub const OMAP: &str = "tag:yaml.org,2002:omap";
pub const PAIRS: &str = "tag:yaml.org,2002:pairs";
pub const MERGE: &str = "tag:yaml.org,2002:merge";
/// `=`, which SafeConstructor takes only as a mapping key (the string `=`).
pub const VALUE: &str = "tag:yaml.org,2002:value";

/// The tag of a scalar whose tag is absent or `!`; `implicit` when it may be resolved from
/// its text (a plain scalar, or any scalar tagged `!`).
pub fn scalar_tag(text: &str, implicit: bool) -> &'static str {
    if !implicit {
        return STR;
    }
    RESOLVERS
        .iter()
        .find(|(_, pattern)| pattern.is_match(text))
        .map_or(STR, |(tag, _)| tag)
}

static RESOLVERS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            BOOL,
            r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        ),
        (
            FLOAT,
            r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
             |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
             |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
             |[-+]?\.(?:inf|Inf|INF)
             |\.(?:nan|NaN|NAN)",
        ),
        (
            INT,
            r"[-+]?0b[0-1_]+
             |[-+]?0[0-7_]+
             |[-+]?(?:0|[1-9][0-9_]*)
             |[-+]?0x[0-9a-fA-F_]+
             |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
        ),
        (MERGE, r"<<"),
        (NULL, r"~|null|Null|NULL|"),
        (
            TIMESTAMP,
            r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
             |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
              (?:[Tt]|[\ \t]+)[0-9][0-9]?
              :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
              (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
        ),
        (VALUE, r"="),
    ]
    .into_iter()
    .map(|(tag, alternatives)| {
        let pattern = format!(r"(?x)^(?:{alternatives})\n?\z");
        (
            tag,
            Regex::new(&pattern).expect("the resolver patterns are valid"),
        )
    })
    .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_types() {
        for (text, tag) in [
            ("yes", BOOL),
            ("OFF", BOOL),
            ("y", STR),
            ("0755", INT),
            ("1:20", INT),
            ("1e3", STR),
            ("1.0e+3", FLOAT),
            (".inf", FLOAT),
            ("~", NULL),
            ("", NULL),
            ("2024-01-01", TIMESTAMP),
            ("2001-12-14 21:59:43.10 -5", TIMESTAMP),
            ("<<", MERGE),
            ("=", VALUE),
        ] {
            assert_eq!(scalar_tag(text, true), tag, "{text}");
        }
        assert_eq!(scalar_tag("yes", false), STR);
    }
}
