//! What one render may use. A template can ask for a string of 10¹² characters, recurse into
//! itself or loop for ever; Python fails such a template with MemoryError or RecursionError
//! (or never ends), and it must fail here too, as the error of that image, without taking
//! the process or the machine down.
//!
//! The budget of a render lives in a thread-local: a render runs on one thread, and the
//! string and list operations that must check it are many and deep.

use std::cell::Cell;

use super::error::{Error, ErrorKind};
use super::value::Value;

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
/// Levels of one expression's tree: a chain `1+1+…`, `x.a.a…` or `|f|f…` adds one per term,
/// and the evaluator recurses once per level. Jinja2 gives up on chains of a few hundred
/// terms (Python's recursion limit, or its parser's 200 nested parentheses).
pub const MAX_EXPRESSION_DEPTH: usize = 1000;
/// Nested statements (Python's compiler refuses more than 100 levels of blocks).
pub const MAX_STATEMENT_NESTING: usize = 100;
/// Bytes of text a render may make in all: four times the largest string.
const MAX_TEXT_MADE: usize = 4 * MAX_TEXT;
/// Expressions evaluated, loop iterations, items through filters and calls in one render.
const MAX_WORK: u64 = 20_000_000;
/// Bytes that a string method, filter, test, operator or hash scans for one step of work: a
/// 16 MiB string costs 262,144 steps each time it is searched, so a render scans at most
/// about 1.3 GB in all.
pub const SCAN_BYTES_PER_STEP: usize = 64;
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
    NESTING.with(|n| n.set(0));
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

/// What one more string costs beyond its text: its place in a list and its allocation.
pub const STRING_BYTES: usize = std::mem::size_of::<Value>() + 32;
/// What one more list costs beyond its items: its place in a list and its allocation.
pub const LIST_BYTES: usize = std::mem::size_of::<Value>() + 64;

/// Counts a list of `len` items, each taking `item_bytes` beyond the list's own slot for it,
/// against the limits of text: a list of a string's characters takes far more memory than
/// the string.
pub fn charge_list(len: usize, item_bytes: usize, what: &str) -> Result<(), Error> {
    check_items(len, what)?;
    let slot = std::mem::size_of::<Value>();
    charge_text(len.saturating_mul(slot + item_bytes), what)
}

/// Counts a list, tuple or dict that a template writes (`[x]`, `(x,)`, `{k: v}`) with
/// room for `slots` values: a loop of appends of such literals holds them all.
pub fn charge_container(slots: usize, what: &str) -> Result<(), Error> {
    check_items(slots, what)?;
    let slot = std::mem::size_of::<Value>();
    charge_text(LIST_BYTES + slots.saturating_mul(slot), what)
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

/// Counts the work of scanning the strings and containers among `values` (a method's
/// receiver and arguments, a filter's value and arguments, an operator's operands): a
/// container by its slots, since `insert(0, x)`, `pop(0)` or `remove` move them all.
pub fn charge_scan<'a>(values: impl IntoIterator<Item = &'a Value>) -> Result<(), Error> {
    let slot = std::mem::size_of::<Value>();
    let bytes: usize = values
        .into_iter()
        .map(|value| match value {
            Value::Str(s) | Value::Markup(s) => s.len(),
            Value::List(l) => l.try_borrow().map_or(0, |l| l.len()) * slot,
            Value::Tuple(t) => t.len() * slot,
            Value::Dict(d) => d.try_borrow().map_or(0, |d| d.len()) * 2 * slot,
            _ => 0,
        })
        .sum();
    charge_work((bytes / SCAN_BYTES_PER_STEP) as u64)
}

/// The error of going deeper than [`MAX_DEPTH`].
pub fn recursion() -> Error {
    Error::new(
        ErrorKind::Recursion,
        "maximum recursion depth exceeded (a template that includes, extends or calls itself?)",
    )
}

/// The error of an expression deeper than [`MAX_EXPRESSION_DEPTH`].
pub fn too_deep() -> Error {
    Error::new(
        ErrorKind::Recursion,
        format!(
            "maximum recursion depth exceeded: the expression is more than \
             {MAX_EXPRESSION_DEPTH} levels deep (a long chain of operators, attributes, items \
             or filters?)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::MAX_EXPRESSION_DEPTH;
    use crate::template::render_source;

    fn render(source: &str) -> Result<String, String> {
        render_source(source, &crate::yaml::Mapping::new(), &[]).map_err(|e| e.to_string())
    }

    fn chain(first: &str, term: &str, count: usize) -> String {
        format!("{{{{ {first}{} }}}}", term.repeat(count))
    }

    #[test]
    fn huge_precisions_render_as_in_python() {
        let fixed = render("{{ '%.70000f' % 1.5 }}").unwrap();
        assert_eq!(fixed.len(), 70_002);
        assert!(fixed.starts_with("1.50") && fixed.ends_with('0'));
        let percent = render("{{ '{:.70000%}'.format(0.5) }}").unwrap();
        assert_eq!(percent.len(), 70_004);
        assert!(percent.starts_with("50.00") && percent.ends_with("0%"));
        assert_eq!(render("{{ 1.5|round(70000) }}").unwrap(), "1.5");
        assert_eq!(render("{{ '%.70000d' % 7 }}").unwrap().len(), 70_000);
        assert_eq!(render("{{ '%.99999999999s' % 'abc' }}").unwrap(), "abc");
        let err = render("{{ '%.99999999999f' % 1.5 }}").unwrap_err();
        assert!(
            err.contains("the formatted number would be too large"),
            "{err}"
        );
    }

    #[test]
    fn round_keeps_an_int_an_int() {
        assert_eq!(render("{{ 1200|round(-2) }}").unwrap(), "1200");
        assert_eq!(render("{{ 1250|round(-2) }}").unwrap(), "1200");
        assert_eq!(render("{{ 1250|round(-2, 'floor') }}").unwrap(), "1200.0");
        assert_eq!(render("{{ 1250.0|round(-2) }}").unwrap(), "1200.0");
    }

    #[test]
    fn long_left_deep_chains_fail_without_exhausting_the_stack() {
        let chains = [
            chain("1", "+1", 30_000),
            chain("x", ".a", 30_000),
            chain("true", " and true", 30_000),
            chain("'a'", "|upper", 30_000),
            chain("'a'", "[0:1]", 30_000),
            chain("x", "()", 30_000),
            chain("x", "[0]", 30_000),
            chain("1", " if 1 else 2", 30_000),
            format!("{{{{ {}1{} }}}}", "[".repeat(2000), "]".repeat(2000)),
            format!("{{{{ {}1{} }}}}", "(".repeat(2000), ")".repeat(2000)),
            format!("{{{{ {}1 }}}}", "not ".repeat(30_000)),
            format!("{{{{ {}1 }}}}", "-".repeat(30_000)),
        ];
        for source in chains {
            let err = render(&source).unwrap_err();
            assert!(err.contains("maximum recursion depth exceeded"), "{err}");
        }
        let near_the_limit = chain("1", "+1", MAX_EXPRESSION_DEPTH - 2);
        let sum = MAX_EXPRESSION_DEPTH - 1;
        assert_eq!(render(&near_the_limit).unwrap(), sum.to_string());
    }

    #[test]
    fn a_list_of_a_strings_characters_counts_its_real_size() {
        let err = render("{{ ('x' * 16000000)|list|length }}").unwrap_err();
        assert!(
            err.contains("the characters of this string would be too large"),
            "{err}"
        );
        assert_eq!(render("{{ ('x' * 1000)|list|length }}").unwrap(), "1000");
        let err = render("{{ ('x,' * 8000000).split(',')|length }}").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = render("{{ ('\n' * 8000000).splitlines()|length }}").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = render("{{ [1]|batch(1000000000, 0)|list|length }}").unwrap_err();
        assert!(err.contains("the batches would be too large"), "{err}");
        let err = render("{{ [1]|slice(2000000)|list|length }}").unwrap_err();
        assert!(err.contains("the slices would be too large"), "{err}");
    }

    #[test]
    fn scanning_long_strings_counts_as_work() {
        let started = Instant::now();
        let err = render(
            "{% set s = 'x' * 16000000 %}{% for i in range(100000) %}{{ s.count('y') }}\
             {% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60));
        let err = render(
            "{% set s = 'x' * 16000000 %}{% for i in range(100000) %}{{ 'y' in s }}\
             {% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
    }

    #[test]
    fn every_expression_of_a_loops_body_counts_as_work() {
        let err = render(
            "{% for item in range(100000) %}{% set root = [] %}{% set path = [root] %}\
             {% for i in range(999) %}{% do path[-1].append([]) %}\
             {% do path.append(path[-1][0]) %}{% endfor %}{{ root|tojson }}{% endfor %}",
        )
        .unwrap_err();
        // The lists it makes count too, and reach their limit about as soon.
        assert!(
            err.contains("steps of work") || err.contains("too large to hold in memory"),
            "{err}"
        );
        let err = render(
            "{% for item in range(100000) %}{% set acc = [] %}{% for i in range(999) %}\
             {% do acc.append(i) %}{% do acc.pop() %}{% endfor %}{% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
    }

    #[test]
    fn values_nested_a_million_levels_deep_are_dropped_without_exhausting_the_stack() {
        for (start, wrap) in [
            ("[]", "[path[-1]]"),
            ("()", "(path[-1],)"),
            ("{}", "{'k': path[-1]}"),
            ("cycler()", "cycler(path[-1])"),
            ("cycler()", "cycler(path[-1]).next"),
            ("[]", "[path[-1]]|map('first')"),
        ] {
            let source = format!(
                "{{% set path = [{start}] %}}{{% for i in range(100000) %}}\
                 {{% do path.append({wrap}) %}}{{% do path.pop(0) %}}{{% endfor %}}\
                 {{{{ path|length }}}}"
            );
            assert_eq!(render(&source).unwrap(), "1", "{start}");
        }
        let err = render(
            "{% set root = [] %}{% set path = [root] %}{% for i in range(100000) %}\
             {% do path[-1].append([]) %}{% do path.append(path[-1][0]) %}{% endfor %}\
             {{ root }}",
        )
        .unwrap_err();
        assert!(err.contains("recursion"), "{err}");
    }

    #[test]
    fn lists_a_template_writes_count_towards_the_memory_it_makes() {
        let err = render(
            "{% set acc = [] %}{% for i in range(100000) %}\
             {% do acc.append([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]) %}\
             {% endfor %}{{ acc|length }}",
        )
        .unwrap_err();
        assert!(
            err.contains("would be too large to hold in memory"),
            "{err}"
        );
        assert_eq!(render("{{ [1, (2, 3), {'a': [4]}]|length }}").unwrap(), "3");
    }

    #[test]
    fn methods_that_move_a_lists_items_count_them_as_work() {
        let err = render(
            "{% set l = [] %}{% for i in range(300000) %}{% do l.insert(0, i) %}{% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
    }
}
