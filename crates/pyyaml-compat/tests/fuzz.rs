//! Malformed and hostile YAML: the documents of fixtures/cases/ cut, spliced and sprinkled with
//! YAML's punctuation, tags, anchors, escapes, deep nesting and bytes that are not UTF-8. Each
//! case must load or fail with an error, never panic or hang; and what loads, written back by
//! `to_string` (strings, integers, booleans, lists and mappings, as a GitLab pipeline is
//! written), must read back as the same document: no string of a file can change the structure
//! of what is written from it.
//!
//! Every case comes from the seed and its index: `FUZZ_SEED=S` repeats a run, `FUZZ_SECONDS=N`
//! or `FUZZ_CASES=N` makes it longer, `FUZZ_FROM=I` starts at case I (`scripts/fuzz --target
//! yaml`). A failing case is printed with the command that repeats it.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pyyaml_compat::{Node, Value};

/// What the suite spends when no length is asked for.
const DEFAULT_SECONDS: u64 = 10;
/// The seed of the suite's run, the same every time, so that it fails only on what a change
/// broke.
const SUITE_SEED: u64 = 1;
/// A case may take this long; the biggest of them, a corpus document with a few tokens
/// repeated, loads in milliseconds.
const CASE_TIME_LIMIT: Duration = Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 10 });

#[test]
fn malformed_yaml_loads_or_fails_cleanly() {
    let seed = env_u64("FUZZ_SEED").unwrap_or(SUITE_SEED);
    let from = env_u64("FUZZ_FROM").unwrap_or(0);
    let end = env_u64("FUZZ_CASES").map(|cases| from.saturating_add(cases));
    let deadline =
        Instant::now() + Duration::from_secs(env_u64("FUZZ_SECONDS").unwrap_or(DEFAULT_SECONDS));
    let jobs = env_u64("FUZZ_JOBS").unwrap_or(1).max(1);
    let corpus = corpus();
    eprintln!(
        "yaml fuzz: seed {seed} (FUZZ_SEED={seed} repeats this run), from case {from}, \
         {jobs} threads, {} documents to start from",
        corpus.len()
    );
    let started = Instant::now();
    let next = AtomicU64::new(from);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let failed: Mutex<Option<(u64, String)>> = Mutex::new(None);
    // The case each thread runs and since when; the watchdog ends the process on a hang.
    let running: Vec<Mutex<Option<(u64, Instant)>>> = (0..jobs).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                for slot in &running {
                    if let Some((index, since)) = *lock(slot)
                        && since.elapsed() > CASE_TIME_LIMIT
                    {
                        let input = generate(&corpus, seed, index);
                        eprintln!("{}", explain(seed, index, &input, "hangs"));
                        std::process::exit(3);
                    }
                }
            }
        });
        let workers: Vec<_> = running
            .iter()
            .map(|slot| {
                let (next, done, stop, failed, corpus) = (&next, &done, &stop, &failed, &corpus);
                scope.spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        if end.is_some_and(|end| index >= end)
                            || (end.is_none() && Instant::now() >= deadline)
                        {
                            break;
                        }
                        let input = generate(corpus, seed, index);
                        *lock(slot) = Some((index, Instant::now()));
                        let outcome = std::panic::catch_unwind(|| check(&input));
                        *lock(slot) = None;
                        let problem = match outcome {
                            Ok(Ok(())) => None,
                            Ok(Err(problem)) => Some(problem),
                            Err(_) => Some("panics (the message is above)".to_owned()),
                        };
                        if let Some(problem) = problem {
                            // The other threads stop too: the first failure is the answer.
                            stop.store(true, Ordering::SeqCst);
                            let mut failed = lock(failed);
                            if failed.as_ref().is_none_or(|(first, _)| index < *first) {
                                *failed = Some((index, explain(seed, index, &input, &problem)));
                            }
                            break;
                        }
                        let total = done.fetch_add(1, Ordering::SeqCst) + 1;
                        if total.is_multiple_of(1_000_000) {
                            let secs = started.elapsed().as_secs_f64();
                            eprintln!(
                                "yaml fuzz: {total} cases in {secs:.0} s ({:.0} per second)",
                                total as f64 / secs
                            );
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.join();
        }
        stop.store(true, Ordering::SeqCst);
    });
    if let Some((_, explained)) = lock(&failed).take() {
        panic!("{explained}");
    }
    let done = done.load(Ordering::SeqCst);
    assert!(done > 0, "no case ran");
    eprintln!(
        "yaml fuzz: {done} cases from case {from} in {:.1?}, seed {seed}",
        started.elapsed()
    );
}

/// The property, for one input: it loads or fails with an error, and what it holds is written
/// back faithfully.
fn check(input: &[u8]) -> Result<(), String> {
    let Ok(value) = pyyaml_compat::load(input) else {
        return Ok(());
    };
    // Printing walks the whole value: a value too deep or too big for it is an error there.
    let _ = jinja2_compat::py::repr(&jinja2_compat::Value::from_yaml(&value));
    let Some(node) = writable(&value) else {
        return Ok(());
    };
    let written = pyyaml_compat::to_string(&node);
    let read = pyyaml_compat::load(written.as_bytes())
        .map_err(|e| format!("what to_string wrote does not load ({e}):\n{written}"))?;
    if !same(&node, &read) {
        return Err(format!(
            "what to_string wrote reads back as another document:\n{written}\nread: {read:?}\n\
             written from: {node:?}"
        ));
    }
    Ok(())
}

/// The part of `value` that `to_string` can write: strings, integers, booleans, and lists and
/// mappings of them (mappings by their string keys, each key once).
fn writable(value: &Value) -> Option<Node> {
    match value {
        Value::Str(text) => Some(Node::Str(text.clone())),
        Value::Bool(b) => Some(Node::Bool(*b)),
        Value::Int(i) => i64::try_from(i).ok().map(Node::Int),
        Value::Seq(items) => Some(Node::Seq(items.iter().filter_map(writable).collect())),
        Value::Map(mapping) => {
            let mut entries: Vec<(String, Node)> = Vec::new();
            for (key, value) in mapping.iter() {
                if let (Some(key), Some(node)) = (key.as_str(), writable(value))
                    && !entries.iter().any(|(k, _)| k == key)
                {
                    entries.push((key.to_owned(), node));
                }
            }
            Some(Node::Map(entries))
        }
        _ => None,
    }
}

/// Whether `read` is the document `node` stands for, order of keys included.
fn same(node: &Node, read: &Value) -> bool {
    match (node, read) {
        (Node::Str(a), Value::Str(b)) => a == b,
        (Node::Bool(a), Value::Bool(b)) => a == b,
        (Node::Int(a), Value::Int(b)) => i64::try_from(b).is_ok_and(|b| b == *a),
        (Node::Seq(a), Value::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Node::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, va), (kb, vb))| kb.as_str() == Some(ka) && same(va, vb))
        }
        // An empty mapping or list at the top is written as `{}` or `[]`.
        _ => false,
    }
}

/// The documents mutated: the corpus that the crate is checked against PyYAML with.
fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("an entry of the corpus").path())
        .collect();
    // The order of read_dir varies: a seed names the same cases only in a fixed order.
    paths.sort();
    let corpus: Vec<Vec<u8>> = paths
        .iter()
        .map(|path| std::fs::read(path).expect("a corpus document"))
        .collect();
    assert!(
        corpus.len() > 100,
        "the corpus in {} is missing",
        dir.display()
    );
    corpus
}

/// What is sprinkled into the documents: YAML's syntax, tags, anchors and aliases, escapes,
/// directives, scalars YAML 1.1 reads as other types, and bytes that are not UTF-8.
const TOKENS: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b": ",
    b"- ",
    b"? ",
    b"!",
    b"!!str ",
    b"!!int ",
    b"!!binary ",
    b"!!set ",
    b"!!omap ",
    b"!!pairs ",
    b"!!timestamp ",
    b"!!float ",
    b"!!null ",
    b"!!python/object:os.system ",
    b"!foo ",
    b"!<tag:x> ",
    b"&a ",
    b"*a",
    b"&b ",
    b"*b",
    b"<<: ",
    b"<<: *a",
    b"|",
    b"|-",
    b">+",
    b"|2",
    b">9",
    b"'",
    b"''",
    b"\"",
    b"\\",
    b"\\x4",
    b"\\u12",
    b"\\U0010FFFF",
    b"\\N",
    b"\\0",
    b"#",
    b" #",
    b"\n",
    b"\r\n",
    b"\r",
    b"\t",
    b"  ",
    b"---",
    b"...",
    b"--- ",
    b"%YAML 1.1\n",
    b"%YAML 2.0\n",
    b"%TAG !e! tag:x,2000:\n",
    b"!e!x ",
    "\u{feff}".as_bytes(),
    b"\xfe\xff",
    b"\xff\xfe",
    b"\x00",
    b"\x85",
    b"\xe2\x80\xa8",
    b"~",
    b"null",
    b"yes",
    b"off",
    b"0o17",
    b"0x",
    b"0b102",
    b"1:20:30",
    b"190:20:30.15",
    b"2001-12-14t21:59:43.10-05:00",
    b"2002-12-14",
    b".inf",
    b"-.Inf",
    b".NaN",
    b"1e400",
    b"0.",
    b"-",
    b"@",
    b"`",
    b"%",
    b"=",
    "é".as_bytes(),
    "\u{10ffff}".as_bytes(),
    b"\xc3",
    b"\xed\xa0\x80",
];

/// Tokens repeated many times: nesting past the depth limit, long runs of indentation.
const REPEATED: &[&[u8]] = &[
    b"[", b"{", b"- ", b"? ", b"  ", b"a: ", b"&x ", b"!t ", b"9",
];

/// The input of case `index` of the run `seed`.
fn generate(corpus: &[Vec<u8>], seed: u64, index: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut doc = corpus[rng.usize(..corpus.len())].clone();
    if rng.u8(..4) == 0 {
        let other = &corpus[rng.usize(..corpus.len())];
        let (start, end) = span(&mut rng, other.len());
        let at = rng.usize(..=doc.len());
        doc.splice(at..at, other[start..end].iter().copied());
    }
    for _ in 0..rng.usize(1..=8) {
        mutate(&mut rng, &mut doc);
    }
    doc
}

fn mutate(rng: &mut fastrand::Rng, doc: &mut Vec<u8>) {
    let at = rng.usize(..=doc.len());
    match rng.u8(..8) {
        0 | 1 => {
            let token = TOKENS[rng.usize(..TOKENS.len())];
            doc.splice(at..at, token.iter().copied());
        }
        2 => {
            let (start, end) = span(rng, doc.len());
            doc.drain(start..end);
        }
        3 => {
            let (start, end) = span(rng, doc.len());
            let copy = doc[start..end].to_vec();
            let at = rng.usize(..=doc.len());
            doc.splice(at..at, copy);
        }
        4 if !doc.is_empty() => {
            let at = rng.usize(..doc.len());
            doc[at] = rng.u8(..);
        }
        5 => doc.truncate(at),
        6 => {
            let token = REPEATED[rng.usize(..REPEATED.len())];
            let times = [2, 10, 199, 201, 1000][rng.usize(..5)];
            doc.splice(at..at, token.repeat(times));
        }
        _ => {
            let indent = b" ".repeat(rng.usize(..12));
            doc.splice(at..at, [b"\n".as_slice(), &indent].concat());
        }
    }
}

/// A random span of a text `len` long, at most 32 bytes.
fn span(rng: &mut fastrand::Rng, len: usize) -> (usize, usize) {
    let start = rng.usize(..=len);
    (start, (start + rng.usize(..=32)).min(len))
}

fn explain(seed: u64, index: u64, input: &[u8], problem: &str) -> String {
    format!(
        "yaml fuzz case {index} of seed {seed} {problem}\n\
         repeat: FUZZ_SEED={seed} FUZZ_FROM={index} FUZZ_CASES=1 cargo test -p pyyaml-compat \
         --test fuzz\n\
         input ({} bytes): b\"{}\"",
        input.len(),
        input.escape_ascii()
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

#[test]
fn the_generator_is_reproducible_from_the_seed() {
    let corpus = corpus();
    assert_eq!(generate(&corpus, 7, 42), generate(&corpus, 7, 42));
    let different = (0..20)
        .filter(|&i| generate(&corpus, 7, i) != generate(&corpus, 8, i))
        .count();
    assert!(
        different > 15,
        "{different} of 20 cases differ between seeds"
    );
}
