//! The crate against PyYAML 6.0.4: every document of fixtures/cases/ gives the value whose
//! Python repr() fixtures/regenerate.py wrote to fixtures/golden/, printed here through
//! jinja2-compat's Python printing, or fails where PyYAML fails (on the same line, when PyYAML
//! names one). fixtures/differences.txt lists the cases read differently, with the output
//! expected here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jinja2_compat::py;
use pyyaml_compat::{self as yaml, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// What the golden of a case would say of our reading.
fn our_output(input: &[u8]) -> String {
    match yaml::load(input) {
        // Python cannot print an int of more than 4300 digits either.
        Ok(value) => py::repr(&jinja2_compat::Value::from_yaml(&sort_sets(value)))
            .unwrap_or_else(|_| "error".into()),
        Err(error) => match error.line() {
            Some(line) => format!("error at line {line}"),
            None => "error".into(),
        },
    }
}

/// The goldens list a set's members sorted by their repr (Python's order changes from run to
/// run), so ours are sorted the same way before printing.
fn sort_sets(value: Value) -> Value {
    match value {
        Value::Set(set) => {
            let mut members: Vec<Value> = set.into_iter().collect();
            members
                .sort_by_key(|m| py::repr(&jinja2_compat::Value::from_yaml(m)).unwrap_or_default());
            Value::Set(members.into_iter().collect())
        }
        Value::Seq(items) => Value::Seq(items.into_iter().map(sort_sets).collect()),
        Value::Pairs(pairs) => Value::Pairs(
            pairs
                .into_iter()
                .map(|(k, v)| (sort_sets(k), sort_sets(v)))
                .collect(),
        ),
        Value::Map(mapping) => Value::Map(
            mapping
                .into_iter()
                .map(|(k, v)| (sort_sets(k), sort_sets(v)))
                .collect(),
        ),
        other => other,
    }
}

/// An error without a line in the golden (Python's ValueError, say) agrees with any error.
fn agrees(ours: &str, golden: &str) -> bool {
    ours == golden || (golden == "error" && ours.starts_with("error"))
}

/// `case<TAB>output expected here`; `#` starts a comment line.
fn differences() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(fixtures().join("differences.txt")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (case, output) = line.split_once('\t').expect("case<TAB>output");
            (case.to_owned(), output.to_owned())
        })
        .collect()
}

#[test]
fn every_case_reads_as_pyyaml_reads_it() {
    let differences = differences();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures().join("cases"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let golden_path = fixtures().join("golden").join(format!("{name}.txt"));
        let golden = std::fs::read_to_string(&golden_path).unwrap();
        let golden = golden.trim_end_matches('\n');
        let ours = our_output(&std::fs::read(case).unwrap());
        match differences.get(&name) {
            Some(expected) if ours != *expected => {
                failures.push(format!("{name}: its known difference changed\n  ours:     {ours}\n  expected: {expected}"));
            }
            Some(_) if agrees(&ours, golden) => {
                failures.push(format!("{name}: listed as a difference, but agrees"));
            }
            Some(_) => {}
            None if !agrees(&ours, golden) => {
                failures.push(format!("{name}\n  ours:   {ours}\n  PyYAML: {golden}"));
            }
            None => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from PyYAML:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
