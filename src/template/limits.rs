//! What one render may use. A template can ask for a string of 10¹² characters, recurse into
//! itself or loop for ever; Python fails such a template with MemoryError or RecursionError
//! (or never ends), and it must fail here too, as the error of that image, without taking
//! the process or the machine down.
//!
//! The budget of a render lives in a thread-local: a render runs on one thread, and the
//! string and list operations that must check it are many and deep.

use std::cell::Cell;

use super::error::{Error, ErrorKind};

/// The longest string a template may make, and the largest output: 16 MiB.
pub const MAX_TEXT: usize = 16 << 20;
/// The most items a template may put in one list.
pub const MAX_ITEMS: usize = 1 << 21;
/// Nested macro calls, includes, imports, extends and recursive loops. Jinja2 runs out of
/// Python stack at about this depth of macro calls.
pub const MAX_DEPTH: usize = 250;
/// Nested brackets and operators in one expression (Jinja2's parser recursion gives up at
/// about 60 nested parentheses).
pub const MAX_EXPRESSION_NESTING: usize = 60;
/// Nested statements (Python's compiler refuses more than 100 levels of blocks).
pub const MAX_STATEMENT_NESTING: usize = 100;
/// Bytes of text a render may make in all: four times the largest string.
const MAX_TEXT_MADE: usize = 4 * MAX_TEXT;
/// Loop iterations, items through filters and calls in one render.
const MAX_WORK: u64 = 20_000_000;
/// Lists in lists (or comparisons of them) deeper than this fail as Python's `repr` and `==`
/// do, with a recursion error.
const MAX_DATA_NESTING: usize = 1000;
/// When less stack than this is left, recursion goes on in a new segment of the heap: debug
/// builds have large frames, and rayon's threads small stacks.
const RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

thread_local! {
    static MADE: Cell<usize> = const { Cell::new(0) };
    static WORK: Cell<u64> = const { Cell::new(0) };
    static NESTING: Cell<usize> = const { Cell::new(0) };
}

/// Runs `run` with stack to spare, whatever the depth of the recursion it is part of.
pub fn with_stack<T>(run: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, run)
}

/// Runs `run` one level deeper into nested data (a repr, a comparison).
pub fn nested<T>(run: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let depth = NESTING.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let result = if depth > MAX_DATA_NESTING {
        Err(recursion())
    } else {
        with_stack(run)
    };
    NESTING.with(|n| n.set(n.get() - 1));
    result
}

/// Starts a render's budget afresh.
pub fn reset() {
    MADE.with(|m| m.set(0));
    WORK.with(|w| w.set(0));
}

/// Refuses a string of `len` bytes before it is made.
pub fn check_text(len: usize, what: &str) -> Result<(), Error> {
    if len > MAX_TEXT {
        return Err(Error::memory(what));
    }
    Ok(())
}

/// Refuses a list of `len` items before it is made.
pub fn check_items(len: usize, what: &str) -> Result<(), Error> {
    if len > MAX_ITEMS {
        return Err(Error::memory(what));
    }
    Ok(())
}

/// Counts `len` bytes of text made; fails when the render made too much.
pub fn charge_text(len: usize, what: &str) -> Result<(), Error> {
    check_text(len, what)?;
    let made = MADE.with(|m| {
        let made = m.get().saturating_add(len);
        m.set(made);
        made
    });
    if made > MAX_TEXT_MADE {
        return Err(Error::memory("the text this template makes"));
    }
    Ok(())
}

/// Counts `units` of work (iterations, calls); fails when the render did too much.
pub fn charge_work(units: u64) -> Result<(), Error> {
    let work = WORK.with(|w| {
        let work = w.get().saturating_add(units);
        w.set(work);
        work
    });
    if work > MAX_WORK {
        return Err(Error::new(
            ErrorKind::Work,
            format!("the template does more than {MAX_WORK} steps of work"),
        ));
    }
    Ok(())
}

/// The error of going deeper than [`MAX_DEPTH`].
pub fn recursion() -> Error {
    Error::new(
        ErrorKind::Recursion,
        "maximum recursion depth exceeded (a template that includes, extends or calls itself?)",
    )
}
