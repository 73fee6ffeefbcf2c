//! Writing YAML: a document of strings, integers, booleans, lists and ordered mappings, as
//! files other tools read (a GitLab CI pipeline, say). libyaml's emitter picks each scalar's
//! style and escapes; a string is left unquoted only where every reader reads it back as that
//! string (see [`reads_as_string`]).

use libyaml_safer::{Emitter, Event, MappingStyle, ScalarStyle, SequenceStyle};

use super::resolve;

/// A value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A string, quoted when YAML would read it as something else.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list.
    Seq(Vec<Node>),
    /// Keys in the order written.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string node.
    pub fn str(text: impl Into<String>) -> Node {
        Node::Str(text.into())
    }

    /// A list of strings.
    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Node {
        Node::Seq(items.into_iter().map(Node::str).collect())
    }
}

/// `node` as a YAML document, block style, lines never folded.
pub fn to_string(node: &Node) -> String {
    let mut output = Vec::new();
    let mut emitter = Emitter::new();
    emitter.set_output_string(&mut output);
    emitter.set_unicode(true);
    emitter.set_width(-1);
    emitter.set_indent(2);
    let mut events = vec![
        Event::stream_start(libyaml_safer::Encoding::Utf8),
        Event::document_start(None, &[], true),
    ];
    push_events(node, &mut events);
    events.extend([Event::document_end(true), Event::stream_end()]);
    for event in events {
        // The events nest by construction and the output is memory: nothing can fail.
        emitter.emit(event).expect("well-formed events");
    }
    drop(emitter);
    String::from_utf8(output).expect("the emitter writes UTF-8")
}

fn push_events(node: &Node, events: &mut Vec<Event>) {
    match node {
        Node::Str(text) => events.push(string(text)),
        Node::Int(n) => events.push(plain(&n.to_string())),
        Node::Bool(b) => events.push(plain(if *b { "true" } else { "false" })),
        Node::Seq(items) => {
            events.push(Event::sequence_start(
                None,
                None,
                true,
                SequenceStyle::Block,
            ));
            items.iter().for_each(|item| push_events(item, events));
            events.push(Event::sequence_end());
        }
        Node::Map(entries) => {
            events.push(Event::mapping_start(None, None, true, MappingStyle::Block));
            for (key, value) in entries {
                events.push(string(key));
                push_events(value, events);
            }
            events.push(Event::mapping_end());
        }
    }
}

fn plain(text: &str) -> Event {
    Event::scalar(None, None, text, true, false, ScalarStyle::Plain)
}

/// A string scalar: plain when it reads back as this string, else quoted.
fn string(text: &str) -> Event {
    let plain_ok = reads_as_string(text);
    Event::scalar(None, None, text, plain_ok, true, ScalarStyle::Any)
}

/// Whether `text`, unquoted, is a string to every YAML reader a pipeline may meet: YAML 1.1
/// (PyYAML's rules), YAML 1.2's core schema, and Ruby's Psych (GitLab's), which also reads
/// `1,000` and `0,1` as numbers, `2024-1-5` as a date, `:x` as a symbol and booleans in any
/// case. Rather than follow each reader's grammar, anything that starts like a number or a
/// symbol is quoted, and so is every boolean or null word in any case.
fn reads_as_string(text: &str) -> bool {
    const WORDS: [&str; 10] = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
    ];
    let mut chars = text.chars();
    let starts_like_number = match (chars.next(), chars.next()) {
        (Some(c), _) if c.is_ascii_digit() || c == '.' || c == ':' => true,
        (Some('-' | '+'), Some(c)) => c.is_ascii_digit() || c == '.',
        _ => false,
    };
    let is_word = WORDS.iter().any(|word| word.eq_ignore_ascii_case(text));
    resolve::scalar_tag(text, true) == resolve::STR && !starts_like_number && !is_word
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{self as yaml, Value};

    fn round_trip(node: &Node) -> Value {
        yaml::load(to_string(node).as_bytes()).unwrap()
    }

    #[test]
    fn block_style_with_plain_strings_where_they_stay_strings() {
        let node = Node::Map(vec![
            ("stages".into(), Node::strs(["build", "summary"])),
            (
                "build:app".into(),
                Node::Map(vec![
                    ("needs".into(), Node::Seq(Vec::new())),
                    ("retry".into(), Node::Int(2)),
                    ("interruptible".into(), Node::Bool(true)),
                    (
                        "script".into(),
                        Node::strs(["docker-pkg build --select 'r.org/app:1.0' images"]),
                    ),
                ]),
            ),
        ]);
        assert_eq!(
            to_string(&node),
            "stages:\n- build\n- summary\nbuild:app:\n  needs: []\n  retry: 2\n  \
             interruptible: true\n  script:\n  - docker-pkg build --select 'r.org/app:1.0' images\n"
        );
    }

    #[test]
    fn strings_that_read_as_other_types_are_quoted() {
        for text in [
            "yes",
            "No",
            "on",
            "1.0",
            "3",
            "0755",
            "1e3",
            "0o17",
            "0x1F",
            "~",
            "null",
            "",
            "2024-01-01",
            "1:20",
            ".inf",
            "- a",
            "a: b",
            "#x",
            "*x",
            "&x",
            "!x",
            "@x",
            "%x",
            "[x]",
            "{x}",
            "x #y",
            "'x'",
            "\"x\"",
            "a\nb",
            "\ttab",
            " lead",
            "trail ",
            "<<",
            "=",
            "0,1",
            "1,000",
            "1,000.5",
            "oN",
            "yEs",
            "nULL",
            "y",
            "N",
            ":foo",
            "2024-1-5",
            "-1",
            "+.5",
            "-.inf",
        ] {
            let node = Node::Seq(vec![Node::str(text)]);
            let written = to_string(&node);
            assert!(
                written.starts_with("- '") || written.starts_with("- \""),
                "{text:?} written unquoted: {written:?}"
            );
            assert_eq!(
                round_trip(&node),
                Value::Seq(vec![Value::from(text)]),
                "{text:?} as {written:?}"
            );
        }
        assert_eq!(to_string(&Node::strs(["1.0"])), "- '1.0'\n");
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for text in [
            "build",
            "docker-pkg",
            "a-1",
            "x86_64",
            "r.org/app:1.0",
            "-x",
            "yesterday",
            "v1.0",
        ] {
            assert_eq!(to_string(&Node::strs([text])), format!("- {text}\n"));
        }
    }

    #[test]
    fn long_lines_are_not_folded() {
        let long = "word ".repeat(60);
        let text = to_string(&Node::strs([long.trim()]));
        assert_eq!(text.lines().count(), 1, "{text}");
    }
}
