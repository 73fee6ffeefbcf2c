//! The template corpus of `fixtures/`: every case renders as Python's Jinja2 3.1 renders it
//! (`fixtures/regenerate.py` wrote the goldens with docker-pkg 4.0.4, whose environment is
//! Jinja2's with `StrictUndefined` and the `do` extension), or fails where it fails.
//!
//! A tree is a folder holding a `config.yaml`, read as PyYAML reads it into the context of
//! every case, and `images/CASE/Dockerfile.template`, the template of each case; a case may
//! include, import or extend other templates of its folder. `golden/CASE.Dockerfile` is the
//! output, `golden/CASE.error` how the render failed: the `file` and `line` of the error, and
//! the `name`s its message holds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use jinja2_compat::{Environment, Error, Value};

const TEMPLATE: &str = "Dockerfile.template";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The trees of the corpus, sorted.
fn trees() -> Vec<PathBuf> {
    let mut trees: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("fixtures/ is readable")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.join("config.yaml").is_file())
        .collect();
    trees.sort();
    trees
}

/// The cases of `tree`, sorted.
fn cases(tree: &Path) -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(tree.join("images"))
        .expect("the tree's images are readable")
        .map(|entry| {
            let entry = entry.expect("a folder entry");
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect();
    cases.sort();
    cases
}

/// The context of every case of `tree`: its `config.yaml`.
fn vars(tree: &Path) -> HashMap<Rc<str>, Value> {
    let text = std::fs::read(tree.join("config.yaml")).expect("config.yaml is readable");
    let config = pyyaml_compat::load(&text).expect("config.yaml is YAML");
    let mapping = config.into_mapping().unwrap_or_default();
    Value::vars_from_yaml(&mapping)
}

/// Jinja2's `FileSystemLoader` on the case's folder: `/`-separated names, `.` and empty
/// parts skipped, `..` refused.
fn load(dir: &Path, name: &str) -> Result<Option<String>, Error> {
    if name.split('/').any(|part| part == "..") {
        return Ok(None);
    }
    let path = name
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .fold(dir.to_owned(), |path, part| path.join(part));
    Ok(path
        .is_file()
        .then(|| std::fs::read_to_string(&path).ok())
        .flatten())
}

/// An `.error` golden: where the render failed, and what its message names.
#[derive(Default)]
struct ExpectedError {
    file: String,
    line: Option<usize>,
    names: Vec<String>,
}

fn expected_error(text: &str) -> ExpectedError {
    let mut expected = ExpectedError::default();
    for line in text.lines() {
        match line.split_once(": ") {
            Some(("file", file)) => expected.file = file.to_owned(),
            Some(("line", number)) => expected.line = number.parse().ok(),
            Some(("name", name)) => expected.names.push(name.to_owned()),
            _ => {}
        }
    }
    expected
}

/// How our render of `case` differs from its golden, if it does.
fn difference(env: &Environment, tree: &Path, case: &str) -> Option<String> {
    let dir = tree.join("images").join(case);
    let ours = env.render(&|name| load(&dir, name), vars(tree), TEMPLATE);
    let golden = |suffix: &str| {
        std::fs::read_to_string(tree.join("golden").join(format!("{case}.{suffix}"))).ok()
    };
    match (golden("Dockerfile"), golden("error"), ours) {
        (Some(golden), _, Ok(ours)) if golden == ours => None,
        (Some(golden), _, Ok(ours)) => Some(format!("renders {ours:?}, expected {golden:?}")),
        (Some(golden), _, Err(error)) => Some(format!("fails: {error}, expected {golden:?}")),
        (None, Some(_), Ok(ours)) => Some(format!("renders {ours:?}, expected an error")),
        (None, Some(text), Err(error)) => {
            let expected = expected_error(&text);
            let location = error.location.as_ref().map(|(f, l)| (f.to_string(), *l));
            // A golden without a file (an error Jinja2 raised outside any template) agrees
            // with an error anywhere.
            let at = match (expected.file.as_str(), expected.line) {
                ("", _) => true,
                (file, Some(line)) => location == Some((file.to_owned(), line)),
                (file, None) => location.as_ref().is_none_or(|(ours, _)| ours == file),
            };
            let message = error.to_string();
            let names = expected.names.iter().all(|n| message.contains(n.as_str()));
            (!(at && names)).then(|| {
                format!(
                    "fails with {message:?} at {location:?}, expected an error at {}:{:?} \
                     naming {:?}",
                    expected.file, expected.line, expected.names
                )
            })
        }
        (None, None, _) => Some("no golden (run fixtures/regenerate.py)".into()),
    }
}

#[test]
fn corpus_renders_as_jinja2() {
    let env = Environment::new();
    let mut report = String::new();
    let (mut total, mut agreeing) = (0, 0);
    for tree in trees() {
        let tree_name = tree.file_name().unwrap_or_default().to_string_lossy();
        for case in cases(&tree) {
            total += 1;
            match difference(&env, &tree, &case) {
                None => agreeing += 1,
                Some(problem) => {
                    let _ = writeln!(report, "{tree_name}/{case}: {problem}");
                }
            }
        }
    }
    println!("{agreeing} of {total} cases as Jinja2 renders them");
    assert!(report.is_empty(), "{report}");
    assert!(total >= 500, "the corpus has only {total} cases");
}
