//! The top-level modules of `src/` are few, listed in `lib.rs`, and depend on each other
//! without cycles, so that each layer (configuration, tree, run, engine, registry, commands)
//! can be read and changed on its own; the crates of `crates/` do not depend on the
//! application. Test-only code (`tests.rs` and `fakes.rs` files, `#[cfg(test)]` blocks) is
//! left out.
//! The crates of the workspace (`crates/`) do not depend on the application.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Test-only files, which may use anything.
const TEST_ONLY: [&str; 2] = ["tests.rs", "fakes.rs"];

/// How many top-level modules `src/` may have: a newcomer reads the list in one go.
const MOST_TOP_LEVEL_MODULES: usize = 14;

#[test]
fn src_has_few_top_level_modules_all_listed_in_lib() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules: Vec<String> = std::fs::read_dir(&src)
        .expect("src is readable")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().trim_end_matches(".rs").to_owned())
        .filter(|name| name != "lib" && name != "main")
        .collect();
    modules.sort();
    assert!(
        modules.len() <= MOST_TOP_LEVEL_MODULES,
        "{} top-level modules: {modules:?}",
        modules.len()
    );
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs is readable");
    let mut declared: Vec<String> = lib
        .lines()
        .filter_map(|line| line.trim_start_matches("pub ").strip_prefix("mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect();
    declared.sort();
    assert_eq!(
        declared, modules,
        "lib.rs declares every folder of src, and only those"
    );
}

#[test]
fn top_level_modules_have_no_cycles() {
    let graph = dependencies(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.contains_key("engine") && graph.contains_key("run"));
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles between modules: {cycles:?}"
    );
}

/// No crate of `crates/` names the application: no dependency of its `Cargo.toml` (normal,
/// dev, build, or for a target) is the root package, and no Rust file of it uses
/// `docker_pkg`.
#[test]
fn crates_do_not_depend_on_the_application() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root_dir = root.canonicalize().expect("the root folder");
    let mut crates: Vec<_> = std::fs::read_dir(root.join("crates"))
        .expect("crates/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    assert!(crates.len() >= 2, "crates: {crates:?}");
    let mut problems = Vec::new();
    for dir in &crates {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a readable Cargo.toml");
        let manifest: toml::Table = text.parse().expect("Cargo.toml is TOML");
        for (name, spec) in dependencies_of(&manifest) {
            let package = spec
                .get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(&name);
            let path = spec.get("path").and_then(|p| p.as_str());
            let is_root = path
                .and_then(|p| dir.join(p).canonicalize().ok())
                .is_some_and(|p| p == root_dir);
            if package == "docker-pkg" || is_root {
                problems.push(format!("{}: depends on {name}", dir.display()));
            }
        }
        for (file, text) in rust_files(dir) {
            if text.contains("docker_pkg") {
                problems.push(format!("{}: names docker_pkg", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every dependency a manifest declares, by name, with its specification as a table (a bare
/// version gives an empty one).
fn dependencies_of(manifest: &toml::Table) -> Vec<(String, toml::Table)> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let targets = manifest
        .get("target")
        .and_then(|t| t.as_table())
        .into_iter()
        .flat_map(|targets| targets.values().filter_map(|t| t.as_table()));
    let tables = std::iter::once(manifest).chain(targets);
    let mut found = Vec::new();
    for table in tables {
        for kind in KINDS {
            for (name, spec) in table
                .get(kind)
                .and_then(|d| d.as_table())
                .into_iter()
                .flatten()
            {
                let spec = spec.as_table().cloned().unwrap_or_default();
                found.push((name.clone(), spec));
            }
        }
    }
    found
}

/// The Rust files below `dir` (sources, tests, examples, benches; not `target`).
fn rust_files(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                found.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a readable source");
            found.push((path, text));
        }
    }
    found
}

/// Which top-level modules each top-level module uses (`crate::NAME`).
fn dependencies(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for (module, text) in sources(src, src) {
        let used = graph.entry(module.clone()).or_default();
        for name in crate_paths(production_part(&text)) {
            if name != module {
                used.insert(name);
            }
        }
    }
    graph
}

/// Every `.rs` file below `dir` but test files, with the top-level module it belongs to.
fn sources(src: &Path, dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(sources(src, &path));
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !name.ends_with(".rs") || TEST_ONLY.contains(&name.as_ref()) {
            continue;
        }
        let relative = path.strip_prefix(src).expect("below src");
        let first = relative.components().next().expect("a path below src");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module != "lib" && module != "main" {
            let text = std::fs::read_to_string(&path).expect("a readable source");
            found.push((module, text));
        }
    }
    found
}

/// The text before the file's first `#[cfg(test)]`, where unit tests start.
fn production_part(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// The first path segment after each `crate::`, and the names in `use crate::{a, b::c}`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(group.split(',').map(|part| first_segment(part.trim())));
        } else {
            names.insert(first_segment(rest));
        }
    }
    names.retain(|name| !name.is_empty());
    names
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let at = self.stack.iter().rposition(|&m| m == node).unwrap_or(0);
                let component: Vec<String> = self
                    .stack
                    .split_off(at)
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    let mut cycle = found[0].clone();
    cycle.sort();
    assert_eq!(cycle, ["a", "b", "c"]);
    assert_eq!(
        crate_paths("use crate::{a::X, b};\nuse crate::c::Y; crate::d::f()"),
        ["a", "b", "c", "d"].map(str::to_owned).into()
    );
}
