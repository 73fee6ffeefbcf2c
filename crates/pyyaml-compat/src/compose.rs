//! The node graph of the one document of a stream, as PyYAML's composer builds it from the
//! parser's events: tags resolved, aliases pointing at their anchor's node, and the errors it
//! raises (an undefined alias, a duplicate anchor, a second document).

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Once;

use libyaml_safer::{Encoding, Event, EventData, Mark, Parser};

use super::error::Error;
use super::resolve;

/// A node: its tag (a full `tag:yaml.org,2002:…` one, or the text of an unknown tag), the line
/// where it starts, and its content.
pub struct Node {
    pub tag: String,
    pub line: usize,
    pub kind: NodeKind,
}

pub enum NodeKind {
    Scalar(String),
    Seq(Vec<Rc<Node>>),
    Map(Vec<Pair>),
}

/// A key node and its value node.
pub type Pair = (Rc<Node>, Rc<Node>);

impl Node {
    /// PyYAML's name of the node's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Scalar(_) => "scalar",
            NodeKind::Seq(_) => "sequence",
            NodeKind::Map(_) => "mapping",
        }
    }
}

/// Deeper documents are refused rather than risk the stack of a 2 MiB thread (PyYAML itself
/// stops between 400 and 500 levels, at Python's recursion limit).
const MAX_DEPTH: usize = 200;

/// The root node of the one document in `text`, or `None` for a stream without documents.
pub fn single_document(text: &str) -> Result<Option<Rc<Node>>, Error> {
    let mut parser = Parser::new();
    parser.set_encoding(Encoding::Utf8);
    parser.set_input(text.as_bytes());
    let mut composer = Composer {
        parser,
        anchors: HashMap::new(),
        line: 1,
    };
    composer.next()?;
    let root = match composer.next()? {
        Event {
            data: EventData::DocumentStart { .. },
            ..
        } => {
            let event = composer.next()?;
            let root = composer.node(event, 0)?;
            composer.next()?;
            root
        }
        _ => return Ok(None),
    };
    let after = composer.next()?;
    match after.data {
        EventData::StreamEnd => Ok(Some(root)),
        _ => Err(Error::at(
            line(after.start_mark),
            format!(
                "expected a single document in the stream (it starts at line {}), but found \
                 another document",
                root.line
            ),
        )),
    }
}

enum Anchor {
    /// Its node is being composed; the line where it starts.
    Open(usize),
    Done(Rc<Node>),
}

struct Composer<'a> {
    parser: Parser<&'a [u8]>,
    anchors: HashMap<String, Anchor>,
    /// The line where the last event ended.
    line: usize,
}

impl Composer<'_> {
    /// The next event. libyaml-safer panics on some malformed documents (`[!,`, `a: ''|` then
    /// an indented line) where libyaml reports an error; the panic is that error here, at the
    /// line the parser had reached, and prints nothing. A failed parser is not asked again:
    /// every caller stops at the error.
    fn next(&mut self) -> Result<Event, Error> {
        let parser = &mut self.parser;
        match catch_quietly(|| parser.parse()) {
            Ok(Ok(event)) => {
                self.line = line(event.end_mark);
                Ok(event)
            }
            Ok(Err(error)) => Err(parse_error(error)),
            Err(panic) => Err(Error::at(
                self.line,
                format!(
                    "the document is malformed after this line (the YAML parser stopped with: {})",
                    panic_message(panic.as_ref())
                ),
            )),
        }
    }

    fn node(&mut self, event: Event, depth: usize) -> Result<Rc<Node>, Error> {
        let line = line(event.start_mark);
        if depth > MAX_DEPTH {
            return Err(Error::at(line, "the document is nested too deeply"));
        }
        let (anchor, node) = match event.data {
            EventData::Alias { anchor } => return self.alias(&anchor, line),
            EventData::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
                ..
            } => {
                self.open(anchor.as_deref(), line)?;
                let tag = explicit(tag)
                    .unwrap_or_else(|| resolve::scalar_tag(&value, plain_implicit).to_owned());
                let kind = NodeKind::Scalar(value);
                (anchor, Node { tag, line, kind })
            }
            EventData::SequenceStart { anchor, tag, .. } => {
                self.open(anchor.as_deref(), line)?;
                let kind = NodeKind::Seq(self.items(depth)?);
                let tag = explicit(tag).unwrap_or_else(|| resolve::SEQ.to_owned());
                (anchor, Node { tag, line, kind })
            }
            EventData::MappingStart { anchor, tag, .. } => {
                self.open(anchor.as_deref(), line)?;
                let kind = NodeKind::Map(self.pairs(depth)?);
                let tag = explicit(tag).unwrap_or_else(|| resolve::MAP.to_owned());
                (anchor, Node { tag, line, kind })
            }
            other => return Err(Error::at(line, format!("unexpected {other:?}"))),
        };
        let node = Rc::new(node);
        if let Some(name) = anchor {
            self.anchors.insert(name, Anchor::Done(Rc::clone(&node)));
        }
        Ok(node)
    }

    fn items(&mut self, depth: usize) -> Result<Vec<Rc<Node>>, Error> {
        let mut items = Vec::new();
        loop {
            let event = self.next()?;
            if event.data == EventData::SequenceEnd {
                return Ok(items);
            }
            items.push(self.node(event, depth + 1)?);
        }
    }

    fn pairs(&mut self, depth: usize) -> Result<Vec<Pair>, Error> {
        let mut pairs = Vec::new();
        loop {
            let event = self.next()?;
            if event.data == EventData::MappingEnd {
                return Ok(pairs);
            }
            let key = self.node(event, depth + 1)?;
            let event = self.next()?;
            pairs.push((key, self.node(event, depth + 1)?));
        }
    }

    /// Registers an anchor when its node starts, as PyYAML does: an alias inside the node
    /// then refers to the node itself.
    fn open(&mut self, anchor: Option<&str>, line: usize) -> Result<(), Error> {
        let Some(name) = anchor else { return Ok(()) };
        if let Some(first) = self.anchors.get(name) {
            let first = match first {
                Anchor::Open(line) => *line,
                Anchor::Done(node) => node.line,
            };
            return Err(Error::at(
                line,
                format!("found duplicate anchor '{name}' (first occurrence at line {first})"),
            ));
        }
        self.anchors.insert(name.to_owned(), Anchor::Open(line));
        Ok(())
    }

    fn alias(&self, name: &str, line: usize) -> Result<Rc<Node>, Error> {
        match self.anchors.get(name) {
            Some(Anchor::Done(node)) => Ok(Rc::clone(node)),
            Some(Anchor::Open(_)) => Err(Error::at(
                line,
                format!(
                    "found alias '{name}' inside its own anchor: a value cannot contain itself"
                ),
            )),
            None => Err(Error::at(line, format!("found undefined alias '{name}'"))),
        }
    }
}

/// A tag written in the document; `!` (the non-specific tag) leaves the choice to the resolver.
fn explicit(tag: Option<String>) -> Option<String> {
    tag.filter(|t| t != "!")
}

fn line(mark: Mark) -> usize {
    usize::try_from(mark.line).map_or(usize::MAX, |l| l + 1)
}

thread_local! {
    /// Whether a panic of this thread is caught by [`catch_quietly`], which reports it.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// `work`, with a panic caught and not printed. The process's panic hook is wrapped once, so
/// that it stays silent for this thread while `work` runs and prints every other panic as
/// before.
fn catch_quietly<R>(work: impl FnOnce() -> R) -> std::thread::Result<R> {
    static WRAP_HOOK: Once = Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|quiet| quiet.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    QUIET.with(|quiet| quiet.set(false));
    result
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

fn parse_error(error: libyaml_safer::Error) -> Error {
    let message = match error.context() {
        Some(context) => format!("{context}: {}", error.problem()),
        None => error.problem().to_owned(),
    };
    match error.problem_mark().or(error.context_mark()) {
        Some(mark) => Error::at(line(mark), message),
        None => Error::new(message),
    }
}
