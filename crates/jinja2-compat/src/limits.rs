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

/// What one render may use. Past a limit the render fails with the error Python would give
/// (`MemoryError`, `RecursionError`), or an error of too much work; the process and the
/// machine are spared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest string a template may make, and the largest output, in bytes.
    pub max_text: usize,
    /// Bytes of text a render may make in all.
    pub max_text_made: usize,
    /// The most items a template may put in one list.
    pub max_items: usize,
    /// Nested macro calls, includes, imports, extends and recursive loops.
    pub max_depth: usize,
    /// Nested brackets and operators in one expression.
    pub max_expression_nesting: usize,
    /// Levels of one expression's tree: a chain `1+1+…`, `x.a.a…` or `|f|f…` adds one per
    /// term, and the evaluator recurses once per level.
    pub max_expression_depth: usize,
    /// Nested statements.
    pub max_statement_nesting: usize,
    /// Expressions evaluated, loop iterations, items through filters and calls in one render.
    pub max_work: u64,
    /// Bytes that a string method, filter, test, operator or hash scans for one step of work.
    pub scan_bytes_per_step: usize,
    /// Lists in lists (or comparisons of them) deeper than this fail as Python's `repr` and
    /// `==` do, with a recursion error.
    pub max_data_nesting: usize,
    /// The largest integer an operator may make, in bits.
    pub max_int_bits: u64,
    /// The most digits of an integer printed in decimal (Python's `int_max_str_digits`).
    pub max_int_digits: usize,
}

impl Limits {
    /// Limits close to where Jinja2 on CPython gives up: 16 MiB strings, 2²¹ items, 250 nested
    /// calls (Jinja2 runs out of Python stack at about this depth of macro calls), 60 nested
    /// brackets (its parser's recursion), 1000 levels of an expression, 100 nested statements
    /// (Python's compiler's limit), 20 million steps of work, 4300 digits.
    pub const PYTHON: Limits = Limits {
        max_text: 16 << 20,
        max_text_made: 4 * (16 << 20),
        max_items: 1 << 21,
        max_depth: 250,
        max_expression_nesting: 60,
        max_expression_depth: 1000,
        max_statement_nesting: 100,
        max_work: 20_000_000,
        scan_bytes_per_step: 64,
        max_data_nesting: 1000,
        max_int_bits: 1 << 20,
        max_int_digits: 4300,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::PYTHON
    }
}

/// The limits of the render running on this thread.
pub(crate) fn get() -> Limits {
    LIMITS.get()
}

/// When less stack than this is left, recursion goes on in a new segment of the heap: debug
/// builds have large frames, and rayon's threads small stacks.
const RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

thread_local! {
    static LIMITS: Cell<Limits> = const { Cell::new(Limits::PYTHON) };
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
    let result = if depth > get().max_data_nesting {
        Err(recursion())
    } else {
        with_stack(run)
    };
    NESTING.with(|n| n.set(n.get() - 1));
    result
}

/// Starts a render's budget afresh, within `limits`.
pub fn reset(limits: Limits) {
    LIMITS.set(limits);
    MADE.with(|m| m.set(0));
    WORK.with(|w| w.set(0));
    NESTING.with(|n| n.set(0));
}

/// Refuses a string of `len` bytes before it is made.
pub fn check_text(len: usize, what: &str) -> Result<(), Error> {
    if len > get().max_text {
        return Err(Error::memory(what));
    }
    Ok(())
}

/// Refuses a list of `len` items before it is made.
pub fn check_items(len: usize, what: &str) -> Result<(), Error> {
    if len > get().max_items {
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
    // The list's own slots are counted where it is made (`count_container`).
    check_text(len.saturating_mul(slot + item_bytes), what)?;
    charge_text(len.saturating_mul(item_bytes), what)
}

/// What a list, tuple or dict takes beyond its slots: its allocation and counts.
const CONTAINER_BYTES: usize = 32;

/// Counts a list, tuple or dict of `slots` values just made, or the slots a list or dict
/// grew by, with the text made: every container is counted where it is made
/// ([`Value::list`], [`Value::tuple`], [`Value::dict`]) or grows, whatever made it (a
/// literal, `*`, `+`, a slice, a filter, a method). Those cannot fail, so the count is held
/// against the limit at the render's next step of work ([`charge_work`]); one operation makes
/// at most [`Limits::max_items`] slots, which [`check_items`] refuses before they are made.
pub(crate) fn count_container(slots: usize) {
    count_slots(slots);
    MADE.set(MADE.get().saturating_add(CONTAINER_BYTES));
}

/// Counts the slots a list or dict grew by (see [`count_container`]).
pub(crate) fn count_slots(slots: usize) {
    MADE.set(MADE.get().saturating_add(slot_bytes(slots)));
}

/// Takes the slots a list gave back (`pop`, `remove`, `clear`) off the count: a loop of
/// appends and pops holds little.
pub(crate) fn uncount_slots(slots: usize) {
    MADE.set(MADE.get().saturating_sub(slot_bytes(slots)));
}

fn slot_bytes(slots: usize) -> usize {
    slots.saturating_mul(std::mem::size_of::<Value>())
}

/// Counts `len` bytes of text made; fails when the render made too much.
pub fn charge_text(len: usize, what: &str) -> Result<(), Error> {
    check_text(len, what)?;
    let made = MADE.with(|m| {
        let made = m.get().saturating_add(len);
        m.set(made);
        made
    });
    if made > get().max_text_made {
        return Err(Error::memory("the text this template makes"));
    }
    Ok(())
}

/// Refuses a number's precision that would make too long a text, and counts the digits it
/// makes as scanned bytes: `'%.70000g' % 1.5` writes "1.5", yet its digits are worked out.
pub fn charge_precision(precision: usize) -> Result<(), Error> {
    check_text(precision, "the formatted number")?;
    charge_work((precision / get().scan_bytes_per_step.max(1)) as u64)
}

/// Counts `units` of work (iterations, calls); fails when the render did too much.
pub fn charge_work(units: u64) -> Result<(), Error> {
    let work = WORK.with(|w| {
        let work = w.get().saturating_add(units);
        w.set(work);
        work
    });
    let limits = get();
    if MADE.get() > limits.max_text_made {
        return Err(Error::memory("the text and lists this template makes"));
    }
    let max_work = limits.max_work;
    if work > max_work {
        return Err(Error::new(
            ErrorKind::Work,
            format!("the template does more than {max_work} steps of work"),
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
    charge_work((bytes / get().scan_bytes_per_step.max(1)) as u64)
}

/// The error of going deeper than [`Limits::max_depth`].
pub fn recursion() -> Error {
    Error::new(
        ErrorKind::Recursion,
        "maximum recursion depth exceeded (a template that includes, extends or calls itself?)",
    )
}

/// The error of an expression deeper than [`Limits::max_expression_depth`].
pub fn too_deep() -> Error {
    let max_expression_depth = get().max_expression_depth;
    Error::new(
        ErrorKind::Recursion,
        format!(
            "maximum recursion depth exceeded: the expression is more than \
             {max_expression_depth} levels deep (a long chain of operators, attributes, items \
             or filters?)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Limits;
    use crate::Environment;

    const MAX_EXPRESSION_DEPTH: usize = Limits::PYTHON.max_expression_depth;

    fn render(source: &str) -> Result<String, String> {
        Environment::new()
            .render_str(source, Default::default())
            .map_err(|e| e.to_string())
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
    fn a_huge_general_precision_is_cheap_and_counted() {
        assert_eq!(render("{{ '%.70000g' % 1.5 }}").unwrap(), "1.5");
        assert_eq!(render("{{ '{:.70000g}'.format(0.1) }}").unwrap().len(), 57);
        assert_eq!(render("{{ '{:.70000}'.format(2.0) }}").unwrap(), "2.0");
        assert_eq!(render("{{ '%.70000g' % 1e300 }}").unwrap().len(), 301);
        assert_eq!(render("{{ '%#.70000g' % 1.5 }}").unwrap().len(), 70_001);
        // Found by the fuzzer: 100,000 such formats ran for a minute within the budget.
        let started = Instant::now();
        let err =
            render("{% for i in range(100000) %}{% set x = '%.70000g' % (true,) %}{% endfor %}")
                .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn lists_count_towards_the_memory_limit_by_their_slots() {
        // Found by the fuzzer: a thousand tuples of 131,070 items each, made by `*` at one
        // step of work apiece, took more than 1 GiB.
        let err = render(
            "{% set acc = [] %}{% for i in range(1000) %}\
             {% set _ = acc.append(65535 * (1.5, 'x')) %}{% endfor %}{{ acc|length }}",
        )
        .unwrap_err();
        assert!(err.contains("too large to hold in memory"), "{err}");
        // Copies made by a slice, `+`, a filter or a method count as well.
        for copy in [
            "big[:]",
            "big + []",
            "big|list",
            "big.copy()",
            "big|sort",
            "big|select",
        ] {
            let err = render(&format!(
                "{{% set big = range(1000000)|list %}}{{% set acc = [] %}}\
                 {{% for i in range(100) %}}{{% set _ = acc.append({copy}) %}}{{% endfor %}}"
            ))
            .unwrap_err();
            assert!(err.contains("too large to hold in memory"), "{copy}: {err}");
        }
        // So do lists that grow, one item at a time or by `extend`.
        let err = render(
            "{% set big = range(1000000)|list %}{% set acc = [] %}\
             {% for i in range(100) %}{% set x = [] %}{% set _ = x.extend(big) %}\
             {% set _ = acc.append(x) %}{% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("too large to hold in memory"), "{err}");
        // What a template holds in earnest is far below the limit.
        assert_eq!(
            render(
                "{% set acc = [] %}{% for i in range(10000) %}\
                 {% set _ = acc.append(10 * (i, 'x')) %}{% endfor %}{{ acc|length }} \
                 {{ (range(100000)|list)[-1] }} {{ dict(a=1, b=2)|dictsort|length }}"
            )
            .unwrap(),
            "10000 99999 2"
        );
    }

    #[test]
    fn big_integers_cost_work_by_their_size() {
        // Found by the fuzzer: 500,000 of these ran for minutes within the budget.
        let started = Instant::now();
        let err = render(
            "{% for c in 'abcde' %}{% for i in range(100000) %}\
             {% set x = (10**4000)|escape %}{% endfor %}{% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60));
        assert_eq!(render("{{ (10**4000)|string|length }}").unwrap(), "4001");
        assert_eq!(
            render("{{ 2**64 * 2**64 }}").unwrap(),
            "340282366920938463463374607431768211456"
        );
        let err = render("{{ {10**5000: 1}|tojson }}").unwrap_err();
        assert!(err.contains("Exceeds the limit (4300 digits)"), "{err}");
    }

    #[test]
    fn wordwrap_breaks_a_long_word_in_linear_time_and_counts_its_work() {
        // Found by the fuzzer: each break copied the rest of the word, so 16 MB at width 3
        // took hours.
        let started = Instant::now();
        let out = render("{{ ('x' * 1000000)|wordwrap(3)|length }}").unwrap();
        assert_eq!(out, "1333333");
        let err = render(
            "{% for i in range(1000) %}{% set x = ('x' * 16000000)|wordwrap(3) %}{% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn wordwrap_drops_a_long_run_of_spaces_in_linear_time() {
        // Found by the fuzzer (case 9,513,380 of seed 4557097334339335666): text that starts
        // with a run of spaces is broken a width at a time (as Jinja2 does: the outputs here are
        // its own), and each piece looked at the whole
        // rest of the run to see that it was blank: 0.44 s for 35,000 spaces at width 3, so
        // a loop of 1,000 ran for minutes within its budget.
        let started = Instant::now();
        assert_eq!(
            render("{{ (False|center(70000))|wordwrap(3) }}").unwrap(),
            "  F\nals\ne"
        );
        assert_eq!(
            render("{{ ((' ' * 1000000) ~ 'ab cd')|wordwrap(3)|length }}").unwrap(),
            "6"
        );
        // The fuzz case's loop: its budget (a step per character wrapped) ends it at once.
        let source = "{% set acc = [] %}{% for i in range(1000) %}\
                      {% do acc.append(((False|center(70000))|wordwrap(3)).startswith('a')) %}\
                      {% endfor %}{{ acc|length }}";
        let err = render(source).unwrap_err();
        assert!(err.contains("steps of work"), "{err}");
        assert_eq!(render(&source.replace("1000", "100")).unwrap(), "100");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_empty_sequence_repeated_a_huge_number_of_times_is_empty_at_once() {
        // Found by the fuzzer: the repetition walked 2**63 times to make nothing.
        let started = Instant::now();
        for source in [
            "{{ (9223372036854775807 * ())|length }}",
            "{{ ([] * 9223372036854775807)|length }}",
            "{{ ('' * 9223372036854775807)|length }}",
        ] {
            assert_eq!(render(source).unwrap(), "0", "{source}");
        }
        for source in [
            "{{ [] * 10**30 }}",
            "{{ '' * -10**30 }}",
            "{{ [1] * 10**30 }}",
        ] {
            let err = render(source).unwrap_err();
            assert!(
                err.contains("cannot fit 'int' into an index-sized integer"),
                "{err}"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(60));
        let err = render("{{ ([1] * 9223372036854775807)|length }}").unwrap_err();
        assert!(err.contains("too large"), "{err}");
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
